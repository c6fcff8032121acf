"""The relocation print map (PNG), drawn with the shared :func:`geo.printmap.draw_print_map`.

One A4 landscape map of all zones: 永久基本农田, 生态保护红线 and water as context, roads, the zones,
candidate sites coloured by score class (hatched grey when not eligible), service radii of the sites in
use, villages as circles whose area is proportional to the people to house (blue housed, red not), a
line from each village to its site, and the facilities. The font comes from the shared CJK font lookup
(``geo.printmap.find_cjk_font``: ``DEVZONE_CJK_FONT``, ``fc-list :lang=zh``, usual paths); without one
the map is not drawn and the run says why (a QA row), the other outputs are unaffected.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.report import devzone_version
from geo.gk import gk_zone_of_crs
from geo.printmap import MapLayer, draw_print_map

if TYPE_CHECKING:
    from analysis.relocation_run import RelocationRun

__all__ = ["SCORE_CLASSES", "draw", "score_class"]

log = logging.getLogger(__name__)

#: Score classes of the print map: (lower bound, label, colour).
SCORE_CLASSES = (
    (80.0, "评分 ≥ 80", "#1a9850"),
    (60.0, "评分 60–80", "#91cf60"),
    (40.0, "评分 40–60", "#fee08b"),
    (0.0, "评分 < 40", "#fc8d59"),
)
_CONTEXT = (
    ("farmland", "永久基本农田", "#f6d8a8"),
    ("redline", "生态保护红线", "#f4a6a6"),
    ("water", "水域", "#a6cee3"),
)


def score_class(score: float | None, eligible: bool | None) -> str:
    """Return the print-map class of a site.

    >>> score_class(85.0, True), score_class(39.9, True), score_class(90.0, False)
    ('评分 ≥ 80', '评分 < 40', '不符合选址要求或无法判定')
    """
    if eligible is not True or score is None or pd.isna(score):
        return "不符合选址要求或无法判定"
    return next(label for low, label, _ in SCORE_CLASSES if float(score) >= low)


def _context_layers(run: RelocationRun) -> list[MapLayer]:
    """永久基本农田, 生态保护红线, water, the planning area, the roads of the network and the zones."""
    out: list[MapLayer] = []
    for role, label, colour in _CONTEXT:
        g = run.constraints.layer(role) if run.constraints is not None else None
        if g is not None and len(g):
            out.append(MapLayer(g, label, facecolor=colour, edgecolor="none", linewidth=0, zorder=1))
    pa = run.constraints.planning_area if run.constraints is not None else None
    if pa is not None and len(pa):
        out.append(
            MapLayer(pa, "城市规划区", edgecolor="#1f78b4", linewidth=1.2, linestyle="dashed", zorder=2)
        )
    if run.roads is not None and len(run.roads):
        out.append(
            MapLayer(
                gpd.GeoDataFrame(geometry=run.roads),
                "道路（计算距离的路网）",
                edgecolor="#9e9e9e",
                linewidth=0.7,
                zorder=2,
            )
        )
    out.append(
        MapLayer(
            run.zones,
            "开发区",
            facecolor="#e7d4e8",
            edgecolor="#7b3294",
            linewidth=1.6,
            zorder=3,
            text_column="zone_name",
        )
    )
    return out


def _result_layers(
    run: RelocationRun, layers: dict[str, gpd.GeoDataFrame], people_m2: float
) -> list[MapLayer]:
    """Sites by score class, service radii, assignment lines, village circles and facilities."""
    out: list[MapLayer] = []
    sites = run.sites.copy()
    sites["class"] = [score_class(s, e) for s, e in zip(sites["score"], sites["eligible"], strict=True)]
    sites["label"] = sites.index.astype(str)
    colours = {label: c for _, label, c in SCORE_CLASSES} | {"不符合选址要求或无法判定": "#d9d9d9"}
    out.append(
        MapLayer(
            sites,
            "候选地块",
            column="class",
            colours=colours,
            edgecolor="#333333",
            linewidth=0.8,
            zorder=4,
            text_column="label",
        )
    )
    radii = layers["relocation_service_radii"]
    if len(radii):
        out.append(
            MapLayer(
                radii,
                "设施服务半径（已用地块）",
                edgecolor="#2b83ba",
                linewidth=0.5,
                linestyle="dashed",
                zorder=5,
            )
        )
    a = layers["relocation_assignments"]
    a = a[a.geometry.notna()]
    if len(a):
        out.append(MapLayer(a, "村庄→安置地块", edgecolor="#08519c", linewidth=1.2, zorder=6))
    if len(run.movers):
        v = layers["relocation_villages"]
        housed = v["village_id"].isin(run.assignments.dropna(subset=["site_id"])["village_id"])
        people = v["population_to_house"].fillna(0).astype(float).to_numpy()
        pts = np.asarray(v.geometry.values, dtype=object)
        pts = np.where(shapely.get_type_id(pts) == 0, pts, shapely.point_on_surface(pts))
        circles = gpd.GeoDataFrame(
            {"status": np.where(housed, "已分配村庄", "未安置村庄")},
            geometry=shapely.buffer(pts, np.sqrt(np.maximum(people, 1) * people_m2 / np.pi)),
            crs=v.crs,
        )
        out.append(
            MapLayer(
                circles,
                "搬迁村庄",
                column="status",
                colours={"已分配村庄": "#08519c", "未安置村庄": "#cb181d"},
                labels={"已分配村庄": "已分配村庄（面积∝人口）", "未安置村庄": "未安置村庄"},
                edgecolor="#ffffff",
                linewidth=0.4,
                alpha=0.8,
                zorder=7,
            )
        )
    if run.facilities is not None and len(run.facilities):
        out.append(MapLayer(run.facilities, "公共服务设施", edgecolor="#2b83ba", markersize=6, zorder=8))
    return out


def draw(run: RelocationRun, path: Path, *, layers: dict[str, gpd.GeoDataFrame], people_m2: float) -> Path:
    """Draw the map into ``path`` (PNG) and return it.

    Raises
    ------
    DevzoneError
        When no CJK font is found (from :func:`geo.printmap.draw_print_map`).
    """
    parts = [shapely.box(*run.zones.total_bounds), shapely.box(*run.sites.total_bounds)]
    if len(run.movers):
        parts.append(shapely.box(*run.movers.total_bounds))
    focus = gpd.GeoDataFrame(geometry=[shapely.envelope(shapely.union_all(parts))], crs=run.zones.crs)
    # the largest village circle gets a radius of 2 % of the frame's width (area ∝ people)
    minx, _, maxx, _ = focus.total_bounds
    most = float(run.movers["population_to_house"].fillna(0).max()) if len(run.movers) else 0.0
    if most > 0:
        people_m2 = max(people_m2, np.pi * (0.02 * (maxx - minx)) ** 2 / most)
    r = run.result
    need = int(run.movers["population_to_house"].fillna(0).sum())
    info = [
        f"搬迁村庄 {len(run.movers)} 个，需安置 {need:,} 人",
        f"已安置 {r.housed:,} 人" if r is not None else "未分配",
        f"使用地块 {int(run.sites['used'].sum())} 个（每处不少于 {run.rule.min_site_population:,} 人）",
        f"距离：{run.distance_method}",
        f"依据：{run.rule.rule_id} {run.rule.title}"
        "（《关于促进产业集聚区持续健康快速发展的意见》九(二十四)）",
    ]
    footer = [
        "数据：" + "；".join(f"{k} {Path(v).name}" for k, v in run.inputs),
        f"底图：无（未使用在线地图瓦片）；坐标系 {run.analysis_crs.label}；制图：devzone {devzone_version()}",
    ]
    gk = gk_zone_of_crs(run.zones.crs)
    written = draw_print_map(
        focus,
        _context_layers(run) + _result_layers(run, layers, people_m2),
        title="开发区村庄搬迁安置社区选址与分配图",
        date=run.as_of.isoformat(),
        out_png=path,
        subtitle="R7 安置社区（集中安置，人口5000人以上）",
        info=info,
        footer=footer,
        zone_prefix=gk.zone if gk and gk.prefix else None,
        dpi=150,
    )
    return written["png"]
