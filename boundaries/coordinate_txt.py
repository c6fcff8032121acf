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
from boundaries.coordinate_txt_parse import (
    axes_swapped,
    check_user_crs,
    decode_text,
    file_crs,
    parcels_frame,
    parse_txt,
)
from geo.crs import crs_label
from geo.errors import CRSError, DataError, EncodingError, InputError
from geo.gk import GKZone, gk_zone_of_crs
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
    header, parcels = parse_txt(decode_text(p, encoding), p, qa)
    is_swapped = axes_swapped(parcels, p, trust_order=crs is not None)
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
        check_user_crs(target, eastings, header, p)
    else:
        target = file_crs(header, eastings, p, qa)
    return parcels_frame(parcels, header, is_swapped, target, p, qa, zone_id or p.stem)


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
