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

Ranking (a devzone composite; TD/T 1029 leaves the weights to each evaluation): each indicator is
normalised min–max across the ranked zones (``idle_rate`` reversed; all equal → 1), and the composite is
Σ weight × normalised value ÷ Σ weight (profile ``[rules."R6.weights"]``). An indicator no zone has is
dropped and the weights renormalised (reported); a zone lacking an indicator other zones have cannot be
ranked. Ties share a rank. With fewer than ``min_zones_to_rank`` zones there is no ranking.

Eligibility (seed 004 三(七); seed 000 三(五)): rank ``r`` of ``n`` (1 = best) is in the bottom third when
``r > n − n·bottom_share``; such a zone may not expand. The ranking is among the zones of this run, not the
provincial evaluation: the output says so.

增/调/降/退 (seed 004 一(二)), first matching row:

====  ============================================================================  =====================
#     condition                                                                     suggestion
====  ============================================================================  =====================
1     not ranked                                                                    无法判定
2     bottom third, land supply rate < ``withdraw_supply_rate_below`` and idle     退 (缺乏发展前景)
      rate > ``withdraw_idle_rate_above`` (devzone defaults, not policy values)
3     bottom third                                                                  降 (降级为专业园区)
4     a planning conflict is reported for the zone (R2 三区三线)                      调 (调整空间布局)
5     top third (r ≤ n·bottom_share)                                                增 (可适当增加空间规模)
6     otherwise                                                                     维持
====  ============================================================================  =====================
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
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
    """Parameters of R6 from ``[rules.R6]`` and ``[rules."R6.weights"]``."""

    rule_id: str
    title: str
    source: str
    industry_led_min: float
    housing_max: float
    bottom_share: float
    min_zones_to_rank: int
    weights: dict[str, float]
    weights_source: str
    withdraw_supply_rate_below: float
    withdraw_idle_rate_above: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R6") -> IntensityRule:
        """Build the rule; raise :class:`ProfileError` for missing values or unknown indicators."""
        p, w = profile.rule(rule_id), profile.rule(f"{rule_id}.weights")
        weights = {k: float(v) for k, v in w.items() if k not in ("id", "title", "source")}
        unknown = sorted(set(weights) - set(INDICATORS))
        if unknown:
            msg = f'profile {profile.origin}: [rules."{rule_id}.weights"] has unknown indicator(s) {unknown}'
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
                weights_source=str(p.get("weights_source", w.get("source", ""))),
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
    """R6 result of one zone."""

    zone_id: str
    zone_name: str
    indicators: tuple[Indicator, ...]
    zone_type: str
    zone_type_reason: str
    composite: float | None
    rank: int | None
    n_ranked: int
    bottom_third: bool | None
    eligible_to_expand: bool | None
    eligibility_reason: str
    suggestion: str
    suggestion_zh: str
    suggestion_reason: str
    rule_id: str
    source: str
    as_of: str

    def value(self, name: str) -> float | None:
        """Return one indicator's value."""
        return next((i.value for i in self.indicators if i.name == name), None)

    def to_row(self) -> dict[str, Any]:
        """Return a flat row: the zone's verdict and, per indicator, its value and reason."""
        d = {k: v for k, v in asdict(self).items() if k != "indicators"}
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


def _composite(
    table: pd.DataFrame, rule: IntensityRule
) -> tuple[pd.Series, list[str], list[str], dict[str, str]]:
    """Return (scores, indicators used, indicators dropped, reasons for zones that cannot be ranked)."""
    weighted = [n for n in INDICATORS if rule.weights.get(n, 0.0) > 0]
    used = [n for n in weighted if table[n].notna().any()]
    dropped = [n for n in weighted if n not in used]
    why = {
        z: "cannot be ranked, because it lacks " + ", ".join(n for n in used if pd.isna(table.at[z, n]))
        for z in table.index
        if table.loc[z, used].isna().any()
    }
    ok = table.index.difference(list(why))
    if not used:
        return pd.Series(np.nan, index=table.index), used, dropped, why
    score = pd.Series(0.0, index=ok)
    for n in used:
        v = table.loc[ok, n].astype(float)
        span = v.max() - v.min()
        norm = (v - v.min()) / span if span > 0 else pd.Series(1.0, index=ok)
        if not INDICATORS[n][2]:
            norm = 1.0 - norm if span > 0 else norm
        score += rule.weights[n] * norm
    score /= sum(rule.weights[n] for n in used)
    return score.reindex(table.index), used, dropped, why


def _suggest(
    rank: int | None, n: int, values: Mapping[str, float | None], conflict: str | None, rule: IntensityRule
) -> tuple[str, str]:
    """Apply the 增/调/降/退 decision table of the module docstring."""
    if rank is None:
        return "cannot_decide", "cannot decide, because the zone is not ranked"
    bottom = rank > n - n * rule.bottom_share + 1e-9
    supply, idle = values.get("land_supply_rate"), values.get("idle_rate")
    if (
        bottom
        and supply is not None
        and idle is not None
        and supply < rule.withdraw_supply_rate_below
        and idle > rule.withdraw_idle_rate_above
    ):
        return "withdraw", (
            f"bottom third (rank {rank} of {n}), land supply rate {supply:.0%} < "
            f"{rule.withdraw_supply_rate_below:.0%} and idle-land rate {idle:.0%} > "
            f"{rule.withdraw_idle_rate_above:.0%}: lacking prospects, its status may be withdrawn "
            "(缺乏发展前景的要取消资格; thresholds are devzone defaults)"
        )
    if bottom:
        return "downgrade", (
            f"bottom third (rank {rank} of {n}): zones that do not reach the standard are "
            "downgraded (考核期内达不到标准的要降级为专业园区)"
        )
    if conflict:
        return "adjust", f"planning conflict: {conflict} (存在规划制约因素的要调整空间布局)"
    if rank <= n * rule.bottom_share + 1e-9:
        return "grow", (
            f"top third (rank {rank} of {n}): may be considered for more space (发展快、水平高的可适当"
            "增加空间规模); an expansion must still pass R1 (60%) and R2 (三区三线)"
        )
    return "keep", f"middle third (rank {rank} of {n}): no change suggested"


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
    table = pd.DataFrame({z: {i.name: i.value for i in indicators[z]} for z in ids}).T.reindex(
        columns=list(INDICATORS)
    )
    table = table.astype(float)
    scores, used, dropped, why = _composite(table, rule)
    ranked = scores.dropna()
    n = len(ranked)
    note = (
        f"ranking among the {n} zones of this run, not the provincial evaluation; indicators "
        f"{', '.join(used) or 'none'}"
        + (f"; dropped (no zone has them): {', '.join(dropped)}" if dropped else "")
    )
    ranks = (
        ranked.rank(ascending=False, method="min").astype(int) if n >= rule.min_zones_to_rank else pd.Series()
    )
    out = []
    for zid in ids:
        rank = int(ranks[zid]) if zid in ranks.index else None
        if rank is None:
            reason = why.get(zid) or (
                f"cannot decide, because only {n} zone(s) could be ranked "
                f"(at least {rule.min_zones_to_rank} are needed)"
            )
            bottom = eligible = None
        else:
            bottom = rank > n - n * rule.bottom_share + 1e-9
            eligible = not bottom
            lbs = [i.name for i in indicators[zid] if i.lower_bound and i.name in used]
            reason = (
                f"rank {rank} of {n}: "
                + (
                    "bottom third: may not expand (排名后1/3的不得实施扩区)"
                    if bottom
                    else "not in the bottom third"
                )
                + f" ({note})"
                + (f"; lower bounds used: {', '.join(lbs)}" if lbs else "")
            )
        ztype, ztext = _zone_type(facts.loc[zid], rule)
        values = {i.name: i.value for i in indicators[zid]}
        sug, sug_reason = _suggest(rank, n, values, (planning_conflicts or {}).get(zid), rule)
        out.append(
            ZoneIntensity(
                zone_id=zid,
                zone_name=str(zones.loc[zones.index.astype(str) == zid, "zone_name"].iloc[0]),
                indicators=tuple(indicators[zid]),
                zone_type=ztype,
                zone_type_reason=ztext,
                composite=None if pd.isna(scores.get(zid)) else float(scores[zid]),
                rank=rank,
                n_ranked=n,
                bottom_third=bottom,
                eligible_to_expand=eligible,
                eligibility_reason=reason,
                suggestion=sug,
                suggestion_zh=SUGGESTION_ZH[sug],
                suggestion_reason=sug_reason,
                rule_id=rule.rule_id,
                source=rule.source,
                as_of=as_of.isoformat(),
            )
        )
    return out
