"""The application package (``devzone review``): every check, and per zone a folder a planner can hand in.

:func:`build_review_package` runs every job the project has layers for (:func:`analysis.pipeline.run_jobs`)
and writes::

    OUT/
      清单.txt, index.html        what every file is, per zone, with the verdicts and the QA summary
      report.xlsx, findings.gpkg, map.html     all zones together
      <zone id>_<zone name>/
        report.xlsx               every sheet, only this zone's rows (+ QA rows of this zone, rules)
        findings.gpkg             every layer, only this zone's features
        map.html                  the web map with every layer, fitted to this zone
        界址点坐标表_<id>.xlsx      boundary-point table (J1…Jn, X/Y, side lengths, areas, 四至)
        界址点坐标_<id>.txt         coordinate exchange file (勘测定界/用地报批 TXT)
        出图_<id>.png / .pdf        print map
        清单.txt                   this folder's files

A table is cut to a zone by its zone column (``zone_id``, ``zone``, a labelled ``… zone_id``, or the pair
``zone_a``/``zone_b``); a table without one is kept whole (it is not about one zone). A layer without a
zone column keeps the features within 500 m of the zone.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from analysis.boundary_docs import zone_folder_name
from analysis.pipeline import Context, run_jobs
from analysis.report import Outputs, RunInfo, write_outputs
from geo.errors import DataError
from geo.qa import QALog

__all__ = ["ReviewPackage", "build_review_package", "filter_frame", "zone_outputs"]

log = logging.getLogger(__name__)

_NEAR_M = 500.0
DESCRIPTIONS = (
    ("report.xlsx", "核查报告工作簿：各项核查的汇总与明细表、QA 数据质量记录、规则与参数"),
    ("findings.gpkg", "GeoPackage：核查结果的空间图层（可在 QGIS/ArcGIS 中打开）"),
    ("map.html", "网页地图（Folium，用浏览器打开；含全部图层，可切换）"),
    ("界址点坐标表_", "界址点坐标成果表：J1…Jn 的 X/Y 坐标、边长、地块与圈号、面积（公顷、亩）、四至"),
    ("界址点坐标_", "坐标交换文件（勘测定界/用地报批 TXT：[属性描述]、[地块坐标]）"),
    ("出图_", "出图：四至范围与用地现状图"),
    ("清单.txt", "本清单"),
)


def _zone_column(df: pd.DataFrame) -> str | None:
    for c in df.columns:
        if str(c).split(" ")[-1] in ("zone_id", "zone"):
            return str(c)
    return None


def filter_frame(df: pd.DataFrame, zone_id: str) -> pd.DataFrame | None:
    """Return the rows of a table about one zone, or None when the table has no zone column.

    >>> t = pd.DataFrame({"开发区编号 zone_id": ["A", "B"], "v": [1, 2]})
    >>> filter_frame(t, "B")["v"].tolist()
    [2]
    >>> filter_frame(pd.DataFrame({"zone_a": ["A"], "zone_b": ["C"]}), "C").shape[0]
    1
    """
    if {"zone_a", "zone_b"} <= set(map(str, df.columns)):
        return df[(df["zone_a"].astype(str) == zone_id) | (df["zone_b"].astype(str) == zone_id)]
    col = _zone_column(df)
    if col is None:
        return None
    return df[df[col].astype(str) == zone_id]


def zone_outputs(outputs: Outputs, zone: gpd.GeoDataFrame, folder: Path) -> Outputs:
    """Cut a run's outputs to one zone: its rows, its features, every map layer, the files in its folder."""
    zid = str(zone["zone_id"].iloc[0])
    sheets = {}
    for name, df in outputs.sheets.items():
        cut = filter_frame(df, zid)
        sheets[name] = df if cut is None else cut
    layers = {}
    for name, gdf in outputs.layers.items():
        cut = filter_frame(gdf, zid)
        if cut is None and gdf.crs is not None and len(gdf):
            near = zone.to_crs(gdf.crs).geometry.iloc[0].buffer(_NEAR_M)
            cut = gdf[gdf.intersects(near)]
        if cut is not None and len(cut):
            layers[name] = cut
    files = {k: p for k, p in outputs.files.items() if Path(p).parent == folder}
    return Outputs(sheets=sheets, layers=layers, map_layers=list(outputs.map_layers), files=files)


def _zone_qa(qa: QALog, zone_id: str) -> QALog:
    return QALog(rows=[r for r in qa.rows if r.zone in (None, zone_id)])


@dataclass
class ReviewPackage:
    """What :func:`build_review_package` wrote."""

    out_dir: Path
    files: dict[str, Path]
    zone_dirs: dict[str, Path]
    context: Context
    index: dict[str, Path] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the written files per zone as plain values."""
        return {
            "out_dir": str(self.out_dir),
            "index": {k: str(v) for k, v in self.index.items()},
            "files": {k: str(v) for k, v in self.files.items()},
            "zones": {z: sorted(p.name for p in d.iterdir()) for z, d in self.zone_dirs.items()},
        }


def build_review_package(
    project: Any,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    basemap: str = "osm",
    zone_ids: Sequence[str] = (),
    documents: Mapping[str, Any] | None = None,
    only: Sequence[str] = (),
) -> ReviewPackage:
    """Run every check of a project and write the application package (see the module docstring).

    Parameters
    ----------
    project : Project, str or Path
        The project file.
    out_dir : str or Path
        The package folder; refused when it holds files, unless ``overwrite``.
    overwrite : bool, keyword-only
    basemap : str, keyword-only
        Web-map basemap (``osm``, ``tianditu``, ``none``).
    zone_ids : sequence of str, keyword-only
        Package only these zones (every check still sees all zones); default all.
    documents : mapping, optional, keyword-only
        TXT header values and options (``producer``, ``precision``, ``encoding``, ``use``, ``land_code``),
        over the project file's ``[documents]`` table and the profile.
    only : sequence of str, keyword-only
        Run only these jobs (default all; ``boundary_docs`` and ``printmaps`` make the documents).

    Returns
    -------
    ReviewPackage

    Raises
    ------
    DataError
        When a zone in ``zone_ids`` is not in the zone layer.
    """
    options = {"zone_ids": tuple(zone_ids), "documents": dict(documents or {})}
    outputs, ctx, info = run_jobs(project, out_dir, overwrite=overwrite, only=tuple(only), options=options)
    unknown = sorted(set(zone_ids) - set(ctx.zones["zone_id"].astype(str)))
    if unknown:
        msg = (
            f"--zone {', '.join(unknown)}: no such zone in {ctx.project.layers['zones'].label}; "
            "the zones are "
            f"{', '.join(ctx.zones['zone_id'].astype(str))}"
        )
        raise DataError(msg)
    out = ctx.out_dir
    files = write_outputs(out, outputs, info, ctx.qa, basemap=basemap, zones=ctx.zones)
    zone_dirs: dict[str, Path] = {}
    for i in range(len(ctx.zones)):
        zone = ctx.zones.iloc[[i]]
        zid, name = str(zone["zone_id"].iloc[0]), str(zone["zone_name"].iloc[0])
        if zone_ids and zid not in zone_ids:
            continue
        folder = out / zone_folder_name(zid, name)
        folder.mkdir(parents=True, exist_ok=True)
        zinfo = RunInfo(
            title=f"{info.title} — {name}（{zid}）",
            as_of=info.as_of,
            analysis_crs=info.analysis_crs,
            profile=info.profile,
            inputs=info.inputs,
            run_at=info.run_at,
        )
        written = write_outputs(
            folder,
            zone_outputs(outputs, zone, folder),
            zinfo,
            _zone_qa(ctx.qa, zid),
            basemap=basemap,
            zones=zone,
        )
        files.update({f"{kind} {zid}": p for kind, p in written.items() if kind in ("workbook", "geopackage", "map")})
        zone_dirs[zid] = folder
    pkg = ReviewPackage(out_dir=out, files=files, zone_dirs=zone_dirs, context=ctx)
    pkg.index = _write_index(pkg, info)
    return pkg


def _describe(path: Path, keys: Mapping[Path, str] | None = None) -> str:
    for prefix, text in DESCRIPTIONS:
        if path.name.startswith(prefix):
            kind = {".png": "（PNG 图片）", ".pdf": "（PDF，可打印）"}.get(path.suffix, "")
            proposal = "——四至调整建议的边界（未经批准的方案）" if "_调整方案" in path.stem else ""
            return text + kind + proposal
    return (keys or {}).get(path, "")


def _verdict_lines(ctx: Context, zid: str) -> list[str]:
    from analysis.printmaps import zone_info_lines

    return zone_info_lines(zid, ctx.zones.loc[zid], ctx.results)[2:]


def _write_index(pkg: ReviewPackage, info: RunInfo) -> dict[str, Path]:
    ctx = pkg.context
    qa = ctx.qa.to_frame()
    counts = qa["severity"].value_counts().to_dict() if len(qa) else {}
    skipped = [r.message for r in ctx.qa.rows if r.check == "job_skipped"]
    head = [
        f"{info.title} — 开发区扩区申请材料清单",
        f"判定日期：{info.as_of.isoformat()}；生成：{info.run_at}；"
        f"分析坐标系：{info.analysis_crs.label}；规则：{info.profile.name} {info.profile.version}",
        "QA 记录：" + ("，".join(f"{k} {v} 条" for k, v in sorted(counts.items())) or "无"),
    ]
    lines = [*head, *(f"未运行：{s}" for s in skipped), "", "全部开发区："]
    keys = {Path(v): k for k, v in pkg.files.items()}
    lines += [f"  {p.name}：{_describe(p, keys)}" for p in sorted(pkg.out_dir.iterdir()) if p.is_file()]
    sections: list[tuple[str, list[tuple[Path, str]], list[str]]] = []
    for zid, folder in pkg.zone_dirs.items():
        entries = [(p, _describe(p, keys)) for p in sorted(folder.iterdir()) if p.is_file()]
        verdicts = _verdict_lines(ctx, zid)
        sections.append((folder.name, entries, verdicts))
        lines += [
            "",
            f"{folder.name}/",
            *(f"  · {v}" for v in verdicts),
            *(f"  {p.name}：{d}" for p, d in entries),
        ]
        zone_list = [f"{folder.name} — 文件清单", *verdicts, ""] + [f"{p.name}：{d}" for p, d in entries]
        (folder / "清单.txt").write_text("\n".join([*zone_list, "清单.txt：本清单"]) + "\n", encoding="utf-8-sig")
    txt = pkg.out_dir / "清单.txt"
    txt.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    page = pkg.out_dir / "index.html"
    page.write_text(_html(head, skipped, pkg, sections), encoding="utf-8")
    return {"清单": txt, "index": page}


def _html(
    head: list[str],
    skipped: list[str],
    pkg: ReviewPackage,
    sections: list[tuple[str, list[tuple[Path, str]], list[str]]],
) -> str:
    e = html.escape

    def rows(entries: list[tuple[Path, str]], prefix: str) -> str:
        return "".join(
            f'<tr><td><a href="{e(prefix + p.name)}">{e(p.name)}</a></td><td>{e(d)}</td>'
            f"<td>{p.stat().st_size / 1024:,.0f} KB</td></tr>"
            for p, d in entries
        )

    keys = {Path(v): k for k, v in pkg.files.items()}
    top = [(p, _describe(p, keys)) for p in sorted(pkg.out_dir.iterdir()) if p.is_file() and p.name != "index.html"]
    body = [
        f"<h1>{e(head[0])}</h1>",
        *(f"<p>{e(h)}</p>" for h in head[1:]),
        *(f'<p class="skip">未运行：{e(s)}</p>' for s in skipped),
        "<h2>全部开发区</h2><table>",
        rows(top, ""),
        "</table>",
    ]
    for name, entries, verdicts in sections:
        body += [
            f"<h2>{e(name)}</h2><ul>",
            *(f"<li>{e(v)}</li>" for v in verdicts),
            "</ul><table>",
            rows(entries, name + "/"),
            "</table>",
        ]
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td{border:1px solid #ccc;padding:3px 8px}.skip{color:#a60}"
    )
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(head[0])}</title>'
        f"<style>{style}</style></head><body>{''.join(body)}"
        f"<p>生成日期 {dt.date.today().isoformat()}，devzone</p></body></html>"
    )
