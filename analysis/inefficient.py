"""R5: inefficient industrial land (低效用地) — each parcel against the control indicators.

Per parcel (supply records in the package schema, :mod:`analysis.supply`), against the versioned indicator
table (:mod:`geo.indicators`, 2008 by default) and the profile's ``[rules.R5]``:

- **FAR** (容积率): Σ footprint × storey equivalents of the buildings clipped to the parcel ÷ parcel area
  (:mod:`geo.buildings`: a storey higher than 8 m counts twice), or the record's 建筑面积 ÷ parcel area
  (taken as 计容建筑面积: the records carry no storey heights). ``far_source = "auto"`` uses the buildings
  when the parcel has some and every storey is known, else the records, else the buildings (a lower bound,
  or 0 without buildings); both values are reported.
  A lower bound decides only when it already meets the industry minimum.
- **building coefficient** (建筑系数) = (buildings + structures + yards) footprint inside the parcel ÷
  parcel area (footprints clipped with the shared kernel; overlaps once) ≥ 30%.
- **investment intensity** = total investment ÷ area, 万元/公顷 (1 元/m² = 1 万元/公顷) ≥ the table value
  for the zone's region class and the industry.
- **tax per 亩** = Σ tax of the parcel's enterprises ÷ area in 亩 ≥ 15 万元/亩 (seed 001).
- **office and living** ≤ 7% of the site: the footprint of office/living buildings is a lower bound of
  their land, so the check can fail but never pass on footprints alone; a record field
  ``office_living_area_m2`` decides both ways. **green ratio** ≤ 20% needs ``green_area_m2``.
- **single-storey factories** (seed 004 三(七); seed 000 二(四)2): a flag when every building on the
  parcel is single-storey (or the record says 1 storey); the text exempts industries with special needs,
  which the data do not say, so it is reported, not failed.

A parcel is ``inefficient`` when any indicator fails, ``meets`` when every indicator with a standard
passes, ``cannot_decide`` otherwise, and ``not_industrial`` when its industry code is known and is not
manufacturing (13–43). Every row names the failing indicators, and for each undecided one "cannot decide,
because …".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.inefficient_rule import InefficientRule
from geo.buildings import measure_buildings
from geo.indicators import Threshold, industry_2002
from geo.qa import QALog
from geo.units import M2_PER_MU

__all__ = [
    "INDICATORS",
    "IndicatorCheck",
    "InefficientRule",
    "ParcelVerdict",
    "judge_inefficient",
    "verdict_frame",
]

#: The indicators, in output order.
INDICATORS = (
    "far",
    "building_coefficient",
    "investment",
    "tax_per_mu",
    "office_living_share",
    "green_ratio",
    "single_storey",
)
_EPS = 1e-9
_SINGLE_STOREY_SOURCE = (
    "河南省人民政府《关于促进产业集聚区持续健康快速发展的意见》(2012) 三(七)："
    "对行业无特殊要求的新建工业项目不得建造单层厂房；"
    "《2012年河南省加快产业集聚区建设专项工作方案》二(四)2：优先保障3层及以上标准厂房用地"
)


@dataclass(frozen=True)
class IndicatorCheck:
    """One indicator of one parcel."""

    indicator: str
    value: float | None
    unit: str
    threshold: float | None
    comparison: str
    threshold_status: str
    status: str  # pass | fail | cannot_decide | flag | not_applicable
    reason: str
    source: str


@dataclass(frozen=True)
class ParcelVerdict:
    """R5 verdict of one parcel."""

    parcel_id: str
    zone_id: str | None
    industry_code: str | None
    industry_2002: str | None
    area_m2: float | None
    area_basis: str
    far_basis: str
    checks: tuple[IndicatorCheck, ...]
    verdict: str
    failing: str
    undecided: str
    flags: str
    reason: str
    rule_id: str
    source: str
    table_version: str
    data: str
    as_of: str

    def to_row(self) -> dict[str, Any]:
        """Return a flat row: the parcel's fields and, per indicator, value/threshold/status/reason."""
        d = {k: v for k, v in asdict(self).items() if k != "checks"}
        for c in self.checks:
            d[f"{c.indicator}"] = c.value
            d[f"{c.indicator}_threshold"] = c.threshold
            d[f"{c.indicator}_threshold_status"] = c.threshold_status
            d[f"{c.indicator}_status"] = c.status
            d[f"{c.indicator}_reason"] = c.reason
        return d


def _check(
    indicator: str,
    value: float | None,
    unit: str,
    t: Threshold | None,
    *,
    reason_missing: str = "",
    lower_bound: bool = False,
) -> IndicatorCheck:
    """Compare a value with a threshold (min: ≥ passes; max: ≤ passes; both inclusive)."""
    if t is None or t.value is None:
        why = reason_missing or "no control value"
        if t is not None and t.value is None:
            why = (
                f"the {indicator} control value is {t.status} (blank in the indicator table: {t.source}); "
                f"set it in the profile"
            )
        return IndicatorCheck(
            indicator,
            value,
            unit,
            None,
            t.comparison if t else "",
            t.status if t else "",
            "cannot_decide",
            f"cannot decide, because {why}",
            t.source if t else "",
        )
    if value is None:
        return IndicatorCheck(
            indicator,
            None,
            unit,
            t.value,
            t.comparison,
            t.status,
            "cannot_decide",
            f"cannot decide, because {reason_missing}",
            t.source,
        )
    tol = _EPS * max(abs(t.value), 1.0)
    ok = value >= t.value - tol if t.comparison == "min" else value <= t.value + tol
    sign = "≥" if ok == (t.comparison == "min") else "<"
    if t.comparison == "max":
        sign = "≤" if ok else ">"
    text = f"{value:.4g} {sign} {t.value:g} {unit}".rstrip()
    if lower_bound and not ok and t.comparison == "min":
        return IndicatorCheck(
            indicator,
            value,
            unit,
            t.value,
            t.comparison,
            t.status,
            "cannot_decide",
            f"cannot decide, because {reason_missing}: at least {value:.4g}, below {t.value:g}",
            t.source,
        )
    status = "pass" if ok else "fail"
    note = f" (threshold {t.status})" if t.status not in ("confirmed", "profile") else ""
    prefix = "at least " if lower_bound else ""
    return IndicatorCheck(
        indicator, value, unit, t.value, t.comparison, t.status, status, f"{prefix}{text}{note}", t.source
    )


def _num(row: Mapping[str, Any], key: str) -> float | None:
    v = row.get(key)
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _area(
    row: Mapping[str, Any], geom_area: float | None, rule: InefficientRule, pid: str, qa: QALog
) -> tuple[float | None, str]:
    rec = _num(row, "area_m2")
    rec = rec if rec and rec > 0 else None
    if geom_area is not None and rec is not None and abs(geom_area - rec) > rule.area_mismatch_share * rec:
        qa.add(
            "area_mismatch",
            f"parcel {pid}: recorded area {rec:,.2f} m² differs from the map polygon's "
            f"{geom_area:,.2f} m² by more than {rule.area_mismatch_share:.0%}; {rule.area_basis} area used",
            layer="supply",
            feature=pid,
            field="area_m2",
            area_m2=geom_area,
        )
    if rule.area_basis == "record" and rec is not None:
        return rec, "record"
    if geom_area is not None and geom_area > 0:
        return geom_area, "geometry"
    return rec, "record" if rec is not None else "none"


def _far_sources(
    row: Mapping[str, Any], meas: pd.Series | None, area: float | None
) -> tuple[tuple[float, bool, str] | None, tuple[float, bool, str] | None]:
    """Return the FAR from the records and from the buildings: (value, lower bound?, basis) or None."""
    rec_fa = _num(row, "floor_area_m2")
    from_rec = None
    if rec_fa is not None and area:
        from_rec = (
            rec_fa / area,
            False,
            "records: 建筑面积 ÷ area (taken as 计容建筑面积: the 8 m rule not applied)",
        )
    if meas is None or not area:
        return from_rec, None
    if meas["footprint_building_m2"] <= 0:
        return from_rec, (0.0, False, "buildings: no building footprint on the parcel")
    unknown = float(meas["unknown_storey_footprint_m2"])
    basis = "buildings: Σ footprint × storey equivalents ÷ area (a storey over 8 m counts twice)"
    if unknown > 0:
        basis += f"; {unknown:,.0f} m² of footprint without storeys: lower bound"
    return from_rec, (float(meas["floor_area_low_m2"]) / area, unknown > 0, basis)


def _far(
    row: Mapping[str, Any],
    meas: pd.Series | None,
    area: float | None,
    t: Threshold | None,
    rule: InefficientRule,
) -> tuple[IndicatorCheck, str]:
    from_rec, from_bld = _far_sources(row, meas, area)
    order: tuple[tuple[float, bool, str] | None, ...]
    if rule.far_source == "records_first":
        order = (from_rec, from_bld)
    elif rule.far_source == "buildings_first":
        order = (from_bld, from_rec)
    else:  # auto: buildings (some, every storey known), else the records, else the buildings' lower bound
        exact = from_bld is not None and not from_bld[1] and from_bld[0] > 0
        order = (from_bld if exact else None, from_rec, from_bld)
    pick = next((o for o in order if o is not None), None)
    if pick is None:
        why = "neither a recorded floor area nor building footprints" if area else "the parcel has no area"
        return _check("far", None, "", t, reason_missing=why), "none"
    value, bound, basis = pick
    other = from_rec if pick is from_bld else from_bld
    also = f" (the {other[2].split(':')[0]} give {other[0]:.4g})" if other is not None else ""
    if t is None or t.value is None:
        code = row.get("_industry_2002")
        why = (
            f"the table has no FAR minimum for industry {code}"
            if code
            else "the industry code is missing or unreadable"
        )
        return IndicatorCheck(
            "far", value, "", None, "min", "", "cannot_decide", f"cannot decide, because {why}{also}", ""
        ), basis
    chk = _check(
        "far", value, "", t, reason_missing="storeys are unknown for part of the footprint", lower_bound=bound
    )
    return IndicatorCheck(**{**asdict(chk), "reason": chk.reason + also}), basis


def _building_coefficient(
    meas: pd.Series | None, area: float | None, rule: InefficientRule
) -> IndicatorCheck:
    t = rule.threshold("building_coefficient")
    if meas is None or not area:
        why = (
            "no building footprints (no buildings layer, or the parcel has no map polygon)"
            if area
            else "the parcel has no area"
        )
        return _check("building_coefficient", None, "", t, reason_missing=why)
    chk = _check("building_coefficient", float(meas["footprint_total_m2"]) / area, "", t)
    return IndicatorCheck(
        **{**asdict(chk), "reason": chk.reason + " (buildings, structures and yards as mapped)"}
    )


def _investment(
    row: Mapping[str, Any],
    area: float | None,
    code: str | None,
    region_class: int | None,
    rule: InefficientRule,
) -> IndicatorCheck:
    inv = _num(row, "total_investment_yuan")
    value = inv / area if inv is not None and area else None  # 元/m² = 万元/公顷
    if code is None:
        return _check(
            "investment",
            value,
            "万元/公顷",
            None,
            reason_missing="the industry code is missing or unreadable",
        )
    if region_class is None:
        return _check(
            "investment",
            value,
            "万元/公顷",
            None,
            reason_missing="no region class (地区分类) is set for this zone: set [rules.R5] region_class "
            "or region_class_by_zone in the profile",
        )
    t = rule.investment_min(code, region_class)
    return _check(
        "investment",
        value,
        "万元/公顷",
        t,
        reason_missing="no total investment in the record (taken as fixed-asset investment)"
        if area
        else "the parcel has no area",
    )


def _tax(
    pid: str, area: float | None, tax_yuan: Mapping[str, float] | None, rule: InefficientRule
) -> IndicatorCheck:
    t = Threshold(rule.tax_per_mu_min_wan, "min", "万元/亩", "target", rule.tax_source)
    if tax_yuan is None:
        return _check("tax_per_mu", None, "万元/亩", t, reason_missing="no enterprise table was given")
    tax = tax_yuan.get(pid)
    if tax is None or not area:
        why = "no enterprise row names this parcel" if area else "the parcel has no area"
        return _check("tax_per_mu", None, "万元/亩", t, reason_missing=why)
    return _check("tax_per_mu", tax / 1e4 / (area / M2_PER_MU), "万元/亩", t)


def _office_living(
    row: Mapping[str, Any], meas: pd.Series | None, area: float | None, rule: InefficientRule
) -> IndicatorCheck:
    t = rule.threshold("office_living_share")
    rec = _num(row, "office_living_area_m2")
    if rec is not None and area:
        return _check("office_living_share", rec / area, "", t)
    fp = float(meas["office_living_footprint_m2"]) if meas is not None else 0.0
    if fp > 0 and area and t.value is not None and fp / area > t.value + _EPS:
        return IndicatorCheck(
            "office_living_share",
            fp / area,
            "",
            t.value,
            "max",
            t.status,
            "fail",
            f"the office/living buildings' footprint alone is {fp / area:.2%} > {t.value:.0%}",
            t.source,
        )
    why = "the office/living land area is not recorded (office_living_area_m2); " + (
        f"their footprint, a lower bound, is {fp / area:.2%}"
        if fp > 0 and area
        else "no office/living building is mapped"
    )
    return _check("office_living_share", None, "", t, reason_missing=why)


def _green(row: Mapping[str, Any], area: float | None, rule: InefficientRule) -> IndicatorCheck:
    t = rule.threshold("green_ratio")
    g = _num(row, "green_area_m2")
    value = g / area if g is not None and area else None
    return _check("green_ratio", value, "", t, reason_missing="no green area in the records (green_area_m2)")


def _single_storey(row: Mapping[str, Any], meas: pd.Series | None) -> IndicatorCheck:
    src = _SINGLE_STOREY_SOURCE

    def out(status: str, reason: str, value: float | None = None) -> IndicatorCheck:
        return IndicatorCheck("single_storey", value, "", None, "", "", status, reason, src)

    if meas is not None and meas["footprint_building_m2"] > 0:
        single, multi = float(meas["single_storey_footprint_m2"]), float(meas["multi_storey_footprint_m2"])
        total = float(meas["footprint_building_m2"])
        if multi > 0:
            return out("pass", f"{multi:,.0f} m² of {total:,.0f} m² footprint is multi-storey", 0.0)
        if single >= total * (1 - 1e-9):
            return out(
                "flag",
                f"every building on the parcel is single-storey ({total:,.0f} m² footprint); "
                "allowed only where the industry has special needs",
                1.0,
            )
        return out("cannot_decide", "cannot decide, because storeys are unknown for some buildings")
    storeys = _num(row, "storeys")
    if storeys is not None:
        return (
            out("flag", "the record gives 1 storey; allowed only where the industry has special needs", 1.0)
            if round(storeys) == 1
            else out("pass", f"the record gives {storeys:g} storeys", 0.0)
        )
    return out(
        "cannot_decide", "cannot decide, because neither building storeys nor a recorded storey count exist"
    )


def _aggregate(checks: list[IndicatorCheck]) -> tuple[str, str, str, str, str]:
    failing = [c.indicator for c in checks if c.status == "fail"]
    undecided = [c for c in checks if c.status == "cannot_decide"]
    flags = [c.indicator for c in checks if c.status == "flag"]
    if failing:
        verdict = "inefficient"
        reason = "; ".join(f"{c.indicator}: {c.reason}" for c in checks if c.status == "fail")
    elif undecided:
        verdict = "cannot_decide"
        reason = "; ".join(f"{c.indicator}: {c.reason}" for c in undecided)
    else:
        verdict, reason = "meets", "every indicator with a standard is met"
    return verdict, ",".join(failing), ",".join(c.indicator for c in undecided), ",".join(flags), reason


def _measure(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None) -> list[pd.Series | None]:
    rows: list[pd.Series | None] = [None] * len(parcels)
    if buildings is None:
        return rows
    geoms = parcels.geometry
    ok = np.flatnonzero(geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy())
    if len(ok):
        keyed = gpd.GeoSeries(geoms.iloc[ok].values, index=ok, crs=parcels.crs)
        m = measure_buildings(keyed, buildings)
        for i in ok:
            rows[i] = m.loc[i]
    return rows


def judge_inefficient(
    parcels: gpd.GeoDataFrame,
    *,
    rule: InefficientRule,
    qa: QALog,
    buildings: gpd.GeoDataFrame | None = None,
    tax_yuan: Mapping[str, float] | None = None,
    as_of: dt.date | None = None,
    data: str = "",
) -> list[ParcelVerdict]:
    """Judge each parcel against the R5 indicators.

    Parameters
    ----------
    parcels : GeoDataFrame
        Supply records in the package schema (``parcel_id``, ``area_m2``, ``floor_area_m2``, ``storeys``,
        ``total_investment_yuan``, ``industry_code`` … any may be missing), optionally ``zone_id``,
        ``office_living_area_m2``, ``green_area_m2``; polygons in the analysis CRS (rows without a
        polygon are judged on their records only).
    rule : InefficientRule, keyword-only
    qa : QALog, keyword-only
    buildings : GeoDataFrame, optional, keyword-only
        From :func:`geo.buildings.prepare_buildings`, in the same CRS.
    tax_yuan : mapping, optional, keyword-only
        Tax per parcel id, 元 (from the enterprise table); None when there is no table.
    as_of : date, optional, keyword-only
    data : str, keyword-only
        The data judged (named in every row).

    Returns
    -------
    list of ParcelVerdict, in the parcels' order
    """
    as_of = as_of or dt.date.today()
    meas = _measure(parcels, buildings)
    geoms = parcels.geometry
    out = []
    for i, (idx, rec) in enumerate(parcels.iterrows()):
        row = rec.to_dict()
        pid = str(row.get("parcel_id") or idx)
        g = geoms.iloc[i]
        geom_area = float(g.area) if g is not None and not g.is_empty else None
        area, basis = _area(row, geom_area, rule, pid, qa)
        code, note = industry_2002(row.get("industry_code"), edition=rule.industry_code_edition)
        row["_industry_2002"] = code
        zone = row.get("zone_id")
        zone = None if zone is None or (isinstance(zone, float) and math.isnan(zone)) else str(zone)
        rclass = rule.region_class_by_zone.get(zone or "", rule.region_class)
        if code is not None and not 13 <= int(code) <= 43:
            checks: list[IndicatorCheck] = []
            verdict, failing, undecided, flags = "not_industrial", "", "", ""
            reason = f"industry {code} is not manufacturing (13–43): the 2008 control indicators do not apply"
            far_basis = "none"
        else:
            far_chk, far_basis = _far(row, meas[i], area, rule.far_min(code), rule)
            if code is None and far_chk.status == "cannot_decide" and note:
                far_chk = IndicatorCheck(**{**asdict(far_chk), "reason": far_chk.reason + f" ({note})"})
            checks = [
                far_chk,
                _building_coefficient(meas[i], area, rule),
                _investment(row, area, code, rclass, rule),
                _tax(pid, area, tax_yuan, rule),
                _office_living(row, meas[i], area, rule),
                _green(row, area, rule),
                _single_storey(row, meas[i]),
            ]
            verdict, failing, undecided, flags, reason = _aggregate(checks)
        out.append(
            ParcelVerdict(
                parcel_id=pid,
                zone_id=zone,
                industry_code=None if row.get("industry_code") is None else str(row.get("industry_code")),
                industry_2002=code,
                area_m2=area,
                area_basis=basis,
                far_basis=far_basis,
                checks=tuple(checks),
                verdict=verdict,
                failing=failing,
                undecided=undecided,
                flags=flags,
                reason=reason,
                rule_id=rule.rule_id,
                source=rule.source,
                table_version=rule.table.origin,
                data=data,
                as_of=as_of.isoformat(),
            )
        )
    return out


def verdict_frame(parcels: gpd.GeoDataFrame, verdicts: list[ParcelVerdict]) -> gpd.GeoDataFrame:
    """Return one row per parcel (on the parcels' index) with every figure and the parcel polygon."""
    rows = pd.DataFrame([v.to_row() for v in verdicts], index=parcels.index)
    return gpd.GeoDataFrame(rows, geometry=parcels.geometry.values, crs=parcels.crs)


def checks_table(verdicts: list[ParcelVerdict]) -> pd.DataFrame:
    """Return the long table: one row per parcel and indicator."""
    rows = [
        {"parcel_id": v.parcel_id, "zone_id": v.zone_id, **asdict(c), "rule_id": v.rule_id, "as_of": v.as_of}
        for v in verdicts
        for c in v.checks
    ]
    cols = ["parcel_id", "zone_id", *IndicatorCheck.__dataclass_fields__, "rule_id", "as_of"]
    return pd.DataFrame(rows, columns=cols)
