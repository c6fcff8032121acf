"""The idle-land check as a job: read the supply records, judge each parcel, describe the outputs.

:func:`run_idle` is what ``devzone idle`` and the project pipeline call. Its :class:`IdleRun` gives the
workbook sheets (供地记录, 闲置土地认定, 闲置土地汇总), the GeoPackage layers (``supply_parcels``,
``idle_parcels``) and a web-map layer of the parcels coloured by status, with popups.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd

from analysis.idle import IDLE_LABELS, STATUS_COLOURS, STATUS_ZH, STATUSES, IdleRule, IdleVerdict, judge_idle
from analysis.report import Outputs
from analysis.supply import SUPPLY_LABELS, read_supply, zone_of
from geo.crs import AnalysisCRS
from geo.layers import LayerSpec
from geo.maps import add_layer, add_legend
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = ["IdleRun", "labelled", "run_idle"]

log = logging.getLogger(__name__)


def labelled(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Return ``frame`` with headers ``"中文 key"``: the labelled columns in label order, then the rest."""
    cols = [c for c in labels if c in frame.columns] + [c for c in frame.columns if c not in labels]
    return frame[cols].rename(columns={c: f"{labels[c]} {c}" for c in cols if c in labels})


@dataclass
class IdleRun:
    """Everything one idle-land check produced."""

    supply: gpd.GeoDataFrame
    verdicts: list[IdleVerdict]
    parcels: gpd.GeoDataFrame
    rule: IdleRule
    as_of: dt.date
    source: str

    def summary(self) -> pd.DataFrame:
        """Return one row per zone and status: parcels, area (m², 公顷, 亩) and fees in 元."""
        p = self.parcels.assign(zone_id=self.parcels["zone_id"].fillna("(开发区外或无图形)"))
        g = p.groupby(["zone_id", "status"], sort=False)
        out = pd.DataFrame({"parcels": g.size(), "area_m2": g["area_m2"].sum(min_count=1),
                            "fee_yuan": g["fee_yuan"].sum(min_count=1)}).reset_index()
        out["status_zh"] = out["status"].map(STATUS_ZH)
        out["area_ha"] = out["area_m2"] / M2_PER_HA
        out["area_mu"] = out["area_m2"] / M2_PER_MU
        out["as_of"] = self.as_of.isoformat()
        order = {s: i for i, s in enumerate(STATUSES)}
        out = out.sort_values(["zone_id", "status"], key=lambda c: c.map(order) if c.name == "status" else c)
        return out[["zone_id", "status", "status_zh", "parcels", "area_m2", "area_ha", "area_mu", "fee_yuan",
                    "as_of"]].reset_index(drop=True)

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers of this check."""
        labels = {"zone_id": "开发区编号", "status": "认定结果代码", "status_zh": "认定结果",
                  "parcels": "宗数", "area_m2": "面积(㎡)", "area_ha": "面积(公顷)", "area_mu": "面积(亩)",
                  "fee_yuan": "土地闲置费(元)", "as_of": "判定日期"}
        verdicts = pd.DataFrame(self.parcels.drop(columns="geometry"))
        supply = pd.DataFrame(self.supply.drop(columns="geometry")).copy()
        for c in supply.columns:
            if pd.api.types.is_datetime64_any_dtype(supply[c]):
                supply[c] = supply[c].dt.date
        out = Outputs(
            sheets={"供地记录": labelled(supply, SUPPLY_LABELS),
                    "闲置土地认定": labelled(verdicts, IDLE_LABELS),
                    "闲置土地汇总": labelled(self.summary(), labels)},
            layers={"supply_parcels": _located(self.supply), "idle_parcels": _located(self.parcels)},
        )
        located = _located(self.parcels)
        out.map_layers.append(lambda m: self._add_map(m, located))
        return out

    def _add_map(self, m: folium.Map, parcels: gpd.GeoDataFrame) -> None:
        if len(parcels) == 0 or parcels.crs is None:
            return
        add_layer(m, parcels, name=f"闲置土地认定（{self.as_of.isoformat()}）",
                  style=lambda p: {"color": "#333", "weight": 1, "fillOpacity": 0.65,
                                   "fillColor": _colour_of(p.get("status_zh", ""))},
                  fields={"parcel_id": "宗地编号", "status_zh": "认定结果", "days_overdue": "逾期天数",
                          "fee_yuan": "土地闲置费(元)", "agreed_start": "约定开工日期",
                          "actual_start": "实际开工日期", "stopped_since": "停工日期",
                          "delay_cause": "延迟原因", "reason": "说明", "rule_id": "规则",
                          "as_of": "判定日期"})
        add_legend(m, f"闲置土地（判定日期 {self.as_of.isoformat()}）",
                   {STATUS_ZH[s]: STATUS_COLOURS[s] for s in STATUSES})


def _located(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
    return gdf[keep].reset_index(drop=True)


def _colour_of(status_zh: str) -> str:
    by_zh = {v: STATUS_COLOURS[k] for k, v in STATUS_ZH.items()}
    return by_zh.get(status_zh, "#bdbdbd")


def run_idle(
    supply: LayerSpec | gpd.GeoDataFrame,
    *,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date,
    zones: gpd.GeoDataFrame | None = None,
    analysis_crs: AnalysisCRS | None = None,
) -> IdleRun:
    """Read supply records (or take them read) and judge every parcel as of ``as_of`` (R4).

    Parameters
    ----------
    supply : LayerSpec or GeoDataFrame
        The supply layer as the project file or CLI names it (:func:`analysis.supply.read_supply`), or
        records already in the supply schema.
    profile : RuleProfile, keyword-only
        Its ``[rules.R4]`` table gives the thresholds.
    qa : QALog, keyword-only
    as_of : date, keyword-only
    zones : GeoDataFrame, optional, keyword-only
        Prepared zones: only parcels near them are read, and each parcel gets the zone holding most of it.
    analysis_crs : AnalysisCRS, optional, keyword-only

    Returns
    -------
    IdleRun
    """
    rule = IdleRule.from_profile(profile)
    if isinstance(supply, LayerSpec):
        records = read_supply(supply, qa=qa, zones=zones, analysis_crs=analysis_crs)
        source = supply.label
    else:
        records, source = supply, str(supply.attrs.get("source", "supply records"))
    verdicts, parcels = judge_idle(records, as_of=as_of, rule=rule)
    zone_ids = (zone_of(records, zones) if zones is not None
                else pd.Series(None, index=records.index, dtype=object))
    parcels.insert(1, "zone_id", zone_ids.to_numpy())
    for v in verdicts:
        if v.status == "cannot_decide":
            qa.add("idle_cannot_decide", f"parcel {v.parcel_id}: {v.reason}", layer=source,
                   feature=v.parcel_id, field=", ".join(v.missing) or None)
    counts = parcels["status"].value_counts().to_dict()
    log.info("R4 idle land as of %s: %s", as_of, ", ".join(f"{k} {n}" for k, n in counts.items()))
    return IdleRun(supply=records, verdicts=verdicts, parcels=parcels, rule=rule, as_of=as_of, source=source)
