"""批而未供 and the supply rates of each zone (R4.rates).

Per zone, as of a date:

- **批而未供** (approved but not supplied): approved construction land (已批) inside the zone minus
  every supplied parcel, with its area and its geometry (each contiguous part listed on its own).
- **批而未供率** = 批而未供 ÷ approved land inside the zone. Needs the approved layer (a project without
  ``[layers.approved]`` cannot decide it, like the XIAOFUTools check).
- **闲置土地率** = idle land ÷ supplied land inside the zone (TD/T 1029), from the R4 statuses; with parcels
  that cannot be classified, the rate lies between the two bounds and is "cannot decide".
- **尚可供应年限** = (planned construction land − supplied land) ÷ mean yearly supply, the mean over the
  ``window_years`` before the as-of date by contract date. Needs the planned land-use layer; undated
  parcels or unknown planned codes leave it undecided.

Method. Every area comes from the kernel (:func:`geo.kernel.area_by_class`): once over the approved land
alone (approved area), once over approved and supplied land together with the supplied classes ranked
higher, so the approved class keeps exactly approved − supplied inside the zone (its pieces are the 批而未供
geometry), and once over the supplied parcels classed by contract period. Parcels supplied after the as-of
date are not supplied yet; parcels without geometry cannot be measured (QA rows for both).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.idle import STATUSES
from geo.geometry import repair_polygons
from geo.kernel import AreaByClass, area_by_class
from geo.landuse import LanduseAreas
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.units import m2_to_ha, m2_to_mu
from geo.values import add_years

__all__ = ["RatesRule", "SupplyRun", "ZoneSupply", "measure_supply"]

log = logging.getLogger(__name__)

_APPROVED = "approved"


@dataclass(frozen=True)
class RatesRule:
    """Parameters of 批而未供 and the rates, from ``[rules."R4.rates"]``."""

    rule_id: str
    source: str
    window_years: int
    idle_statuses: tuple[str, ...]
    sliver_m2: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R4.rates") -> RatesRule:
        """Build the rule from a profile."""
        p = profile.rule(rule_id)
        return cls(rule_id=str(p.get("id", rule_id)), source=str(p["source"]),
                   window_years=int(p["window_years"]),
                   idle_statuses=tuple(p["idle_statuses"]), sliver_m2=float(p.get("sliver_m2", 1.0)))


@dataclass(frozen=True)
class ZoneSupply:
    """批而未供 and the rates of one zone; areas in m² (planar, analysis CRS), rates as fractions."""

    zone_id: str
    zone_name: str
    approved_area_m2: float | None
    supplied_area_m2: float
    supplied_on_approved_m2: float | None
    unsupplied_area_m2: float | None
    unsupplied_rate: float | None
    unsupplied_reason: str
    idle_area_m2: float | None
    undecided_area_m2: float | None
    idle_rate: float | None
    idle_rate_low: float | None
    idle_rate_high: float | None
    idle_reason: str
    planned_construction_m2: float | None
    planned_unknown_m2: float | None
    recent_supply_m2: float
    undated_supply_m2: float
    window_years: int
    mean_yearly_supply_m2: float | None
    supply_years_left: float | None
    years_reason: str
    as_of: str
    rule_id: str
    source: str

    def to_row(self) -> dict[str, Any]:
        """Return every figure as a flat row, with 公顷 and 亩 columns for the main areas."""
        d = asdict(self)
        for k in ("approved_area", "supplied_area", "unsupplied_area", "idle_area", "planned_construction"):
            v = d[f"{k}_m2"]
            d[f"{k}_ha"] = None if v is None else m2_to_ha(v)
            d[f"{k}_mu"] = None if v is None else m2_to_mu(v)
        return d


@dataclass
class SupplyRun:
    """What :func:`measure_supply` produced: the zone figures and the 批而未供 parts."""

    zones: list[ZoneSupply]
    unsupplied: gpd.GeoDataFrame
    kernel: AreaByClass

    def table(self) -> pd.DataFrame:
        """Return one row per zone."""
        return pd.DataFrame([z.to_row() for z in self.zones])


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den)


def _supplied_as_of(supply: gpd.GeoDataFrame, as_of: dt.date, *, layer: str, qa: QALog) -> gpd.GeoDataFrame:
    """Drop parcels without geometry or supplied after ``as_of``, each with a QA row."""
    geom = supply.geometry
    nogeom = geom.isna() | geom.is_empty
    for pid in supply.index[nogeom.to_numpy()]:
        qa.add("supply_unmeasured", f"parcel {pid} has no geometry: not measured in 批而未供 or the rates",
               layer=layer, feature=pid, action="not measured")
    dates = pd.to_datetime(supply.get("contract_date", pd.Series(pd.NaT, index=supply.index)))
    later = (dates > pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool) & ~nogeom.to_numpy()
    for pid in supply.index[later]:
        qa.add("supply_after_as_of", f"parcel {pid} was supplied on {dates.loc[pid].date()}, after the "
               f"as-of date {as_of}: not supplied as of that date", layer=layer, feature=pid,
               action="not counted")
    return supply[~nogeom.to_numpy() & ~later]


def _period(dates: pd.Series, as_of: dt.date, years: int) -> pd.Series:
    start = pd.Timestamp(add_years(as_of, -years))
    end = pd.Timestamp(as_of)
    recent = (dates > start) & (dates <= end)
    kind = np.where(dates.isna(), "undated", np.where(recent, "recent", "older"))
    return pd.Series(kind, index=dates.index)


def measure_supply(
    zones: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    approved: gpd.GeoDataFrame | None,
    statuses: pd.Series | None = None,
    planned: LanduseAreas | None = None,
    as_of: dt.date,
    rule: RatesRule,
    qa: QALog,
    supply_layer: str = "supply",
    approved_layer: str = "approved",
) -> SupplyRun:
    """Measure 批而未供, 批而未供率, 闲置土地率 and 尚可供应年限 for each zone.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (:func:`geo.zones.prepare_zones`) in the analysis CRS.
    supply : GeoDataFrame
        Supply records (:func:`analysis.supply.read_supply`) in the same CRS, indexed by parcel id.
    approved : GeoDataFrame or None, keyword-only
        Approved construction land (已批) in the same CRS; None when the project has none.
    statuses : Series, optional, keyword-only
        The R4 status of each parcel (on ``supply``'s index); None when the idle check did not run.
    planned : LanduseAreas, optional, keyword-only
        The planned land use measured in the zones (:func:`geo.landuse.measure_landuse`).
    as_of : date, keyword-only
    rule : RatesRule, keyword-only
    qa : QALog, keyword-only
    supply_layer, approved_layer : str, keyword-only
        Layer names for QA rows.

    Returns
    -------
    SupplyRun
    """
    sup = _supplied_as_of(supply, as_of, layer=supply_layer, qa=qa)
    sup = repair_polygons(sup, layer=supply_layer, qa=qa)
    status = (statuses.reindex(sup.index).fillna("cannot_decide") if statuses is not None
              else pd.Series("supplied", index=sup.index))
    work = gpd.GeoDataFrame({"_class": ("S:" + status.astype(str)).to_numpy()}, geometry=sup.geometry.values,
                            index=sup.index.astype(str), crs=zones.crs)
    rank = {f"S:{s}": len(STATUSES) - i for i, s in enumerate(STATUSES)} | {"S:supplied": 1, _APPROVED: 0}
    appr_k = None
    if approved is not None:
        appr = repair_polygons(approved, layer=approved_layer, qa=qa)
        a = gpd.GeoDataFrame({"_class": _APPROVED}, geometry=appr.geometry.values,
                             index=("A" + appr.index.astype(str)), crs=zones.crs)
        appr_k = area_by_class(zones.geometry, a, class_column="_class", keep_pieces=False)
        work = pd.concat([work, a])
    both = area_by_class(zones.geometry, work, class_column="_class", precedence=rank)
    for row in both.overlaps.itertuples(index=False):
        if row.class_a.startswith("S:") and row.class_b.startswith("S:") and row.area_m2 > rule.sliver_m2:
            qa.add("supply_overlap", f"supplied parcels {row.source_a} and {row.source_b} overlap by "
                   f"{row.area_m2:.2f} m² in zone {row.zone}; counted once, as {row.resolved_to}",
                   layer=supply_layer, zone=row.zone, area_m2=row.area_m2, action="counted once")
    dates = pd.to_datetime(sup.get("contract_date", pd.Series(pd.NaT, index=sup.index)))
    per = gpd.GeoDataFrame({"_class": _period(dates, as_of, rule.window_years).to_numpy()},
                           geometry=sup.geometry.values, crs=zones.crs)
    period_k = area_by_class(zones.geometry, per, class_column="_class", keep_pieces=False)
    out = [_zone(z, zones.loc[z, "zone_name"], both, appr_k, period_k, planned, statuses is not None,
                 as_of=as_of, rule=rule) for z in zones.index]
    parts = _parts(both, approved, rule=rule, zones=zones, qa=qa, layer=approved_layer)
    return SupplyRun(zones=out, unsupplied=parts, kernel=both)


def _zone(zid: Any, name: Any, both: AreaByClass, appr_k: AreaByClass | None, period_k: AreaByClass,
          planned: LanduseAreas | None, judged: bool, *, as_of: dt.date, rule: RatesRule) -> ZoneSupply:
    supplied = both.area(zid, lambda c: c.startswith("S:"))
    if appr_k is None:
        approved = on_appr = unsup = urate = None
        ureason = "cannot decide, because the project has no approved-land layer (已批, [layers.approved])"
    else:
        approved = appr_k.area(zid)
        unsup = both.area(zid, lambda c: c == _APPROVED)
        on_appr = approved - unsup
        urate = _ratio(unsup, approved) if approved > 0 else None
        ureason = (f"批而未供 {unsup:,.2f} m² of {approved:,.2f} m² approved" if approved > 0 else
                   "cannot decide, because no approved land (已批) lies inside the zone")
    idle = und = irate = low = high = None
    if not judged:
        ireason = "cannot decide, because the idle-land check (R4) did not run"
    elif supplied <= 0:
        ireason = "cannot decide, because no supplied land lies inside the zone"
    else:
        idle = both.area(zid, lambda c: c[2:] in rule.idle_statuses)
        und = both.area(zid, lambda c: c == "S:cannot_decide")
        low, high = _ratio(idle, supplied), _ratio(idle + und, supplied)
        irate = low if und <= rule.sliver_m2 else None
        ireason = (f"idle {idle:,.2f} m² of {supplied:,.2f} m² supplied" if irate is not None else
                   f"cannot decide, because {und:,.2f} m² of supplied parcels cannot be classified (R4 "
                   f"cannot_decide): the rate lies between {low:.2%} and {high:.2%}")
    recent = period_k.area(zid, lambda c: c == "recent")
    undated = period_k.area(zid, lambda c: c == "undated")
    pc, unk, mean, years, yreason = _years(zid, planned, supplied, recent, undated, rule)
    return ZoneSupply(
        zone_id=str(zid), zone_name=str(name), approved_area_m2=approved, supplied_area_m2=supplied,
        supplied_on_approved_m2=on_appr, unsupplied_area_m2=unsup, unsupplied_rate=urate,
        unsupplied_reason=ureason,
        idle_area_m2=idle, undecided_area_m2=und, idle_rate=irate, idle_rate_low=low, idle_rate_high=high,
        idle_reason=ireason, planned_construction_m2=pc, planned_unknown_m2=unk, recent_supply_m2=recent,
        undated_supply_m2=undated, window_years=rule.window_years, mean_yearly_supply_m2=mean,
        supply_years_left=years, years_reason=yreason, as_of=as_of.isoformat(), rule_id=rule.rule_id,
        source=rule.source)


def _years(zid: Any, planned: LanduseAreas | None, supplied: float, recent: float, undated: float,
           rule: RatesRule) -> tuple[float | None, float | None, float | None, float | None, str]:
    mean = recent / rule.window_years
    if planned is None:
        return None, None, mean, None, ("cannot decide, because the project has no planned land-use layer "
                                        "([layers.planned], 国土空间规划)")
    pc = planned.total(zid, ("industrial", "other_construction"))
    unk = planned.total(zid, ("unknown", "uncovered"))
    if undated > rule.sliver_m2:
        return pc, unk, None, None, (f"cannot decide, because {undated:,.2f} m² of supplied parcels have no "
                                     "contract_date (合同签订日期)")
    if unk > rule.sliver_m2:
        return pc, unk, mean, None, (f"cannot decide, because {unk:,.2f} m² of the zone has no known planned "
                                     "use (unknown codes or not covered)")
    if mean <= 0:
        return pc, unk, 0.0, None, (f"cannot decide, because no land was supplied in the {rule.window_years} "
                                    f"years before the as-of date (mean yearly supply 0)")
    left = max(0.0, pc - supplied)
    why = (f"({pc:,.2f} − {supplied:,.2f}) m² ÷ {mean:,.2f} m²/year (supplied in the last "
           f"{rule.window_years} years ÷ {rule.window_years})")
    if pc < supplied:
        why += "; supplied land exceeds planned construction land: 0 years"
    return pc, unk, mean, left / mean, why


def _parts(both: AreaByClass, approved: gpd.GeoDataFrame | None, *, rule: RatesRule, zones: gpd.GeoDataFrame,
           qa: QALog, layer: str) -> gpd.GeoDataFrame:
    """Each contiguous part of 批而未供 land, with its zone, area and the approved features it comes from."""
    cols = ["unsupplied_id", "zone_id", "area_m2", "area_ha", "area_mu", "approved_sources"]
    if approved is None or both.pieces is None:
        return gpd.GeoDataFrame(columns=cols, geometry=[], crs=zones.crs)
    p = both.pieces[both.pieces["class"] == _APPROVED].explode(index_parts=False).reset_index(drop=True)
    p["area_m2"] = p.geometry.area
    small = p["area_m2"] < rule.sliver_m2
    for zid, grp in p[small].groupby("zone"):
        qa.add("unsupplied_sliver", f"{len(grp)} part(s) of 批而未供 land below {rule.sliver_m2} m² in "
               f"zone {zid} ({grp['area_m2'].sum():.3f} m²): counted in the totals, not listed", layer=layer,
               zone=zid,
               area_m2=float(grp["area_m2"].sum()), severity="info")
    p = p[~small].sort_values(["zone", "area_m2"], ascending=[True, False], kind="stable")
    p = p.reset_index(drop=True)
    nth = p.groupby("zone").cumcount()
    p["unsupplied_id"] = [f"U-{z}-{i + 1}" for z, i in zip(p["zone"], nth, strict=True)]
    p["approved_sources"] = p["source"].map(lambda s: ",".join(x[1:] for x in str(s).split(",")))
    p["area_ha"] = p["area_m2"].map(m2_to_ha)
    p["area_mu"] = p["area_m2"].map(m2_to_mu)
    frame = p.rename(columns={"zone": "zone_id"})[cols]
    return gpd.GeoDataFrame(frame, geometry=p.geometry.values, crs=zones.crs)
