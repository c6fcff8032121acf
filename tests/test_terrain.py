"""Slope from tiny synthetic DEMs with a known gradient."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely import box

from geo.errors import CRSError
from geo.terrain import horn_slope_deg, slope_by_polygon
from tests.conftest import CRS, X0, Y0

#: A plane rising 10 m per 100 m: atan(0.1).
SLOPE_10PCT = math.degrees(math.atan(0.1))  # 5.7106°


def _write(path, z, *, crs=CRS, transform=None, nodata=-9999.0):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=z.shape[0],
        width=z.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as ds:
        ds.write(z.astype("float32"), 1)
    return str(path)


def test_plane_east_and_north():
    x = np.arange(6) * 30.0
    east = np.tile(x * 0.1, (5, 1))
    assert horn_slope_deg(east, xres_m=30.0, yres_m=30.0)[2, 2] == pytest.approx(SLOPE_10PCT, abs=1e-9)
    # rows run north → south: elevation falling southwards by 10 m per 100 m (cells 20 m tall)
    north = np.tile((np.arange(5)[::-1] * 20.0 * 0.1)[:, None], (1, 6))
    s = horn_slope_deg(north, xres_m=30.0, yres_m=20.0)
    assert s[2, 2] == pytest.approx(SLOPE_10PCT, abs=1e-9)
    assert np.isnan(s[0]).all() and np.isnan(s[:, -1]).all()


def test_slope_by_polygon_on_a_projected_dem(tmp_path):
    # 20 × 20 cells of 30 m, origin at the fixtures' false origin, rising 3 m per cell eastwards
    z = np.tile(np.arange(20) * 3.0 + 50.0, (20, 1))
    dem = _write(tmp_path / "dem.tif", z, transform=Affine(30, 0.0, X0, 0.0, -30, Y0 + 600))
    sites = gpd.GeoSeries(
        [
            box(X0 + 100, Y0 + 100, X0 + 400, Y0 + 400),  # 10 × 10 cells
            box(X0 + 95, Y0 + 95, X0 + 105, Y0 + 105),
        ],  # smaller than a cell
        index=["S1", "S2"],
        crs=CRS,
    )
    stats, how = slope_by_polygon(sites, dem)
    assert stats.loc["S1", "mean_slope_deg"] == pytest.approx(SLOPE_10PCT, abs=1e-5)
    assert stats.loc["S1", "max_slope_deg"] == pytest.approx(SLOPE_10PCT, abs=1e-5)
    assert stats.loc["S1", "dem_cells"] == pytest.approx(100.0, abs=1e-4)
    # a site smaller than a cell still gets its cell's slope, with its coverage fraction 100/900
    assert stats.loc["S2", "mean_slope_deg"] == pytest.approx(SLOPE_10PCT, abs=1e-5)
    assert stats.loc["S2", "dem_cells"] == pytest.approx(100 / 900, abs=1e-4)
    assert "Horn" in how and "exact" in how


def test_slope_on_a_geographic_dem(tmp_path):
    # 0.001° cells near 35°N, elevation rising northwards by 10 % of the ground distance. One degree of
    # latitude at 35°N is 110.95 km (published ellipsoid tables), so a cell is 110.95 m tall.
    res = 0.001
    rise = 0.1 * 110_950.0 * res
    z = np.tile((np.arange(30)[::-1] * rise)[:, None], (1, 30))
    dem = _write(
        tmp_path / "geo.tif", z, crs="EPSG:4490", transform=Affine(res, 0.0, 114.0, 0.0, -res, 35.03)
    )
    site = gpd.GeoSeries([box(114.005, 35.005, 114.02, 35.02)], index=["S"], crs="EPSG:4490").to_crs(CRS)
    stats, how = slope_by_polygon(site, dem)
    assert stats.loc["S", "mean_slope_deg"] == pytest.approx(SLOPE_10PCT, abs=0.01)
    assert "ellipsoid" in how


def test_dem_without_crs_is_refused(tmp_path):
    dem = _write(
        tmp_path / "nocrs.tif", np.zeros((5, 5)), crs=None, transform=Affine(30, 0.0, X0, 0.0, -30, Y0 + 150)
    )
    with pytest.raises(CRSError, match="no CRS"):
        slope_by_polygon(gpd.GeoSeries([box(X0, Y0, X0 + 60, Y0 + 60)], crs=CRS), dem)
