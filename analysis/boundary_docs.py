"""四至 and boundary-point documents as a job: named features, the J table, XLSX and TXT per zone.

:func:`run_boundary_docs` is what ``devzone corners``, ``devzone points``, the pipeline job
``boundary_docs`` and ``devzone review`` call. The documents are written in the Gauss-Krüger CRS chosen by
:func:`boundaries.boundary_points.document_crs` (the zones' own when it is one; a transformation is a QA
row). Each zone's files go into its own folder, :func:`zone_folder_name`.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from analysis.report import Outputs
from boundaries.boundary_points import boundary_points, document_crs, write_points_xlsx, zone_point_summary
from boundaries.coordinate_txt import TxtHeader, write_boundary_txt
from boundaries.corners import FourSides, describe_four_sides, four_sides_frame, named_features
from geo.crs import AnalysisCRS, crs_label
from geo.errors import CRSError, ProfileError
from geo.layers import LayerSpec, load_near
from geo.maps import add_layer, escape_frame
from geo.profile import RuleProfile
from geo.qa import QALog

if TYPE_CHECKING:
    from analysis.pipeline import Context

__all__ = [
    "BoundaryDocsRun",
    "DocOptions",
    "job_boundary_docs",
    "load_named_features",
    "project_documents",
    "run_boundary_docs",
    "zone_folder_name",
]

log = logging.getLogger(__name__)

SIDE_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "side_zh": "方位",
    "point": "端点",
    "northing_m": "X(北)",
    "easting_m": "Y(东)",
    "name": "界外地物",
    "layer": "地物图层",
    "distance_m": "距边界(米)",
    "along_m": "沿边长度(米)",
    "text": "四至",
    "reason": "说明",
    "search_m": "搜索距离(米)",
    "names_data": "地物数据",
    "sizhi": "四至描述",
}
POINT_LABELS = {
    "zone_id": "开发区编号",
    "zone_name": "开发区名称",
    "parcel": "地块",
    "ring": "圈号",
    "point": "点号",
    "seq": "序号",
    "northing_m": "X(北)",
    "easting_m": "Y(东)",
    "length_to_next_m": "边长(米)",
    "closing": "闭合点",
}


def zone_folder_name(zone_id: object, zone_name: object) -> str:
    """Return a folder name for a zone's documents: ``<id>_<name>`` with unsafe characters replaced.

    >>> zone_folder_name("PY01", "濮阳经济技术开发区（样例）")
    'PY01_濮阳经济技术开发区（样例）'
    >>> zone_folder_name("a/b", "x:y")
    'a_b_x_y'
    """

    def safe(s: object) -> str:
        return "".join("_" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in str(s)).strip(" .")

    zid, name = safe(zone_id), safe(zone_name)
    return zid if not name or name == zid else f"{zid}_{name}"


@dataclass(frozen=True)
class DocOptions:
    """Parameters of the boundary documents, from ``[rules."DOC.points"]`` and ``[rules."DOC.sizhi"]``."""

    decimals: int = 3
    encoding: str = "gbk"
    header: TxtHeader = field(default_factory=TxtHeader)
    use: str = ""
    land_code: str = ""
    search_m: float = 200.0
    tie_m: float = 1.0
    min_along_share: float = 0.2
    roles: tuple[str, ...] = ("roads", "rivers", "places", "villages", "names")
    crs: str | None = None

    @classmethod
    def from_profile(cls, profile: RuleProfile, *, as_of: dt.date | None = None, **overrides: Any) -> DocOptions:
        """Build the options from a profile; keyword overrides (not None) win (e.g. from the CLI)."""
        pts, sizhi = profile.rule("DOC.points"), profile.rule("DOC.sizhi")
        ov = {k: v for k, v in overrides.items() if v is not None}
        encoding = str(ov.get("encoding", pts.get("encoding", "gbk"))).lower()
        if encoding not in ("gbk", "gb18030", "utf-8", "utf8"):
            msg = f"profile {profile.origin}: DOC.points encoding {encoding!r}: use gbk, gb18030 or utf-8"
            raise ProfileError(msg)
        header = TxtHeader(
            version=str(pts.get("format_version", "1.01")),
            producer=str(ov.get("producer", pts.get("producer", ""))),
            date=(as_of or dt.date.today()).isoformat(),
            precision=str(ov.get("precision", pts.get("precision", ""))),
            transform=str(pts.get("transform", ",,,,,,")),
        )
        return cls(
            decimals=int(pts.get("decimals", 3)),
            encoding=encoding,
            header=header,
            use=str(ov.get("use", pts.get("use", ""))),
            land_code=str(ov.get("land_code", pts.get("land_code", ""))),
            search_m=float(ov.get("search_m", sizhi.get("search_m", 200.0))),
            tie_m=float(sizhi.get("tie_m", 1.0)),
            min_along_share=float(sizhi.get("min_along_share", 0.2)),
            roles=tuple(sizhi.get("roles", cls.roles)),
            crs=ov.get("crs"),
        )


def load_named_features(
    specs: Mapping[str, LayerSpec],
    zones: gpd.GeoDataFrame,
    acrs: AnalysisCRS,
    *,
    search_m: float,
    qa: QALog,
    name_field: str | None = None,
) -> tuple[gpd.GeoDataFrame | None, str]:
    """Read the road / river / place-name layers near the zones and return their named features.

    Parameters
    ----------
    specs : mapping of role → LayerSpec
        The layers to read (e.g. the project's ``roads`` and ``rivers``); each may set ``name_field``.
    zones, acrs
        The zones and the analysis CRS.
    search_m : float, keyword-only
        Features up to this far beyond the zones are read.
    qa : QALog, keyword-only
    name_field : str, optional, keyword-only
        The name field of every layer (overrides the specs' ``name_field``).

    Returns
    -------
    (GeoDataFrame or None, str)
        The named features (``name``, ``layer``, ``role``; None when no layer is given) and a description
        of the data.
    """
    if not specs:
        return None, ""
    frames = {}
    for role, spec in specs.items():
        gdf = load_near(spec, zones, acrs, qa=qa, what=f"{role} layer", pad_m=search_m + 50.0)
        frames[role] = named_features({spec.label: gdf}, name_field=name_field or spec.get("name_field"), qa=qa)
        frames[role]["role"] = role
    names = gpd.GeoDataFrame(pd.concat(list(frames.values()), ignore_index=True), crs=acrs.crs)
    return names, "; ".join(f"{role}: {spec.label}" for role, spec in specs.items())


@dataclass
class BoundaryDocsRun:
    """Everything the boundary documents produced."""

    zones: gpd.GeoDataFrame
    doc_zones: gpd.GeoDataFrame
    doc_crs: CRS
    doc_crs_reason: str
    points: gpd.GeoDataFrame
    summary: pd.DataFrame
    sides: list[FourSides]
    names: gpd.GeoDataFrame | None
    options: DocOptions
    zones_data: str = ""
    files: dict[str, Path] = field(default_factory=dict)

    def sides_frame(self) -> pd.DataFrame:
        """Return one row per zone and side (see :func:`boundaries.corners.four_sides_frame`)."""
        return four_sides_frame(self.sides)

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers, map layers and files of the boundary documents."""
        sides = self.sides_frame()
        sheet_sides = sides.rename(columns={c: f"{SIDE_LABELS[c]} {c}" for c in sides.columns if c in SIDE_LABELS})
        pts = pd.DataFrame(self.points.drop(columns="geometry"))
        sheet_pts = pts.rename(columns={c: f"{POINT_LABELS[c]} {c}" for c in pts.columns if c in POINT_LABELS})
        summary = self.summary.copy()
        summary["document_crs"] = crs_label(self.doc_crs)
        summary["document_crs_reason"] = self.doc_crs_reason
        extremes = gpd.GeoDataFrame(
            sides.drop(columns=["sizhi"]),
            geometry=gpd.points_from_xy(sides["easting_m"], sides["northing_m"]),
            crs=self.doc_crs,
        )
        out = Outputs(
            sheets={"四至": sheet_sides, "界址点坐标": sheet_pts, "界址点汇总": summary},
            layers={"boundary_points": self.points, "sizhi_extreme_points": extremes},
            files=dict(self.files),
        )
        if self.names is not None and len(self.names):
            out.layers["sizhi_named_features"] = self.names
        out.map_layers.append(lambda m, p=self.points, n=self.names, s=sides: _add_map(m, p, n, s))
        return out


def _add_map(m: folium.Map, points: gpd.GeoDataFrame, names: gpd.GeoDataFrame | None, sides: pd.DataFrame) -> None:
    if names is not None and len(names):
        used = set(sides["name"].dropna())
        near = names[names["name"].isin(used)]
        add_layer(
            m,
            near,
            name="四至：界外相邻地物",
            show=True,
            style={"color": "#1f78b4", "weight": 3, "opacity": 0.8, "fillOpacity": 0.2},
            fields={"name": "名称", "layer": "图层"},
        )
    fg = folium.FeatureGroup(name="界址点 J1…Jn", show=False)
    pts = points[~points["closing"]].to_crs(4326)
    text = escape_frame(pd.DataFrame(pts.drop(columns="geometry")), ["zone_id", "point", "northing_m", "easting_m"])
    for (_, t), g in zip(text.iterrows(), pts.geometry, strict=True):
        tip = html.escape(f"{t['zone_id']} ") + t["point"]
        popup = f"{t['point']}<br>X(北) {t['northing_m']}<br>Y(东) {t['easting_m']}"
        folium.CircleMarker(
            [g.y, g.x],
            radius=3,
            color="#000",
            weight=1,
            fill=True,
            fill_color="#fff",
            fill_opacity=1.0,
            tooltip=tip,
            popup=popup,
        ).add_to(fg)
    fg.add_to(m)


def run_boundary_docs(
    zones: gpd.GeoDataFrame,
    *,
    options: DocOptions,
    qa: QALog,
    names: gpd.GeoDataFrame | None = None,
    names_data: str = "",
    zones_data: str = "",
    out_dir: Path | None = None,
    write_txt: bool = True,
    write_xlsx: bool = True,
    zone_ids: Sequence[str] = (),
    folders: Mapping[str, str] | None = None,
    file_suffix: str = "",
) -> BoundaryDocsRun:
    """Compute the 四至 and boundary points of prepared zones and write their XLSX and TXT files.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones in the analysis CRS.
    options : DocOptions, keyword-only
    qa : QALog, keyword-only
    names : GeoDataFrame, optional, keyword-only
        Named features in the zones' CRS (:func:`load_named_features`).
    names_data, zones_data : str, keyword-only
        Where the names and the zones came from (recorded in the documents).
    out_dir : Path, optional, keyword-only
        Where each zone's folder is created; None: nothing is written.
    write_txt, write_xlsx : bool, keyword-only
    zone_ids : sequence of str, keyword-only
        Only these zones' files are written (all are computed); default all.
    folders : mapping of zone id → folder name, optional, keyword-only
        Where each zone's files go under ``out_dir`` (default :func:`zone_folder_name`).
    file_suffix : str, keyword-only
        Appended to the file names (``_调整方案`` for a proposed boundary).

    Returns
    -------
    BoundaryDocsRun
    """
    try:
        crs, _, reason = document_crs(zones, crs=options.crs)
    except CRSError as exc:  # outside China: the table and 四至 in the zones' CRS, no exchange TXT
        crs, reason = CRS.from_user_input(zones.crs), f"the zones' own CRS ({exc})"
        if write_txt and out_dir is not None:
            qa.add(
                "txt_skipped",
                f"coordinate TXT files cannot be written, because {exc}",
                layer="coordinate TXT",
                severity="warning",
            )
        write_txt = False
    doc = zones if CRS.from_user_input(zones.crs).equals(crs) else zones.to_crs(crs)
    if doc is not zones:
        qa.add(
            "document_crs",
            f"boundary documents are written in {crs_label(crs)}: {reason}",
            layer="zones",
            severity="info",
            action="transformed",
        )
    pts = boundary_points(doc, decimals=options.decimals, qa=qa)
    doc_names = names.to_crs(crs) if names is not None and doc is not zones else names
    sides = describe_four_sides(
        doc,
        doc_names,
        search_m=options.search_m,
        tie_m=options.tie_m,
        min_along_share=options.min_along_share,
        points=pts,
        names_data=names_data,
    )
    run = BoundaryDocsRun(
        zones=zones,
        doc_zones=doc,
        doc_crs=crs,
        doc_crs_reason=reason,
        points=pts,
        summary=zone_point_summary(doc, pts),
        sides=sides,
        names=doc_names,
        options=options,
        zones_data=zones_data,
    )
    if out_dir is not None:
        _write_files(
            run,
            out_dir,
            qa,
            write_txt=write_txt,
            write_xlsx=write_xlsx,
            zone_ids=zone_ids,
            folders=folders or {},
            suffix=file_suffix,
        )
    return run


def _write_files(
    run: BoundaryDocsRun,
    out_dir: Path,
    qa: QALog,
    *,
    write_txt: bool,
    write_xlsx: bool,
    zone_ids: Sequence[str],
    folders: Mapping[str, str],
    suffix: str,
) -> None:
    opts = run.options
    frame = run.sides_frame()
    moved = run.doc_zones is not run.zones
    note = (
        f"数据：{run.zones_data or '开发区图层'}"
        + (f"（坐标由 {crs_label(run.zones.crs)} 转换至 {crs_label(run.doc_crs)}）" if moved else "")
        + f"；制表日期：{opts.header.date}；devzone"
    )
    for i in range(len(run.doc_zones)):
        z = run.doc_zones.iloc[[i]]
        zid, name = str(z["zone_id"].iloc[0]), str(z["zone_name"].iloc[0])
        if zone_ids and zid not in zone_ids:
            continue
        folder = out_dir / folders.get(zid, zone_folder_name(zid, name))
        stem = zone_folder_name(zid, "") + suffix
        zp = run.points[run.points["zone_id"] == zid]
        if write_xlsx:
            cols = ["side_zh", "text", "point", "northing_m", "easting_m", "name", "distance_m", "reason"]
            fs = frame[frame["zone_id"] == zid][cols].rename(columns={c: SIDE_LABELS[c] for c in cols})
            run.files[f"界址点坐标表 {zid}{suffix}"] = write_points_xlsx(
                z, zp, folder / f"界址点坐标表_{stem}.xlsx", decimals=opts.decimals, four_sides=fs, note=note
            )
        if write_txt:
            run.files[f"坐标交换文件 {zid}{suffix}"] = write_boundary_txt(
                z,
                folder / f"界址点坐标_{stem}.txt",
                header=opts.header,
                encoding=opts.encoding,
                decimals=opts.decimals,
                use=opts.use,
                land_code=opts.land_code,
                qa=qa,
            )
    if write_txt and not opts.header.precision:
        qa.add(
            "txt_precision",
            "精度 (survey precision) is left empty in the coordinate TXT files: devzone does "
            'not know it; set it with --precision or precision in [rules."DOC.points"]',
            layer="coordinate TXT",
            severity="info",
        )


_DOC_KEYS = ("producer", "precision", "use", "land_code", "encoding", "search_m", "crs")


def project_documents(path: Path) -> dict[str, Any]:
    """Return the ``[documents]`` table of a project file (producer, precision, use, land_code, encoding,
    search_m, crs), or an empty dict; unknown keys raise :class:`ProfileError`."""
    import tomllib

    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("documents", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    unknown = sorted(set(table) - set(_DOC_KEYS))
    if unknown:
        msg = f"{path}: unknown key(s) {unknown} in [documents]; known: {', '.join(_DOC_KEYS)}"
        raise ProfileError(msg)
    return dict(table)


def job_boundary_docs(ctx: Context) -> Outputs:
    """The pipeline job: 四至, boundary points, XLSX and TXT per zone (needs only the zones)."""
    overrides = {**project_documents(ctx.project.path), **ctx.options.get("documents", {})}
    opts = DocOptions.from_profile(ctx.profile, as_of=ctx.as_of, **overrides)
    specs = {r: ctx.project.layers[r] for r in opts.roles if r in ctx.project.layers}
    if not specs:
        ctx.qa.add(
            "sizhi_names",
            "四至 sides cannot be named, because the project file has none of "
            + ", ".join(f"[layers.{r}]" for r in opts.roles),
            layer=str(ctx.project.path),
            severity="info",
        )
    names, names_data = load_named_features(specs, ctx.zones, ctx.analysis_crs, search_m=opts.search_m, qa=ctx.qa)
    run = run_boundary_docs(
        ctx.zones,
        options=opts,
        qa=ctx.qa,
        names=names,
        names_data=names_data,
        zones_data=ctx.project.layers["zones"].label,
        out_dir=ctx.out_dir,
        zone_ids=tuple(ctx.options.get("zone_ids", ())),
    )
    ctx.results["boundary_docs"] = run
    out = run.outputs()
    names_back = run.names.to_crs(ctx.zones.crs) if run.names is not None else None
    out.files.update(_proposal_documents(ctx, opts, names_back, names_data))
    return out


def _proposal_documents(
    ctx: Context, opts: DocOptions, names: gpd.GeoDataFrame | None = None, names_data: str = ""
) -> dict[str, Path]:
    """XLSX and TXT of each proposed boundary (the proposal job's result), beside the zone's own."""
    prop = ctx.results.get("proposal")
    rows, geoms = [], []
    for r in getattr(prop, "results", []):
        v = r.verdict
        if v.status != "proposed" or not len(r.polygon):
            continue
        if ctx.options.get("zone_ids") and v.zone_id not in ctx.options["zone_ids"]:
            continue
        rows.append({"zone_id": v.zone_id, "zone_name": f"{v.zone_name}（调整方案）"})
        geoms.append(shapely.union_all(np.asarray(r.polygon.geometry.values, dtype=object)))
    if not rows:
        return {}
    zones = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=ctx.zones.crs)
    folders = {z: zone_folder_name(z, ctx.zones.loc[z, "zone_name"]) for z in zones["zone_id"]}
    run = run_boundary_docs(
        zones,
        options=opts,
        qa=ctx.qa,
        names=names,
        names_data=names_data,
        zones_data="devzone 四至调整建议（proposal）",
        out_dir=ctx.out_dir,
        folders=folders,
        file_suffix="_调整方案",
    )
    return run.files
