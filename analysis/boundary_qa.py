"""Geometry QA of the zone boundaries as a job: read the zones as stored, check, optionally repair.

The zones are read again as stored — the prepared zones every other job uses are already repaired — and
brought into the analysis CRS (logged). :func:`run_boundary_qa` returns the QA rows, and with ``fix`` the
repaired zone features and the repair log.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import pandas as pd

from analysis.report import Outputs
from boundaries.geometry_fix import fix_zone_geometry
from boundaries.geometry_qa import GeometryRule, check_zone_geometry
from geo.crs import AnalysisCRS, crs_label, require_crs
from geo.layers import LayerSpec, read_spec
from geo.maps import add_layer, add_legend, display_copy
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["QA_COLOURS", "BoundaryQARun", "job_boundary_qa", "read_raw_zones", "run_boundary_qa"]

if TYPE_CHECKING:
    from analysis.pipeline import Context

QA_COLOURS = {
    "invalid": "#e31a1c",
    "overlap": "#ff7f00",
    "gap": "#1f78b4",
    "sliver": "#a6cee3",
    "duplicate": "#6a3d9a",
    "spike": "#e7298a",
    "tiny_part": "#b15928",
    "tiny_hole": "#33a02c",
}


def read_raw_zones(spec: LayerSpec, acrs: AnalysisCRS, *, qa: QALog) -> gpd.GeoDataFrame:
    """Read the zone layer as stored (no repair) and bring it into the analysis CRS (a QA row says so)."""
    raw = read_spec(spec, qa=qa, what="zone layer")  # a declared GCJ-02/BD-09 layer is converted to WGS 84
    own = require_crs(raw, what=f"zone layer {spec.label}")
    if not own.equals(acrs.crs):
        qa.add(
            "transform",
            f"zones as stored, for the geometry checks: transformed from {crs_label(own)} to {acrs.label}",
            layer=spec.label,
            severity="info",
            action="transformed",
        )
        raw = raw.to_crs(acrs.crs)
    return raw


@dataclass
class BoundaryQARun:
    """The QA rows of the zone layer and, when repaired, the repaired features and the log."""

    raw: gpd.GeoDataFrame
    rows: gpd.GeoDataFrame
    fixed: gpd.GeoDataFrame | None
    log: pd.DataFrame | None

    def table(self) -> pd.DataFrame:
        """Return the rows with the location as x/y of a point on it (no geometry)."""
        t = pd.DataFrame(self.rows.drop(columns="geometry"))
        pts = self.rows.geometry.map(lambda g: None if g is None or g.is_empty else g.representative_point())
        t["x_easting_m"] = pts.map(lambda p: None if p is None else p.x)
        t["y_northing_m"] = pts.map(lambda p: None if p is None else p.y)
        return t

    def outputs(self) -> Outputs:
        """Return the sheets, GeoPackage layers and map layers."""
        rows = self.rows[self.rows.geometry.notna()]
        is_pt = rows.geom_type == "Point"
        out = Outputs(
            sheets={"边界几何检查": self.table()},
            layers={"boundary_qa_points": rows[is_pt], "boundary_qa_areas": rows[~is_pt]},
        )
        if self.fixed is not None and self.log is not None:
            out.sheets["边界修复记录"] = self.log
            out.layers["zones_fixed"] = self.fixed
        out.map_layers.append(functools.partial(self._add_map, rows=rows, zones=self.raw))
        return out

    @staticmethod
    def _add_map(m: folium.Map, rows: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> None:
        zones = zones[zones.geometry.notna() & ~zones.geometry.is_empty]
        add_layer(
            m,
            zones.assign(feature=zones.index.astype(str)),
            name="开发区边界（原样）",
            show=True,
            style={"color": "#000000", "weight": 1.5, "fillOpacity": 0.03},
            fields={"feature": "要素"},
        )
        if len(rows) == 0:
            return
        fields = {
            "check": "检查",
            "zone_id": "开发区",
            "feature": "要素",
            "message": "说明",
            "area_m2": "面积(㎡)",
        }
        is_pt = (rows.geom_type == "Point").to_numpy()
        areas = rows[~is_pt].assign(_style_key=rows.loc[~is_pt, "check"])
        add_layer(
            m,
            areas,
            name="边界几何检查（面）",
            show=True,
            fields=fields,
            style=lambda p: {
                "color": QA_COLOURS.get(p.get("_style_key", ""), "#333"),
                "weight": 2,
                "fillOpacity": 0.6,
                "fillColor": QA_COLOURS.get(p.get("_style_key", ""), "#333"),
            },
        )
        points = folium.FeatureGroup(name="边界几何检查（点）", show=True)
        for r in display_copy(rows[is_pt]).itertuples():
            colour = QA_COLOURS.get(r.check, "#333")
            folium.CircleMarker(
                [r.geometry.y, r.geometry.x],
                radius=6,
                color=colour,
                fill=True,
                fill_opacity=0.9,
                tooltip=html.escape(f"{r.check} {r.zone_id}: {r.message}"),
            ).add_to(points)
        points.add_to(m)
        add_legend(
            m,
            "边界几何检查",
            {
                "无效环": QA_COLOURS["invalid"],
                "区间重叠": QA_COLOURS["overlap"],
                "缝隙": QA_COLOURS["gap"],
                "碎片": QA_COLOURS["sliver"],
                "重复点": QA_COLOURS["duplicate"],
                "尖刺点": QA_COLOURS["spike"],
                "细小部件": QA_COLOURS["tiny_part"],
                "细小孔洞": QA_COLOURS["tiny_hole"],
            },
        )


def run_boundary_qa(
    raw: gpd.GeoDataFrame,
    *,
    profile: RuleProfile,
    qa: QALog,
    id_field: str | None = None,
    layer: str = "zones",
    fix: bool = False,
) -> BoundaryQARun:
    """Check the zone features as stored; with ``fix``, repair what needs no planning decision (logged)."""
    rule = GeometryRule.from_profile(profile)
    rows = check_zone_geometry(raw, rule=rule, id_field=id_field, layer=layer, qa=qa)
    fixed = log = None
    if fix:
        fixed, log = fix_zone_geometry(raw, rows, rule=rule, layer=layer, qa=qa)
    return BoundaryQARun(raw=raw, rows=rows, fixed=fixed, log=log)


def job_boundary_qa(ctx: Context) -> Outputs:
    """The pipeline job: geometry QA of the zone layer as stored (repairs only by ``devzone qa --fix``)."""
    spec = ctx.project.layers["zones"]
    raw = read_raw_zones(spec, ctx.analysis_crs, qa=ctx.qa)
    run = run_boundary_qa(raw, profile=ctx.profile, qa=ctx.qa, id_field=spec.get("id_field"), layer=spec.label)
    ctx.results["geometry_qa"] = run
    return run.outputs()
