"""The boundary-point table (界址点坐标成果表) of each zone, in the convention of Chinese boundary documents.

Convention (stated here once; every output follows it):

- **Parcels (地块).** A zone's polygon parts are separate parcels, numbered 1… by area, largest first
  (the main block is 区块一), as the exchange TXT lists one header line per parcel.
- **Rings (圈号).** Within a parcel, ring 1 is the outer boundary and rings 2, 3 … are its holes, in order
  of the hole's north-west start vertex (northernmost first, then westernmost).
- **Orientation.** Every ring, outer or hole, is listed clockwise as seen on the map (north up).
- **Start.** Each ring starts at its north-west-most vertex: the one farthest in the north-west direction,
  i.e. with the largest northing − easting; ties within 1 mm go to the northernmost, then the westernmost.
  (The vertex nearest the bounding box's north-west corner, another common rule, can fall in the middle
  of a diagonal north-west side; the projection keeps J1 at the top of such a side.)
- **Numbers.** Points are numbered J1 … Jn continuously through the zone: parcel by parcel, ring by ring;
  each ring is closed by repeating its first point, with the same number, at its end.
- **Columns.** ``northing_m`` is X (北坐标) and ``easting_m`` is Y (东坐标), as Gauss-Krüger documents name
  them; the easting carries the zone number (8 digits) when the CRS does (EPSG:4513–4533), and not when it
  does not (EPSG:4534–4554: the zone number is then stated with the table, 带号). ``length_to_next_m`` is
  the grid distance from the point to the next point of its ring (empty on the closing row). Coordinates
  are rounded to ``decimals`` (default 3, millimetres); consecutive vertices that coincide after rounding
  are listed once (a QA row says so).

The same convention was followed by the ArcGIS Pro add-in CCTool (界址点 tables and TXT export "按西北角
起始，顺时针重排", points numbered continuously through the rings, each ring closed on its own first number).
Areas are planar in the table's CRS (Gauss-Krüger grid area, as in 勘测定界), with the ellipsoidal area
alongside in the zone summary.

>>> import numpy as np
>>> ring_from_northwest(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])).tolist()
[[0.0, 10.0], [10.0, 10.0], [10.0, 0.0], [0.0, 0.0]]
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.crs import crs_label, ellipsoidal_area_m2, gk3_crs
from geo.errors import CRSError, DataError
from geo.gk import GKZone, gk_zone_of_crs
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = [
    "POINT_COLUMNS",
    "boundary_points",
    "document_crs",
    "listed_area_m2",
    "parcels_of",
    "ring_from_northwest",
    "write_points_xlsx",
    "zone_point_summary",
]

log = logging.getLogger(__name__)

#: Columns of the boundary-point table, in order.
POINT_COLUMNS = [
    "zone_id",
    "zone_name",
    "parcel",
    "ring",
    "point",
    "seq",
    "northing_m",
    "easting_m",
    "length_to_next_m",
    "closing",
]

_TIE_M = 0.001


def ring_from_northwest(coords: np.ndarray) -> np.ndarray:
    """Return an open ring's vertices clockwise, starting at the north-west vertex.

    Parameters
    ----------
    coords : ndarray of shape (n, 2)
        Easting, northing of the vertices, without the closing repeat.

    Returns
    -------
    ndarray of shape (n, 2)
        The same vertices, clockwise (north up), the first one the north-west-most vertex: largest
        northing − easting (ties within 1 mm: northernmost, then westernmost).
    """
    xy = np.asarray(coords, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    signed = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    if signed > 0:  # counter-clockwise
        xy = xy[::-1]
        x, y = xy[:, 0], xy[:, 1]
    nw = (y - y.min()) - (x - x.min())  # offsets keep 8-digit coordinates exact
    near = np.flatnonzero(nw >= nw.max() - _TIE_M)
    start = min(near, key=lambda i: (-y[i], x[i]))
    return np.roll(xy, -int(start), axis=0)


def parcels_of(geom: shapely.Geometry) -> list[shapely.Polygon]:
    """Return the polygon parts of a (multi)polygon as parcels: largest area first.

    >>> from shapely import box, MultiPolygon
    >>> [p.area for p in parcels_of(MultiPolygon([box(0, 0, 1, 1), box(5, 5, 8, 8)]))]
    [9.0, 1.0]
    """
    if geom is None or geom.is_empty:
        return []
    parts = list(getattr(geom, "geoms", [geom]))
    parts = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    return sorted(parts, key=lambda p: (-p.area, -p.bounds[3], p.bounds[0]))


def _open_ring(ring: shapely.LinearRing, decimals: int) -> tuple[np.ndarray, int]:
    xy = np.round(np.asarray(ring.coords)[:-1, :2], decimals)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    if len(xy) > 1 and np.all(xy[-1] == xy[0]):
        keep[-1] = False
    return xy[keep], int((~keep).sum())


def _rings_of(poly: shapely.Polygon, decimals: int) -> tuple[list[np.ndarray], int]:
    rings, dropped = [], 0
    outer, n = _open_ring(poly.exterior, decimals)
    rings.append(ring_from_northwest(outer))
    dropped += n
    holes = []
    for inner in poly.interiors:
        h, n = _open_ring(inner, decimals)
        dropped += n
        if len(h) >= 3:
            holes.append(ring_from_northwest(h))
    holes.sort(key=lambda r: (-r[0, 1], r[0, 0]))
    return rings + holes, dropped


def _zone_rows(zid: str, name: str, geom: shapely.Geometry, decimals: int) -> tuple[list[dict], int]:
    rows: list[dict] = []
    number, dropped = 0, 0
    for k, poly in enumerate(parcels_of(geom), start=1):
        rings, n = _rings_of(poly, decimals)
        dropped += n
        for r, xy in enumerate(rings, start=1):
            first = number + 1
            closed = np.vstack([xy, xy[:1]])
            lengths = np.hypot(np.diff(closed[:, 0]), np.diff(closed[:, 1]))
            for i, (e, nn) in enumerate(xy):
                number += 1
                rows.append(
                    {
                        "zone_id": zid,
                        "zone_name": name,
                        "parcel": k,
                        "ring": r,
                        "point": f"J{number}",
                        "northing_m": float(nn),
                        "easting_m": float(e),
                        "length_to_next_m": round(float(lengths[i]), decimals),
                        "closing": False,
                    }
                )
            rows.append(
                {
                    "zone_id": zid,
                    "zone_name": name,
                    "parcel": k,
                    "ring": r,
                    "point": f"J{first}",
                    "northing_m": float(xy[0, 1]),
                    "easting_m": float(xy[0, 0]),
                    "length_to_next_m": None,
                    "closing": True,
                }
            )
    return rows, dropped


def boundary_points(
    zones: gpd.GeoDataFrame, *, decimals: int = 3, qa: QALog | None = None, layer: str = "zones"
) -> gpd.GeoDataFrame:
    """Return the boundary-point table J1…Jn of every zone (see the module docstring for the convention).

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (``zone_id``, ``zone_name``), in a projected CRS in metres, ideally a Gauss-Krüger
        system (see :func:`document_crs`).
    decimals : int, keyword-only
        Decimals of the coordinates (3: millimetres).
    qa : QALog, optional, keyword-only
        Receives a row for every zone where vertices coincided after rounding.
    layer : str, keyword-only
        Name of the zone layer for QA rows.

    Returns
    -------
    GeoDataFrame
        :data:`POINT_COLUMNS` plus a point geometry, one row per listed point (closing rows included).

    Raises
    ------
    CRSError
        When the zones have no CRS or one in degrees.

    Examples
    --------
    >>> from shapely import box
    >>> z = gpd.GeoDataFrame({"zone_id": ["A"], "zone_name": ["A"]}, geometry=[box(0, 0, 20, 10)], crs=4526)
    >>> boundary_points(z)[["point", "northing_m", "easting_m"]].values.tolist()[:3]
    [['J1', 10.0, 0.0], ['J2', 10.0, 20.0], ['J3', 0.0, 20.0]]
    """
    if zones.crs is None or not CRS.from_user_input(zones.crs).is_projected:
        msg = (
            f"{layer}: boundary points need a projected CRS in metres; the zones are in "
            f"{crs_label(zones.crs)}. Transform them to the Gauss-Krüger zone first (see document_crs)"
        )
        raise CRSError(msg)
    rows: list[dict] = []
    for zid, name, geom in zip(zones["zone_id"], zones["zone_name"], zones.geometry, strict=True):
        zrows, dropped = _zone_rows(str(zid), str(name), geom, decimals)
        if not zrows:
            msg = f"{layer}: zone {zid} has no polygon to list boundary points for"
            raise DataError(msg)
        if dropped and qa is not None:
            qa.add(
                "duplicate_vertex",
                f"{dropped} vertices coincide with their neighbour at {decimals} decimals "
                "and are listed once in the boundary-point table",
                layer=layer,
                zone=zid,
                severity="info",
                action="merged",
            )
        rows += zrows
    frame = pd.DataFrame(rows, columns=[c for c in POINT_COLUMNS if c != "seq"])
    frame.insert(5, "seq", frame.groupby("zone_id").cumcount() + 1)
    geometry = shapely.points(frame["easting_m"].to_numpy(), frame["northing_m"].to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=zones.crs)


def listed_area_m2(points: pd.DataFrame) -> float:
    """Return the area enclosed by listed boundary points: outer rings minus holes (shoelace, in m²).

    The documents state this area, so that anyone recomputing it from the listed (rounded) coordinates
    gets the stated figure; it differs from the unrounded geometry's by at most perimeter × 0.71 mm at
    3 decimals.

    >>> t = pd.DataFrame({"parcel": [1] * 5, "ring": [1] * 5, "easting_m": [0.0, 2, 2, 0, 0],
    ...                   "northing_m": [1.0, 1, 0, 0, 1]})
    >>> listed_area_m2(t)
    2.0
    """
    total = 0.0
    for (_, ring), r in points.groupby(["parcel", "ring"], sort=False):
        x = r["easting_m"].to_numpy(dtype=float)
        y = r["northing_m"].to_numpy(dtype=float)
        x, y = x - x[0], y - y[0]  # centred: 8-digit coordinates lose precision in the products
        a = abs(0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])))
        total += a if ring == 1 else -a
    return total


def zone_point_summary(zones: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return one row per zone: parcels, rings, points, areas (m², 公顷, 亩), CRS.

    ``area_m2`` is the area enclosed by the listed coordinates (:func:`listed_area_m2`, the documents'
    figure); ``geometry_area_m2`` the unrounded polygon's and ``ellipsoidal_area_m2`` its area on the
    ellipsoid. The point count excludes the closing rows (distinct boundary points).
    """
    gk = gk_zone_of_crs(zones.crs)
    ell = ellipsoidal_area_m2(zones.geometry)
    rows = []
    for (zid, name, geom), ea in zip(
        zip(zones["zone_id"], zones["zone_name"], zones.geometry, strict=True), ell, strict=True
    ):
        p = points[points["zone_id"] == str(zid)]
        area = listed_area_m2(p)
        rows.append(
            {
                "zone_id": str(zid),
                "zone_name": str(name),
                "parcels": int(p["parcel"].max()),
                "rings": int(p.groupby("parcel")["ring"].max().sum()),
                "points": int((~p["closing"]).sum()),
                "area_m2": area,
                "area_ha": area / M2_PER_HA,
                "area_mu": area / M2_PER_MU,
                "geometry_area_m2": float(geom.area),
                "ellipsoidal_area_m2": float(ea),
                "crs": crs_label(zones.crs),
                "gk_zone": gk.zone if gk else None,
                "zone_prefix": gk.prefix if gk else None,
                "central_meridian_deg": gk.central_meridian_deg if gk else None,
            }
        )
    return pd.DataFrame(rows)


def document_crs(zones: gpd.GeoDataFrame, *, crs: object = None) -> tuple[CRS, GKZone | None, str]:
    """Choose the CRS boundary documents are written in.

    In order: the CRS the caller names; the zones' own CRS when it is a Chinese Gauss-Krüger system
    (:mod:`geo.gk`); else the CGCS2000 3° Gauss-Krüger zone with the zone prefix at the zones' centre
    (:func:`geo.crs.gk3_crs`). The reason is returned so it can be logged and recorded.

    Returns
    -------
    (CRS, GKZone or None, reason)

    Raises
    ------
    CRSError
        When the zones lie outside China's Gauss-Krüger zones and no CRS is named.
    """
    if crs is not None:
        chosen = CRS.from_user_input(crs)
        return chosen, gk_zone_of_crs(chosen), "given by the user"
    own = CRS.from_user_input(zones.crs)
    gk = gk_zone_of_crs(own)
    if gk is not None:
        return own, gk, "the zones' own Gauss-Krüger CRS"
    lon = float(np.mean(zones.to_crs(4326).total_bounds[[0, 2]]))
    try:
        chosen = gk3_crs(lon)
    except CRSError as exc:
        msg = (
            f"boundary documents need a Chinese Gauss-Krüger CRS; the zones are in {crs_label(own)} at "
            f"longitude {lon:.3f}, outside China's zones ({exc}); name a CRS explicitly"
        )
        raise CRSError(msg) from exc
    return (
        chosen,
        gk_zone_of_crs(chosen),
        (
            f"the zones are in {crs_label(own)}, not a Gauss-Krüger system; "
            f"transformed to {crs_label(chosen)} (the 3° zone at {lon:.3f}°E)"
        ),
    )


_XLSX_HEADERS = {
    "point": "点号 point",
    "parcel": "地块 parcel",
    "ring": "圈号 ring",
    "northing_m": "X 坐标 northing_m",
    "easting_m": "Y 坐标 easting_m",
    "length_to_next_m": "边长 length_to_next_m",
}


def _crs_line(crs: CRS, gk: GKZone | None) -> str:
    if gk is None:
        return f"坐标系：{crs_label(crs)}（非高斯-克吕格分带坐标系）"
    prefix = "Y 坐标含带号（8 位）" if gk.prefix else f"Y 坐标不含带号，带号 {gk.zone}"
    return (
        f"坐标系：{gk.datum_label}，{gk.width_deg}° 分带，带号 {gk.zone}，"
        f"中央经线 {gk.central_meridian_deg:g}°E，"
        f"高斯-克吕格投影；{prefix}（{crs_label(crs)}）"
    )


def write_points_xlsx(
    zone: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    path: str | Path,
    *,
    decimals: int = 3,
    four_sides: pd.DataFrame | None = None,
    note: str = "",
) -> Path:
    """Write one zone's boundary-point table (界址点坐标成果表) as an .xlsx workbook (openpyxl).

    Sheet ``界址点坐标``: a title, the CRS facts (datum, zone width, 带号, central meridian, whether Y
    carries the zone number), the areas (m², 公顷, 亩), the convention, then one row per point: 点号,
    地块, 圈号, X (northing), Y (easting), 边长, coordinates with ``decimals`` decimals. Sheet ``地块面积``:
    each parcel's area and ring/point counts. Sheet ``四至`` when ``four_sides`` is given.

    Parameters
    ----------
    zone : GeoDataFrame
        One zone (one row) in the table's CRS.
    points : GeoDataFrame
        Its rows of :func:`boundary_points`.
    path : str or Path
    decimals : int, keyword-only
    four_sides : DataFrame, optional, keyword-only
        Rows (side, text, …) to write on the ``四至`` sheet.
    note : str, keyword-only
        A line recorded under the title (data source, run date).

    Returns
    -------
    Path
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    zid, name, geom = str(zone["zone_id"].iloc[0]), str(zone["zone_name"].iloc[0]), zone.geometry.iloc[0]
    crs = CRS.from_user_input(zone.crs)
    gk = gk_zone_of_crs(crs)
    area = listed_area_m2(points)
    wb = Workbook()
    ws = wb.active
    ws.title = "界址点坐标"
    n_points = int((~points["closing"]).sum())
    lines = [
        f"{name}（{zid}）界址点坐标成果表",
        _crs_line(crs, gk),
        f"面积：{area:,.2f} 平方米 = {area / M2_PER_HA:,.4f} 公顷 = {area / M2_PER_MU:,.2f} 亩"
        "（界址点坐标围成的平面面积）；"
        f"地块 {int(points['parcel'].max())} 个，界址点 {n_points} 个",
        "X 为北坐标（northing），Y 为东坐标（easting），单位米；各圈顺时针、自西北角起始，J 号连续编排，"
        "每圈末行重复起点以闭合；圈号 1 为外圈，2 起为内圈（扣除部分）",
    ]
    if note:
        lines.append(note)
    for i, text in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=(i == 1), size=14 if i == 1 else 10)
    head = len(lines) + 2
    cols = list(_XLSX_HEADERS)
    for j, c in enumerate(cols, start=1):
        cell = ws.cell(row=head, column=j, value=_XLSX_HEADERS[c])
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    fmt = "0." + "0" * decimals if decimals > 0 else "0"
    for i, row in enumerate(points[cols].itertuples(index=False), start=head + 1):
        for j, (c, v) in enumerate(zip(cols, row, strict=True), start=1):
            value = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            cell = ws.cell(row=i, column=j, value=value.item() if hasattr(value, "item") else value)
            if c in ("northing_m", "easting_m", "length_to_next_m"):
                cell.number_format = fmt
    for j, w in enumerate((8, 8, 8, 18, 18, 14), start=1):
        ws.column_dimensions[chr(64 + j)].width = w
    ws.freeze_panes = ws.cell(row=head + 1, column=1)
    _parcel_sheet(wb.create_sheet("地块面积"), geom, points)
    if four_sides is not None and len(four_sides):
        fs = wb.create_sheet("四至")
        fs.append(list(four_sides.columns))
        for row in four_sides.itertuples(index=False):
            fs.append([v.item() if hasattr(v, "item") else v for v in row])
        fs.column_dimensions["B"].width = 60
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    return p


def _parcel_sheet(ws: object, geom: shapely.Geometry, points: gpd.GeoDataFrame) -> None:
    ws.append(
        [
            "地块 parcel",
            "圈数 rings",
            "界址点数 points",
            "面积 area_m2",
            "面积(公顷) area_ha",
            "面积(亩) area_mu",
        ]
    )
    for k in range(1, len(parcels_of(geom)) + 1):
        p = points[points["parcel"] == k]
        a = listed_area_m2(p)
        ws.append(
            [
                k,
                int(p["ring"].max()),
                int((~p["closing"]).sum()),
                round(a, 2),
                round(a / M2_PER_HA, 4),
                round(a / M2_PER_MU, 2),
            ]
        )
    for col in "ABCDEF":
        ws.column_dimensions[col].width = 16
