"""R5 inefficient land as a job: read supply records, buildings and enterprise tax, judge, describe outputs.

:func:`run_inefficient` is what ``devzone inefficient`` and the project pipeline call. Outputs: the sheets
低效用地核查 (one row per parcel, every indicator with its value, threshold, status and reason) and
低效用地指标明细 (one row per parcel and indicator), the GeoPackage layer ``inefficient_parcels`` and a
web-map layer of the parcels coloured by verdict.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from analysis.idle_run import labelled
from analysis.inefficient import INDICATORS, InefficientRule, ParcelVerdict, checks_table, judge_inefficient
from analysis.report import Outputs
from analysis.supply import read_supply, zone_of
from geo.buildings import prepare_buildings
from geo.crs import AnalysisCRS
from geo.layers import LayerSpec, load_near
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["INEFFICIENT_LABELS", "VERDICT_COLOURS", "InefficientRun", "load_buildings", "run_inefficient"]

log = logging.getLogger(__name__)

VERDICT_COLOURS = {
    "inefficient": "#d73027",
    "meets": "#1a9850",
    "cannot_decide": "#fdae61",
    "not_industrial": "#bdbdbd",
}
VERDICT_ZH = {
    "inefficient": "低效（未达控制指标）",
    "meets": "达标",
    "cannot_decide": "无法判定",
    "not_industrial": "非工业项目",
}
INDICATOR_ZH = {
    "far": "容积率",
    "building_coefficient": "建筑系数",
    "investment": "投资强度(万元/公顷)",
    "tax_per_mu": "亩均税收(万元/亩)",
    "office_living_share": "行政办公及生活服务设施用地比例",
    "green_ratio": "绿地率",
    "single_storey": "单层厂房",
}
#: Workbook headers of the per-parcel sheet.
INEFFICIENT_LABELS = {
    "parcel_id": "宗地编号",
    "zone_id": "开发区编号",
    "industry_code": "行业代码",
    "industry_2002": "行业代码(2002)",
    "area_m2": "用地面积(㎡)",
    "area_basis": "面积依据",
    "verdict_zh": "核查结果",
    "verdict": "核查结果代码",
    "failing": "未达标指标",
    "undecided": "无法判定指标",
    "flags": "提示",
    "reason": "说明",
    **INDICATOR_ZH,
    "far_basis": "容积率依据",
    "rule_id": "规则",
    "table_version": "指标表",
    "data": "数据",
    "as_of": "判定日期",
    "source": "依据条款",
}


def load_buildings(
    spec: LayerSpec, zones: gpd.GeoDataFrame, acrs: AnalysisCRS, *, profile: RuleProfile, qa: QALog
) -> gpd.GeoDataFrame:
    """Read the buildings near the zones and prepare them (storey equivalents by the profile's R5 rule)."""
    rule = InefficientRule.from_profile(profile)
    raw = load_near(spec, zones, acrs, qa=qa, what="buildings layer")
    return prepare_buildings(
        raw,
        fields=spec.get("fields"),
        tall_storey_m=rule.tall_storey_m,
        rule=rule.tall_storey_rule,
        layer=spec.label,
        qa=qa,
    )


@dataclass
class InefficientRun:
    """Everything one R5 check produced."""

    parcels: gpd.GeoDataFrame
    verdicts: list[ParcelVerdict]
    rule: InefficientRule
    as_of: dt.date
    source: str

    def frame(self) -> gpd.GeoDataFrame:
        """Return one row per parcel with every figure and the parcel polygon."""
        rows = pd.DataFrame([v.to_row() for v in self.verdicts], index=self.parcels.index)
        rows.insert(rows.columns.get_loc("verdict"), "verdict_zh", rows["verdict"].map(VERDICT_ZH))
        return gpd.GeoDataFrame(rows, geometry=self.parcels.geometry.values, crs=self.parcels.crs)

    def summary(self) -> pd.DataFrame:
        """Return parcels and area per zone and verdict, and how often each indicator fails."""
        f = pd.DataFrame(self.frame().drop(columns="geometry"))
        f["zone_id"] = f["zone_id"].fillna("(开发区外或无图形)")
        g = f.groupby(["zone_id", "verdict"], sort=True)
        out = pd.DataFrame({"parcels": g.size(), "area_m2": g["area_m2"].sum(min_count=1)}).reset_index()
        out["verdict_zh"] = out["verdict"].map(VERDICT_ZH)
        for ind in INDICATORS:
            counts = (
                f[f[f"{ind}_status"] == "fail"].groupby(["zone_id", "verdict"]).size()
                if f"{ind}_status" in f
                else pd.Series(dtype=int)
            )
            out[f"{ind}_fails"] = [
                int(counts.get((z, v), 0)) for z, v in zip(out["zone_id"], out["verdict"], strict=True)
            ]
        out["as_of"] = self.as_of.isoformat()
        return out

    def outputs(self) -> Outputs:
        """Return the sheets, the GeoPackage layer and the map layer."""
        frame = self.frame()
        table = pd.DataFrame(frame.drop(columns="geometry"))
        out = Outputs(
            sheets={
                "低效用地核查": labelled(table, INEFFICIENT_LABELS),
                "低效用地指标明细": checks_table(self.verdicts),
                "低效用地汇总": self.summary(),
            }
        )
        located = frame[frame.geometry.notna() & ~frame.geometry.is_empty].reset_index(drop=True)
        out.layers["inefficient_parcels"] = located
        out.map_layers.append(lambda m, g=located: self._add_map(m, g))
        return out

    def _add_map(self, m: folium.Map, parcels: gpd.GeoDataFrame) -> None:
        if len(parcels) == 0:
            return
        shown = parcels.assign(_style_key=parcels["verdict"])
        add_layer(
            m,
            shown,
            name="低效用地核查 (R5)",
            show=False,
            style=lambda p: {
                "color": "#333",
                "weight": 1,
                "fillOpacity": 0.6,
                "fillColor": VERDICT_COLOURS.get(p.get("_style_key", ""), "#bdbdbd"),
            },
            fields={
                "parcel_id": "宗地编号",
                "verdict_zh": "核查结果",
                "failing": "未达标指标",
                "far": "容积率",
                "building_coefficient": "建筑系数",
                "investment": "投资强度",
                "tax_per_mu": "亩均税收",
                "flags": "提示",
                "reason": "说明",
                "as_of": "判定日期",
            },
        )
        add_legend(m, "低效用地 R5", {VERDICT_ZH[k]: c for k, c in VERDICT_COLOURS.items()})


def run_inefficient(
    supply: LayerSpec | gpd.GeoDataFrame,
    *,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date,
    zones: gpd.GeoDataFrame | None = None,
    analysis_crs: AnalysisCRS | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    tax_yuan: Mapping[str, float] | None = None,
) -> InefficientRun:
    """Read supply records (or take them read) and judge every parcel against R5.

    Parameters
    ----------
    supply : LayerSpec or GeoDataFrame
        The supply layer (:func:`analysis.supply.read_supply`) or records in the supply schema.
    profile : RuleProfile, keyword-only
    qa : QALog, keyword-only
    as_of : date, keyword-only
    zones, analysis_crs : optional, keyword-only
        Prepared zones: only parcels near them are read, each parcel gets the zone holding most of it.
    buildings : GeoDataFrame, optional, keyword-only
        Prepared buildings (:func:`load_buildings`).
    tax_yuan : mapping, optional, keyword-only
        Tax per parcel (元) from the enterprise table.

    Returns
    -------
    InefficientRun
    """
    rule = InefficientRule.from_profile(profile)
    if isinstance(supply, LayerSpec):
        records, source = read_supply(supply, qa=qa, zones=zones, analysis_crs=analysis_crs), supply.label
    else:
        records, source = supply, str(supply.attrs.get("source", "supply records"))
    records = records.copy()
    if zones is not None and ("zone_id" not in records.columns or records["zone_id"].isna().all()):
        records["zone_id"] = zone_of(records, zones)
    verdicts = judge_inefficient(
        records, rule=rule, qa=qa, buildings=buildings, tax_yuan=tax_yuan, as_of=as_of, data=source
    )
    counts = pd.Series([v.verdict for v in verdicts]).value_counts().to_dict()
    log.info("R5 inefficient land: %s", ", ".join(f"{k} {n}" for k, n in counts.items()))
    return InefficientRun(parcels=records, verdicts=verdicts, rule=rule, as_of=as_of, source=source)
