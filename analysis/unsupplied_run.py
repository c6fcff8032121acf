"""批而未供 and the rates as a job: read the layers, measure, describe the outputs.

:func:`run_unsupplied` reads the approved land (已批) and, when given, the planned land use near the
zones, measures with :func:`analysis.unsupplied.measure_supply`, and returns a :class:`UnsuppliedRun`
whose outputs are the sheets 批而未供与供应率 and 批而未供地块, the GeoPackage layer ``unsupplied_land`` and
a web-map layer of the 批而未供 parts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from analysis.idle_run import IdleRun, labelled
from analysis.report import Outputs
from analysis.unsupplied import RatesRule, SupplyRun, measure_supply
from geo.crs import AnalysisCRS
from geo.landuse import LanduseAreas, landuse_table, measure_landuse
from geo.layers import LayerSpec, load_near
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["RATES_LABELS", "UNSUPPLIED_COLOUR", "UnsuppliedRun", "read_planned", "run_unsupplied"]

log = logging.getLogger(__name__)

UNSUPPLIED_COLOUR = "#e7298a"
#: Workbook headers of the per-zone sheet.
RATES_LABELS = {
    "zone_id": "开发区编号", "zone_name": "开发区名称", "approved_area_m2": "已批土地(㎡)",
    "approved_area_ha": "已批土地(公顷)", "approved_area_mu": "已批土地(亩)",
    "supplied_area_m2": "已供土地(㎡)",
    "supplied_area_ha": "已供土地(公顷)", "supplied_area_mu": "已供土地(亩)",
    "supplied_on_approved_m2": "已批已供(㎡)", "unsupplied_area_m2": "批而未供(㎡)",
    "unsupplied_area_ha": "批而未供(公顷)", "unsupplied_area_mu": "批而未供(亩)",
    "unsupplied_rate": "批而未供率",
    "unsupplied_reason": "批而未供说明", "idle_area_m2": "闲置土地(㎡)", "idle_area_ha": "闲置土地(公顷)",
    "idle_area_mu": "闲置土地(亩)", "undecided_area_m2": "无法判定宗地(㎡)", "idle_rate": "闲置土地率",
    "idle_rate_low": "闲置土地率下限", "idle_rate_high": "闲置土地率上限", "idle_reason": "闲置土地率说明",
    "planned_construction_m2": "规划建设用地(㎡)", "planned_construction_ha": "规划建设用地(公顷)",
    "planned_construction_mu": "规划建设用地(亩)", "planned_unknown_m2": "规划用途不明(㎡)",
    "recent_supply_m2": "近N年供地(㎡)", "undated_supply_m2": "无签订日期供地(㎡)",
    "window_years": "统计年数N", "mean_yearly_supply_m2": "年均供地(㎡)",
    "supply_years_left": "尚可供应年限(年)", "years_reason": "年限说明",
    "as_of": "判定日期", "rule_id": "规则", "source": "依据",
}
_PART_LABELS = {"unsupplied_id": "批而未供编号", "zone_id": "开发区编号", "area_m2": "面积(㎡)",
                "area_ha": "面积(公顷)", "area_mu": "面积(亩)", "approved_sources": "已批图斑"}


@dataclass
class UnsuppliedRun:
    """What one 批而未供 and rates measurement produced."""

    result: SupplyRun
    rule: RatesRule
    as_of: dt.date
    zones: gpd.GeoDataFrame

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers."""
        parts = self.result.unsupplied
        out = Outputs(
            sheets={"批而未供与供应率": labelled(self.result.table(), RATES_LABELS),
                    "批而未供地块": labelled(pd.DataFrame(parts.drop(columns="geometry")), _PART_LABELS)},
            layers={"unsupplied_land": parts},
        )
        out.map_layers.append(lambda m: self._add_map(m, parts))
        return out

    def _add_map(self, m: folium.Map, parts: gpd.GeoDataFrame) -> None:
        if len(parts) == 0:
            return
        add_layer(m, parts, name=f"批而未供（{self.as_of.isoformat()}）",
                  style={"color": UNSUPPLIED_COLOUR, "weight": 1.5, "fillColor": UNSUPPLIED_COLOUR,
                         "fillOpacity": 0.45, "dashArray": "4 3"},
                  fields={"unsupplied_id": "批而未供编号", "zone_id": "开发区", "area_m2": "面积(㎡)",
                          "area_mu": "面积(亩)", "approved_sources": "已批图斑"})
        add_legend(m, "批而未供", {"批而未供 approved, not supplied": UNSUPPLIED_COLOUR})


def read_planned(spec: LayerSpec, zones: gpd.GeoDataFrame, acrs: AnalysisCRS, *, profile: RuleProfile,
                 qa: QALog) -> LanduseAreas:
    """Read the planned land use (国土空间规划) near the zones and measure it (scheme from the field name)."""
    gdf = load_near(spec, zones, acrs, qa=qa, what="planned land-use layer")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    code_field, table = landuse_table(cols, source=spec.label, code_field=spec.get("code_field"),
                                      scheme=spec.get("scheme"), codes=profile.codes, qa=qa,
                                      what="planned land-use code")
    return measure_landuse(zones, gdf, table=table, code_field=code_field,
                           layer=spec.label, qa=qa, keep_pieces=False)


def run_unsupplied(
    zones: gpd.GeoDataFrame,
    idle: IdleRun,
    *,
    approved: LayerSpec | None,
    planned: LayerSpec | None = None,
    analysis_crs: AnalysisCRS,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date,
) -> UnsuppliedRun:
    """Measure 批而未供 and the rates of each zone from the idle-land run's supply records.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones in the analysis CRS.
    idle : IdleRun
        The idle-land run (:func:`analysis.idle_run.run_idle`): its records and statuses.
    approved, planned : LayerSpec or None, keyword-only
        The approved land (已批) and the planned land use; either may be missing (the rates that need it
        then say "cannot decide, because …").
    analysis_crs : AnalysisCRS, keyword-only
    profile : RuleProfile, keyword-only
        Its ``[rules."R4.rates"]`` table gives the window and the idle statuses.
    qa : QALog, keyword-only
    as_of : date, keyword-only

    Returns
    -------
    UnsuppliedRun
    """
    rule = RatesRule.from_profile(profile)
    appr = load_near(approved, zones, analysis_crs, qa=qa, what="approved-land layer") if approved else None
    plan = read_planned(planned, zones, analysis_crs, profile=profile, qa=qa) if planned else None
    statuses = idle.parcels["status"]
    res = measure_supply(zones, idle.supply, approved=appr, statuses=statuses, planned=plan, as_of=as_of,
                         rule=rule, qa=qa, supply_layer=idle.source,
                         approved_layer=approved.label if approved else "approved")
    for z in res.zones:
        log.info("%s %s: 批而未供 %s m², 批而未供率 %s, 闲置土地率 %s, 尚可供应年限 %s",
                 rule.rule_id, z.zone_id, z.unsupplied_area_m2, z.unsupplied_rate, z.idle_rate,
                 z.supply_years_left)
    return UnsuppliedRun(result=res, rule=rule, as_of=as_of, zones=zones)
