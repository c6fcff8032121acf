"""The boundary proposal as a job: for each zone that fails R1, the smallest change that makes it pass.

:func:`run_proposals` reads the land use around the zones (every feature touching a zone is read), takes
the dissolved 三区三线 layers, and calls :func:`boundaries.proposal.propose_boundary` zone by zone (other
zones are never taken in). Zones that pass R1 get status ``not needed``; zones whose R1 verdict cannot be
decided get ``cannot decide`` (fix the data first).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.measure import MeasuredLayer, measure_spec
from analysis.report import Outputs
from boundaries.constraints import ConstraintRule, ControlLayers
from boundaries.industrial import IndustrialRule
from boundaries.proposal import ProposalResult, propose_boundary
from boundaries.proposal_solver import ProposalRule
from geo.crs import AnalysisCRS
from geo.errors import DataError
from geo.geometry import repair_polygons
from geo.layers import LayerSpec
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["PROPOSAL_COLOURS", "ProposalRun", "job_proposal", "run_proposals"]

if TYPE_CHECKING:
    from analysis.pipeline import Context

log = logging.getLogger(__name__)

#: How far beyond a zone's envelope the land use is read, per ring of parcels that may be taken in.
_READ_PER_RING_M = 300.0

PROPOSAL_COLOURS = {"add": "#1a9850", "remove": "#d73027", "excluded": "#969696", "boundary": "#2166ac"}

_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "status": "状态",
    "method": "方法",
    "method_note": "方法说明",
    "changed_m2": "调整面积",
    "changed_mu": "调整面积(亩)",
    "added_m2": "调入产业用地",
    "added_mu": "调入(亩)",
    "removed_m2": "调出非产业用地",
    "removed_mu": "调出(亩)",
    "share_before": "调整前比例",
    "share_after": "调整后比例",
    "threshold": "标准",
    "basis": "比例基数",
    "passes_after": "调整后达标(R1复核)",
    "constraints_pass_after": "调整后三区三线(R2复核)",
    "farmland_overlap_after_m2": "调整后占永久基本农田",
    "redline_overlap_after_m2": "调整后占生态保护红线",
    "outside_urban_boundary_after_m2": "调整后城镇开发边界外",
    "one_piece": "连通",
    "new_holes": "新增孔洞",
    "zone_area_before_m2": "调整前面积",
    "zone_area_after_m2": "调整后面积",
    "perimeter_before_m": "调整前周长",
    "perimeter_after_m": "调整后周长",
    "n_candidates": "候选地块数",
    "n_cuts": "连通性割平面数",
    "reason": "说明",
    "rule_ids": "规则",
    "source": "依据条款",
    "data": "数据",
    "as_of": "判定日期",
}


def _yes(v: object) -> str:
    if v is None:
        return "无法判定"
    return ("是" if v else "否") if isinstance(v, bool) else str(v)


@dataclass
class ProposalRun:
    """Every zone's proposal."""

    zones: gpd.GeoDataFrame
    results: list[ProposalResult]

    def summary(self) -> pd.DataFrame:
        """Return one row per zone with every figure."""
        return pd.DataFrame([r.verdict.to_row() for r in self.results])

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers."""
        s = self.summary()
        cols = [c for c in _LABELS if c in s.columns]
        sheet = s[cols].copy()
        for c in ("passes_after", "constraints_pass_after", "one_piece"):
            sheet[c] = sheet[c].map(_yes)
        crs = self.zones.crs
        pieces = [r.pieces for r in self.results if len(r.pieces)]
        polys = [r.polygon for r in self.results if len(r.polygon)]
        piece_gdf = (
            gpd.GeoDataFrame(pd.concat(pieces, ignore_index=True), crs=crs)
            if pieces
            else gpd.GeoDataFrame({"zone_id": []}, geometry=[], crs=crs)
        )
        poly_gdf = (
            gpd.GeoDataFrame(pd.concat(polys, ignore_index=True), crs=crs)
            if polys
            else gpd.GeoDataFrame({"zone_id": []}, geometry=[], crs=crs)
        )
        out = Outputs(
            sheets={
                "四至调整建议": sheet.rename(columns={c: f"{_LABELS[c]} {c}" for c in cols}),
                "调整候选地块": pd.DataFrame(piece_gdf.drop(columns="geometry")),
            },
            layers={"proposal_boundaries": poly_gdf, "proposal_pieces": piece_gdf},
        )
        done = self.zones[self.zones.index.astype(str).isin([r.verdict.zone_id for r in self.results])]
        out.map_layers.append(functools.partial(self._add_map, pieces=piece_gdf, polys=poly_gdf, zones=done))
        return out

    @staticmethod
    def _add_map(m: folium.Map, pieces: gpd.GeoDataFrame, polys: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> None:
        add_layer(
            m,
            zones,
            name="现状四至边界（调整前）",
            show=True,
            style={"color": "#000000", "weight": 2, "fillOpacity": 0},
            fields={"zone_id": "开发区编号", "zone_name": "开发区"},
        )
        if len(pieces):
            shown = pieces[pieces["chosen"].astype(bool) | (pieces["action"] == "excluded")]
            keyed = shown.assign(_style_key=shown["action"])
            add_layer(
                m,
                keyed,
                name="四至调整：调入（绿）/ 调出（红）/ 不可调入（灰）",
                show=True,
                style=lambda p: {
                    "color": PROPOSAL_COLOURS.get(p.get("_style_key", ""), "#333"),
                    "weight": 1,
                    "fillOpacity": 0.6,
                    "fillColor": PROPOSAL_COLOURS.get(p.get("_style_key", ""), "#333"),
                },
                fields={
                    "action_cn": "调整",
                    "zone_name": "开发区",
                    "code": "地类编码",
                    "name": "地类",
                    "area_m2": "面积(㎡)",
                    "area_mu": "面积(亩)",
                    "parcel": "图斑",
                    "note": "说明",
                },
            )
        if len(polys):
            add_layer(
                m,
                polys,
                name="建议四至边界",
                show=True,
                style={
                    "color": PROPOSAL_COLOURS["boundary"],
                    "weight": 3,
                    "dashArray": "6 4",
                    "fillOpacity": 0,
                },
                fields={
                    "zone_name": "开发区",
                    "method": "方法",
                    "changed_m2": "调整面积(㎡)",
                    "share_after": "调整后比例",
                    "passes_after": "R1复核",
                    "constraints_pass_after": "R2复核",
                },
            )
        add_legend(
            m,
            "四至调整建议",
            {
                "调入产业用地": PROPOSAL_COLOURS["add"],
                "调出非产业用地": PROPOSAL_COLOURS["remove"],
                "不可调入（三区三线等）": PROPOSAL_COLOURS["excluded"],
                "建议边界": PROPOSAL_COLOURS["boundary"],
            },
        )


def run_proposals(
    zones: gpd.GeoDataFrame,
    landuse: LayerSpec | MeasuredLayer,
    controls: ControlLayers,
    *,
    analysis_crs: AnalysisCRS,
    profile: RuleProfile,
    qa: QALog,
    zone_ids: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> ProposalRun:
    """Propose a boundary change for each zone (or the ``zone_ids`` given) that fails R1.

    Raises
    ------
    DataError
        When a requested zone id is not in the zone layer.
    """
    wanted = [str(z) for z in zone_ids] or [str(z) for z in zones.index]
    unknown = sorted(set(wanted) - {str(z) for z in zones.index})
    if unknown:
        have = ", ".join(map(str, zones.index))
        msg = f"zone id(s) {', '.join(unknown)} not in the zone layer; it has {have}: use one of those"
        raise DataError(msg)
    rule, crule = IndustrialRule.from_profile(profile), ConstraintRule.from_profile(profile)
    params = ProposalRule.from_profile(profile)
    # chains of industrial parcels are taken in up to addition_depth parcels out: read that far
    reach_m = _READ_PER_RING_M * max(1, params.addition_depth)
    layer = (
        landuse
        if isinstance(landuse, MeasuredLayer)
        else measure_spec(landuse, zones, analysis_crs, profile=profile, qa=qa, measure=False, pad_m=reach_m)
    )
    gdf = (
        layer.gdf
        if bool(layer.gdf.geometry.is_valid.all())
        else repair_polygons(layer.gdf, layer=layer.spec.label, qa=QALog())
    )  # repairs are QA rows of the R1 / R3 jobs
    geoms = np.asarray(zones.geometry.values, dtype=object)
    results = []
    for i, zid in enumerate(map(str, zones.index)):
        if zid not in wanted:
            continue
        others = shapely.union_all(np.delete(geoms, i)) if len(geoms) > 1 else None
        res = propose_boundary(
            zones.iloc[[i]],
            gdf,
            table=layer.table,
            code_field=layer.code_field,
            controls=controls,
            rule=rule,
            constraint_rule=crule,
            params=params,
            others=others,
            data=layer.data,
            data_date=layer.date,
            as_of=as_of,
        )
        log.info(
            "%s %s: %s %s (%.2f m² changed)",
            params.rule_id,
            zid,
            res.verdict.status,
            res.verdict.method,
            res.verdict.changed_m2,
        )
        results.append(res)
    return ProposalRun(zones=zones, results=results)


def job_proposal(ctx: Context) -> Outputs:
    """The pipeline job: proposals for the zones that fail R1 (all zones are judged when R1 did not run).

    Uses the 三区三线 layers of the constraints job when it ran, else reads them.
    """
    from analysis.constraints import ROLES, ConstraintRun, load_controls

    ind = ctx.results.get("industrial")
    verdicts = getattr(ind, "verdicts", None)
    failing = (
        [v.zone_id for v in verdicts if v.passes is False]
        if verdicts is not None
        else [str(z) for z in ctx.zones.index]
    )
    if not failing:
        ctx.qa.add("proposal", "no zone fails R1: no boundary proposal needed", layer="proposal", severity="info")
        return Outputs()
    con = ctx.results.get("constraints")
    controls = (
        con.controls
        if isinstance(con, ConstraintRun)
        else load_controls(
            {k: ctx.project.layers.get(r) for k, r in ROLES.items()}, ctx.zones, ctx.analysis_crs, qa=ctx.qa
        )
    )
    run = run_proposals(
        ctx.zones,
        ctx.project.layers["landuse"],
        controls,
        analysis_crs=ctx.analysis_crs,
        profile=ctx.profile,
        qa=ctx.qa,
        zone_ids=failing,
        as_of=ctx.as_of,
    )
    ctx.results["proposal"] = run
    return run.outputs()
