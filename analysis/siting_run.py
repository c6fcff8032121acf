"""Siting a new project from a project file: idle land, 批而未供, constraints and plan, ranked.

:func:`site_project` reads what the project file has — zones (with their leading industries), supply
records (idle statuses as of the project's ``as_of``), approved land, planned land use, 永久基本农田 and
生态保护红线 — and ranks the land with :func:`analysis.siting.rank_sites`. Layers that are missing make
the checks that need them "not checked", never passed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from analysis.idle_run import labelled, run_idle
from analysis.project import Project, load_project
from analysis.report import Outputs
from analysis.siting import SiteOption, SitingRule, candidates, rank_sites
from analysis.unsupplied_run import read_planned, run_unsupplied
from geo.io import find_field, read_layer
from geo.layers import load_near, load_zones
from geo.maps import add_layer, add_legend
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import ZONE_ID_FIELDS

__all__ = ["INDUSTRY_FIELDS", "SITE_LABELS", "SitingRun", "site_project"]

log = logging.getLogger(__name__)

#: Usual names of a zone layer's leading-industry field (codes or words).
INDUSTRY_FIELDS = ("industries", "LEAD_IND", "LEAD", "ZDCY", "主导产业")
SITE_LABELS = {
    "rank": "排序", "option_id": "方案", "parcels": "地块", "kinds": "类型", "zone_id": "开发区",
    "area_m2": "面积(㎡)", "area_mu": "面积(亩)", "need_m2": "需地(㎡)", "fits": "面积满足",
    "waste_m2": "富余(㎡)", "waste_share": "富余比例", "availability": "可供性", "industry_code": "项目行业",
    "zone_industries": "主导产业", "industry_match": "行业相符",
    "planned_industrial_share": "规划工业用地比例", "planned_industrial": "规划为工业用地",
    "farmland_overlap_m2": "占永久基本农田(㎡)", "redline_overlap_m2": "占生态保护红线(㎡)",
    "constraint_free": "不占三线", "reasons": "理由", "as_of": "判定日期", "rule_id": "规则",
    "source": "依据",
}


@dataclass
class SitingRun:
    """The ranked sites for one project need."""

    options: list[SiteOption]
    sites: gpd.GeoDataFrame
    need_m2: float
    industry_code: str

    def outputs(self, top: int = 20) -> Outputs:
        """Return the sheet 新上项目选址, the layer ``project_sites`` and a map of the best ``top`` sites."""
        table = pd.DataFrame(self.sites.drop(columns="geometry"))
        out = Outputs(sheets={"新上项目选址": labelled(table, SITE_LABELS)},
                      layers={"project_sites": self.sites})
        best = self.sites.head(top)
        out.map_layers.append(lambda m: self._add_map(m, best))
        return out

    @staticmethod
    def _add_map(m: folium.Map, best: gpd.GeoDataFrame) -> None:
        if len(best) == 0:
            return
        colour = {True: "#1b9e77", False: "#d95f02", None: "#7570b3"}
        add_layer(m, best, name="新上项目选址（前列）",
                  style=lambda p: {"color": "#333", "weight": 2, "fillOpacity": 0.5,
                                   "fillColor": colour[p.get("fits") == "True"]},
                  fields={"rank": "排序", "option_id": "方案", "area_m2": "面积(㎡)",
                          "availability": "可供性", "reasons": "理由"})
        add_legend(m, "新上项目选址", {"面积满足": colour[True], "面积不足": colour[False]})


def _zone_industries(project: Project, qa: QALog) -> pd.Series | None:
    spec = project.layers["zones"]
    raw = read_layer(spec.path, spec.layer, encoding=spec.encoding, crs=spec.crs, what="zone layer")
    cols = [c for c in raw.columns if c != raw.geometry.name]
    try:
        field = find_field(cols, spec.get("industries_field"), INDUSTRY_FIELDS, what="leading industries",
                           option="industries_field", source=spec.label)
        idf = find_field(cols, spec.get("id_field"), ZONE_ID_FIELDS, what="zone id", option="id_field",
                         source=spec.label)
    except Exception as exc:  # SchemaError: no such field → industry match "unknown", said in QA
        qa.add("siting_industries", f"no leading-industry field: industry match not checked ({exc})",
               layer=spec.label, severity="warning")
        return None
    return pd.Series(raw[field].to_numpy(), index=raw[idf].astype(str).str.strip().to_numpy())


def site_project(project: Project | str | Path, *, need_m2: float, industry_code: str,
                 qa: QALog) -> SitingRun:
    """Rank the idle and 批而未供 land of a project file for a new project's need.

    Parameters
    ----------
    project : Project or path
        Needs ``[layers.zones]`` and ``[layers.supply]``; uses ``approved``, ``planned``, ``farmland`` and
        ``redline`` when present.
    need_m2 : float, keyword-only
        Land need in m².
    industry_code : str, keyword-only
        2002 GB/T 4754 division or class.
    qa : QALog, keyword-only

    Returns
    -------
    SitingRun
    """
    proj = project if isinstance(project, Project) else load_project(project)
    profile = load_profile(proj.profile)
    rule = SitingRule.from_profile(profile)
    zones, acrs = load_zones(proj.layers["zones"], crs=proj.crs, qa=qa)
    if "supply" not in proj.layers:
        qa.add("siting_inputs", "no [layers.supply]: idle land is not offered (批而未供 needs it too)",
               layer=str(proj.path))
        return SitingRun([], gpd.GeoDataFrame(geometry=[], crs=zones.crs), need_m2, industry_code)
    idle = run_idle(proj.layers["supply"], profile=profile, qa=qa, as_of=proj.as_of, zones=zones,
                    analysis_crs=acrs)
    parts = None
    if "approved" in proj.layers:
        parts = run_unsupplied(zones, idle, approved=proj.layers["approved"], analysis_crs=acrs,
                               profile=profile, qa=qa, as_of=proj.as_of).result.unsupplied
    else:
        qa.add("siting_inputs", "no [layers.approved]: 批而未供 land is not offered", layer=str(proj.path))
    cands = candidates(idle.parcels, parts, rule=rule)
    planned = None
    if "planned" in proj.layers and len(cands):
        planned = read_planned(proj.layers["planned"], cands, acrs, profile=profile, qa=qa)
    ctrl = {r: load_near(proj.layers[r], zones, acrs, qa=qa, what=f"{r} layer")
            for r in ("farmland", "redline") if r in proj.layers}
    options, sites = rank_sites(cands, need_m2=need_m2, industry_code=industry_code,
                                zone_industries=_zone_industries(proj, qa), planned=planned,
                                farmland=ctrl.get("farmland"), redline=ctrl.get("redline"), rule=rule, qa=qa,
                                as_of=proj.as_of)
    return SitingRun(options, sites, need_m2, industry_code)
