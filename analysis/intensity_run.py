"""R6 zone intensity as a job: gather the layers a project has, measure, rank, describe the outputs.

:func:`run_intensity` takes what earlier jobs produced when they ran (the R1 land-use measurement, the
R4.rates per zone, the R2 verdicts, the enterprise table) and reads what is missing. Outputs: the sheets
集约利用评价 (one row per zone: every indicator, zone type, composite, rank, eligibility, 增/调/降/退) and
集约利用指标 (one row per zone and indicator with its basis), the GeoPackage layer ``zones_intensity``
and a web-map layer of the zones coloured by suggestion.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from analysis.intensity import SUGGESTION_ZH, IntensityRule, ZoneIntensity, judge_intensity, measure_intensity
from analysis.intensity_measure import INDICATORS
from analysis.report import Outputs
from geo.landuse import LanduseAreas
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile

__all__ = ["IntensityRun", "planning_conflicts", "run_intensity"]

log = logging.getLogger(__name__)

_COLOURS = {
    "grow": "#1a9850",
    "keep": "#91bfdb",
    "adjust": "#fee08b",
    "downgrade": "#fc8d59",
    "withdraw": "#d73027",
    "cannot_decide": "#bdbdbd",
}
_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "zone_type": "开发区类型",
    "composite": "综合得分",
    "composite_low": "综合得分下限",
    "composite_high": "综合得分上限",
    "rank": "排名",
    "rank_best": "最好排名",
    "rank_worst": "最差排名",
    "n_zones": "参评数",
    "eligible_to_expand": "可否扩区",
    "eligibility_reason": "扩区说明",
    "suggestion_zh": "增调降退建议",
    "suggestion_reason": "建议理由",
    "zone_type_reason": "类型依据",
    **{k: v[0] for k, v in INDICATORS.items()},
    "rule_id": "规则",
    "as_of": "判定日期",
    "source": "依据",
}


def planning_conflicts(verdicts: Sequence[Any]) -> dict[str, str]:
    """Return zone id → reason for R2 verdicts that fail (三区三线 conflicts), from the constraints job."""
    return {str(v.zone_id): str(v.reason) for v in verdicts if getattr(v, "passes", None) is False}


@dataclass
class IntensityRun:
    """Everything one R6 evaluation produced."""

    zones: gpd.GeoDataFrame
    results: list[ZoneIntensity]
    rule: IntensityRule
    as_of: dt.date
    inputs: dict[str, str]

    def table(self) -> pd.DataFrame:
        """Return one row per zone."""
        return pd.DataFrame([r.to_row() for r in self.results])

    def indicator_table(self) -> pd.DataFrame:
        """Return one row per zone and indicator with value, unit, bound flag and basis."""
        rows = [
            {"zone_id": r.zone_id, "indicator_zh": INDICATORS[i.name][0], **asdict(i), "as_of": r.as_of}
            for r in self.results
            for i in r.indicators
        ]
        return pd.DataFrame(rows)

    def outputs(self) -> Outputs:
        """Return the sheets, the GeoPackage layer and the map layer."""
        t = self.table()
        cols = [c for c in _LABELS if c in t.columns] + [c for c in t.columns if c not in _LABELS]
        sheet = t[cols].rename(columns={c: f"{_LABELS[c]} {c}" for c in cols if c in _LABELS})
        used = pd.DataFrame([{"input": k, "from": v} for k, v in self.inputs.items()])
        z = self.zones.join(t.set_index("zone_id").drop(columns=["zone_name"]), how="left")
        z["eligible_to_expand"] = (
            z["eligible_to_expand"].map({True: "可以", False: "不得扩区"}).fillna("无法判定")
        )
        out = Outputs(
            sheets={"集约利用评价": sheet, "集约利用指标": self.indicator_table(), "集约利用输入": used},
            layers={"zones_intensity": z.reset_index(drop=True)},
        )
        out.map_layers.append(lambda m, g=z: self._add_map(m, g))
        return out

    def _add_map(self, m: folium.Map, zones: gpd.GeoDataFrame) -> None:
        add_layer(
            m,
            zones.assign(_style_key=zones["suggestion"]),
            name="集约利用评价与增调降退",
            show=False,
            style=lambda p: {
                "color": _COLOURS.get(p.get("_style_key", ""), "#333"),
                "weight": 3,
                "fillOpacity": 0.15,
                "fillColor": _COLOURS.get(p.get("_style_key", ""), "#333"),
            },
            fields={
                "zone_name": "开发区",
                "zone_type": "类型",
                "rank": "排名",
                "composite": "综合得分",
                "eligible_to_expand": "可否扩区",
                "suggestion_zh": "建议",
                "suggestion_reason": "理由",
                "as_of": "判定日期",
            },
        )
        add_legend(m, "增调降退建议", {SUGGESTION_ZH[k]: c for k, c in _COLOURS.items()})


def run_intensity(
    zones: gpd.GeoDataFrame,
    *,
    profile: RuleProfile,
    as_of: dt.date,
    landuse: LanduseAreas | None = None,
    supply_rates: Sequence[Any] | None = None,
    supply: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    conflicts: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
) -> IntensityRun:
    """Measure, type, rank and judge the zones (R6); see :mod:`analysis.intensity`.

    Parameters are the inputs of :func:`analysis.intensity_measure.measure_intensity` and
    :func:`analysis.intensity.judge_intensity`; ``inputs`` names where each came from (for the outputs).
    """
    rule = IntensityRule.from_profile(profile)
    inds, facts = measure_intensity(
        zones,
        landuse=landuse,
        supply_rates=supply_rates,
        supply=supply,
        buildings=buildings,
        enterprises=enterprises,
    )
    results = judge_intensity(zones, inds, facts, rule=rule, as_of=as_of, planning_conflicts=conflicts)
    for r in results:
        log.info("R6 %s: rank %s–%s of %s, %s", r.zone_id, r.rank_best, r.rank_worst, r.n_zones, r.suggestion)
    return IntensityRun(zones=zones, results=results, rule=rule, as_of=as_of, inputs=dict(inputs or {}))
