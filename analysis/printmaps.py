"""Print maps per zone for the application (出图): what every check found, drawn with :mod:`geo.printmap`.

Each zone's map shows its boundary (red), the land use inside it by R1 category (when the 60% check ran),
the 三区三线 overlaps and the control layers around it (when the R2 check ran), the neighbouring zones,
the named roads, rivers and places around it, its boundary points (all J numbers up to
``label_points_max``, else the extreme points), a grid in the document CRS (the zone's Gauss-Krüger
system), a scale bar, a north arrow, a legend and a panel with the zone's figures. No tile basemap is
used ("底图：无"); the footer names every data source.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from analysis.boundary_docs import zone_folder_name
from analysis.report import Outputs, devzone_version
from geo.errors import DevzoneError
from geo.gk import gk_zone_of_crs
from geo.maps import CATEGORY_COLOURS
from geo.printmap import MapLayer, draw_print_map
from geo.qa import QALog

if TYPE_CHECKING:
    from analysis.pipeline import Context

__all__ = ["PrintInputs", "job_printmaps", "run_printmaps", "zone_info_lines"]

log = logging.getLogger(__name__)

CATEGORY_LABELS = {
    "industrial": "产业用地（工矿仓储）",
    "other_construction": "其他建设用地",
    "non_construction": "非建设用地",
    "unknown": "未识别地类",
    "uncovered": "无地类数据",
}
#: Overlap parts (findings), drawn in this order (farmland on top): fill, hatch, edge, legend label.
OVERLAP_STYLE = {
    "urban": ("none", "xxx", "#000000", "城镇开发边界外（超出部分）"),
    "redline": ("#ff7f00", "xx", "#7f3f00", "占生态保护红线"),
    "farmland": ("#e31a1c", "xx", "#67000d", "占永久基本农田"),
}
CONTROL_STYLE = {
    "farmland": ("#33a02c", "////", "永久基本农田"),
    "redline": ("#b15928", "\\\\\\\\", "生态保护红线"),
    "urban": ("#6a3d9a", None, "城镇开发边界"),
}


@dataclass(frozen=True)
class PrintInputs:
    """What the print maps draw; every layer optional but the zones."""

    zones: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame | None = None
    overlaps: gpd.GeoDataFrame | None = None
    controls: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    names: gpd.GeoDataFrame | None = None
    points: gpd.GeoDataFrame | None = None
    proposals: gpd.GeoDataFrame | None = None
    info: Mapping[str, Sequence[str]] = field(default_factory=dict)
    sources: Sequence[str] = ()


def _near(gdf: gpd.GeoDataFrame | None, crs: Any, view: shapely.Geometry) -> gpd.GeoDataFrame | None:
    if gdf is None or len(gdf) == 0:
        return None
    g = gdf.to_crs(crs) if not gdf.crs.equals(crs) else gdf
    sub = g[g.intersects(view)].copy()
    if len(sub) == 0:
        return None
    sub = sub.set_geometry(sub.geometry.intersection(view))
    return sub[~sub.geometry.is_empty]


def _layers(inp: PrintInputs, zone: gpd.GeoDataFrame, crs: Any, view: shapely.Geometry) -> list[MapLayer]:
    zid = str(zone["zone_id"].iloc[0])
    layers: list[MapLayer] = []
    lu = _near(inp.landuse, crs, view)
    if lu is not None and "category" in lu:
        lu = lu[lu["zone_id"].astype(str) == zid] if "zone_id" in lu else lu
        cats = [c for c in CATEGORY_LABELS if c in set(lu["category"])]
        layers.append(
            MapLayer(
                lu,
                "地类",
                column="category",
                colours={c: CATEGORY_COLOURS[c] for c in cats},
                labels=CATEGORY_LABELS,
                edgecolor="#9e9e9e",
                linewidth=0.15,
                alpha=0.85,
                zorder=1,
            )
        )
    for kind, (colour, hatch, label) in CONTROL_STYLE.items():
        ctl = _near(inp.controls.get(kind), crs, view)
        if ctl is not None:
            ls = "dashed" if kind == "urban" else "solid"
            layers.append(MapLayer(ctl, label, edgecolor=colour, hatch=hatch, linewidth=0.9, linestyle=ls, zorder=3))
    ov = _near(inp.overlaps, crs, view)
    if ov is not None:
        ov = ov[(ov["zone_id"].astype(str) == zid) & ov.get("finding", True).astype(bool)]
        for kind, (colour, hatch, edge, label) in OVERLAP_STYLE.items():
            part = ov[ov["kind"] == kind]
            if len(part):
                layers.append(
                    MapLayer(
                        part,
                        label,
                        facecolor=colour,
                        hatch=hatch,
                        edgecolor=edge,
                        linewidth=0.9,
                        alpha=0.8 if colour != "none" else 1.0,
                        zorder=4,
                    )
                )
    others = _near(inp.zones[inp.zones["zone_id"].astype(str) != zid], crs, view)
    if others is not None:
        layers.append(
            MapLayer(
                others,
                "其他开发区",
                edgecolor="#555555",
                linewidth=1.2,
                linestyle="dashed",
                zorder=5,
                text_column="zone_name",
            )
        )
    layers += _name_layers(_near(inp.names, crs, view))
    layers.append(MapLayer(zone, "开发区边界（四至范围）", edgecolor="#d7191c", linewidth=2.2, zorder=10))
    prop = _near(inp.proposals, crs, view)
    if prop is not None and len(prop[prop["zone_id"].astype(str) == zid]):
        layers.append(
            MapLayer(
                prop[prop["zone_id"].astype(str) == zid],
                "四至调整建议（方案，未经批准）",
                edgecolor="#2166ac",
                linewidth=1.8,
                linestyle="dashed",
                zorder=11,
            )
        )
    return layers


NAME_STYLE = {
    "rivers": {
        "facecolor": "#a6cee3",
        "edgecolor": "#1f78b4",
        "linewidth": 1.6,
        "alpha": 0.9,
        "label": "河流",
    },
    "roads": {"edgecolor": "#4d4d4d", "linewidth": 1.3, "label": "道路"},
}
_PLACE_STYLE = {"edgecolor": "#6b6b6b", "linewidth": 0.8, "linestyle": "dotted", "label": "村庄、地名"}


def _name_layers(names: gpd.GeoDataFrame | None) -> list[MapLayer]:
    if names is None:
        return []
    roles = names["role"] if "role" in names else names["layer"]
    kinds = names.geometry.geom_type.str.replace("Multi", "")
    out = []
    for role in sorted(set(roles)):
        style = dict(NAME_STYLE.get(role, _PLACE_STYLE))
        for kind in ("Polygon", "LineString", "Point"):
            sub = names[(roles == role) & (kinds == kind)]
            if not len(sub):
                continue
            st = dict(style)
            if kind != "Polygon" or role not in ("rivers",):
                st.pop("facecolor", None)
            out.append(MapLayer(sub, zorder=6, text_column="name", **st))
    return out


def _points_to_label(points: gpd.GeoDataFrame | None, zid: str, max_labels: int, crs: Any) -> gpd.GeoDataFrame | None:
    if points is None:
        return None
    p = points[(points["zone_id"] == zid) & ~points["closing"]]
    if len(p) > max_labels:
        keep = {
            p.loc[p["easting_m"].idxmax(), "point"],
            p.loc[p["easting_m"].idxmin(), "point"],
            p.loc[p["northing_m"].idxmax(), "point"],
            p.loc[p["northing_m"].idxmin(), "point"],
            "J1",
        }
        p = p[p["point"].isin(keep)]
    return p.to_crs(crs) if not p.crs.equals(crs) else p


def run_printmaps(
    inputs: PrintInputs,
    *,
    out_dir: Path,
    date: str,
    params: Mapping[str, Any],
    crs: Any = None,
    qa: QALog,
    zone_ids: Sequence[str] = (),
) -> dict[str, Path]:
    """Draw one print map (PNG and PDF) per zone into its folder; return the files by label.

    Parameters
    ----------
    inputs : PrintInputs
    out_dir : Path, keyword-only
        Each zone's maps go to ``out_dir / zone_folder_name(...)``.
    date : str, keyword-only
        The date printed on the maps.
    params : mapping, keyword-only
        ``[rules."DOC.printmap"]``: ``dpi``, ``paper_mm``, ``label_points_max``.
    crs : optional, keyword-only
        The CRS to draw in (default the zones'); the grid is labelled in it.
    qa : QALog, keyword-only
    zone_ids : sequence of str, keyword-only
        Only these zones (default all).

    Raises
    ------
    DevzoneError
        When no CJK font is found (see :func:`geo.printmap.find_cjk_font`).
    """
    draw_crs = crs or inputs.zones.crs
    zones = inputs.zones.to_crs(draw_crs) if not inputs.zones.crs.equals(draw_crs) else inputs.zones
    gk = gk_zone_of_crs(draw_crs)
    files: dict[str, Path] = {}
    footer = [
        f"数据：{'；'.join(inputs.sources) or '开发区图层'}",
        f"底图：无（未使用在线地图瓦片）；制图：devzone {devzone_version()}，{date}",
    ]
    for i in range(len(zones)):
        zone = zones.iloc[[i]]
        zid, name = str(zone["zone_id"].iloc[0]), str(zone["zone_name"].iloc[0])
        if zone_ids and zid not in zone_ids:
            continue
        minx, miny, maxx, maxy = zone.total_bounds
        pad = 0.6 * max(maxx - minx, maxy - miny) + 200
        view = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
        folder = out_dir / zone_folder_name(zid, name)
        stem = f"出图_{zone_folder_name(zid, '')}"
        written = draw_print_map(
            zone,
            _layers(inputs, zone, draw_crs, view),
            title=f"{name} 四至范围与用地现状图",
            date=date,
            out_png=folder / f"{stem}.png",
            out_pdf=folder / f"{stem}.pdf",
            subtitle=f"开发区编号 {zid}",
            info=list(inputs.info.get(zid, ())),
            footer=footer,
            points=_points_to_label(inputs.points, zid, int(params.get("label_points_max", 60)), draw_crs),
            zone_prefix=gk.zone if gk and gk.prefix else None,
            paper_mm=tuple(params.get("paper_mm", (297.0, 210.0))),
            dpi=int(params.get("dpi", 200)),
        )
        files.update({f"出图 {kind.upper()} {zid}": p for kind, p in written.items()})
        log.info("print map of %s: %s", zid, ", ".join(str(p) for p in written.values()))
    return files


def _cn(v: object) -> str:
    return {"pass": "达标", "fail": "不达标", "cannot decide": "无法判定"}.get(str(v), str(v))


def zone_info_lines(zid: str, zone: gpd.GeoSeries | Any, results: Mapping[str, Any]) -> list[str]:
    """Return the information-panel lines of one zone from the run's results (duck-typed, all optional)."""
    area = float(zone.geometry.area)
    lines = [
        f"开发区：{zone['zone_name']}（{zid}）",
        f"面积：{area / 10_000:,.2f} 公顷（{area * 15 / 10_000:,.2f} 亩）",
    ]
    docs = results.get("boundary_docs")
    if docs is not None:
        s = docs.summary[docs.summary["zone_id"] == zid]
        if len(s):
            lines.append(f"界址点 {int(s['points'].iloc[0])} 个，地块 {int(s['parcels'].iloc[0])} 块")
        lines += [f"四至：{r.text}" for r in docs.sides if r.zone_id == zid]
    ind = results.get("industrial")
    for v in getattr(ind, "verdicts", []):
        if v.zone_id == zid:
            share = "—" if v.share_of_construction is None else f"{v.share_of_construction:.1%}"
            lines.append(f"R1 产业用地占建设用地 {share}，占开发区 {v.share_of_zone:.1%}：{_cn(v.verdict)}")
    con = results.get("constraints")
    for v in getattr(getattr(con, "result", None), "verdicts", []):
        if v.zone_id == zid:
            figs = [
                (k, getattr(v, a))
                for k, a in (
                    ("占永久基本农田", "farmland_overlap_m2"),
                    ("占生态保护红线", "redline_overlap_m2"),
                    ("城镇开发边界外", "outside_urban_boundary_m2"),
                )
            ]
            text = "，".join(f"{k} {x / 10_000:,.4f} 公顷" for k, x in figs if x is not None)
            lines.append(f"R2 三区三线：{text or '无控制线数据'}：{_cn(v.verdict)}")
    for r in getattr(results.get("proposal"), "results", []):
        v = r.verdict
        if v.zone_id == zid and v.status == "proposed":
            after = "—" if v.share_after is None else f"{v.share_after:.1%}"
            lines.append(
                f"四至调整建议（未经批准）：调出 {v.removed_m2 / 10_000:,.4f} 公顷，调入 "
                f"{v.added_m2 / 10_000:,.4f} 公顷，调整后产业用地占比 {after}（虚线）"
            )
    return lines


_MAP_ROLES = {
    "zones": "开发区",
    "landuse": "地类",
    "farmland": "永久基本农田",
    "redline": "生态保护红线",
    "urban_boundary": "城镇开发边界",
    "roads": "道路",
    "rivers": "河流",
    "villages": "村庄",
    "places": "地名",
    "names": "地名",
}


def _sources(ctx: Context) -> list[str]:
    out = []
    for role, label in _MAP_ROLES.items():
        spec = ctx.project.layers.get(role)
        if spec is not None:
            src = spec.get("source") or f"{Path(spec.path).name}{':' + spec.layer if spec.layer else ''}"
            date = spec.get("date")
            out.append(f"{label}：{src}" + (f"（{date}）" if date else ""))
    return out


def _proposals(results: Mapping[str, Any]) -> gpd.GeoDataFrame | None:
    """The proposed boundaries of the proposal job (status ``proposed``), one row per zone, or None."""
    polys = [
        r.polygon
        for r in getattr(results.get("proposal"), "results", [])
        if r.verdict.status == "proposed" and len(r.polygon)
    ]
    if not polys:
        return None
    frame = gpd.GeoDataFrame(pd.concat(polys, ignore_index=True), crs=polys[0].crs)
    return frame.dissolve(by="zone_id", as_index=False)[["zone_id", "geometry"]]


def job_printmaps(ctx: Context) -> Outputs:
    """The pipeline job: draw every zone's print map from what earlier jobs found (keep it last)."""
    res = ctx.results
    docs = res.get("boundary_docs")
    ind = res.get("industrial")
    con = res.get("constraints")
    landuse = ind.outputs().layers.get("landuse_pieces") if ind is not None else None
    controls = {k: getattr(getattr(con, "controls", None), k, None) for k in CONTROL_STYLE}
    inputs = PrintInputs(
        zones=ctx.zones,
        landuse=landuse,
        overlaps=getattr(getattr(con, "result", None), "parts", None),
        controls={k: v for k, v in controls.items() if v is not None},
        names=getattr(docs, "names", None),
        points=getattr(docs, "points", None),
        proposals=_proposals(res),
        info={str(z): zone_info_lines(str(z), row, res) for z, row in ctx.zones.iterrows()},
        sources=_sources(ctx),
    )
    params = ctx.profile.rule("DOC.printmap")
    try:
        files = run_printmaps(
            inputs,
            out_dir=ctx.out_dir,
            date=ctx.as_of.isoformat() if isinstance(ctx.as_of, dt.date) else str(ctx.as_of),
            params=params,
            crs=getattr(docs, "doc_crs", None),
            qa=ctx.qa,
            zone_ids=tuple(ctx.options.get("zone_ids", ())),
        )
    except DevzoneError as exc:
        ctx.qa.add("printmap", f"print maps cannot be drawn, because {exc}", layer="print maps", severity="error")
        return Outputs()
    res["printmaps"] = files
    return Outputs(files=files)
