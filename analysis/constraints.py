"""The 三区三线 check (R2) as a job: read the control layers near the zones, judge, describe the outputs.

:func:`load_controls` reads whichever of 永久基本农田 / 生态保护红线 / 城镇开发边界 are given (only what lies
near the zones) and dissolves each; :func:`run_constraints` judges every zone with
:func:`boundaries.constraints.check_constraints`. ``devzone constraints``, the pipeline and the proposal
all go through these two functions.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import pandas as pd

from analysis.report import Outputs
from boundaries.constraints import KINDS, ConstraintResult, ConstraintRule, ControlLayers, check_constraints
from geo.crs import AnalysisCRS
from geo.layers import LayerSpec, load_near
from geo.maps import VERDICT_COLOURS, add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = [
    "CONSTRAINT_LABELS",
    "OVERLAP_COLOURS",
    "ROLES",
    "ConstraintRun",
    "job_constraints",
    "load_controls",
    "run_constraints",
]

if TYPE_CHECKING:
    from analysis.pipeline import Context

log = logging.getLogger(__name__)

#: Project-file roles of the control layers, by check.
ROLES = {"farmland": "farmland", "redline": "redline", "urban": "urban_boundary"}
#: Map colours of the overlap parts: farmland red, red line orange, outside the urban boundary purple.
OVERLAP_COLOURS = {"farmland": "#e31a1c", "redline": "#ff7f00", "urban": "#6a3d9a", "sliver": "#bdbdbd"}

#: Workbook headers of the 三区三线 sheet: Chinese label then the key.
CONSTRAINT_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "verdict": "判定",
    "reason": "说明",
    "zone_area_m2": "开发区面积",
    "farmland_overlap_m2": "占永久基本农田",
    "farmland_overlap_ha": "占永久基本农田(公顷)",
    "farmland_overlap_mu": "占永久基本农田(亩)",
    "farmland_overlap_share": "占永久基本农田比例",
    "farmland_parts": "占永久基本农田处数",
    "farmland_sliver_m2": "永久基本农田碎片(不计)",
    "redline_overlap_m2": "占生态保护红线",
    "redline_overlap_ha": "占生态保护红线(公顷)",
    "redline_overlap_mu": "占生态保护红线(亩)",
    "redline_overlap_share": "占生态保护红线比例",
    "redline_parts": "占生态保护红线处数",
    "redline_sliver_m2": "生态保护红线碎片(不计)",
    "outside_urban_boundary_m2": "城镇开发边界外",
    "outside_urban_boundary_ha": "城镇开发边界外(公顷)",
    "outside_urban_boundary_mu": "城镇开发边界外(亩)",
    "outside_urban_boundary_share": "城镇开发边界外比例",
    "outside_urban_parts": "城镇开发边界外处数",
    "outside_urban_sliver_m2": "城镇开发边界外碎片(不计)",
    "farmland_passes": "不占永久基本农田",
    "redline_passes": "不占生态保护红线",
    "urban_passes": "位于城镇开发边界内",
    "passes": "是否符合",
    "tolerance_m2": "碎片容差",
    "rule_ids": "规则",
    "source": "依据条款",
    "data": "数据",
    "as_of": "判定日期",
}


def load_controls(
    specs: Mapping[str, LayerSpec | None], zones: gpd.GeoDataFrame, acrs: AnalysisCRS, *, qa: QALog
) -> ControlLayers:
    """Read the control layers given (``farmland``, ``redline``, ``urban``) near the zones; dissolve each.

    Each layer's data label is its ``source`` option (or path:layer) and its ``date`` option, so every output
    names the data it was judged on.
    """
    frames: dict[str, gpd.GeoDataFrame | None] = {}
    data: dict[str, str] = {}
    for kind in KINDS:
        spec = specs.get(kind)
        if spec is None:
            continue
        frames[kind] = load_near(spec, zones, acrs, qa=qa, what=f"{KINDS[kind][1]} layer", pad_m=10.0)
        date = spec.get("date")
        data[kind] = str(spec.get("source") or spec.label) + (f" ({date})" if date else "")
    return ControlLayers.prepare(
        farmland=frames.get("farmland"),
        redline=frames.get("redline"),
        urban=frames.get("urban"),
        data=data,
        qa=qa,
    )


def _passes_cn(v: object) -> str:
    if v is None:
        return "无法判定"
    return ("是" if v else "否") if isinstance(v, bool) else str(v)


@dataclass
class ConstraintRun:
    """Everything one 三区三线 check produced."""

    zones: gpd.GeoDataFrame
    controls: ControlLayers
    result: ConstraintResult

    def summary(self) -> pd.DataFrame:
        """Return one row per zone with every figure."""
        return pd.DataFrame([v.to_row() for v in self.result.verdicts])

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers of this check."""
        summary = self.summary()
        cols = [c for c in CONSTRAINT_LABELS if c in summary.columns]
        sheet = summary[cols].copy()
        for c in ("farmland_passes", "redline_passes", "urban_passes", "passes"):
            sheet[c] = sheet[c].map(_passes_cn)
        sheet = sheet.rename(columns={c: f"{CONSTRAINT_LABELS[c]} {c}" for c in cols})
        parts = self.result.parts
        zones = self.zones.join(summary.set_index("zone_id").drop(columns=["zone_name"]), how="left")
        out = Outputs(
            sheets={"三区三线": sheet, "三区三线重叠": pd.DataFrame(parts.drop(columns="geometry"))},
            layers={"constraint_overlaps": parts, "zones_constraints": zones.reset_index(drop=True)},
        )
        out.map_layers.append(functools.partial(self._add_map, zones=zones, parts=parts))
        return out

    def _add_map(self, m: folium.Map, zones: gpd.GeoDataFrame, parts: gpd.GeoDataFrame) -> None:
        for kind in KINDS:
            layer = self.controls.get(kind)
            if layer is not None and len(layer):
                near = layer[layer.intersects(zones.union_all().buffer(500.0))]
                add_layer(
                    m,
                    near.assign(name=KINDS[kind][1]),
                    name=f"{KINDS[kind][1]}（附近）",
                    show=False,
                    style={"color": OVERLAP_COLOURS[kind], "weight": 1, "fillOpacity": 0.1},
                    fields={"name": "图层"},
                )
        if len(parts):
            keyed = parts.assign(_style_key=parts["kind"].where(parts["finding"], "sliver"))
            # outside the urban boundary underneath, so farmland and red-line overlaps inside it stay visible
            order = keyed["kind"].map({"urban": 0, "redline": 1, "farmland": 2})
            keyed = keyed.iloc[order.argsort(kind="stable")]
            add_layer(
                m,
                keyed,
                name="三区三线冲突（红：永久基本农田，橙：生态保护红线，紫：城镇开发边界外）",
                style=lambda p: {
                    "color": OVERLAP_COLOURS[p.get("_style_key", "sliver")],
                    "weight": 1,
                    "fillOpacity": 0.7,
                    "fillColor": OVERLAP_COLOURS[p.get("_style_key", "sliver")],
                },
                fields={
                    "kind_cn": "类型",
                    "zone_name": "开发区",
                    "area_m2": "面积(㎡)",
                    "area_mu": "面积(亩)",
                    "finding": "是否计入",
                    "rule_id": "规则",
                    "data": "数据",
                    "as_of": "判定日期",
                },
            )
        add_layer(
            m,
            zones.assign(passes_cn=zones["passes"].map(_passes_cn)),
            name="开发区 三区三线判定",
            style=lambda p: {
                "color": VERDICT_COLOURS.get(p.get("verdict", ""), "#333"),
                "weight": 3,
                "fillOpacity": 0.0,
            },
            fields={
                "zone_name": "开发区",
                "verdict": "判定",
                "farmland_overlap_m2": "占永久基本农田(㎡)",
                "redline_overlap_m2": "占生态保护红线(㎡)",
                "outside_urban_boundary_m2": "城镇开发边界外(㎡)",
                "reason": "说明",
                "rule_ids": "规则",
                "as_of": "判定日期",
            },
        )
        add_legend(
            m,
            "三区三线",
            {
                "占永久基本农田": OVERLAP_COLOURS["farmland"],
                "占生态保护红线": OVERLAP_COLOURS["redline"],
                "城镇开发边界外": OVERLAP_COLOURS["urban"],
                "碎片（≤容差，不计）": OVERLAP_COLOURS["sliver"],
            },
        )


def run_constraints(
    zones: gpd.GeoDataFrame,
    controls: ControlLayers,
    *,
    profile: RuleProfile,
    as_of: dt.date | None = None,
) -> ConstraintRun:
    """Judge prepared zones against 三区三线 with the rule from ``profile`` (``[rules.R2]``)."""
    rule = ConstraintRule.from_profile(profile)
    result = check_constraints(zones, controls, rule=rule, as_of=as_of)
    for v in result.verdicts:
        log.info("R2 %s: %s (%s)", v.zone_id, v.verdict, v.reason)
    return ConstraintRun(zones=zones, controls=controls, result=result)


def job_constraints(ctx: Context) -> Outputs:
    """The pipeline job: 三区三线 for every zone with the control layers the project names.

    Roles ``farmland``, ``redline``, ``urban_boundary``; each missing one makes its check "cannot decide"
    (a QA row says which), the others still run.
    """
    layers = ctx.project.layers
    specs = {kind: layers.get(role) for kind, role in ROLES.items()}
    missing = [f"[layers.{ROLES[k]}]" for k, s in specs.items() if s is None]
    if missing:
        ctx.qa.add(
            "job_partial",
            f"R2 三区三线: cannot decide the checks of {', '.join(missing)}, because the "
            "project file does not name them",
            layer=str(ctx.project.path),
            severity="warning",
        )
    controls = load_controls(specs, ctx.zones, ctx.analysis_crs, qa=ctx.qa)
    run = run_constraints(ctx.zones, controls, profile=ctx.profile, as_of=ctx.as_of)
    ctx.results["constraints"] = run
    return run.outputs()
