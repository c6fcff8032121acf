"""Slope from a DEM raster, and its mean and maximum over polygons by exact cell coverage.

Method
------
- Slope in degrees by Horn's 3 × 3 method (as ``gdaldem slope``): ``dz/dx`` and ``dz/dy`` from the eight
  neighbours, ``slope = atan(sqrt(dz/dx² + dz/dy²))``. Cells on the raster's edge and next to a nodata cell
  have no slope (NaN).
- Cell sizes in metres: from the transform for a projected DEM in metres; for a geographic DEM (degrees)
  each row's east-west and north-south cell sizes are measured on the ellipsoid (``pyproj.Geod``) at
  the row's centre latitude. Elevations are taken to be in metres (``z_factor`` converts other units).
- Zonal statistics with exactextract: the mean is weighted by the fraction of each cell the polygon
  covers; the maximum is over every cell the polygon touches; ``dem_cells`` is the covered cell count
  (sum of fractions). Polygons are transformed to the DEM's CRS for this (the raster is never resampled).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.windows
from affine import Affine
from pyproj import CRS, Geod
from rasterio.io import MemoryFile

from geo.crs import crs_label, is_projected_metres
from geo.errors import CRSError, DataError, InputError

__all__ = ["horn_slope_deg", "slope_by_polygon"]

log = logging.getLogger(__name__)


def horn_slope_deg(
    dem: np.ndarray, *, xres_m: float | np.ndarray, yres_m: float | np.ndarray, z_factor: float = 1.0
) -> np.ndarray:
    """Return the slope in degrees of an elevation grid (Horn's method; NaN on the edge and near NaN).

    Parameters
    ----------
    dem : ndarray
        Elevations, rows from north to south, NaN for nodata.
    xres_m, yres_m : float or ndarray, keyword-only
        Cell width and height in metres (positive), scalars or one value per row.
    z_factor : float, keyword-only
        Multiplier that turns elevation units into metres.

    Examples
    --------
    A plane rising 10 m per 100 m eastwards has a slope of atan(0.1) = 5.71°:

    >>> x = np.arange(5) * 30.0
    >>> z = np.tile(x * 0.1, (4, 1))
    >>> round(float(horn_slope_deg(z, xres_m=30.0, yres_m=30.0)[1, 2]), 4)
    5.7106
    """
    z = np.asarray(dem, dtype=float) * z_factor
    out = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return out
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    xr = np.broadcast_to(np.asarray(xres_m, dtype=float).reshape(-1, 1), (z.shape[0], 1))[1:-1]
    yr = np.broadcast_to(np.asarray(yres_m, dtype=float).reshape(-1, 1), (z.shape[0], 1))[1:-1]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * xr)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8.0 * yr)
    out[1:-1, 1:-1] = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    return out


def _cell_sizes(crs: CRS, transform: rasterio.Affine, rows: int) -> tuple[np.ndarray, np.ndarray, str]:
    if is_projected_metres(crs):
        return (
            np.full(rows, abs(transform.a)),
            np.full(rows, abs(transform.e)),
            f"cell size {abs(transform.a):g} × {abs(transform.e):g} m",
        )
    if not crs.is_geographic:
        msg = (
            f"the DEM is in {crs_label(crs)}, neither in metres nor in degrees; reproject it to metres first"
        )
        raise CRSError(msg)
    geod = crs.get_geod() or Geod(ellps="WGS84")
    lat = transform.f + (np.arange(rows) + 0.5) * transform.e
    lon = np.full(rows, transform.c)
    _, _, dx = geod.inv(lon, lat, lon + abs(transform.a), lat)
    _, _, dy = geod.inv(lon, lat - abs(transform.e) / 2, lon, lat + abs(transform.e) / 2)
    return (
        np.asarray(dx),
        np.asarray(dy),
        f"geographic DEM: cell sizes measured on the ellipsoid per row ({float(np.mean(dx)):.1f} m × "
        f"{float(np.mean(dy)):.1f} m on average)",
    )


def slope_by_polygon(
    polygons: gpd.GeoSeries, dem_path: str, *, z_factor: float = 1.0, what: str = "DEM"
) -> tuple[pd.DataFrame, str]:
    """Return mean and maximum slope (degrees) over each polygon, by exact cell coverage.

    Parameters
    ----------
    polygons : GeoSeries
        Polygons in any CRS (transformed to the DEM's for the statistics), indexed by their keys.
    dem_path : str
        A single-band elevation raster readable by rasterio, with a CRS.
    z_factor : float, keyword-only
        Multiplier from elevation units to metres.
    what : str, keyword-only
        The raster's name for messages.

    Returns
    -------
    (DataFrame, str)
        Columns ``mean_slope_deg``, ``max_slope_deg``, ``dem_cells`` on the polygons' index (NaN where a
        polygon covers no cell with a slope), and a description of the method.

    Raises
    ------
    InputError
        When the raster cannot be opened.
    CRSError
        When it has no CRS or one in neither metres nor degrees.
    """
    from exactextract import exact_extract

    try:
        src = rasterio.open(dem_path)
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{what} {dem_path}: cannot be opened as a raster ({exc})"
        raise InputError(msg) from exc
    with src:
        if src.crs is None:
            msg = f"{what} {dem_path} has no CRS; assign one (e.g. gdal_edit.py -a_srs EPSG:4526) and retry"
            raise CRSError(msg)
        dem_crs = CRS.from_user_input(src.crs)
        polys = polygons.to_crs(dem_crs)
        left, bottom, right, top = polys.total_bounds
        win = (
            rasterio.windows.from_bounds(left, bottom, right, top, src.transform)
            .round_offsets()
            .round_lengths()
        )
        win = rasterio.windows.Window(win.col_off - 2, win.row_off - 2, win.width + 4, win.height + 4)
        win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        z = src.read(1, window=win, masked=True).astype(float).filled(np.nan)
        transform = src.transform @ Affine.translation(win.col_off, win.row_off)
    if z.size == 0:
        msg = f"{what} {dem_path} does not cover the polygons (bounds {polys.total_bounds.round(2).tolist()})"
        raise DataError(msg)
    xres, yres, how = _cell_sizes(dem_crs, transform, z.shape[0])
    slope = horn_slope_deg(z, xres_m=xres, yres_m=yres, z_factor=z_factor)
    prof = {
        "driver": "GTiff",
        "height": slope.shape[0],
        "width": slope.shape[1],
        "count": 1,
        "dtype": "float64",
        "crs": dem_crs,
        "transform": transform,
        "nodata": np.nan,
    }
    frame = gpd.GeoDataFrame({"key_": np.arange(len(polys))}, geometry=polys.values, crs=dem_crs)
    with MemoryFile() as mem:
        with mem.open(**prof) as ds:
            ds.write(slope, 1)
        with mem.open() as ds:
            stats = exact_extract(ds, frame, ["mean", "max", "count"], include_cols=["key_"], output="pandas")
    stats = stats.sort_values("key_")
    out = pd.DataFrame(
        {
            "mean_slope_deg": stats["mean"].to_numpy(dtype=float),
            "max_slope_deg": stats["max"].to_numpy(dtype=float),
            "dem_cells": stats["count"].to_numpy(dtype=float),
        },
        index=polygons.index,
    )
    method = (
        f"slope from {what} {dem_path} ({crs_label(dem_crs)}; {how}) by Horn's method; mean weighted by "
        "exact cell coverage, maximum over touched cells (exactextract)"
    )
    return out, method
