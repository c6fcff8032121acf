"""Coordinate reference systems: checks, the analysis CRS and ellipsoidal areas.

Areas are measured in a projected CRS in metres, never in degrees. The analysis CRS is, in order: the one
the user names; the zone layer's own when it is projected in metres; else one chosen by a stated rule:
the CGCS2000 3-degree Gauss-Krüger zone (with the zone number in the easting, EPSG:4513-4533) for data
in China, the UTM zone elsewhere. Whichever it is, it is announced in the log and recorded in outputs.

>>> gk3_crs(114.9).to_epsg()
4526
>>> gk3_crs(113.6, zone_prefix=False).to_epsg()
4547
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.polygon import orient

from geo.errors import CRSError

__all__ = [
    "AnalysisCRS",
    "choose_analysis_crs",
    "crs_label",
    "ellipsoidal_area_m2",
    "gk3_crs",
    "gk3_zone_of",
    "is_geographic",
    "is_projected_metres",
    "require_crs",
    "suggest_crs",
    "to_analysis_crs",
]

log = logging.getLogger(__name__)

# Rough bounding box of China's land territory, for choosing the Gauss-Krüger rule.
_CHINA_LON = (73.0, 135.5)
_CHINA_LAT = (17.5, 54.0)


@dataclass(frozen=True)
class AnalysisCRS:
    """The CRS areas are measured in, and why it was chosen."""

    crs: CRS
    reason: str

    @property
    def label(self) -> str:
        """Return a short label such as ``EPSG:4526 (CGCS2000 / 3-degree Gauss-Kruger zone 38)``."""
        return crs_label(self.crs)


def crs_label(crs: CRS | None) -> str:
    """Return ``EPSG:n (name)`` or the CRS name when it has no EPSG code."""
    if crs is None:
        return "none"
    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg(min_confidence=90)
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def is_geographic(crs: CRS) -> bool:
    """Return True for a CRS whose axes are in angular units (degrees)."""
    return bool(CRS.from_user_input(crs).is_geographic)


def is_projected_metres(crs: CRS) -> bool:
    """Return True when every horizontal axis of a projected CRS is in metres (read from ``axis_info``)."""
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        return False
    units = {(a.unit_name or "").lower() for a in crs.axis_info[:2]}
    return bool(units) and units <= {"metre", "meter", "m"}


def gk3_zone_of(lon: float) -> int:
    """Return the 3-degree Gauss-Krüger zone number whose central meridian is nearest ``lon``."""
    return int(np.floor(lon / 3.0 + 0.5))


def gk3_crs(lon: float, *, zone_prefix: bool = True) -> CRS:
    """Return the CGCS2000 3-degree Gauss-Krüger CRS for a longitude in China.

    Parameters
    ----------
    lon : float
        Longitude in degrees east.
    zone_prefix : bool, keyword-only
        True for the systems with the zone number in the easting (EPSG:4513-4533, 8-digit eastings),
        False for those without (EPSG:4534-4554).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        When the longitude is outside the zones defined for China (25-45).
    """
    zone = gk3_zone_of(lon)
    if not 25 <= zone <= 45:
        msg = f"longitude {lon:.4f} lies in 3-degree zone {zone}, outside the CGCS2000 zones 25-45 for China"
        raise CRSError(msg)
    return CRS.from_epsg((4513 if zone_prefix else 4534) + zone - 25)


def suggest_crs(bounds: tuple[float, float, float, float]) -> str:
    """Suggest a likely CRS from coordinate magnitudes, for an error message only.

    >>> suggest_crs((38_590_000, 3_950_000, 38_600_000, 3_960_000))
    'EPSG:4526 (CGCS2000 3-degree Gauss-Kruger zone 38, zone number in the easting: 8-digit eastings)'
    """
    minx, miny, maxx, maxy = bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return "EPSG:4490 (CGCS2000 geographic) or EPSG:4326 (WGS 84): the coordinates look like degrees"
    if minx >= 1e7 and maxx < 1e8:
        zone = int(minx // 1_000_000)
        if 25 <= zone <= 45:
            return (
                f"EPSG:{4513 + zone - 25} (CGCS2000 3-degree Gauss-Kruger zone {zone}, zone number in the "
                "easting: 8-digit eastings)"
            )
        if 13 <= zone <= 23:
            return (
                f"EPSG:{4491 + zone - 13} (CGCS2000 6-degree Gauss-Kruger zone {zone}, zone in the easting)"
            )
    if minx > 0 and maxx < 1_000_000 and 1_000_000 < miny < 6_000_000:
        return (
            "a transverse Mercator system with a 500 km false easting: in Henan EPSG:4546/4547/4548 "
            "(CGCS2000 3-degree Gauss-Kruger CM 111/114/117E) or a UTM zone"
        )
    return "unknown (the coordinates match no usual Chinese system); ask the data provider"


def require_crs(gdf: gpd.GeoDataFrame, *, what: str) -> CRS:
    """Return the layer's CRS or raise a :class:`CRSError` that suggests one from the coordinates."""
    if gdf.crs is None:
        hint = suggest_crs(tuple(gdf.total_bounds)) if len(gdf) else "unknown (the layer is empty)"
        msg = (
            f"{what} has no coordinate reference system (no .prj or CRS in the file). "
            f"From its coordinates it is likely {hint}; pass it with --crs-in or set it in the project file."
        )
        raise CRSError(msg)
    return CRS.from_user_input(gdf.crs)


def choose_analysis_crs(
    zones: gpd.GeoDataFrame, *, crs: str | int | CRS | None = None, what: str = "zone layer"
) -> AnalysisCRS:
    """Choose the projected CRS in metres that areas are measured in.

    Parameters
    ----------
    zones : GeoDataFrame
        The zone layer; its CRS and location decide the default.
    crs : str, int or CRS, optional, keyword-only
        The user's choice; it must be projected in metres.
    what : str, keyword-only
        How to name the layer in messages.

    Returns
    -------
    AnalysisCRS

    Raises
    ------
    CRSError
        When the user's CRS is not in metres, or the layer has no CRS.
    """
    if crs is not None:
        chosen = CRS.from_user_input(crs)
        if not is_projected_metres(chosen):
            msg = (
                f"--crs {crs_label(chosen)} is not a projected CRS in metres; areas cannot be measured in it. "
                "Give a projected CRS, e.g. EPSG:4526 (CGCS2000 GK zone 38) for Puyang."
            )
            raise CRSError(msg)
        return AnalysisCRS(chosen, "given by the user")
    own = require_crs(zones, what=what)
    if is_projected_metres(own):
        return AnalysisCRS(own, f"the {what}'s own projected CRS")
    if not own.is_geographic:
        msg = (
            f"{what} is in {crs_label(own)}, which is neither geographic nor projected in metres; "
            "pass a projected CRS in metres with --crs"
        )
        raise CRSError(msg)
    geog = zones.to_crs(4326) if own.to_epsg() != 4326 else zones
    minx, miny, maxx, maxy = geog.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        msg = f"{what} has no usable coordinates to choose a CRS from; pass --crs"
        raise CRSError(msg)
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    if _CHINA_LON[0] <= lon <= _CHINA_LON[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1]:
        chosen = gk3_crs(lon)
        return AnalysisCRS(
            chosen,
            f"chosen: the CGCS2000 3-degree Gauss-Kruger zone {gk3_zone_of(lon)} for data in China "
            f"(centre {lon:.3f}E {lat:.3f}N)",
        )
    try:
        utm = geog.estimate_utm_crs()
    except RuntimeError as exc:
        msg = (
            f"{what} is in degrees ({crs_label(own)}) and no projected CRS can be chosen for its location "
            f"(centre {lon:.3f}, {lat:.3f}: outside China and outside the UTM zones); pass --crs with a "
            "projected CRS in metres"
        )
        raise CRSError(msg) from exc
    return AnalysisCRS(utm, f"chosen: the UTM zone of the data's centre ({lon:.3f}, {lat:.3f}) outside China")


def to_analysis_crs(gdf: gpd.GeoDataFrame, target: AnalysisCRS, *, what: str) -> gpd.GeoDataFrame:
    """Return the layer in the analysis CRS, logging any transformation (never silent)."""
    own = require_crs(gdf, what=what)
    if own.equals(target.crs):
        return gdf
    log.info("%s: transforming from %s to the analysis CRS %s", what, crs_label(own), target.label)
    return gdf.to_crs(target.crs)


def ellipsoidal_area_m2(geoms: gpd.GeoSeries | shapely.Geometry, crs: CRS | None = None) -> np.ndarray:
    """Return the area of each geometry on the CRS's ellipsoid (pyproj.Geod), in m².

    Parameters
    ----------
    geoms : GeoSeries or shapely geometry
        Polygons in any CRS (a bare geometry needs ``crs``).
    crs : CRS, optional
        The CRS of a bare geometry.

    Returns
    -------
    numpy.ndarray of float
    """
    if isinstance(geoms, gpd.GeoSeries):
        crs = geoms.crs
        arr = np.asarray(geoms.values, dtype=object)
    else:
        arr = np.asarray([geoms], dtype=object)
    if crs is None:
        msg = "an ellipsoidal area needs the geometry's CRS"
        raise CRSError(msg)
    crs = CRS.from_user_input(crs)
    geod = crs.get_geod()
    if geod is None:
        msg = f"{crs_label(crs)} has no ellipsoid"
        raise CRSError(msg)
    geodetic = crs.geodetic_crs
    if not crs.equals(geodetic):
        tr = Transformer.from_crs(crs, geodetic, always_xy=True)
        arr = shapely.transform(arr, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    out = np.empty(len(arr), dtype=float)
    for i, g in enumerate(arr):
        out[i] = 0.0 if g is None or g.is_empty else abs(geod.geometry_area_perimeter(_ccw(g))[0])
    return out


def _ccw(g: shapely.Geometry) -> shapely.Geometry:
    """Orient exteriors counter-clockwise and holes clockwise: pyproj sums the rings' signed areas."""
    if isinstance(g, shapely.Polygon):
        return orient(g, 1.0)
    if isinstance(g, shapely.MultiPolygon):
        return shapely.MultiPolygon([orient(p, 1.0) for p in g.geoms])
    return g
