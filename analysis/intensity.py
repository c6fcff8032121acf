"""R6: zone-level intensive-use indicators (TD/T 1029), zone type, ranking, eligibility and 增/调/降/退.

Indicators per zone (TD/T 1029 开发区土地集约利用评价规程), each with "cannot decide, because …" when an input
is missing. Data the package holds stand in for the standard's survey figures, and every row names its
basis:

=================================  =====================================================================
indicator                          computed as
=================================  =====================================================================
land_development_rate              (approved ∪ supplied land) ÷ zone area — approved or supplied land
                                   stands for 已达到供地条件的土地 (R4.rates: approved + supplied −
                                   supplied on approved)
land_supply_rate                   supplied ÷ (approved ∪ supplied)
built_up_rate                      construction land (land survey) inside supplied parcels ÷ supplied land
industrial_land_rate               工矿仓储 ÷ construction land (建设用地 for 已建成城镇建设用地)
composite_far                      Σ floor area of the zone's buildings ÷ construction land
building_density                   Σ footprint of buildings and structures ÷ construction land
industrial_far                     Σ floor area on 工矿仓储 land ÷ 工矿仓储 land
industrial_building_coefficient    Σ footprint of buildings, structures and yards on 工矿仓储 land ÷ 工矿仓储
investment_wan_per_ha              Σ enterprise fixed assets (else supply records' total investment of
                                   manufacturing parcels) ÷ 工矿仓储 land, 万元/公顷
tax_wan_per_ha                     Σ enterprise tax ÷ 工矿仓储 land, 万元/公顷
idle_rate                          idle ÷ supplied land (R4 statuses; R4.rates)
=================================  =====================================================================

Floor areas come from :mod:`geo.buildings` (a storey higher than 8 m counts twice); with storeys unknown a
FAR is a lower bound and says so. Sums over enterprises with a figure missing are lower bounds too.

Zone type: industry-led (工业主导型) when 工矿仓储 > ``industry_led_min`` (30%) of construction land and
housing < ``housing_max`` (25%); otherwise 产城融合型.

Ranking (a devzone composite; TD/T 1029 leaves the weights and ideal values (理想值) to each evaluation):
each indicator is scored against its ideal value from the profile (``[rules."R6.ideal"]``): higher-is-better
indicators score ``min(value ÷ ideal, 1)``; ``idle_rate`` scores ``1 − min(rate ÷ ideal, 1)`` (its ideal entry
is the rate that scores 0). The composite is Σ weight × score ÷ Σ weight (``[rules."R6.weights"]``). A score
does not depend on the other zones, so missing data widen it honestly: a missing indicator scores anywhere in
[0, 1], a lower bound (FAR with unknown storeys) from its value up, an interval (an idle rate with undecided
parcels) between its ends. An indicator no zone has is dropped (reported). Each zone's rank is then an
interval: best = 1 + the zones certainly above it, worst = 1 + the zones possibly above it (equal scores
share a rank). With fewer than ``min_zones_to_rank`` zones there is no ranking.

Eligibility (seed 004 三(七); seed 000 三(五)): with ``n`` zones, rank ``r`` (1 = best) is in the bottom third
when ``r > n − n·bottom_share``; a zone certainly there may not expand, a zone certainly not there may, and a
zone whose rank interval straddles the line cannot be decided. The ranking is among the zones of this run,
not the provincial evaluation: the output says so.

增/调/降/退 (seed 004 一(二)), first matching row:

====  ============================================================================  =====================
#     condition                                                                     suggestion
====  ============================================================================  =====================
1     no ranking, or the rank interval straddles the bottom-third line             无法判定
2     bottom third, land supply rate < ``withdraw_supply_rate_below`` and idle     退 (缺乏发展前景)
      rate > ``withdraw_idle_rate_above`` (devzone defaults, not policy values)
3     bottom third                                                                  降 (降级为专业园区)
4     a planning conflict is reported for the zone (R2 三区三线)                      调 (调整空间布局)
5     certainly top third (worst rank ≤ n·bottom_share)                             增 (可适当增加空间规模)
6     otherwise                                                                     维持
====  ============================================================================  =====================
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from analysis.intensity_measure import INDICATORS, Indicator, measure_intensity
from geo.errors import ProfileError
from geo.profile import RuleProfile

__all__ = [
    "INDICATORS",
    "SUGGESTION_ZH",
    "Indicator",
    "IntensityRule",
    "ZoneIntensity",
    "judge_intensity",
    "measure_intensity",
]

SUGGESTION_ZH = {
    "withdraw": "退",
    "downgrade": "降",
    "adjust": "调",
    "grow": "增",
    "keep": "维持",
    "cannot_decide": "无法判定",
}


@dataclass(frozen=True)
class IntensityRule:
    """Parameters of R6 from ``[rules.R6]``, ``[rules."R6.weights"]`` and ``[rules."R6.ideal"]``."""

    rule_id: str
    title: str
    source: str
    industry_led_min: float
    housing_max: float
    bottom_share: float
    min_zones_to_rank: int
    weights: dict[str, float]
    weights_source: str
    ideal: dict[str, float]
    ideal_source: str
    withdraw_supply_rate_below: float
    withdraw_idle_rate_above: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R6") -> IntensityRule:
        """Build the rule; raise :class:`ProfileError` for missing values or unknown indicators."""
        p, w, idl = (
            profile.rule(rule_id),
            profile.rule(f"{rule_id}.weights"),
            profile.rule(f"{rule_id}.ideal"),
        )
        meta = ("id", "title", "source")
        weights = {k: float(v) for k, v in w.items() if k not in meta}
        ideal = {k: float(v) for k, v in idl.items() if k not in meta}
        unknown = sorted((set(weights) | set(ideal)) - set(INDICATORS))
        missing = sorted(k for k, v in weights.items() if v > 0 and not ideal.get(k))
        if unknown or missing:
            msg = (
                f"profile {profile.origin}: R6 weights/ideal values name unknown indicator(s) {unknown}, or "
                f"weighted indicators lack a positive ideal value {missing}"
            )
            raise ProfileError(msg)
        try:
            rule = cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                industry_led_min=float(p["industry_led_min"]),
                housing_max=float(p["housing_max"]),
                bottom_share=float(p["bottom_share"]),
                min_zones_to_rank=int(p["min_zones_to_rank"]),
                weights=weights,
                weights_source=str(w.get("source", "")),
                ideal=ideal,
                ideal_source=str(idl.get("source", "")),
                withdraw_supply_rate_below=float(p["withdraw_supply_rate_below"]),
                withdraw_idle_rate_above=float(p["withdraw_idle_rate_above"]),
            )
        except KeyError as exc:
            msg = f"profile {profile.origin}: [rules.{rule_id}] lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc
        if not 0 < rule.bottom_share < 1 or any(v < 0 for v in weights.values()):
            msg = f"profile {profile.origin}: bottom_share must be in (0, 1) and weights ≥ 0"
            raise ProfileError(msg)
        return rule


@dataclass(frozen=True)
class ZoneIntensity:
    """R6 result of one zone. Composite and rank are intervals when inputs are missing or bounded."""

    zone_id: str
    zone_name: str
    indicators: tuple[Indicator, ...]
    zone_type: str
    zone_type_reason: str
    composite_low: float | None
    composite_high: float | None
    rank: int | None
    rank_best: int | None
    rank_worst: int | None
    n_zones: int
    bottom_third: bool | None
    eligible_to_expand: bool | None
    eligibility_reason: str
    suggestion: str
    suggestion_zh: str
    suggestion_reason: str
    rule_id: str
    source: str
    as_of: str

    @property
    def composite(self) -> float | None:
        """The composite score when it is known exactly."""
        return self.composite_low if self.composite_low == self.composite_high else None

    def to_row(self) -> dict[str, Any]:
        """Return a flat row: the zone's verdict and, per indicator, its value and reason."""
        d = {k: v for k, v in asdict(self).items() if k != "indicators"}
        d["composite"] = self.composite
        for i in self.indicators:
            d[i.name] = i.value
            d[f"{i.name}_reason"] = i.reason
        return d


def _zone_type(f: pd.Series, rule: IntensityRule) -> tuple[str, str]:
    ind, con, housing = (float(f[k]) for k in ("industrial_m2", "construction_m2", "housing_m2"))
    if math.isnan(con) or con <= 0:
        return "cannot_decide", "cannot decide, because the zone's construction land is unknown or 0"
    si, sh = ind / con, housing / con
    led = si > rule.industry_led_min and sh < rule.housing_max
    text = (
        f"工矿仓储 {si:.2%} {'>' if si > rule.industry_led_min else '≤'} {rule.industry_led_min:.0%} "
        f"and housing {sh:.2%} {'<' if sh < rule.housing_max else '≥'} {rule.housing_max:.0%} "
        "of construction land"
    )
    return ("industry_led" if led else "mixed"), text


def _score(ind: Indicator, ideal: float) -> tuple[float, float]:
    """Return the interval of an indicator's normalised score (0 … 1; see the module docstring)."""
    better = INDICATORS[ind.name][2]

    def f(v: float) -> float:
        r = min(max(v / ideal, 0.0), 1.0)
        return r if better else 1.0 - r

    if ind.value is not None and not ind.lower_bound:
        return f(ind.value), f(ind.value)
    lo, hi = ind.low, ind.high
    if lo is None and hi is None:
        return 0.0, 1.0
    a = f(lo) if lo is not None else (0.0 if better else 1.0)
    b = f(hi) if hi is not None else (1.0 if better else 0.0)
    return min(a, b), max(a, b)


def _composites(
    indicators: Mapping[str, Sequence[Indicator]], rule: IntensityRule
) -> tuple[dict[str, tuple[float, float]], list[str], list[str]]:
    """Return each zone's composite interval, the indicators used and those dropped (no zone has them)."""
    weighted = [n for n in INDICATORS if rule.weights.get(n, 0.0) > 0]
    known = {
        i.name
        for inds in indicators.values()
        for i in inds
        if i.value is not None or i.low is not None or i.high is not None
    }
    used = [n for n in weighted if n in known]
    total = sum(rule.weights[n] for n in used)
    out = {}
    for z, inds in indicators.items():
        by = {i.name: i for i in inds}
        lo = hi = 0.0
        for n in used:
            a, b = _score(by[n], rule.ideal[n])
            lo, hi = lo + rule.weights[n] * a, hi + rule.weights[n] * b
        out[z] = (lo / total, hi / total) if total > 0 else (0.0, 1.0)
    return out, used, [n for n in weighted if n not in used]


def _ranks(comp: Mapping[str, tuple[float, float]]) -> dict[str, tuple[int, int]]:
    """Return each zone's best and worst rank (1 = best; equal scores share a rank)."""
    eps = 1e-12
    return {
        z: (
            1 + sum(1 for y, (lo2, _) in comp.items() if y != z and lo2 > hi + eps),
            1 + sum(1 for y, (_, hi2) in comp.items() if y != z and hi2 > lo + eps),
        )
        for z, (lo, hi) in comp.items()
    }


def _suggest(
    best: int,
    worst: int,
    n: int,
    values: Mapping[str, float | None],
    conflict: str | None,
    rule: IntensityRule,
) -> tuple[str, str]:
    """Apply the 增/调/降/退 decision table of the module docstring."""
    cut = n - n * rule.bottom_share
    where = f"rank {best} of {n}" if best == worst else f"rank between {best} and {worst} of {n}"
    if best <= cut + 1e-9 < worst:
        return (
            "cannot_decide",
            f"cannot decide, because at {where} the zone may or may not be in the bottom third",
        )
    supply, idle = values.get("land_supply_rate"), values.get("idle_rate")
    if best > cut + 1e-9:
        if (
            supply is not None
            and idle is not None
            and supply < rule.withdraw_supply_rate_below
            and idle > rule.withdraw_idle_rate_above
        ):
            return "withdraw", (
                f"bottom third ({where}), land supply rate {supply:.0%} < "
                f"{rule.withdraw_supply_rate_below:.0%} and idle-land rate {idle:.0%} > "
                f"{rule.withdraw_idle_rate_above:.0%}: lacking prospects, its status may be "
                "withdrawn (缺乏发展前景的要取消资格; thresholds are devzone defaults)"
            )
        return "downgrade", (
            f"bottom third ({where}): zones that do not reach the standard are downgraded "
            "(考核期内达不到标准的要降级为专业园区)"
        )
    if conflict:
        return "adjust", f"planning conflict: {conflict} (存在规划制约因素的要调整空间布局)"
    if worst <= n * rule.bottom_share + 1e-9:
        return "grow", (
            f"top third ({where}): may be considered for more space (发展快、水平高的可适当增加"
            "空间规模); an expansion must still pass R1 (60%) and R2 (三区三线)"
        )
    return "keep", f"not in the bottom or the top third ({where}): no change suggested"


def _eligibility(best: int, worst: int, n: int, note: str, rule: IntensityRule) -> tuple[bool | None, str]:
    cut = n - n * rule.bottom_share
    where = f"rank {best} of {n}" if best == worst else f"rank between {best} and {worst} of {n}"
    if best > cut + 1e-9:
        return True, f"{where}: bottom third, may not expand (排名后1/3的产业集聚区不得实施扩区) ({note})"
    if worst <= cut + 1e-9:
        return False, f"{where}: not in the bottom third ({note})"
    return None, f"cannot decide, because at {where} the zone may or may not be in the bottom third ({note})"


def judge_intensity(
    zones: pd.DataFrame,
    indicators: Mapping[str, Sequence[Indicator]],
    facts: pd.DataFrame,
    *,
    rule: IntensityRule,
    as_of: dt.date | None = None,
    planning_conflicts: Mapping[str, str] | None = None,
) -> list[ZoneIntensity]:
    """Type, rank and judge each zone (eligibility to expand, 增/调/降/退).

    Parameters
    ----------
    zones : DataFrame
        Prepared zones (index = zone id, ``zone_name``).
    indicators, facts
        From :func:`analysis.intensity_measure.measure_intensity`.
    rule : IntensityRule, keyword-only
    as_of : date, optional, keyword-only
    planning_conflicts : mapping, optional, keyword-only
        Zone id → description of an R2 conflict (farmland, red line, outside the urban boundary).

    Returns
    -------
    list of ZoneIntensity, in zone order
    """
    as_of = as_of or dt.date.today()
    ids = [str(z) for z in zones.index]
    comp, used, dropped = _composites({z: indicators[z] for z in ids}, rule)
    ranks = _ranks(comp)
    n = len(ids)
    note = (
        f"ranking among the {n} zones of this run, not the provincial evaluation; indicators "
        f"{', '.join(used) or 'none'}"
        + (f"; dropped (no zone has them): {', '.join(dropped)}" if dropped else "")
    )
    names = dict(zip(zones.index.astype(str), zones["zone_name"].astype(str), strict=True))
    out = []
    for zid in ids:
        best, worst = ranks[zid]
        values = {i.name: i.value for i in indicators[zid]}
        if n < rule.min_zones_to_rank:
            bottom, why = (
                None,
                (
                    f"cannot decide, because only {n} zone(s) are in this run (at least "
                    f"{rule.min_zones_to_rank} are needed for a ranking)"
                ),
            )
            sug, sug_reason = "cannot_decide", "cannot decide, because there is no ranking"
        else:
            bottom, why = _eligibility(best, worst, n, note, rule)
            sug, sug_reason = _suggest(best, worst, n, values, (planning_conflicts or {}).get(zid), rule)
        ztype, ztext = _zone_type(facts.loc[zid], rule)
        lo, hi = comp[zid]
        out.append(
            ZoneIntensity(
                zone_id=zid,
                zone_name=names[zid],
                indicators=tuple(indicators[zid]),
                zone_type=ztype,
                zone_type_reason=ztext,
                composite_low=lo,
                composite_high=hi,
                rank=best if best == worst and n >= rule.min_zones_to_rank else None,
                rank_best=best,
                rank_worst=worst,
                n_zones=n,
                bottom_third=bottom,
                eligible_to_expand=None if bottom is None else not bottom,
                eligibility_reason=why,
                suggestion=sug,
                suggestion_zh=SUGGESTION_ZH[sug],
                suggestion_reason=sug_reason,
                rule_id=rule.rule_id,
                source=rule.source,
                as_of=as_of.isoformat(),
            )
        )
    return out
