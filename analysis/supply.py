"""Land-supply records (供地宗地): the parcels, their contracts, dates, money and progress.

The package's supply schema (:data:`SUPPLY_SCHEMA`) names every field the idle-land, inefficient-land,
intensity and siting analyses read. Records come from one layer, or a geometry layer joined to a
CSV/XLSX table by a parcel number; the project file maps a user's field names onto the schema::

    [layers.supply]
    path = "sample.gpkg"
    layer = "supply_parcels"
    id_field = "ZDBH"                      # the parcel number in the layer
    [layers.supply.table]
    path = "supply_records.xlsx"
    sheet = "供地台账"                      # optional, default the first sheet
    key = "宗地编号"                        # the parcel number in the table
    amount_unit = "万元"                    # 元 or 万元 (or a table: {land_price_yuan = "万元", ...})
    area_unit = "m2"                       # m2, 亩 or 公顷, for area_m2
    fields = {agreed_start = "约定开工日期", land_price_yuan = "成交价款"}

A layer or table whose columns already carry the schema names needs no mapping; a column with one of
the usual Chinese names (``约定开工日期``, ``宗地编号`` …) is recognised and a QA row says so. Amounts
are stored in 元, areas in m², shares as fractions, dates as dates.

Nothing is dropped silently: a table row with no parcel (or no key), a parcel with no row, a duplicate
and every cell that cannot be read become QA rows naming the file, the row, the field and the value.
Table rows without a parcel are kept without geometry (the idle-land rules need no geometry); parcels
without a row are kept with blank fields (the analyses then say "cannot decide").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import AnalysisCRS, choose_analysis_crs, crs_label, require_crs
from geo.errors import SchemaError
from geo.geometry import repair_polygons
from geo.io import read_table
from geo.kernel import area_by_class, polygonal
from geo.layers import LayerSpec, load_near, read_spec
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU
from geo.values import (
    AMOUNT_UNITS,
    ValueParseError,
    key_text,
    parse_amount_yuan,
    parse_date,
    parse_number,
    parse_share,
)

__all__ = ["SUPPLY_COLUMNS", "SUPPLY_LABELS", "SUPPLY_SCHEMA", "SupplyField", "read_supply", "supply_records",
           "zone_of"]

log = logging.getLogger(__name__)

_TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}
_AREA_UNITS = {"m2": 1.0, "㎡": 1.0, "平方米": 1.0, "亩": M2_PER_MU, "mu": M2_PER_MU,
               "公顷": M2_PER_HA, "ha": M2_PER_HA}


@dataclass(frozen=True)
class SupplyField:
    """One field of the supply schema: its kind, Chinese label and the usual column names."""

    kind: str  # text | date | share | amount | area | number
    label: str
    aliases: tuple[str, ...] = ()


#: The package's supply schema, in output order.
SUPPLY_SCHEMA: dict[str, SupplyField] = {
    "parcel_id": SupplyField("text", "宗地编号",
                             ("宗地编号", "宗地号", "地块编号", "电子监管号", "ZDBH", "DKBH")),
    "contract_no": SupplyField("text", "合同编号", ("合同编号", "出让合同编号", "划拨决定书编号", "HTBH")),
    "contract_date": SupplyField("date", "合同签订日期",
                                 ("合同签订日期", "签订日期", "供地日期", "签订时间")),
    "agreed_start": SupplyField("date", "约定开工日期",
                                ("约定开工日期", "约定动工日期", "约定开工时间", "约定动工时间")),
    "actual_start": SupplyField("date", "实际开工日期",
                                ("实际开工日期", "实际动工日期", "实际开工时间", "实际动工时间")),
    "stopped_since": SupplyField("date", "停工日期", ("停工日期", "中止开发日期", "停工时间")),
    "developed_share": SupplyField("share", "已开发面积比例",
                                   ("已开发面积比例", "开发面积比例", "已开发比例")),
    "invested_share": SupplyField("share", "已投资比例", ("已投资比例", "投资比例", "已投资额比例")),
    "total_investment_yuan": SupplyField("amount", "总投资(元)", ("总投资", "项目总投资", "总投资额")),
    "land_price_yuan": SupplyField("amount", "土地价款(元)",
                                   ("土地价款", "成交价款", "出让价款", "划拨价款")),
    "area_m2": SupplyField("area", "宗地面积(㎡)", ("宗地面积", "供地面积", "出让面积")),
    "floor_area_m2": SupplyField("number", "建筑面积(㎡)", ("建筑面积", "总建筑面积")),
    "storeys": SupplyField("number", "层数", ("层数", "建筑层数")),
    "industry_code": SupplyField("text", "行业代码", ("行业代码", "行业分类代码", "国民经济行业代码")),
    "delay_cause": SupplyField("text", "延迟原因", ("延迟原因", "闲置原因", "未开工原因", "未动工原因")),
    "supply_method": SupplyField("text", "供地方式", ("供地方式", "供应方式")),
    "office_living_area_m2": SupplyField("number", "行政办公及生活服务设施用地面积(㎡)",
                                         ("行政办公及生活服务设施用地面积", "办公生活用地面积")),
    "green_area_m2": SupplyField("number", "绿地面积(㎡)", ("绿地面积",)),
}
#: Schema field names, in order.
SUPPLY_COLUMNS: tuple[str, ...] = tuple(SUPPLY_SCHEMA)
#: Workbook headers (Chinese label) of the schema fields and of the extra columns :func:`supply_records` adds.
SUPPLY_LABELS: dict[str, str] = {**{k: f.label for k, f in SUPPLY_SCHEMA.items()},
                                 "record_source": "记录来源", "map_area_m2": "图上面积(㎡)"}


def _kind_of(name: str) -> str:
    return SUPPLY_SCHEMA[name].kind


def _resolve_fields(columns: list[str], explicit: Mapping[str, str] | None, *, source: str,
                    qa: QALog) -> dict[str, str]:
    """Return schema name → column: the explicit mapping, then schema names, then the usual names."""
    given = {k: _schema_name(k, source=source, qa=qa) for k in (explicit or {})}
    problems = [f"{', '.join(repr(k) for k in given if given[k] == name)} all name {name!r}"
                for name in dict.fromkeys(given.values()) if list(given.values()).count(name) > 1]
    explicit = {given[k]: v for k, v in (explicit or {}).items()}
    problems += [f"{name!r} is not a supply-schema field" for name in explicit if name not in SUPPLY_SCHEMA]
    problems += [f"{name} = {col!r}: no such column" for name, col in explicit.items()
                 if name in SUPPLY_SCHEMA and col not in columns]
    if problems:
        msg = (f"{source}: the supply field mapping has problems: {'; '.join(problems)}. The columns are: "
               f"{', '.join(columns)}. The schema fields are: {', '.join(SUPPLY_COLUMNS)}")
        raise SchemaError(msg)
    out = dict(explicit)
    lower = {c.lower(): c for c in columns}
    used = set(out.values())
    for name, spec in SUPPLY_SCHEMA.items():
        if name in out:
            continue
        if name.lower() in lower and lower[name.lower()] not in used:
            out[name] = lower[name.lower()]
            used.add(out[name])
            continue
        for alias in spec.aliases:
            hit = next((c for c in columns if c not in used and alias in (c, _strip_unit(c))), None)
            if hit is not None:
                out[name] = hit
                used.add(hit)
                qa.add("supply_field", f"{name} read from column {hit!r} (a usual name; map it with fields = "
                       "{...} to choose another)", layer=source, field=hit, severity="info")
                break
    return out


def _schema_name(name: str, *, source: str, qa: QALog) -> str:
    """Accept a schema name without its unit suffix (``land_price`` → ``land_price_yuan``), with a QA row."""
    if name in SUPPLY_SCHEMA:
        return name
    for suffix in ("_yuan", "_m2"):
        if name + suffix in SUPPLY_SCHEMA:
            qa.add("supply_field", f"mapping key {name!r} read as {name + suffix!r} (the schema name carries "
                   "its unit; write it in full)", layer=source, field=name, severity="info")
            return name + suffix
    return name


def _strip_unit(column: str) -> str:
    for open_, close in (("(", ")"), ("（", "）")):
        if column.endswith(close) and open_ in column:
            return column[: column.rindex(open_)].strip()
    return column.strip()


def _header_unit(column: str) -> str | None:
    inner = column[len(_strip_unit(column)):].strip("()（） ")
    return inner if inner in AMOUNT_UNITS else None


def _amount_units(colmap: Mapping[str, str], declared: str | Mapping[str, str] | None, *,
                  source: str) -> dict[str, str]:
    """Return the unit of each amount field; an amount mapped from a user column must have a declared unit."""
    units: dict[str, str] = {}
    problems: list[str] = []
    for name, col in colmap.items():
        if _kind_of(name) != "amount":
            continue
        given = declared.get(name) if isinstance(declared, Mapping) else declared
        in_header = _header_unit(col)
        if col == name:  # the schema's own column name says 元
            given = given or "元"
        unit = given or in_header
        if unit is None:
            problems.append(f"{name} (column {col!r}) has no unit: declare amount_unit = \"元\" or \"万元\"")
        elif unit not in AMOUNT_UNITS:
            problems.append(f"{name}: unknown amount unit {unit!r} (use 元 or 万元)")
        elif in_header and in_header != unit:
            problems.append(f"{name}: amount_unit says {unit} but the column {col!r} says {in_header}")
        else:
            units[name] = unit
    if problems:
        msg = f"{source}: {'; '.join(problems)}"
        raise SchemaError(msg)
    return units


def _parse_cell(name: str, value: Any, *, units: Mapping[str, str],
                area_factor: float) -> tuple[Any, str | None]:
    kind = _kind_of(name)
    if kind == "date":
        return parse_date(value), None
    if kind == "share":
        return parse_share(value)
    if kind == "amount":
        return parse_amount_yuan(value, unit=units[name]), None
    if kind == "area":
        number = parse_number(value)
        return (None if number is None else number * area_factor), None
    if kind == "number":
        return parse_number(value), None
    return key_text(value), None


def _parse_frame(frame: pd.DataFrame, colmap: Mapping[str, str], *, units: Mapping[str, str],
                 area_factor: float, source: str, row_label: Callable[[int], str], qa: QALog) -> pd.DataFrame:
    """Parse the mapped columns into schema fields; unreadable cells become QA rows and blanks."""
    out: dict[str, list[Any]] = {}
    for name, col in colmap.items():
        if name == "parcel_id":
            continue
        values: list[Any] = []
        for pos, raw in enumerate(frame[col].tolist()):
            try:
                factor = 1.0 if col == name else area_factor
                value, note = _parse_cell(name, raw, units=units, area_factor=factor)
            except ValueParseError as exc:
                qa.add("supply_parse", f"{row_label(pos)}, column {col!r} ({name}): {exc}; left blank",
                       layer=source, feature=row_label(pos), field=col, action="left blank")
                value, note = None, None
            if note:
                qa.add("supply_share_percent", f"{row_label(pos)}, column {col!r} ({name}): {note}",
                       layer=source, feature=row_label(pos), field=col, severity="info")
            values.append(value)
        out[name] = values
        _flag_mixed_shares(name, col, frame[col].tolist(), source=source, row_label=row_label, qa=qa)
    return pd.DataFrame(out, index=frame.index)


def _flag_mixed_shares(name: str, col: str, raw: list[Any], *, source: str, row_label: Callable[[int], str],
                       qa: QALog) -> None:
    """A share column holding both 45 and 0.45 is ambiguous for its values below 1: say so."""
    if _kind_of(name) != "share":
        return
    bare = [(i, v) for i, v in enumerate(raw) if isinstance(v, (int, float)) and not isinstance(v, bool)
            and not np.isnan(v)]
    if not any(v > 1 for _, v in bare):
        return
    for i, v in bare:
        if 0 < v < 1:
            qa.add("supply_share_ambiguous",
                   f"{row_label(i)}, column {col!r} ({name}): {v} read as {v:.0%}, but other rows of "
                   "this column are percentages (e.g. 45 for 45%); check the value",
                   layer=source, feature=row_label(i), field=col)


def _layer_keys(layer: gpd.GeoDataFrame, id_field: str | None, *, source: str, qa: QALog) -> pd.Series:
    cols = [c for c in layer.columns if c != layer.geometry.name]
    field = id_field
    if field is None:
        field = next((c for c in cols if c.lower() == "parcel_id"), None)
        field = field or next((c for a in SUPPLY_SCHEMA["parcel_id"].aliases for c in cols if c == a), None)
    if field is None or field not in cols:
        msg = (f"{source}: no parcel-number field {id_field or ''!r}; name it with id_field = \"...\" "
               f"(the fields are: {', '.join(cols)})")
        raise SchemaError(msg)
    keys = layer[field].map(key_text)
    for fid in layer.index[keys.isna().to_numpy()]:
        qa.add("supply_blank_key", f"parcel feature fid {fid} has no parcel number in {field!r}; it is named "
               f"'fid {fid}'", layer=source, feature=f"fid {fid}", field=field)
    return keys.where(keys.notna(), "fid " + layer.index.astype(str))


def _dissolve(layer: gpd.GeoDataFrame, keys: pd.Series, *, source: str, qa: QALog) -> gpd.GeoDataFrame:
    """One polygon per parcel number (parts with the same number unioned, with a QA row)."""
    valid = repair_polygons(layer, layer=source, qa=qa)
    keys = keys.loc[valid.index]
    frame = gpd.GeoDataFrame({"parcel_id": keys.to_numpy(), "_fid": valid.index.to_numpy()},
                             geometry=valid.geometry.to_numpy(), crs=layer.crs)
    dup = frame["parcel_id"].duplicated(keep=False)
    for pid in frame.loc[dup, "parcel_id"].unique():
        fids = frame.loc[frame["parcel_id"] == pid, "_fid"].tolist()
        qa.add("supply_parts", f"parcel {pid} has {len(fids)} features (fid {', '.join(map(str, fids))}); "
               "they are unioned into one parcel", layer=source, feature=pid, severity="info",
               action="unioned")
    grouped = frame.groupby("parcel_id", sort=False)
    geoms = grouped.geometry.agg(lambda s: shapely.union_all(np.asarray(s.values)))
    first = grouped["_fid"].first()
    return gpd.GeoDataFrame({"parcel_id": geoms.index.to_numpy(), "_fid": first.loc[geoms.index].to_numpy()},
                            geometry=polygonal(np.asarray(geoms.to_numpy(), dtype=object)), crs=layer.crs)


def _table_rows(table: pd.DataFrame, key: str | None, colmap: dict[str, str], *, source: str,
                qa: QALog) -> pd.DataFrame:
    """Return the table's rows with a ``parcel_id`` and ``_row``; blank and duplicate keys become QA rows."""
    key_col = key or colmap.get("parcel_id")
    if key_col is None or key_col not in table.columns:
        msg = (f"{source}: no parcel-number column {key or ''!r} to join on; set key = \"...\" "
               f"(the columns are: {', '.join(map(str, table.columns))})")
        raise SchemaError(msg)
    rows = pd.DataFrame({"parcel_id": table[key_col].map(key_text).to_numpy(),
                         "_row": np.arange(len(table)) + 2}, index=table.index)
    for r in rows.loc[rows["parcel_id"].isna(), "_row"]:
        qa.add("supply_blank_key", f"row {r}: no parcel number in column {key_col!r}; the row cannot be "
               "joined and is left out", layer=source, feature=f"row {r}", field=key_col, action="left out")
    rows = rows[rows["parcel_id"].notna()]
    dup = rows["parcel_id"].duplicated(keep="first")
    for pid, r in rows.loc[dup, ["parcel_id", "_row"]].itertuples(index=False):
        kept = int(rows.loc[rows["parcel_id"] == pid, "_row"].iloc[0])
        qa.add("supply_duplicate", f"row {r}: parcel {pid} already appears in row {kept}; row {kept} is "
               f"used, row {r} is left out", layer=source, feature=f"row {r}", field=key_col,
               action="left out")
    return rows[~dup]


def supply_records(
    layer: gpd.GeoDataFrame | None,
    table: pd.DataFrame | None = None,
    *,
    id_field: str | None = None,
    fields: Mapping[str, str] | None = None,
    amount_unit: str | Mapping[str, str] | None = None,
    key: str | None = None,
    table_fields: Mapping[str, str] | None = None,
    table_amount_unit: str | Mapping[str, str] | None = None,
    area_unit: str = "m2",
    layer_label: str = "supply layer",
    table_label: str = "supply table",
    qa: QALog,
) -> gpd.GeoDataFrame:
    """Build the supply records in the package schema from a layer, a table, or both joined by parcel number.

    Parameters
    ----------
    layer : GeoDataFrame or None
        Parcel polygons (with or without attributes), or None when the table has everything.
    table : DataFrame, optional
        A table of records as read by :func:`geo.io.read_table` (Excel rows count from 2, under the header).
    id_field : str, optional, keyword-only
        The layer's parcel-number field (default: ``parcel_id`` or a usual name such as ``宗地编号``).
    fields, table_fields : mapping, optional, keyword-only
        Schema name → user column, for the layer and for the table.
    amount_unit, table_amount_unit : str or mapping, optional, keyword-only
        ``元`` or ``万元`` for every amount column, or per schema field. Required for any amount column
        that is not named ``*_yuan`` and does not state its unit in its header (``土地价款(万元)``).
    key : str, optional, keyword-only
        The table's parcel-number column (default: the column mapped to ``parcel_id``).
    area_unit : str, keyword-only
        Unit of ``area_m2`` values in the inputs: ``m2``, ``亩`` or ``公顷``.
    layer_label, table_label : str, keyword-only
        Names of the sources in QA rows (file and layer or sheet).
    qa : QALog, keyword-only

    Returns
    -------
    GeoDataFrame
        One row per parcel, indexed by ``parcel_id``: the schema columns, ``record_source`` (layer+table,
        layer only, table only) and ``map_area_m2`` (the polygon's planar area; blank without geometry).

    Raises
    ------
    SchemaError
        For a bad mapping, a missing key field or an amount column without a unit.

    Examples
    --------
    >>> t = pd.DataFrame({"宗地编号": ["A1"], "约定开工日期": ["2021年3月5日"], "成交价款(万元)": ["120"]})
    >>> r = supply_records(None, t, qa=QALog())
    >>> str(r.loc["A1", "agreed_start"].date()), float(r.loc["A1", "land_price_yuan"])
    ('2021-03-05', 1200000.0)
    """
    if area_unit not in _AREA_UNITS:
        msg = f"unknown area_unit {area_unit!r}; use one of {', '.join(_AREA_UNITS)}"
        raise SchemaError(msg)
    factor = _AREA_UNITS[area_unit]
    parts: list[pd.DataFrame] = []
    geo = None
    if layer is not None:
        keys = _layer_keys(layer, id_field, source=layer_label, qa=qa)
        geo = _dissolve(layer, keys, source=layer_label, qa=qa)
        cols = [c for c in layer.columns if c != layer.geometry.name]
        cmap = _resolve_fields(cols, fields, source=layer_label, qa=qa)
        cmap.pop("parcel_id", None)
        if cmap:
            first = layer.loc[geo["_fid"].to_numpy()]
            units = _amount_units(cmap, amount_unit, source=layer_label)
            attrs = _parse_frame(first.reset_index(drop=True), cmap, units=units, area_factor=factor,
                                 source=layer_label, row_label=lambda i: f"parcel {geo['parcel_id'].iloc[i]}",
                                 qa=qa)
            parts.append(attrs.set_axis(geo["parcel_id"].to_numpy()))
    rows = None
    if table is not None:
        tcols = [str(c) for c in table.columns]
        table = table.set_axis(tcols, axis=1).reset_index(drop=True)
        tmap = _resolve_fields(tcols, table_fields, source=table_label, qa=qa)
        rows = _table_rows(table, key, tmap, source=table_label, qa=qa)
        tmap.pop("parcel_id", None)
        if key is not None:
            tmap = {k: v for k, v in tmap.items() if v != key}
        units = _amount_units(tmap, table_amount_unit, source=table_label)
        attrs = _parse_frame(table.loc[rows.index], tmap, units=units, area_factor=factor, source=table_label,
                             row_label=lambda i: f"row {rows['_row'].iloc[i]}", qa=qa)
        parts.insert(0, attrs.set_axis(rows["parcel_id"].to_numpy()))
    return _assemble(geo, rows, parts, layer_label=layer_label, table_label=table_label, qa=qa)


def _assemble(geo: gpd.GeoDataFrame | None, rows: pd.DataFrame | None, parts: list[pd.DataFrame], *,
              layer_label: str, table_label: str, qa: QALog) -> gpd.GeoDataFrame:
    """Join the parsed parts on parcel number; report parcels without rows and rows without parcels."""
    ids: list[str] = list(geo["parcel_id"]) if geo is not None else []
    if rows is not None:
        known = set(ids)
        if geo is not None:
            for pid, r in rows[["parcel_id", "_row"]].itertuples(index=False):
                if pid not in known:
                    qa.add("supply_unjoined", f"row {r}: parcel {pid} is not in {layer_label}; the record is "
                           "kept without geometry (judged, not mapped or measured)", layer=table_label,
                           feature=f"row {r}", field="parcel_id", action="kept without geometry")
            in_table = set(rows["parcel_id"])
            for pid in ids:
                if pid not in in_table:
                    qa.add("supply_no_record", f"parcel {pid} has no row in {table_label}; its fields are "
                           "blank",
                           layer=layer_label, feature=pid, field="parcel_id", action="kept with blank fields")
        ids += [p for p in rows["parcel_id"] if p not in known]
    index = pd.Index(ids, name="parcel")
    out = pd.DataFrame({"parcel_id": ids}, index=index)
    for name in SUPPLY_COLUMNS[1:]:
        merged = pd.Series([None] * len(ids), index=index, dtype=object)
        for part in reversed(parts):  # earlier parts (the table) win
            if name in part.columns:
                vals = part[name].reindex(index)
                merged = vals.where(vals.notna(), merged)
        out[name] = _typed(name, merged)
    in_layer = set(geo["parcel_id"]) if geo is not None else set()
    in_rows = set(rows["parcel_id"]) if rows is not None else set()
    out["record_source"] = ["layer+table" if (p in in_layer and p in in_rows) else
                            ("layer only" if p in in_layer else "table only") for p in ids]
    geoms = geo.set_index("parcel_id").geometry.reindex(index) if geo is not None else [None] * len(ids)
    crs = geo.crs if geo is not None else None
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=index, crs=crs), crs=crs)
    measurable = crs is not None and crs.is_projected
    gdf["map_area_m2"] = gdf.geometry.area.where(gdf.geometry.notna()) if measurable else np.nan
    return gdf


def _typed(name: str, values: pd.Series) -> pd.Series:
    kind = _kind_of(name)
    if kind == "date":
        return pd.to_datetime(values.astype(object).where(values.notna(), None))
    if kind in ("share", "amount", "area", "number"):
        return pd.to_numeric(values, errors="coerce").astype(float)
    return values.astype(object).where(values.notna(), None)


def _in_metres(layer: gpd.GeoDataFrame, acrs: AnalysisCRS | None, *, label: str,
               qa: QALog) -> gpd.GeoDataFrame:
    """Bring a layer read on its own into the analysis CRS (given, its own, or chosen), logged in QA."""
    what = f"supply layer {label}"
    own = require_crs(layer, what=what)
    target = acrs or choose_analysis_crs(layer, what=what)
    if not own.equals(target.crs):
        qa.add("transform", f"transformed from {crs_label(own)} to {target.label} ({target.reason})",
               layer=label, severity="info", action="transformed")
        layer = layer.to_crs(target.crs)
    return layer


def zone_of(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """Return the zone holding the largest part of each parcel (None outside every zone).

    Areas come from the kernel (:func:`geo.kernel.area_by_class`), one class per parcel.
    """
    out = pd.Series([None] * len(parcels), index=parcels.index, dtype=object)
    located = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
    if len(located) == 0 or len(zones) == 0:
        return out
    work = gpd.GeoDataFrame({"_class": located.index.astype(str)}, geometry=located.geometry.values,
                            index=located.index, crs=located.crs)
    table = area_by_class(zones.geometry, work, class_column="_class", keep_pieces=False).table
    if len(table):
        best = table.sort_values("area_m2", ascending=False, kind="stable").drop_duplicates("class")
        by_class = dict(zip(best["class"], best["zone"], strict=True))
        out.loc[located.index] = [by_class.get(str(i)) for i in located.index]
    return out


def read_supply(
    spec: LayerSpec,
    *,
    qa: QALog,
    zones: gpd.GeoDataFrame | None = None,
    analysis_crs: AnalysisCRS | None = None,
) -> gpd.GeoDataFrame:
    """Read supply records as the project file or CLI describes them (see the module docstring).

    Parameters
    ----------
    spec : LayerSpec
        The supply layer (or a CSV/XLSX of records without geometry); options ``id_field``, ``fields``,
        ``amount_unit``, ``area_unit`` and a ``table`` sub-table (``path``, ``sheet``, ``key``,
        ``amount_unit``, ``area_unit``, ``fields``).
    qa : QALog, keyword-only
    zones, analysis_crs : optional, keyword-only
        When given, only parcels near the zones are read, in the analysis CRS (:func:`geo.layers.load_near`).

    Returns
    -------
    GeoDataFrame
        See :func:`supply_records`.
    """
    path = Path(spec.path)
    tab = spec.get("table")
    if path.suffix.lower() in _TABLE_SUFFIXES:
        table = read_table(path, sheet=spec.layer, what="supply table")
        label = f"{path}" + (f":{spec.layer}" if spec.layer else "")
        return supply_records(None, table, key=spec.get("key") or spec.get("id_field"),
                              table_fields=spec.get("fields"), table_amount_unit=spec.get("amount_unit"),
                              area_unit=spec.get("area_unit", "m2"), table_label=label, qa=qa)
    if zones is not None and analysis_crs is not None:
        layer = load_near(spec, zones, analysis_crs, qa=qa, what="supply layer")
    else:
        layer = read_spec(spec, qa=qa, what="supply layer")
        layer = _in_metres(layer, analysis_crs, label=spec.label, qa=qa)
    table = tlabel = None
    if isinstance(tab, Mapping):
        table = read_table(tab["path"], sheet=tab.get("sheet"), what="supply table")
        tlabel = f"{tab['path']}" + (f":{tab['sheet']}" if tab.get("sheet") else "")
    area_unit = (tab or {}).get("area_unit") if isinstance(tab, Mapping) else None
    return supply_records(
        layer, table, id_field=spec.get("id_field"), fields=spec.get("fields"),
        amount_unit=spec.get("amount_unit"),
        key=tab.get("key") if isinstance(tab, Mapping) else None,
        table_fields=tab.get("fields") if isinstance(tab, Mapping) else None,
        table_amount_unit=tab.get("amount_unit") if isinstance(tab, Mapping) else None,
        area_unit=area_unit or spec.get("area_unit", "m2"), layer_label=spec.label,
        table_label=tlabel or "supply table", qa=qa,
    )
