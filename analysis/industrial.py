"""The 60% industrial-land check as a job: read, measure, judge, and describe the outputs.

:func:`run_industrial` is what ``devzone industrial`` and the project pipeline call; it reads only the
land use near the zones, measures it with the kernel, judges each zone with
:func:`boundaries.industrial.judge_industrial_share`, and returns everything the writers need.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from analysis.report import Outputs
from boundaries.industrial import IndustrialRule, ShareVerdict, judge_industrial_share
from geo.crs import AnalysisCRS
from geo.io import inspect_layer
from geo.landuse import LanduseAreas, guess_scheme, landuse_table, measure_landuse
from geo.layers import LayerSpec, load_near
from geo.maps import CATEGORY_COLOURS, VERDICT_COLOURS, add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = ["SUMMARY_LABELS", "IndustrialRun", "guess_scheme", "run_industrial"]

log = logging.getLogger(__name__)

#: Workbook headers of the summary sheet: Chinese label then the key.
SUMMARY_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "verdict": "判定",
    "reason": "说明",
    "zone_area_m2": "开发区面积",
    "zone_area_ha": "开发区面积(公顷)",
    "zone_area_mu": "开发区面积(亩)",
    "zone_area_ellipsoidal_m2": "开发区椭球面积",
    "industrial_area_m2": "产业用地面积",
    "industrial_area_ha": "产业用地(公顷)",
    "industrial_area_mu": "产业用地(亩)",
    "construction_area_m2": "建设用地面积",
    "construction_area_ha": "建设用地(公顷)",
    "construction_area_mu": "建设用地(亩)",
    "unknown_area_m2": "未识别地类面积",
    "uncovered_area_m2": "未覆盖面积",
    "share_of_construction": "占建设用地比例",
    "share_of_zone": "占开发区面积比例",
    "share_low": "比例下限",
    "share_high": "比例上限",
    "threshold": "标准",
    "basis": "比例基数",
    "passes": "是否达标",
    "shortfall_add_m2": "需增加产业用地",
    "shortfall_add_ha": "需增加产业用地(公顷)",
    "shortfall_add_mu": "需增加产业用地(亩)",
    "shortfall_remove_m2": "或需调出非产业用地",
    "shortfall_remove_ha": "或需调出非产业用地(公顷)",
    "shortfall_remove_mu": "或需调出非产业用地(亩)",
    "industrial_area_ellipsoidal_m2": "产业用地椭球面积",
    "construction_area_ellipsoidal_m2": "建设用地椭球面积",
    "landuse_basis": "用地依据",
    "data": "数据",
    "data_date": "数据时点",
    "as_of": "判定日期",
    "rule_id": "规则",
    "source": "依据条款",
}


@dataclass
class IndustrialRun:
    """Everything one 60% check produced."""

    zones: gpd.GeoDataFrame
    areas: LanduseAreas
    verdicts: list[ShareVerdict]
    rule: IndustrialRule
    analysis_crs: AnalysisCRS
    landuse: LayerSpec

    def summary(self) -> pd.DataFrame:
        """Return one row per zone with every figure (keys as columns)."""
        return pd.DataFrame([v.to_row() for v in self.verdicts])

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers of this check."""
        summary = self.summary()
        cols = [c for c in SUMMARY_LABELS if c in summary.columns]
        sheet = summary[cols].rename(columns={c: f"{SUMMARY_LABELS[c]} {c}" for c in cols})
        bd = self.areas.breakdown.rename(columns={"zone": "zone_id"})
        bd.insert(1, "zone_name", bd["zone_id"].map(self.zones["zone_name"]))
        ov = self.areas.kernel.overlaps
        zones = self.zones.join(summary.set_index("zone_id").drop(columns=["zone_name"]), how="left")
        zones["passes"] = zones["passes"].map({True: "是", False: "否"}).fillna("无法判定")
        pieces = self._pieces()
        out = Outputs(
            sheets={"60%规则汇总": sheet, "地类构成": bd, "图斑重叠": ov},
            layers={"zones_industrial_share": zones.reset_index(drop=True), "landuse_pieces": pieces},
        )
        out.map_layers.append(lambda m, z=zones, p=pieces: self._add_map(m, z, p))
        return out

    def _pieces(self) -> gpd.GeoDataFrame:
        pieces = self.areas.kernel.pieces
        if pieces is None:
            return gpd.GeoDataFrame(geometry=[], crs=self.zones.crs)
        meta = self.areas.breakdown.drop_duplicates("code").set_index("code")
        p = pieces.rename(columns={"zone": "zone_id", "class": "code"})
        for c in ("name", "group", "category", "industrial", "construction"):
            p[c] = p["code"].map(meta[c])
        p["area_ha"] = p["area_m2"] / M2_PER_HA
        p["area_mu"] = p["area_m2"] / M2_PER_MU
        p["data"] = self.landuse.label
        return p

    def _add_map(self, m: folium.Map, zones: gpd.GeoDataFrame, pieces: gpd.GeoDataFrame) -> None:
        add_layer(
            m,
            pieces,
            name="地类（开发区内）",
            show=True,
            style=lambda p: {
                "color": "#555",
                "weight": 0.3,
                "fillOpacity": 0.6,
                "fillColor": CATEGORY_COLOURS.get(p.get("category", ""), "#969696"),
            },
            fields={
                "code": "地类编码",
                "name": "地类名称",
                "category": "类别",
                "area_m2": "面积(㎡)",
                "zone_id": "开发区",
                "source": "图斑",
            },
        )
        add_layer(
            m,
            zones,
            name="开发区 60% 规则判定",
            style=lambda p: {
                "color": VERDICT_COLOURS.get(p.get("verdict", ""), "#333"),
                "weight": 3,
                "fillOpacity": 0.05,
            },
            fields={
                "zone_name": "开发区",
                "verdict": "判定",
                "share_of_construction": "占建设用地比例",
                "industrial_area_m2": "产业用地(㎡)",
                "construction_area_m2": "建设用地(㎡)",
                "shortfall_add_m2": "需增加产业用地(㎡)",
                "reason": "说明",
                "rule_id": "规则",
                "as_of": "判定日期",
            },
        )
        add_legend(
            m,
            "60% 规则 / 地类",
            {
                "达标 pass": VERDICT_COLOURS["pass"],
                "不达标 fail": VERDICT_COLOURS["fail"],
                "无法判定 cannot decide": VERDICT_COLOURS["cannot decide"],
                "产业用地 industrial": CATEGORY_COLOURS["industrial"],
                "其他建设用地": CATEGORY_COLOURS["other_construction"],
                "非建设用地": CATEGORY_COLOURS["non_construction"],
                "未识别地类": CATEGORY_COLOURS["unknown"],
            },
        )


def run_industrial(
    zones: gpd.GeoDataFrame,
    landuse: LayerSpec,
    *,
    analysis_crs: AnalysisCRS,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date | None = None,
) -> IndustrialRun:
    """Run the 60% check of prepared zones against a land-use layer.

    Parameters
    ----------
    zones : GeoDataFrame
        Zones from :func:`geo.layers.load_zones`.
    landuse : LayerSpec
        The land-use layer; options ``code_field``, ``scheme``, ``basis`` (现状/规划), ``date``, ``source``.
    analysis_crs : AnalysisCRS, keyword-only
    profile : RuleProfile, keyword-only
    qa : QALog, keyword-only
    as_of : date, optional, keyword-only

    Returns
    -------
    IndustrialRun
    """
    rule = IndustrialRule.from_profile(profile)
    info = inspect_layer(landuse.path, landuse.layer, encoding=landuse.encoding)
    code_field, table = landuse_table(
        list(info.fields),
        source=landuse.label,
        code_field=landuse.get("code_field"),
        scheme=landuse.get("scheme"),
        codes=profile.codes,
        qa=qa,
    )
    # only the code field is read: the check needs nothing else, and a province layer has many fields
    gdf = load_near(landuse, zones, analysis_crs, qa=qa, what="land-use layer", columns=[code_field])
    areas = measure_landuse(
        zones,
        gdf,
        table=table,
        code_field=code_field,
        precedence=rule.overlap_precedence,
        layer=landuse.label,
        qa=qa,
    )
    verdicts = judge_industrial_share(
        zones,
        areas,
        rule=rule,
        landuse_basis=str(landuse.get("basis", "现状")),
        data=str(landuse.get("source") or landuse.label),
        data_date=str(landuse.get("date", "")),
        as_of=as_of,
    )
    for v in verdicts:
        log.info("%s %s: %s (%s)", v.rule_id, v.zone_id, v.verdict, v.reason)
    return IndustrialRun(
        zones=zones, areas=areas, verdicts=verdicts, rule=rule, analysis_crs=analysis_crs, landuse=landuse
    )
