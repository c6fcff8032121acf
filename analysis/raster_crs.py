"""Raster CRS checks: how parcels are brought into a raster's CRS, and the identical-grid trap.

Parcels are transformed into the raster's CRS (never the raster into the parcels'). CRSs are compared with
pyproj's ``CRS.equals`` (axis order ignored). Two CRSs that differ only by datum realisation (same
projection method and parameters, same ellipsoid — EPSG:3358 NAD83(HARN) vs EPSG:32119 NAD83 North
Carolina) are reported with the shift the transformation applies at the parcels; two rasters whose grids
are identical while their declared CRSs differ are reported as a probable mislabel (:func:`compare_grids`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rasterio
from pyproj import CRS, Transformer

from geo.crs import crs_label

__all__ = ["CRSCheck", "compare_crs", "compare_grids", "raster_crs_label"]


@dataclass(frozen=True)
class CRSCheck:
    """How the parcels were brought into a raster's CRS."""

    raster_crs: str
    parcels_crs: str
    equal: bool
    same_projection: bool
    shift_m: float | None
    action: str
    message: str


def _conversion(crs: CRS) -> tuple[str, tuple[tuple[str, float], ...]] | None:
    """Return the projection method and parameters (of the source CRS of a bound CRS with TOWGS84)."""
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    op = crs.coordinate_operation
    if op is None:
        return None
    return op.method_name, tuple((p.name, round(float(p.value), 9)) for p in op.params)


def compare_crs(
    raster_crs: Any, parcels_crs: Any, *, at_xy: tuple[float, float], raster_label: str | None = None
) -> CRSCheck:
    """Compare a raster's CRS with the parcels' and measure what a transformation does at a point.

    Parameters
    ----------
    raster_crs, parcels_crs : CRS-like
    at_xy : (x, y), keyword-only
        A point in the parcels' CRS (e.g. the centre of the parcels) where the shift is measured.
    raster_label : str, optional, keyword-only
        How to name the raster's CRS in the message (default: its name).

    Returns
    -------
    CRSCheck

    Examples
    --------
    >>> c = compare_crs("EPSG:32119", "EPSG:3358", at_xy=(640000.0, 220000.0))
    >>> c.equal, c.same_projection, 0.0 < c.shift_m < 2.0
    (False, True, True)
    """
    r, p = CRS.from_user_input(raster_crs), CRS.from_user_input(parcels_crs)
    rlabel = raster_label or crs_label(r)
    equal = r.equals(p, ignore_axis_order=True)
    same_proj = (
        not equal
        and _conversion(r) is not None
        and _conversion(r) == _conversion(p)
        and r.ellipsoid == p.ellipsoid
    )
    if equal:
        msg = f"the raster's CRS equals the parcels' ({rlabel}): no transformation"
        return CRSCheck(rlabel, crs_label(p), True, True, 0.0, "none", msg)
    tr = Transformer.from_crs(p, r, always_xy=True)
    x, y = tr.transform(*at_xy)
    shift = None
    if r.is_projected and p.is_projected:
        shift = float(math.hypot(x - at_xy[0], y - at_xy[1]))
    kind = (
        "the same projection and ellipsoid, different datum realisations" if same_proj else "different CRSs"
    )
    msg = (
        f"the raster declares {rlabel}, the parcels are in {crs_label(p)} ({kind}; pyproj CRS.equals is "
        f"False): the parcels were transformed into the raster's CRS"
        + (f", which moves them by {shift:.2f} m here" if shift is not None else "")
    )
    if same_proj:
        msg += (
            "; if the raster's label is wrong (its grid is the grid of data in the parcels' CRS) that shift "
            "is spurious: set the raster's crs in the project file to override its label"
        )
    return CRSCheck(rlabel, crs_label(p), False, same_proj, shift, "transformed", msg)


def compare_grids(a: str | Path, b: str | Path) -> str | None:
    """Return a warning when two rasters share a grid exactly but declare different CRSs, else None.

    The grids are the same when the affine transforms agree (rasterio ``almost_equals``) and the shapes
    are equal; the CRSs are compared with pyproj ``CRS.equals`` (axis order ignored).
    """
    with rasterio.open(a) as da, rasterio.open(b) as db:
        same_grid = da.transform.almost_equals(db.transform) and da.shape == db.shape
        if not same_grid or da.crs is None or db.crs is None:
            return None
        if CRS.from_user_input(da.crs).equals(CRS.from_user_input(db.crs), ignore_axis_order=True):
            return None
        t = da.transform
        grid = f"origin {t.c}, {t.f}; pixel {t.a} × {-t.e}; {da.shape[1]} × {da.shape[0]}"
        return (
            f"{Path(a).name} ({raster_crs_label(a)}) and {Path(b).name} ({raster_crs_label(b)}) have "
            f"identical grids ({grid}) but declare different CRSs: one label is most likely wrong; each "
            "raster is read in its declared CRS unless the project file sets its crs"
        )


def raster_crs_label(path: str | Path) -> str:
    """Return the raster's declared CRS as a label, with the EPSG code GDAL matches to an unnamed WKT."""
    with rasterio.open(path) as ds:
        if ds.crs is None:
            return "no CRS"
        label = crs_label(CRS.from_user_input(ds.crs))
        epsg = ds.crs.to_epsg()
        if epsg and f"EPSG:{epsg}" not in label:
            label += f" (a WKT GDAL matches to EPSG:{epsg})"
        return label
