"""The enterprise table: the package's enterprise schema, field mapping and parsing.

A per-enterprise table (CSV/XLSX, or a layer with points or polygons) is mapped onto
:data:`ENTERPRISE_SCHEMA` by the project file's ``[layers.enterprises]`` (``fields = {...}``,
``amount_unit``, ``area_unit``); columns with the schema's own names or the usual Chinese names need no
mapping. Amounts are stored in 元, land in m²; a cell that cannot be read is a QA row naming the file, the
row and the column, and is left blank (never zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.datum import to_wgs84_on_read
from geo.errors import SchemaError
from geo.io import read_table
from geo.layers import LayerSpec, read_spec
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU
from geo.values import AMOUNT_UNITS, ValueParseError, key_text, parse_amount_yuan, parse_number

__all__ = ["ENTERPRISE_SCHEMA", "enterprise_records", "read_enterprises"]

#: Schema field → (kind, Chinese label, usual column names).
ENTERPRISE_SCHEMA: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "enterprise_id": ("text", "企业编号", ("企业编号", "统一社会信用代码", "信用代码", "企业代码")),
    "name": ("text", "企业名称", ("企业名称", "名称", "单位名称")),
    "zone_id": ("text", "开发区编号", ("开发区编号", "园区编号", "所在开发区", "所在园区")),
    "parcel_id": ("text", "宗地编号", ("宗地编号", "地块编号")),
    "industry_code": ("text", "行业代码", ("行业代码", "国民经济行业代码")),
    "land_area_m2": ("area", "用地面积", ("用地面积", "占地面积", "土地面积")),
    "tax_yuan": ("amount", "税收", ("实缴税金", "税收", "税收总额", "纳税额")),
    "output_yuan": ("amount", "工业总产值", ("工业总产值", "总产值", "产值")),
    "revenue_yuan": ("amount", "营业收入", ("营业收入", "主营业务收入")),
    "rd_yuan": ("amount", "研发经费", ("研发经费", "研发投入", "R&D经费")),
    "fixed_assets_yuan": ("amount", "固定资产投资", ("固定资产投资", "固定资产", "固定资产原值")),
    "energy_tce": ("number", "综合能耗(吨标准煤)", ("综合能耗", "能耗", "能源消费量")),
    "pollution_eq": (
        "number",
        "主要污染物排放当量",
        ("排放当量", "污染物排放当量", "排污当量", "主要污染物排放", "主要污染物排放量"),
    ),
    "above_designated_size": ("bool", "规模以上", ("规模以上", "是否规上", "规上企业")),
}
_AREA_UNITS = {
    "m2": 1.0,
    "㎡": 1.0,
    "平方米": 1.0,
    "亩": M2_PER_MU,
    "mu": M2_PER_MU,
    "公顷": M2_PER_HA,
    "ha": M2_PER_HA,
}
#: Usual (x, y) coordinate column names of an enterprise table, lower case, in order of preference.
_XY_NAMES = (("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("经度", "纬度"), ("x", "y"))
_LONLAT_X = {"lon", "lng", "longitude", "经度"}
_TRUE = {"是", "true", "1", "yes", "y", "规上", "规模以上"}
_FALSE = {"否", "false", "0", "no", "n", "规下", "规模以下"}


def _bool(value: Any) -> bool | None:
    t = key_text(value)
    if t is None:
        return None
    if t.lower() in _TRUE:
        return True
    if t.lower() in _FALSE:
        return False
    msg = f"{value!r} is not yes/no (是/否)"
    raise ValueParseError(msg)


def _strip_unit(column: str) -> tuple[str, str | None]:
    """Split ``税收（万元）`` into ``("税收", "万元")``; a header without brackets has no unit."""
    for open_, close in (("(", ")"), ("（", "）")):
        if column.endswith(close) and open_ in column:
            k = column.rindex(open_)
            return column[:k].strip(), column[k + 1 : -1].strip()
    return column.strip(), None


def _units(cmap: Mapping[str, str], amount_unit: str | None, area_unit: str, source: str) -> dict[str, Any]:
    """Return each amount field's unit and each area field's factor to m²: the header's, else the declared."""
    units: dict[str, Any] = {}
    problems = []
    for name, col in cmap.items():
        kind, header = ENTERPRISE_SCHEMA[name][0], _strip_unit(col)[1]
        if kind == "amount":
            unit = header if header in AMOUNT_UNITS else ("元" if col == name else amount_unit)
            if unit is None:
                problems.append(f"{name} ({col!r}) has no unit: declare amount_unit (元 or 万元)")
            elif header in AMOUNT_UNITS and amount_unit and amount_unit != header:
                problems.append(
                    f"{name}: amount_unit says {amount_unit} but the column {col!r} says {header}"
                )
            units[name] = unit
        elif kind == "area":
            units[name] = (
                _AREA_UNITS[header]
                if header in _AREA_UNITS
                else (1.0 if col == name else _AREA_UNITS[area_unit])
            )
    if problems:
        msg = f"{source}: {'; '.join(problems)}"
        raise SchemaError(msg)
    return units


def _resolve(columns: list[str], explicit: Mapping[str, str], source: str) -> dict[str, str]:
    problems = [f"{k!r} is not an enterprise-schema field" for k in explicit if k not in ENTERPRISE_SCHEMA]
    problems += [
        f"{k} = {v!r}: no such column"
        for k, v in explicit.items()
        if k in ENTERPRISE_SCHEMA and v not in columns
    ]
    if problems:
        msg = (
            f"{source}: the enterprise field mapping has problems: {'; '.join(problems)}. The columns are: "
            f"{', '.join(columns)}. The schema fields are: {', '.join(ENTERPRISE_SCHEMA)}"
        )
        raise SchemaError(msg)
    out = dict(explicit)
    used = set(out.values())
    for name, (_, _, aliases) in ENTERPRISE_SCHEMA.items():
        if name in out:
            continue
        hit = next(
            (c for c in columns if c not in used and (c.lower() == name or _strip_unit(c)[0] in aliases)),
            None,
        )
        if hit is not None:
            out[name] = hit
            used.add(hit)
    return out


def _parse(name: str, raw: Any, *, unit: str, area_factor: float) -> Any:
    kind = ENTERPRISE_SCHEMA[name][0]
    if kind == "amount":
        return parse_amount_yuan(raw, unit=unit)
    if kind == "area":
        v = parse_number(raw)
        return None if v is None else v * area_factor
    if kind == "number":
        return parse_number(raw)
    if kind == "bool":
        return _bool(raw)
    return key_text(raw)


def enterprise_records(
    table: pd.DataFrame,
    *,
    fields: Mapping[str, str] | None = None,
    amount_unit: str | None = None,
    area_unit: str = "m2",
    source: str = "enterprise table",
    qa: QALog,
) -> pd.DataFrame:
    """Map and parse an enterprise table into the schema (amounts in 元, land in m²).

    Raises
    ------
    SchemaError
        For a bad mapping, no ``enterprise_id``/``name`` column, an unknown unit, or amount columns without
        a declared unit (``amount_unit``), unless their names end in ``_yuan``.

    Examples
    --------
    >>> t = pd.DataFrame({"企业名称": ["甲"], "税收": ["30"], "用地面积": ["2"]})
    >>> r = enterprise_records(t, amount_unit="万元", area_unit="亩", qa=QALog())
    >>> float(r.loc[0, "tax_yuan"]), round(float(r.loc[0, "land_area_m2"]), 2)
    (300000.0, 1333.33)
    """
    cols = [str(c) for c in table.columns]
    table = table.set_axis(cols, axis=1).reset_index(drop=True)
    cmap = _resolve(cols, dict(fields or {}), source)
    if "enterprise_id" not in cmap and "name" not in cmap:
        msg = (
            f"{source}: no enterprise id or name column (looked for {ENTERPRISE_SCHEMA['name'][2]}); map one"
        )
        raise SchemaError(msg)
    if area_unit not in _AREA_UNITS:
        msg = f"{source}: unknown area_unit {area_unit!r}; use one of {', '.join(_AREA_UNITS)}"
        raise SchemaError(msg)
    units = _units(cmap, amount_unit, area_unit, source)
    out = pd.DataFrame(index=table.index)
    for name in ENTERPRISE_SCHEMA:
        col = cmap.get(name)
        values: list[Any] = []
        for pos, raw in enumerate(table[col].tolist() if col else [None] * len(table)):
            try:
                unit = units.get(name)
                values.append(
                    _parse(
                        name,
                        raw,
                        unit=unit if isinstance(unit, str) else "元",
                        area_factor=unit if isinstance(unit, float) else 1.0,
                    )
                )
            except ValueParseError as exc:
                qa.add(
                    "enterprise_parse",
                    f"row {pos + 2}, column {col!r} ({name}): {exc}; left blank",
                    layer=source,
                    feature=f"row {pos + 2}",
                    field=col,
                    action="left blank",
                )
                values.append(None)
        out[name] = values
    ids = out["enterprise_id"].where(out["enterprise_id"].notna(), out["name"])
    out["enterprise_id"] = [i if i is not None else f"row {k + 2}" for k, i in enumerate(ids)]
    for dup in out.loc[out["enterprise_id"].duplicated(), "enterprise_id"]:
        qa.add(
            "enterprise_duplicate",
            f"enterprise {dup} appears more than once; each row is classed on its own",
            layer=source,
            feature=dup,
            field=cmap.get("enterprise_id"),
        )
    return out


def _coordinate_columns(columns: list[str], explicit: Sequence[str] | None, source: str) -> tuple[str, str] | None:
    """Return the (x, y) column names of a table: ``xy_fields`` if given, else the first usual pair present."""
    if explicit is not None:
        pair = tuple(str(c) for c in explicit)
        missing = [c for c in pair if c not in columns]
        if len(pair) != 2 or missing:
            msg = (
                f"{source}: xy_fields must name two columns (x/longitude, y/latitude) of the table; got {list(pair)}"
                f", missing {missing}; the columns are {columns}"
            )
            raise SchemaError(msg)
        return pair[0], pair[1]
    by_key = {c.strip().lower(): c for c in columns}
    for x, y in _XY_NAMES:
        if x in by_key and y in by_key:
            return by_key[x], by_key[y]
    return None


def _points(table: pd.DataFrame, xy: tuple[str, str], *, source: str, qa: QALog) -> list[Any]:
    """Return a point per row from the coordinate columns (None, with a QA row, where one cannot be read)."""
    out: list[Any] = []
    for pos, (rx, ry) in enumerate(zip(table[xy[0]].tolist(), table[xy[1]].tolist(), strict=True)):
        try:
            x, y = parse_number(rx, minimum=None), parse_number(ry, minimum=None)
        except ValueParseError as exc:
            qa.add(
                "enterprise_parse",
                f"row {pos + 2}, coordinates ({rx!r}, {ry!r}): {exc}; no location",
                layer=source,
                feature=f"row {pos + 2}",
                field=f"{xy[0]}/{xy[1]}",
                action="left blank",
            )
            x = y = None
        out.append(shapely.Point(x, y) if x is not None and y is not None else None)
    return out


def read_enterprises(
    path: str | Path,
    *,
    layer: str | None = None,
    fields: Mapping[str, str] | None = None,
    amount_unit: str | None = None,
    area_unit: str = "m2",
    crs: Any = None,
    datum: str | None = None,
    xy_fields: Sequence[str] | None = None,
    qa: QALog,
) -> gpd.GeoDataFrame:
    """Read an enterprise table (CSV/XLSX) or layer (points/polygons) into the schema.

    A table with coordinate columns (``xy_fields``, else lon/lat, lng/lat, longitude/latitude, 经度/纬度 or
    x/y) gets a point per row: in ``crs`` when given, else EPSG:4326 for longitude/latitude names.

    Parameters
    ----------
    crs : optional, keyword-only
        CRS of a table's coordinates, or to assign to a layer without one.
    datum : {"gcj02", "bd09", "wgs84"} or None, keyword-only
        Declared web-map datum of the locations (AMap/Tencent geocoding: ``"gcj02"``); converted to WGS 84
        by :func:`geo.datum.to_wgs84_on_read`, with a QA row.

    Returns
    -------
    GeoDataFrame
        The schema columns; geometry from the layer or the coordinate columns (else empty).
    """
    p = Path(path)
    source = f"{p}" + (f":{layer}" if layer else "")
    if p.suffix.lower() in {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}:
        table = read_table(p, sheet=layer, what="enterprise table")
        recs = enterprise_records(
            table, fields=fields, amount_unit=amount_unit, area_unit=area_unit, source=source, qa=qa
        )
        xy = _coordinate_columns([str(c) for c in table.columns], xy_fields, source)
        if xy is None:
            return gpd.GeoDataFrame(recs, geometry=[None] * len(recs))
        lonlat = xy[0].strip().lower() in _LONLAT_X
        pts = gpd.GeoDataFrame(
            recs, geometry=_points(table.reset_index(drop=True), xy, source=source, qa=qa),
            crs=crs or ("EPSG:4326" if lonlat else None),
        )
        if pts.geometry.notna().any():
            pts = to_wgs84_on_read(pts, datum, layer=source, qa=qa)
        return pts
    spec = LayerSpec(p, layer, crs=crs, options={"datum": datum})
    gdf = read_spec(spec, qa=qa, what="enterprise layer")
    recs = enterprise_records(
        pd.DataFrame(gdf.drop(columns=gdf.geometry.name)),
        fields=fields,
        amount_unit=amount_unit,
        area_unit=area_unit,
        source=source,
        qa=qa,
    )
    return gpd.GeoDataFrame(recs, geometry=gdf.geometry.values, crs=gdf.crs)
