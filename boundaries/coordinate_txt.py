"""The boundary-coordinate exchange TXT (勘测定界 / 用地报批 坐标交换文件): writing and reading.

The layout followed (the bureaus' "建设项目用地红线坐标文件内容要求" as published on wenku365 (doc
6705749), the CGCS2000 example of the cnblogs article "基于ArcGIS的通用界址点导入导出工具设计与实现"
(loveyl, 2025), CASS's 电子报盘 export description on celiang.net (13032), and the TXT exporters of the
CCTool ArcGIS Pro add-in)::

    [属性描述]
    格式版本号=1.01
    数据产生单位=某市自然资源和规划局
    数据产生日期=2026-11-21
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=38
    精度=
    转换参数=,,,,,,
    [地块坐标]
    5,1.0000,Z1,某开发区,面,,,,@
    J1,1,3958100.000,38590000.000
    J2,1,3958100.000,38590100.000
    J3,1,3958000.000,38590100.000
    J4,1,3958000.000,38590000.000
    J1,1,3958100.000,38590000.000

- Parcel header line: 界址点数, 地块面积 (公顷), 地块编号, 地块名称, 图形属性 (面), 图幅号, 地块用途,
  地类编码, ``@`` (the ``@`` may not be dropped). 界址点数 counts the coordinate rows of the parcel,
  closing rows included (as CCTool writes it); the reader accepts either that or the distinct count.
- Coordinate rows: 点号, 圈号, X (northing), Y (easting). 圈号 1 is the outer ring; 2, 3 … are rings
  whose area is deducted (holes). Each ring is closed by repeating its first point.
- A zone's polygon parts are separate parcels (地块编号 ``<zone id>-<k>``, name ``<zone name>区块<k>``, the
  largest first), as the cnblogs example lists one zone's 区块一 and 区块二.
- 带号 is always written. With a zone-prefixed CRS (EPSG:4513–4533) the Y values carry the zone number
  (8 digits); with EPSG:4534–4554 they do not and 带号 alone says the zone.
- 精度 is the survey precision (测量精度); devzone does not know it and leaves it empty unless given
  (the coordinates are written to 0.001 m). 转换参数 is left empty with its commas kept.
- Encoding: GBK by default (what the bureaus' tools read), UTF-8 on request; CRLF line ends.

Reading checks the X/Y order against coordinate magnitudes: in China a northing has 7 digits (1 000–
10 000 km), a Gauss-Krüger easting 8 digits with the zone prefix or 6 without. A file whose every row
has the easting first is **repaired** (swapped back) with a QA warning by default, or rejected with
``swapped="error"``; a file with both orders, or values that fit neither, is rejected naming the lines.
Rings are rebuilt into polygons by nesting (a ring inside another is its hole), whatever their 圈号.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from boundaries.boundary_points import boundary_points, listed_area_m2, parcels_of
from geo.crs import crs_label
from geo.errors import CRSError, DataError, EncodingError, InputError
from geo.gk import DATUM_LABELS, GKZone, datum_of_label, gk_crs, gk_zone_of_crs
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = ["TxtHeader", "dissolve_parcels", "read_boundary_txt", "write_boundary_txt"]

log = logging.getLogger(__name__)

_CN_DIGITS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class TxtHeader:
    """The values of the ``[属性描述]`` section that are not derived from the CRS."""

    version: str = "1.01"
    producer: str = ""
    date: str = ""
    precision: str = ""
    transform: str = ",,,,,,"


def _cn(k: int) -> str:
    return _CN_DIGITS[k] if k <= 10 else str(k)


def _clean(text: object, what: str, qa: QALog | None, zone: str) -> str:
    s = "" if text is None else str(text)
    out = s.replace(",", "，").replace("@", "＠").replace("\r", " ").replace("\n", " ").strip()
    if out != s.strip() and qa is not None:
        qa.add(
            "txt_field",
            f"{what} {s!r} holds a comma, '@' or line break, which the TXT format uses as "
            f"separators; written as {out!r}",
            layer="coordinate TXT",
            zone=zone,
            severity="info",
            action="replaced",
        )
    return out


def _header_lines(gk: GKZone, header: TxtHeader) -> list[str]:
    return [
        "[属性描述]",
        f"格式版本号={header.version}",
        f"数据产生单位={header.producer}",
        f"数据产生日期={header.date or dt.date.today().isoformat()}",
        f"坐标系={gk.datum_label}",
        f"几度分带={gk.width_deg}",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={gk.zone}",
        f"精度={header.precision}",
        f"转换参数={header.transform}",
        "[地块坐标]",
    ]


def write_boundary_txt(
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    header: TxtHeader | None = None,
    encoding: str = "gbk",
    decimals: int = 3,
    use: str = "",
    land_code: str = "",
    sheet: str = "",
    qa: QALog | None = None,
) -> Path:
    """Write zones as a boundary-coordinate exchange TXT (see the module docstring for the layout).

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (``zone_id``, ``zone_name``) in a Chinese Gauss-Krüger CRS (:mod:`geo.gk`).
    path : str or Path
    header : TxtHeader, optional, keyword-only
        格式版本号, 数据产生单位, 数据产生日期 (default today), 精度, 转换参数.
    encoding : str, keyword-only
        ``"gbk"`` (default) or ``"utf-8"``.
    decimals : int, keyword-only
        Decimals of the coordinates (3: millimetres).
    use, land_code, sheet : str, keyword-only
        地块用途, 地类编码 and 图幅号 written on every parcel line (empty by default).
    qa : QALog, optional, keyword-only

    Returns
    -------
    Path

    Raises
    ------
    CRSError
        When the zones are not in a Chinese Gauss-Krüger CRS.
    EncodingError
        When a name cannot be written in ``encoding``.
    """
    gk = gk_zone_of_crs(zones.crs) if zones.crs is not None else None
    if gk is None:
        msg = (
            f"the exchange TXT needs a Chinese Gauss-Krüger CRS (EPSG:4513-4554 for CGCS2000 3° zones); "
            f"the zones are in {crs_label(zones.crs)}; transform them first, e.g. to EPSG:4526 in Puyang"
        )
        raise CRSError(msg)
    header = header or TxtHeader()
    pts = boundary_points(zones, decimals=decimals, qa=qa)
    lines = _header_lines(gk, header)
    fmt = f"{{:.{decimals}f}}"
    for zid, name, geom in zip(zones["zone_id"], zones["zone_name"], zones.geometry, strict=True):
        zp = pts[pts["zone_id"] == str(zid)]
        parts = parcels_of(geom)
        for k in range(1, len(parts) + 1):
            rows = zp[zp["parcel"] == k]
            pid = str(zid) if len(parts) == 1 else f"{zid}-{k}"
            pname = str(name) if len(parts) == 1 else f"{name}区块{_cn(k)}"
            fields = [
                str(len(rows)),
                f"{listed_area_m2(rows) / M2_PER_HA:.4f}",
                _clean(pid, "地块编号", qa, str(zid)),
                _clean(pname, "地块名称", qa, str(zid)),
                "面",
                _clean(sheet, "图幅号", qa, str(zid)),
                _clean(use, "地块用途", qa, str(zid)),
                _clean(land_code, "地类编码", qa, str(zid)),
                "@",
            ]
            lines.append(",".join(fields))
            lines += [
                f"{r.point},{r.ring},{fmt.format(r.northing_m)},{fmt.format(r.easting_m)}"
                for r in rows.itertuples(index=False)
            ]
    text = "\r\n".join(lines) + "\r\n"
    p = Path(path)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        context = exc.object[max(0, exc.start - 20) : exc.end + 20]
        msg = (
            f"{p}: the character {bad!r} (in {context!r}) cannot be "
            f"written in {encoding}; rename it or write with encoding='utf-8' (--encoding utf-8) or 'gb18030'"
        )
        raise EncodingError(msg) from exc
    except LookupError as exc:
        msg = f"{p}: unknown encoding {encoding!r}; use gbk, gb18030 or utf-8"
        raise EncodingError(msg) from exc
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    log.info("wrote %s (%s, %s)", p, encoding, crs_label(zones.crs))
    return p


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class _Parcel:
    line: int
    fields: list[str]
    rows: list[tuple[int, str, int, float, float]]
    decimals: int = 3


def _decimals_of(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _decode(p: Path, encoding: str | None) -> str:
    raw = p.read_bytes()
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            msg = f"{p}: cannot be decoded as {encoding} ({exc}); try --encoding gb18030 or utf-8"
            raise EncodingError(msg) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="strict")


_SECTION = re.compile(r"^[\[【]\s*(属性描述|地块坐标)\s*[\]】]$")


def _parse(text: str, p: Path, qa: QALog) -> tuple[dict[str, str], list[_Parcel]]:
    header: dict[str, str] = {}
    parcels: list[_Parcel] = []
    section = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("，", ",")
        if not line:
            continue
        m = _SECTION.match(line.replace(" ", ""))
        if m:
            section = m.group(1)
            continue
        if section == "属性描述":
            key, sep, value = line.replace("＝", "=").partition("=")
            if sep:
                header[key.strip()] = value.strip()
            else:
                qa.add(
                    "txt_line", f"line {n} of [属性描述] is not key=value: {line!r}; ignored", layer=str(p)
                )
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            if fields[-1] == "@" or line.endswith("@"):
                parcels.append(_Parcel(n, fields, []))
            else:
                _parcel_row(parcels, fields, n, line, p)
        else:
            msg = (
                f"{p}: line {n} ({line!r}) comes before the [属性描述] / [地块坐标] sections; "
                "is this a coordinate TXT?"
            )
            raise DataError(msg)
    if not parcels:
        msg = f"{p}: no parcel in [地块坐标] (a parcel starts with a line ending in '@')"
        raise DataError(msg)
    return header, parcels


def _parcel_row(parcels: list[_Parcel], fields: list[str], n: int, line: str, p: Path) -> None:
    """Append one coordinate row (点号, 圈号, X, Y) to the current parcel, or raise naming the line."""
    if not parcels:
        msg = f"{p}: line {n} ({line!r}) is a coordinate row before any parcel header line (ending in '@')"
        raise DataError(msg)
    try:
        if len(fields) < 4:
            raise ValueError(len(fields))
        ring = int(float(fields[1]))
        a, b = float(fields[2]), float(fields[3])
    except ValueError as exc:
        msg = (
            f"{p}: line {n} ({line!r}) is not a coordinate row '点号,圈号,X,Y' (expected 4 comma-separated "
            "fields with numbers in the last three)"
        )
        raise DataError(msg) from exc
    parcels[-1].rows.append((n, fields[0], ring, a, b))
    if len(parcels[-1].rows) == 1:
        parcels[-1].decimals = 9
    parcels[-1].decimals = min(parcels[-1].decimals, _decimals_of(fields[2]), _decimals_of(fields[3]))


def _kind(v: float) -> str:
    if 1e7 <= v < 1e8:
        return "E8"
    if 1e6 <= v < 1e7:
        return "N"
    if 1e5 <= v < 1e6:
        return "E6"
    return "?"


def _axes(parcels: list[_Parcel], p: Path, *, trust_order: bool) -> bool:
    """Return True when X and Y are swapped in every row; raise when the rows disagree or cannot tell."""
    normal, swapped, unclear = [], [], []
    for parcel in parcels:
        for n, _, _, a, b in parcel.rows:
            ka, kb = _kind(abs(a)), _kind(abs(b))
            if ka == "N" and kb in ("E8", "E6"):
                normal.append(n)
            elif kb == "N" and ka in ("E8", "E6"):
                swapped.append(n)
            else:
                unclear.append(n)
    if normal and swapped:
        msg = (
            f"{p}: the X/Y order differs between rows: X (northing, 7 digits) first on lines "
            f"{_few(normal)}, Y (easting) first on lines {_few(swapped)}; correct the file"
        )
        raise DataError(msg)
    if unclear and not trust_order:
        msg = (
            f"{p}: lines {_few(unclear)} have coordinates whose magnitudes do not identify northing "
            "(7 digits) "
            "and easting (8 digits with the zone number, or 6); are they local or scaled coordinates? Pass "
            "the CRS explicitly (--crs) to read them in the declared X,Y order"
        )
        raise DataError(msg)
    return bool(swapped) and not normal


def _few(lines: list[int]) -> str:
    return ", ".join(map(str, lines[:5])) + (f" … ({len(lines)} in all)" if len(lines) > 5 else "")


def _int_in(text: str | None) -> int | None:
    m = re.search(r"\d+", text or "")
    return int(m.group()) if m else None


def _file_crs(header: dict[str, str], eastings: np.ndarray, p: Path, qa: QALog) -> CRS:
    """Return the CRS the file's header and eastings declare; raise when they contradict each other."""
    zone_hdr = _int_in(header.get("带号"))
    prefixed = bool(np.all(eastings >= 1e7))
    if prefixed:
        zones = sorted({int(e // 1_000_000) for e in eastings})
        if len(zones) > 1:
            msg = f"{p}: the Y coordinates carry different zone numbers {zones}; one file holds one zone"
            raise DataError(msg)
        zone = zones[0]
        if zone_hdr is not None and zone_hdr != zone:
            msg = (
                f"{p}: the header says 带号={zone_hdr} but the Y coordinates begin with the zone "
                f"number {zone}; "
                "correct 带号 or the coordinates"
            )
            raise DataError(msg)
    elif zone_hdr is None:
        msg = (
            f"{p}: the Y coordinates have no zone prefix (6 digits) and the header has no 带号, so the "
            "Gauss-Krüger zone is unknown; add 带号 to the file or pass the CRS (--crs, e.g. EPSG:4547)"
        )
        raise CRSError(msg)
    else:
        zone = zone_hdr
    datum = datum_of_label(header.get("坐标系", ""))
    if datum is None:
        datum = "CGCS2000"
        qa.add(
            "txt_datum",
            f"坐标系={header.get('坐标系', '')!r} names no known datum ({', '.join(DATUM_LABELS.values())}); "
            "read as 2000国家大地坐标系 (CGCS2000); pass --crs if it is another",
            layer=str(p),
        )
    width = _int_in(header.get("几度分带")) or (3 if zone >= 24 else 6)
    return gk_crs(datum, width, zone, prefix=prefixed)


def _check_user_crs(crs: CRS, eastings: np.ndarray, header: dict[str, str], p: Path) -> None:
    gk = gk_zone_of_crs(crs)
    if gk is None:
        return
    prefixed = bool(np.all(eastings >= 1e7))
    if gk.prefix != prefixed:
        msg = (
            f"{p}: --crs {crs_label(crs)} {'expects' if gk.prefix else 'does not expect'} the zone number in "
            f"the Y coordinates, but the file's Y values {'have' if prefixed else 'do not have'} it"
        )
        raise CRSError(msg)
    zone_hdr = _int_in(header.get("带号"))
    zone_file = int(eastings[0] // 1_000_000) if prefixed else zone_hdr
    if zone_file is not None and zone_file != gk.zone:
        msg = f"{p}: --crs {crs_label(crs)} is zone {gk.zone} but the file is in zone {zone_file}"
        raise CRSError(msg)


def _rings(parcel: _Parcel, swapped: bool, p: Path, qa: QALog) -> list[np.ndarray]:
    order: list[int] = []
    by_ring: dict[int, list[tuple[float, float]]] = {}
    for _, _, ring, a, b in parcel.rows:
        n_, e_ = (b, a) if swapped else (a, b)
        if ring not in by_ring:
            order.append(ring)
            by_ring[ring] = []
        by_ring[ring].append((e_, n_))
    rings = []
    for r in order:
        xy = np.asarray(by_ring[r], dtype=float)
        if len(xy) and not np.array_equal(xy[0], xy[-1]):
            qa.add(
                "txt_ring_open",
                f"parcel on line {parcel.line}, ring {r}: not closed on its first point; closed",
                layer=str(p),
                feature=parcel.line,
                action="closed",
            )
            xy = np.vstack([xy, xy[:1]])
        if len(np.unique(xy[:-1], axis=0)) < 3:
            msg = f"{p}: parcel on line {parcel.line}, ring {r} has fewer than 3 distinct points"
            raise DataError(msg)
        rings.append(xy)
    return rings


def _nest(rings: list[np.ndarray]) -> shapely.Geometry:
    """Build (multi)polygons from rings by containment: a ring inside an odd number of rings is a hole."""
    polys = [shapely.Polygon(r) for r in rings]
    idx = sorted(range(len(polys)), key=lambda i: -abs(polys[i].area))
    parent: dict[int, int | None] = {}
    depth: dict[int, int] = {}
    for k, i in enumerate(idx):
        pt = shapely.Point(rings[i][0])
        cands = [
            j for j in idx[:k] if polys[j].covers(pt) and polys[j].covers(polys[i].representative_point())
        ]
        parent[i] = cands[-1] if cands else None
        depth[i] = depth[cands[-1]] + 1 if cands else 0
    shells = [i for i in idx if depth[i] % 2 == 0]
    parts = [
        shapely.Polygon(rings[i], [rings[j] for j in idx if parent[j] == i and depth[j] % 2 == 1])
        for i in shells
    ]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def read_boundary_txt(
    path: str | Path,
    *,
    encoding: str | None = None,
    crs: object = None,
    swapped: str = "repair",
    zone_id: str | None = None,
    qa: QALog | None = None,
) -> gpd.GeoDataFrame:
    """Read a boundary-coordinate exchange TXT into one polygon row per parcel (地块).

    Parameters
    ----------
    path : str or Path
    encoding : str, optional, keyword-only
        Text encoding; default: UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
    crs : optional, keyword-only
        The CRS to use; default: from 坐标系, 几度分带, 带号 and whether the eastings carry the zone number.
        When given, it must agree with the file (zone and prefix).
    swapped : {"repair", "error"}, keyword-only
        What to do with a file whose rows all have Y (easting) before X (northing): swap them back with a
        QA warning (default) or raise :class:`DataError`.
    zone_id : str, optional, keyword-only
        The ``zone_id`` of every parcel (default: the file's stem), so parcels can be dissolved per zone.
    qa : QALog, optional, keyword-only

    Returns
    -------
    GeoDataFrame
        Columns ``zone_id, parcel_no, parcel_id, parcel_name, use, land_code, sheet, points_declared,
        points_listed, rings, area_ha_declared, area_m2, area_ha, area_mu, source``; ``attrs["header"]``
        holds the ``[属性描述]`` values and ``attrs["axes_swapped"]`` whether X/Y were swapped back.

    Raises
    ------
    InputError, EncodingError, DataError, CRSError
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: no such file"
        raise InputError(msg)
    if swapped not in ("repair", "error"):
        msg = f"swapped={swapped!r}: use 'repair' or 'error'"
        raise ValueError(msg)
    qa = qa if qa is not None else QALog()
    header, parcels = _parse(_decode(p, encoding), p, qa)
    is_swapped = _axes(parcels, p, trust_order=crs is not None)
    if is_swapped:
        if swapped == "error":
            msg = (
                f"{p}: every row has Y (easting) before X (northing, 7 digits), judged by their "
                "magnitudes; the "
                "format is 点号,圈号,X,Y — swap the columns, or read with swapped='repair'"
            )
            raise DataError(msg)
        qa.add(
            "txt_axes_swapped",
            "every coordinate row has Y (easting) before X (northing), judged by their "
            "magnitudes; read with the columns swapped back",
            layer=str(p),
            action="swapped",
        )
    eastings = np.array([(a if is_swapped else b) for pc in parcels for _, _, _, a, b in pc.rows])
    if crs is not None:
        target = CRS.from_user_input(crs)
        _check_user_crs(target, eastings, header, p)
    else:
        target = _file_crs(header, eastings, p, qa)
    return _frame(parcels, header, is_swapped, target, p, qa, zone_id or p.stem)


def _declared(fields: list[str], i: int) -> str:
    return fields[i] if len(fields) > i and fields[i] != "@" else ""


def _frame(
    parcels: list[_Parcel],
    header: dict[str, str],
    is_swapped: bool,
    target: CRS,
    p: Path,
    qa: QALog,
    zone_id: str,
) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for k, parcel in enumerate(parcels, start=1):
        if not parcel.rows:
            msg = f"{p}: the parcel on line {parcel.line} has no coordinate rows"
            raise DataError(msg)
        rings = _rings(parcel, is_swapped, p, qa)
        geom = _nest(rings)
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            qa.add(
                "txt_invalid",
                f"parcel on line {parcel.line} is not a valid polygon ({reason}); repaired",
                layer=str(p),
                feature=parcel.line,
                action="repaired",
            )
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        f = parcel.fields
        area = float(geom.area)
        n_decl = _int_in(_declared(f, 0))
        n_rows, n_rings = len(parcel.rows), len(rings)
        if n_decl is not None and n_decl not in (n_rows, n_rows - n_rings, sum(len(r) for r in rings)):
            qa.add(
                "txt_point_count",
                f"parcel on line {parcel.line} declares {n_decl} points but lists {n_rows} rows",
                layer=str(p),
                feature=parcel.line,
            )
        # rounding the coordinates to d decimals moves a vertex ≤ 0.71·10⁻ᵈ m: the area ≤ perimeter × that
        slack_m2 = float(geom.length) * 0.71 * 10.0 ** (-parcel.decimals)
        area_decl = _area_check(_declared(f, 1), area, parcel.line, p, qa, slack_m2=slack_m2)
        rows.append(
            {
                "zone_id": zone_id,
                "parcel_no": k,
                "parcel_id": _declared(f, 2),
                "parcel_name": _declared(f, 3),
                "use": _declared(f, 6),
                "land_code": _declared(f, 7),
                "sheet": _declared(f, 5),
                "points_declared": n_decl,
                "points_listed": n_rows,
                "rings": n_rings,
                "area_ha_declared": area_decl,
                "area_m2": area,
                "area_ha": area / M2_PER_HA,
                "area_mu": area / M2_PER_MU,
                "source": f"{p}:{parcel.line}",
            }
        )
        geoms.append(geom)
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=target)
    gdf.attrs["header"] = dict(header)
    gdf.attrs["axes_swapped"] = is_swapped
    log.info("%s: read %d parcels in %s", p, len(gdf), crs_label(target))
    return gdf


def _area_check(text: str, area_m2: float, line: int, p: Path, qa: QALog, *, slack_m2: float) -> float | None:
    """Compare a declared area (公顷) with the rings' area; a mismatch beyond the rounding is a QA row.

    Allowed: half a unit of the declared area's last decimal, plus ``slack_m2`` (what rounding the listed
    coordinates can change: the declaring tool may have measured the unrounded polygon).
    """
    m = re.search(r"[-+]?\d+(\.\d*)?", text or "")
    if not m:
        return None
    value = float(m.group())
    decimals = len(m.group(1)) - 1 if m.group(1) else 0
    tol_ha = 0.5 * 10.0 ** (-decimals) + slack_m2 / M2_PER_HA + 1e-9
    if abs(value - area_m2 / M2_PER_HA) > tol_ha:
        qa.add(
            "txt_area",
            f"parcel on line {line} declares {value} 公顷 but its rings enclose "
            f"{area_m2 / M2_PER_HA:.4f} 公顷 ({area_m2:.2f} m²)",
            layer=str(p),
            feature=line,
            area_m2=area_m2,
        )
    return value


def dissolve_parcels(parcels: gpd.GeoDataFrame, *, zone_name: str | None = None) -> gpd.GeoDataFrame:
    """Merge the parcels of each ``zone_id`` into one zone (``zone_id``, ``zone_name``, area columns).

    The name is ``zone_name`` when given, else the first parcel's name without a trailing 区块… suffix.
    """
    rows, geoms = [], []
    for zid, group in parcels.groupby("zone_id", sort=False):
        geom = shapely.union_all(np.asarray(group.geometry.values, dtype=object))
        first = str(group["parcel_name"].iloc[0] or zid)
        name = zone_name or re.sub(r"区块[零一二三四五六七八九十\d]+$", "", first) or str(zid)
        area = float(geom.area)
        rows.append(
            {
                "zone_id": str(zid),
                "zone_name": name,
                "parcels": len(group),
                "area_m2": area,
                "area_ha": area / M2_PER_HA,
                "area_mu": area / M2_PER_MU,
            }
        )
        geoms.append(geom)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=parcels.crs)
