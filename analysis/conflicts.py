"""R3 as a job: real estate inside zones and, with an earlier survey, industrial land converted.

:func:`run_conflicts` measures the current land use (and the earlier vintage when given) in the zones,
lists the conflicting pieces (:func:`boundaries.conflicts.find_conflicting_uses`), the conversions
(:func:`boundaries.conflicts.find_conversions`) and one verdict per zone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import pandas as pd

from analysis.measure import MeasuredLayer, measure_spec
from analysis.report import Outputs
from boundaries.conflicts import (
    ConflictRule,
    ConflictVerdict,
    ConversionRule,
    find_conflicting_uses,
    find_conversions,
    parcel_lookup,
    summarise_conflicts,
)
from geo.crs import AnalysisCRS
from geo.layers import LayerSpec
from geo.maps import VERDICT_COLOURS, add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["CONFLICT_COLOURS", "ConflictRun", "job_conflicts", "run_conflicts"]

if TYPE_CHECKING:
    from analysis.pipeline import Context

log = logging.getLogger(__name__)

CONFLICT_COLOURS = {
    "residential": "#fb9a99",
    "commercial": "#e31a1c",
    "village": "#fdbf6f",
    "conversion": "#b15928",
    "sliver": "#bdbdbd",
}

_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "verdict": "判定",
    "reason": "说明",
    "residential_m2": "住宅用地",
    "residential_ha": "住宅用地(公顷)",
    "residential_mu": "住宅用地(亩)",
    "residential_parcels": "住宅宗数",
    "commercial_m2": "商业用地",
    "commercial_ha": "商业用地(公顷)",
    "commercial_mu": "商业用地(亩)",
    "commercial_parcels": "商业宗数",
    "village_m2": "农村宅基地(不计)",
    "converted_m2": "工矿仓储转商住",
    "converted_ha": "工矿仓储转商住(公顷)",
    "converted_mu": "工矿仓储转商住(亩)",
    "converted_parts": "转用处数",
    "passes": "是否符合",
    "rule_ids": "规则",
    "source": "依据条款",
    "data": "数据",
    "as_of": "判定日期",
}


@dataclass
class ConflictRun:
    """Everything one R3 check produced."""

    zones: gpd.GeoDataFrame
    uses: gpd.GeoDataFrame
    conversions: gpd.GeoDataFrame | None
    verdicts: list[ConflictVerdict]

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers of this check."""
        summary = pd.DataFrame([v.to_row() for v in self.verdicts])
        cols = [c for c in _LABELS if c in summary.columns]
        sheet = summary[cols].copy()
        sheet["passes"] = sheet["passes"].map({True: "是", False: "否"}).fillna("无法判定")
        sheets = {
            "R3冲突用地汇总": sheet.rename(columns={c: f"{_LABELS[c]} {c}" for c in cols}),
            "R3住宅商业用地": pd.DataFrame(self.uses.drop(columns="geometry")),
        }
        layers = {"conflicting_uses": self.uses}
        if self.conversions is not None:
            sheets["R3工业转商住"] = pd.DataFrame(self.conversions.drop(columns="geometry"))
            layers["industrial_conversions"] = self.conversions
        out = Outputs(sheets=sheets, layers=layers)
        out.map_layers.append(self._add_map)
        return out

    def _add_map(self, m: folium.Map) -> None:
        verdict = {v.zone_id: v for v in self.verdicts}
        zones = self.zones.assign(
            verdict=[verdict[str(z)].verdict for z in self.zones.index],
            reason=[verdict[str(z)].reason for z in self.zones.index],
        )
        add_layer(
            m,
            zones,
            name="开发区 R3 判定",
            show=True,
            fields={"zone_name": "开发区", "verdict": "判定", "reason": "说明"},
            style=lambda p: {
                "color": VERDICT_COLOURS.get(p.get("verdict", ""), "#333"),
                "weight": 2.5,
                "fillOpacity": 0.0,
            },
        )
        uses = self.uses.assign(
            _style_key=self.uses["kind"].where(self.uses["finding"] | (self.uses["kind"] == "village"), "sliver")
        )
        add_layer(
            m,
            uses,
            name="R3 开发区内住宅、商业用地",
            show=True,
            style=lambda p: {
                "color": "#333",
                "weight": 0.5,
                "fillOpacity": 0.7,
                "fillColor": CONFLICT_COLOURS.get(p.get("_style_key", ""), "#999"),
            },
            fields={
                "name": "地类",
                "code": "编码",
                "parcel": "图斑",
                "zone_name": "开发区",
                "area_m2": "面积(㎡)",
                "area_mu": "面积(亩)",
                "note": "说明",
                "rule_id": "规则",
                "data": "数据",
            },
        )
        if self.conversions is not None and len(self.conversions):
            add_layer(
                m,
                self.conversions,
                name="R3 工矿仓储用地转为商住",
                show=True,
                style={
                    "color": CONFLICT_COLOURS["conversion"],
                    "weight": 2,
                    "fillOpacity": 0.6,
                    "fillColor": CONFLICT_COLOURS["conversion"],
                },
                fields={
                    "change": "变化",
                    "zone_name": "开发区",
                    "area_m2": "面积(㎡)",
                    "area_mu": "面积(亩)",
                    "parcel_previous": "原图斑",
                    "parcel_current": "现图斑",
                    "rule_id": "规则",
                    "data_date_previous": "原时点",
                    "data_date_current": "现时点",
                },
            )
        add_legend(
            m,
            "R3 冲突用地",
            {
                "住宅": CONFLICT_COLOURS["residential"],
                "商业": CONFLICT_COLOURS["commercial"],
                "农村宅基地（不计）": CONFLICT_COLOURS["village"],
                "工矿仓储→商住": CONFLICT_COLOURS["conversion"],
                "开发区：不符合": VERDICT_COLOURS["fail"],
                "开发区：无法判定": VERDICT_COLOURS["cannot decide"],
            },
        )


def run_conflicts(
    zones: gpd.GeoDataFrame,
    landuse: LayerSpec | MeasuredLayer,
    *,
    previous: LayerSpec | None = None,
    analysis_crs: AnalysisCRS,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date | None = None,
) -> ConflictRun:
    """Run R3 on prepared zones with the current land use (spec or measured layer) and an earlier one.

    Returns
    -------
    ConflictRun
    """
    rule = ConflictRule.from_profile(profile)
    crule = ConversionRule.from_profile(profile)
    cur = (
        landuse
        if isinstance(landuse, MeasuredLayer) and landuse.areas is not None
        else measure_spec(
            landuse.spec if isinstance(landuse, MeasuredLayer) else landuse,
            zones,
            analysis_crs,
            profile=profile,
            qa=qa,
        )
    )
    assert cur.areas is not None
    id_field = cur.spec.get("id_field")
    uses = find_conflicting_uses(
        zones,
        cur.areas,
        rule=rule,
        landuse=cur.gdf,
        id_field=id_field,
        data=cur.data,
        data_date=cur.date,
        as_of=as_of,
    )
    conversions = None
    if previous is not None:
        prev = measure_spec(previous, zones, analysis_crs, profile=profile, qa=qa, what="earlier land-use layer")
        assert prev.areas is not None
        conversions = find_conversions(
            zones,
            cur.areas,
            prev.areas,
            rule=crule,
            data=(prev.data, cur.data),
            data_date=(prev.date, cur.date),
            parcel_ids=(parcel_lookup(prev.gdf, previous.get("id_field")), parcel_lookup(cur.gdf, id_field)),
            as_of=as_of,
        )
    verdicts = summarise_conflicts(
        zones,
        uses,
        conversions,
        rule=rule,
        conversion_rule=crule,
        data=cur.data + (f" ({cur.date})" if cur.date else ""),
        as_of=as_of,
    )
    for v in verdicts:
        log.info("R3 %s: %s (%s)", v.zone_id, v.verdict, v.reason)
    return ConflictRun(zones=zones, uses=uses, conversions=conversions, verdicts=verdicts)


def job_conflicts(ctx: Context) -> Outputs:
    """The pipeline job: R3 with ``[layers.landuse]`` and, when named, ``[layers.landuse_previous]``."""
    layers = ctx.project.layers
    previous = layers.get("landuse_previous")
    if previous is None:
        ctx.qa.add(
            "job_partial",
            "R3.conversion: cannot decide, because the project file has no "
            "[layers.landuse_previous] (an earlier survey vintage)",
            layer=str(ctx.project.path),
        )
    run = run_conflicts(
        ctx.zones,
        layers["landuse"],
        previous=previous,
        analysis_crs=ctx.analysis_crs,
        profile=ctx.profile,
        qa=ctx.qa,
        as_of=ctx.as_of,
    )
    ctx.results["conflicts"] = run
    return run.outputs()
