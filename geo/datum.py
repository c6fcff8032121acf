"""GCJ-02 and BD-09: the obfuscated coordinates of Chinese web maps, and how to undo them.

Maps published in China must shift their coordinates with the GCJ-02 algorithm (国测局坐标, "Mars
coordinates"): AMap/Gaode, Tencent, the Chinese Google and ECharts maps hold GCJ-02 longitudes and
latitudes, and files taken from them are usually labelled EPSG:4326 (WGS 84) although they lie some
hundreds of metres off (≈ 560 m east and 130 m south near Zhengzhou). Baidu adds a second shift on top,
BD-09. Tianditu and every CGCS2000 product need no shift. Areas hardly change; overlays are wrong.

The formula is not a PROJ operation: it was never published officially. Its public description, the
reverse-engineered algorithm released in 2013 and since reimplemented in every language (e.g. the MIT
licensed ``coordtransform`` packages by wandergis on GitHub, npm and PyPI; ``eviltransform`` by googollee),
is, with x = λ − 105 and y = φ − 35 in degrees:

- a northward term ``T_φ(x, y) = −100 + 2x + 3y + 0.2y² + 0.1xy + 0.2√|x| + ⅔(20 sin 6πx + 20 sin 2πx)
  + ⅔(20 sin πy + 40 sin(πy/3)) + ⅔(160 sin(πy/12) + 320 sin(πy/30))`` and an eastward term
  ``T_λ(x, y) = 300 + x + 2y + 0.1x² + 0.1xy + 0.1√|x| + ⅔(20 sin 6πx + 20 sin 2πx)
  + ⅔(20 sin πx + 40 sin(πx/3)) + ⅔(150 sin(πx/12) + 300 sin(πx/30))``, both in metres;
- turned into degrees on the Krasovsky 1940 ellipsoid (a = 6 378 245 m, e² = 0.006 693 421 622 965 943 23):
  Δφ = T_φ · 180 / (π M), Δλ = T_λ · 180 / (π N cos φ), with N = a / W, M = a (1 − e²) / W³,
  W = √(1 − e² sin² φ), all at the WGS 84 latitude φ.

GCJ-02 → WGS 84 has no closed form. The public "reverse" (subtract the shift computed at the GCJ-02 point)
is off by up to a few metres; :func:`gcj02_to_wgs84` iterates ``w ← w − (gcj(w) − g)`` from it until the
forward transform of the answer reproduces the input to better than 1 mm.

Whether a layer labelled WGS 84 is really GCJ-02 is checked against a trusted reference by
:func:`geo.datum_check.suspect_gcj02`.

BD-09 (public description: coolypf's 2013 CSDN note "BD-09 and GCJ-02", reproduced with the same
``coordtransform`` packages): polar coordinates of the GCJ-02 point in degrees,
``z' = z + 0.00002 sin(φ·k)``, ``θ' = θ + 0.000003 cos(λ·k)`` with k = 3000π/180, then
λ_bd = z' cos θ' + 0.0065, φ_bd = z' sin θ' + 0.006. The inverse is iterated the same way.

Outside China nothing is shifted. The bounding test (the one the public implementations use): a point is
in China when 72.004 < λ < 137.8347 and 0.8293 < φ < 55.8271 (degrees) — a rectangle, so it also
covers neighbouring countries; it is applied to each input point, in both directions.

>>> lon, lat = wgs84_to_gcj02(113.65, 34.76)
>>> round(float(lon - 113.65) * 1e4, 1), round(float(lat - 34.76) * 1e4, 1)  # 1e-4 degrees ≈ 10 m
(60.8, -11.3)
>>> back = gcj02_to_wgs84(lon, lat)
>>> bool(abs(back[0] - 113.65) < 1e-8 and abs(back[1] - 34.76) < 1e-8)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Geod

from geo.crs import crs_label
from geo.errors import CRSError, ProfileError
from geo.qa import QALog

__all__ = [
    "DATUMS",
    "DATUM_LABELS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_gdf",
    "from_datum",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "shift_m",
    "to_datum",
    "to_datum_mask",
    "to_wgs84_on_read",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Coords = tuple[NDArray[np.float64], NDArray[np.float64]]

#: The datums a layer may be declared in (project file key ``datum``).
DATUMS = ("wgs84", "gcj02", "bd09")
DATUM_LABELS = {
    "wgs84": "WGS 84 (no shift)",
    "gcj02": "GCJ-02 (AMap/Gaode, Tencent, ECharts)",
    "bd09": "BD-09 (Baidu)",
}

# Krasovsky 1940, as the public GCJ-02 description uses it.
_A_M = 6378245.0
_E2 = 0.00669342162296594323
# The public bounding rectangle of "China" (degrees).
_LON_RANGE = (72.004, 137.8347)
_LAT_RANGE = (0.8293, 55.8271)
_K_BD = np.pi * 3000.0 / 180.0
# Iterative inverses stop when the forward transform reproduces the input within this many degrees
# (1e-11 degrees ≈ 1 µm) or after this many steps (the shift's gradient is ~1e-4, so 3-4 steps suffice).
_INVERSE_TOL_DEG = 1e-11
_INVERSE_MAX_STEPS = 30
_GEOD = Geod(ellps="WGS84")


def _xy(lon: ArrayLike, lat: ArrayLike) -> Coords:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    return x.astype(np.float64, copy=True), y.astype(np.float64, copy=True)


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where a point lies in the public GCJ-02 bounding rectangle (72.004–137.8347 E, 0.8293–55.8271 N).

    >>> in_china([113.65, 2.35], [34.76, 48.85]).tolist()
    [True, False]
    """
    x, y = _xy(lon, lat)
    return (x > _LON_RANGE[0]) & (x < _LON_RANGE[1]) & (y > _LAT_RANGE[0]) & (y < _LAT_RANGE[1])


def _gcj_offset_m(x: NDArray[np.float64], y: NDArray[np.float64]) -> Coords:
    """Return the eastward and northward GCJ-02 terms in metres for x = λ − 105, y = φ − 35."""
    third2 = 2.0 / 3.0
    common = third2 * (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x))
    north = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    north += third2 * (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0))
    north += third2 * (160.0 * np.sin(np.pi * y / 12.0) + 320.0 * np.sin(np.pi * y / 30.0))
    east = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    east += third2 * (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0))
    east += third2 * (150.0 * np.sin(np.pi * x / 12.0) + 300.0 * np.sin(np.pi * x / 30.0))
    return east, north


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Return GCJ-02 longitudes and latitudes of WGS 84 points (degrees; points outside China unchanged).

    Parameters
    ----------
    lon, lat : array_like of float
        WGS 84 longitude and latitude in degrees (any shape, broadcast together).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        GCJ-02 longitude and latitude in degrees.

    See Also
    --------
    gcj02_to_wgs84 : The inverse (iterated to < 1 mm).
    """
    x, y = _xy(lon, lat)
    inside = in_china(x, y)
    east, north = _gcj_offset_m(x[inside] - 105.0, y[inside] - 35.0)
    phi = np.radians(y[inside])
    w = np.sqrt(1.0 - _E2 * np.sin(phi) ** 2)
    m_radius = _A_M * (1.0 - _E2) / w**3
    n_radius = _A_M / w
    x[inside] += np.degrees(east / (n_radius * np.cos(phi)))
    y[inside] += np.degrees(north / m_radius)
    return x, y


def _invert(
    forward: Callable[[NDArray[np.float64], NDArray[np.float64]], Coords], x: Any, y: Any, start: Coords
) -> Coords:
    """Solve forward(w) = (x, y) by the fixed-point step w ← w − (forward(w) − target) from ``start``."""
    wx, wy = start
    for _ in range(_INVERSE_MAX_STEPS):
        fx, fy = forward(wx, wy)
        dx, dy = fx - x, fy - y
        if not np.any((np.abs(dx) > _INVERSE_TOL_DEG) | (np.abs(dy) > _INVERSE_TOL_DEG)):
            break
        wx, wy = wx - dx, wy - dy
    return wx, wy


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Return WGS 84 longitudes and latitudes of GCJ-02 points, to better than 1 mm (degrees).

    Starts from the public one-step reverse and iterates until :func:`wgs84_to_gcj02` of the answer
    reproduces the input within 1e-11 degrees. Points outside China are unchanged.
    """
    x, y = _xy(lon, lat)
    gx, gy = wgs84_to_gcj02(x, y)
    return _invert(wgs84_to_gcj02, x, y, (2.0 * x - gx, 2.0 * y - gy))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Return BD-09 (Baidu) longitudes and latitudes of GCJ-02 points (points outside China unchanged)."""
    x, y = _xy(lon, lat)
    inside = in_china(x, y)
    xi, yi = x[inside], y[inside]
    z = np.hypot(xi, yi) + 0.00002 * np.sin(yi * _K_BD)
    theta = np.arctan2(yi, xi) + 0.000003 * np.cos(xi * _K_BD)
    x[inside] = z * np.cos(theta) + 0.0065
    y[inside] = z * np.sin(theta) + 0.006
    return x, y


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Return GCJ-02 longitudes and latitudes of BD-09 points, iterated to better than 1 mm."""
    x, y = _xy(lon, lat)
    inside = in_china(x, y)
    sx, sy = x.copy(), y.copy()
    xi, yi = x[inside] - 0.0065, y[inside] - 0.006
    z = np.hypot(xi, yi) - 0.00002 * np.sin(yi * _K_BD)
    theta = np.arctan2(yi, xi) - 0.000003 * np.cos(xi * _K_BD)
    sx[inside], sy[inside] = z * np.cos(theta), z * np.sin(theta)
    return _invert(gcj02_to_bd09, x, y, (sx, sy))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Return BD-09 longitudes and latitudes of WGS 84 points (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Return WGS 84 longitudes and latitudes of BD-09 points (through GCJ-02), to better than 1 mm."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _check_datum(datum: str, *, what: str = "datum") -> str:
    key = str(datum).lower().replace("-", "").replace("_", "")
    if key not in DATUMS:
        msg = (
            f"{what} {datum!r} is not a known datum; use one of {', '.join(DATUMS)} "
            "(gcj02 for AMap/Tencent, bd09 for Baidu)"
        )
        raise ProfileError(msg)
    return key


def from_datum(lon: ArrayLike, lat: ArrayLike, datum: str) -> Coords:
    """Return WGS 84 coordinates of points given in ``datum`` (``"wgs84"``, ``"gcj02"`` or ``"bd09"``)."""
    key = _check_datum(datum)
    return _xy(lon, lat) if key == "wgs84" else _TO_WGS84[key](lon, lat)


def to_datum(lon: ArrayLike, lat: ArrayLike, datum: str) -> Coords:
    """Return the coordinates that WGS 84 points have in ``datum`` (for filters and display copies)."""
    key = _check_datum(datum)
    return _xy(lon, lat) if key == "wgs84" else _FROM_WGS84[key](lon, lat)


def shift_m(lon: ArrayLike, lat: ArrayLike, datum: str = "gcj02") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the eastward and northward shift in metres that ``datum`` applies at WGS 84 points.

    Measured on the WGS 84 ellipsoid with :class:`pyproj.Geod` between each point and its shifted copy.
    """
    x, y = _xy(lon, lat)
    sx, sy = to_datum(x, y, datum)
    az, _, dist = _GEOD.inv(x.ravel(), y.ravel(), sx.ravel(), sy.ravel())
    az_r = np.radians(np.asarray(az))
    d = np.asarray(dist)
    return (d * np.sin(az_r)).reshape(x.shape), (d * np.cos(az_r)).reshape(x.shape)


def convert_gdf(gdf: gpd.GeoDataFrame, *, source: str, target: str = "wgs84") -> gpd.GeoDataFrame:
    """Return a copy of a lon/lat layer with every vertex converted from ``source`` to ``target`` datum.

    Parameters
    ----------
    gdf : GeoDataFrame
        Longitude/latitude geometries (a geographic CRS, or none).
    source, target : {"wgs84", "gcj02", "bd09"}, keyword-only

    Returns
    -------
    GeoDataFrame
        Same rows and attributes; CRS EPSG:4326 (the coordinates are WGS 84-based in every datum here).

    Raises
    ------
    CRSError
        When the layer's CRS is projected: the shifts apply to longitude and latitude only.
    """
    src, dst = _check_datum(source, what="source datum"), _check_datum(target, what="target datum")
    _require_lonlat(gdf, what="layer", datum=src)

    def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        wx, wy = from_datum(xy[:, 0], xy[:, 1], src)
        ox, oy = to_datum(wx, wy, dst)
        return np.column_stack([ox, oy])

    out = gdf.copy()
    out.geometry = gpd.GeoSeries(shapely.transform(np.asarray(gdf.geometry.values), fn), index=gdf.index)
    return out.set_crs(4326, allow_override=True)


def _require_lonlat(gdf: gpd.GeoDataFrame, *, what: str, datum: str) -> None:
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).is_geographic:
        msg = (
            f"{what} is declared in {DATUM_LABELS[datum]} but its CRS is {crs_label(gdf.crs)}, which is not "
            "longitude/latitude; web-map datums shift degrees only. Remove `datum =` for this layer, or "
            "give the layer's longitude/latitude version"
        )
        raise CRSError(msg)
    if len(gdf) and gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            msg = (
                f"{what} is declared in {DATUM_LABELS[datum]} but has no CRS and coordinates that are not "
                f"degrees (bounds {minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}); remove `datum =` or fix the file"
            )
            raise CRSError(msg)


def to_datum_mask(mask: shapely.Geometry, datum: str | None) -> shapely.Geometry:
    """Return a WGS 84 longitude/latitude filter polygon as it lies in ``datum`` (to read a web-map layer).

    The polygon is densified to 0.01° first, so the shift, which varies by metres over kilometres, is
    followed along each edge. ``None`` and ``"wgs84"`` return the mask unchanged.
    """
    if datum is None or _check_datum(datum) == "wgs84" or mask is None or mask.is_empty:
        return mask
    key = _check_datum(datum)

    def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(to_datum(xy[:, 0], xy[:, 1], key))

    return shapely.transform(shapely.segmentize(mask, 0.01), fn)


def _vertices(gdf: gpd.GeoDataFrame) -> NDArray[np.float64]:
    return shapely.get_coordinates(np.asarray(gdf.geometry.values))


def to_wgs84_on_read(gdf: gpd.GeoDataFrame, datum: str | None, *, layer: str, qa: QALog) -> gpd.GeoDataFrame:
    """Convert a layer just read from its declared web-map datum to WGS 84, with a QA row (never silent).

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer as read (longitude/latitude, usually labelled EPSG:4326).
    datum : {"gcj02", "bd09", "wgs84"} or None
        The layer's declared datum (project file key ``datum``); None and ``"wgs84"`` change nothing.
    layer : str, keyword-only
        The layer's label for messages and the QA row.
    qa : QALog, keyword-only

    Returns
    -------
    GeoDataFrame
        In EPSG:4326; the QA row gives the mean, smallest and largest vertex shift in metres
        (pyproj.Geod on WGS 84).
    """
    if datum is None:
        return gdf
    key = _check_datum(datum, what=f"{layer}: datum")
    if key == "wgs84":
        return gdf
    _require_lonlat(gdf, what=f"layer {layer}", datum=key)
    before = _vertices(gdf)
    out = convert_gdf(gdf, source=key)
    after = _vertices(out)
    if len(before):
        _, _, dist = _GEOD.inv(before[:, 0], before[:, 1], after[:, 0], after[:, 1])
        d = np.asarray(dist)
        figures = f"mean shift {d.mean():.1f} m (min {d.min():.1f}, max {d.max():.1f} m over {len(d)} vertices)"
    else:
        figures = "no vertices"
    outside = int((~in_china(before[:, 0], before[:, 1])).sum()) if len(before) else 0
    note = f"; {outside} vertices outside China were left unshifted" if outside else ""
    name = "GCJ-02 (AMap/Tencent)" if key == "gcj02" else "BD-09 (Baidu)"
    qa.add(
        "datum",
        f'converted from {name} to WGS 84: {figures}{note}; declared by `datum = "{key}"` '
        f"(was labelled {crs_label(gdf.crs)})",
        layer=layer,
        severity="info",
        action="converted",
    )
    return out
