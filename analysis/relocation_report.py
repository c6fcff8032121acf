"""Outputs of a relocation run (R7): workbook sheets, GeoPackage layers, the web map and a print map.

Web map (Folium through :mod:`geo.maps`, every value escaped): zones; excluded areas (each site overlap
and, for generated sites, the constraints of the planning area); sites coloured by score (grey when not
eligible); service radii around the sites in use; villages as circles whose area is proportional to the
people to house; a line from each village to its site.

Print map (PNG): the same content drawn with the shared :mod:`geo.printmap` (grid in km, scale bar,
north arrow, legend, information panel, CJK font lookup); see :mod:`analysis.relocation_printmap`.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.relocation import KINDS
from analysis.report import Outputs
from geo.errors import DevzoneError
from geo.maps import add_layer, add_legend
from geo.qa import QALog

if TYPE_CHECKING:
    from analysis.relocation_run import RelocationRun

__all__ = ["SHEET_LABELS", "print_map", "relocation_outputs", "score_colour"]

log = logging.getLogger(__name__)

#: Circle area per person on the maps (m²): a village of 1,000 people is a circle of radius ≈ 126 m.
M2_PER_PERSON_ON_MAP = 50.0
SHEET_LABELS = {
    "village_id": "村庄编号",
    "village_name": "村庄名称",
    "zone_id": "所在开发区",
    "zones": "开发区内面积",
    "population": "人口",
    "area_m2": "村庄面积",
    "inside_m2": "开发区内面积(㎡)",
    "share_inside": "区内面积比例",
    "population_to_house": "需安置人口",
    "moves": "是否搬迁",
    "basis": "人口分摊方法",
    "reason": "说明",
    "site_id": "地块编号",
    "site_name": "地块名称",
    "origin": "来源",
    "eligible": "是否符合选址要求",
    "reasons": "不符合原因",
    "area_ha": "面积(公顷)",
    "area_mu": "面积(亩)",
    "capacity": "可安置人口",
    "planning_area_m2": "城市规划区外面积",
    "zones_m2": "开发区内面积",
    "farmland_m2": "占永久基本农田面积",
    "redline_m2": "占生态保护红线面积",
    "water_m2": "占水域面积",
    "jobs_m": "至就业地距离",
    "score": "评分",
    "score_basis": "评分构成",
    "mean_slope_deg": "平均坡度(度)",
    "max_slope_deg": "最大坡度(度)",
    "used": "是否使用",
    "distance_m": "距离",
    "person_m": "人·米",
    "distance_method": "距离方法",
    "check": "检查项",
    "decides": "结论",
    "rule_id": "规则",
    "source": "依据条款",
    "data": "数据",
    "as_of": "判定日期",
}


def _label(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={c: f"{SHEET_LABELS[c]} {c}" for c in df.columns if c in SHEET_LABELS})


def score_colour(score: float | None) -> str:
    """Return a red (0) → yellow (50) → green (100) colour for a score; grey when None.

    >>> score_colour(0), score_colour(100), score_colour(None)
    ('#d73027', '#1a9850', '#999999')
    """
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "#999999"
    stops = [(0.0, (0xD7, 0x30, 0x27)), (50.0, (0xFE, 0xE0, 0x8B)), (100.0, (0x1A, 0x98, 0x50))]
    s = min(max(float(score), 0.0), 100.0)
    (a, ca), (b, cb) = (stops[0], stops[1]) if s <= 50 else (stops[1], stops[2])
    t = (s - a) / (b - a)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def _points_of(gdf: gpd.GeoDataFrame) -> np.ndarray:
    g = np.asarray(gdf.geometry.values, dtype=object)
    return np.where(shapely.get_type_id(g) == 0, g, shapely.point_on_surface(g))


def _layers(run: RelocationRun) -> dict[str, gpd.GeoDataFrame]:
    crs = run.zones.crs
    sites = run.sites.copy()
    sites["eligible"] = sites["eligible"].map({True: "是", False: "否"}).fillna("无法判定")
    sites["as_of"] = run.as_of.isoformat()
    movers = run.movers.copy()
    movers["as_of"] = run.as_of.isoformat()
    t = run.assignments.copy()
    vpt = dict(zip(run.movers.index, _points_of(run.movers), strict=True))
    spt = dict(zip(run.sites.index, _points_of(run.sites), strict=True))
    lines = [
        shapely.LineString([vpt[v], spt[s]]) if isinstance(s, str) and s in spt else None
        for v, s in zip(t["village_id"], t["site_id"], strict=True)
    ]
    t["village_name"] = t["village_id"].map(run.movers["village_name"])
    t["site_name"] = t["site_id"].map(run.sites["site_name"])
    t["rule_id"], t["source"], t["as_of"] = run.rule.rule_id, run.rule.source, run.as_of.isoformat()
    assignments = gpd.GeoDataFrame(t, geometry=lines, crs=crs)
    used = run.sites[run.sites["used"]]
    radii = [
        {
            "site_id": s,
            "kind": k,
            "radius_m": run.rule.radius_m[k],
            "geometry": shapely.LineString(
                shapely.buffer(spt[s], run.rule.radius_m[k], quad_segs=16).exterior
            ),
        }
        for s in used.index
        for k in KINDS
    ]
    ex = [run.check.exclusions[run.check.exclusions.geometry.notna()]]
    if run.free_excluded is not None:
        ex.append(run.free_excluded[run.free_excluded.geometry.notna()])
    exclusions = gpd.GeoDataFrame(pd.concat(ex, ignore_index=True), geometry="geometry", crs=crs)
    return {
        "relocation_villages": movers.reset_index(drop=True),
        "relocation_sites": sites.reset_index(drop=True),
        "relocation_excluded": exclusions,
        "relocation_assignments": assignments,
        "relocation_service_radii": gpd.GeoDataFrame(
            pd.DataFrame(radii, columns=["site_id", "kind", "radius_m", "geometry"]),
            geometry="geometry",
            crs=crs,
        ),
    }


def _sheets(run: RelocationRun, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, pd.DataFrame]:
    def flat(g: gpd.GeoDataFrame) -> pd.DataFrame:
        return pd.DataFrame(g.drop(columns=g.geometry.name))

    sites = flat(layers["relocation_sites"])
    methods = pd.DataFrame(run.methods, columns=["item", "method"])
    methods = pd.concat(
        [
            methods,
            pd.DataFrame(
                [
                    ("rule", f"{run.rule.rule_id} {run.rule.title}: {run.rule.source}"),
                    ("land standard", run.rule.land_source),
                    ("radii", run.rule.radius_source),
                    ("as of", run.as_of.isoformat()),
                    *((f"input {k}", v) for k, v in run.inputs),
                ],
                columns=["item", "method"],
            ),
        ],
        ignore_index=True,
    )
    return {
        "安置-搬迁村庄": _label(flat(layers["relocation_villages"])),
        "安置-候选地块": _label(sites),
        "安置-排除原因": _label(flat(layers["relocation_excluded"])),
        "安置-分配方案": _label(flat(layers["relocation_assignments"])),
        "安置-方法说明": methods,
    }


_EX_COLOURS = {
    "zones": "#7b3294",
    "farmland": "#f1a340",
    "redline": "#d7191c",
    "water": "#2c7bb6",
    "planning_area": "#636363",
    "too_small": "#bdbdbd",
    "union": "#000000",
}


def _add_context(m: folium.Map, run: RelocationRun, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Zones, the planning area, the constraint layers (off at first) and the excluded areas."""
    add_layer(
        m,
        run.zones,
        name="开发区 zones",
        style={"color": "#333", "weight": 2, "fillOpacity": 0.03},
        fields={"zone_id": "开发区编号", "zone_name": "开发区名称"},
    )
    c = run.constraints
    if c is not None and c.planning_area is not None:
        pa = c.planning_area.assign(name=c.label("planning_area"))
        add_layer(
            m,
            pa,
            name="城市规划区 planning area",
            fields={"name": "数据"},
            style={"color": "#1f78b4", "weight": 2, "dashArray": "6 4", "fill": False},
        )
    for role, label in (("farmland", "永久基本农田"), ("redline", "生态保护红线"), ("water", "水域")):
        g = c.layer(role) if c is not None else None
        if g is not None and len(g):
            add_layer(
                m,
                g.assign(layer=label),
                name=f"{label}（全部）",
                show=False,
                fields={"layer": "图层"},
                style={
                    "color": _EX_COLOURS[role],
                    "weight": 0.5,
                    "fillColor": _EX_COLOURS[role],
                    "fillOpacity": 0.25,
                },
            )
    ex = layers["relocation_excluded"]
    add_layer(
        m,
        ex[ex["check"] != "union"].assign(_style_key=lambda d: d["check"]),
        name="排除区域 excluded areas (with reasons)",
        style=lambda p: {
            "color": _EX_COLOURS.get(p.get("_style_key", ""), "#555"),
            "weight": 1,
            "fillColor": _EX_COLOURS.get(p.get("_style_key", ""), "#555"),
            "fillOpacity": 0.45,
        },
        fields={
            "site_id": "地块",
            "check": "检查项",
            "reason": "原因",
            "area_m2": "面积(㎡)",
            "data": "数据",
        },
    )


def _add_sites(m: folium.Map, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Sites coloured by score (grey when not eligible) and the service radii of the sites in use."""
    sites = layers["relocation_sites"].copy()
    sites["_style_key"] = [
        score_colour(s) if e == "是" else "#999999"
        for s, e in zip(sites["score"], sites["eligible"], strict=True)
    ]
    add_layer(
        m,
        sites,
        name="候选地块（按评分着色）sites by score",
        style=lambda p: {
            "color": "#222",
            "weight": 1.5,
            "fillColor": p.get("_style_key", "#999"),
            "fillOpacity": 0.6,
        },
        fields={
            c: label
            for c, label in {
                "site_id": "地块编号",
                "site_name": "地块名称",
                "eligible": "是否符合",
                "reasons": "不符合原因",
                "capacity": "可安置人口",
                "population": "分配人口",
                "score": "评分",
                "score_basis": "评分构成",
                "jobs_m": "至就业地(m)",
                "mean_slope_deg": "平均坡度(度)",
            }.items()
            if c in sites.columns
        },
    )
    add_layer(
        m,
        layers["relocation_service_radii"],
        name="服务半径 service radii",
        show=False,
        style={"color": "#2b83ba", "weight": 1, "dashArray": "4 4", "fill": False},
        fields={"site_id": "地块", "kind": "设施", "radius_m": "半径(m)"},
    )


def _add_villages(m: folium.Map, run: RelocationRun, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Villages as circles of area ∝ people to house, and a line from each village to its site."""
    v = layers["relocation_villages"].copy()
    housed = set(run.assignments.dropna(subset=["site_id"])["village_id"])
    v["status"] = ["已分配" if i in housed else "未安置" for i in v["village_id"]]
    people = v["population_to_house"].fillna(0).astype(float)
    radius = np.sqrt(np.maximum(people.to_numpy(), 1) * M2_PER_PERSON_ON_MAP / np.pi)
    v = v.set_geometry(gpd.GeoSeries(shapely.buffer(_points_of(v), radius), index=v.index, crs=v.crs))
    add_layer(
        m,
        v,
        name="搬迁村庄（圆面积∝人口）villages",
        style=lambda p: {
            "color": "#08519c" if p.get("status") == "已分配" else "#cb181d",
            "weight": 1,
            "fillOpacity": 0.6,
        },
        fields={
            "village_name": "村庄",
            "population_to_house": "需安置人口",
            "status": "状态",
            "share_inside": "区内比例",
            "reason": "说明",
        },
    )
    a = layers["relocation_assignments"]
    add_layer(
        m,
        a[a.geometry.notna()],
        name="村庄→安置地块 assignments",
        style={"color": "#08519c", "weight": 2, "opacity": 0.8},
        fields={
            "village_name": "村庄",
            "site_name": "安置地块",
            "population": "人口",
            "distance_m": "距离(m)",
            "distance_method": "距离方法",
        },
    )


def _add_map(m: folium.Map, *, run: RelocationRun, layers: dict[str, gpd.GeoDataFrame]) -> None:
    _add_context(m, run, layers)
    _add_sites(m, layers)
    _add_villages(m, run, layers)
    add_legend(
        m,
        "安置社区 R7",
        {
            "评分高 score 100": score_colour(100),
            "评分中 50": score_colour(50),
            "评分低 0": score_colour(0),
            "不符合/无法判定": "#999999",
            "已分配村庄": "#08519c",
            "未安置村庄": "#cb181d",
            "永久基本农田": _EX_COLOURS["farmland"],
            "生态保护红线": _EX_COLOURS["redline"],
            "水域": _EX_COLOURS["water"],
            "开发区": _EX_COLOURS["zones"],
        },
    )


def relocation_outputs(
    run: RelocationRun, *, out_dir: str | Path | None = None, qa: QALog | None = None
) -> Outputs:
    """Return the sheets, GeoPackage layers and map layers of a run; with ``out_dir``, draw the print map.

    A print map that cannot be drawn (no CJK font) is a QA row when ``qa`` is given, an error otherwise.
    """
    layers = _layers(run)
    out = Outputs(sheets=_sheets(run, layers), layers=layers)
    out.map_layers.append(functools.partial(_add_map, run=run, layers=layers))
    if out_dir is not None:
        try:
            out.files["relocation_print_map"] = print_map(
                run, Path(out_dir) / "relocation_map.png", layers=layers
            )
        except DevzoneError as exc:
            if qa is None:
                raise
            qa.add(
                "print_map", f"relocation print map not drawn: {exc}", layer="relocation", severity="warning"
            )
    return out


def print_map(
    run: RelocationRun, path: str | Path, *, layers: dict[str, gpd.GeoDataFrame] | None = None
) -> Path:
    """Draw the relocation print map (PNG, A4 landscape) and return its path.

    Raises
    ------
    DevzoneError
        When no CJK font is found.
    """
    from analysis.relocation_printmap import draw

    return draw(run, Path(path), layers=layers or _layers(run), people_m2=M2_PER_PERSON_ON_MAP)
