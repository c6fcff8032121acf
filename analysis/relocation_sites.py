"""Where villages can go (R7): candidate sites, given or generated from free land, and why each is excluded.

A site is **eligible** when it lies inside the urban planning area (城市规划区), outside every zone, not
on 永久基本农田, 生态保护红线 or water, and is large enough for a community of the minimum size at the
per-person land standard (capacity = ⌊area ÷ ``land_m2_per_person``⌋ ≥ ``min_site_population``). Each
overlap is measured with the shared kernel (:func:`geo.kernel.area_by_class`, constraint polygons
dissolved, so overlapping farmland polygons count once) and becomes one exclusion row with its reason,
area and geometry; overlaps of ``sliver_m2`` or less are digitising slivers. A missing constraint layer
makes the check "cannot decide" (``eligible`` None), never a pass; the exception is water, which
comes from a land-use layer when one is given and is otherwise not checked (``water_m2`` NaN, stated).

**Free land** (:func:`free_land`) is the planning area minus the zones, 永久基本农田, 生态保护红线 and
water (the land-use layer's ``water`` group when one is given); each constraint's area inside the
planning area is reported (its own area; the union, with overlaps once, is their total).
:func:`generate_sites` cuts the free land into candidates: ``grid`` (square cells of ``grid_m`` metres
from a grid anchored at multiples of ``grid_m``; each connected piece of free land in a cell is a
candidate) or ``parts`` (each connected part of the free land); pieces too small for a community of the
minimum size are excluded together, with their total area.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.relocation import RelocationRule
from geo.codes import CodeTable
from geo.kernel import area_by_class, polygonal
from geo.qa import QALog
from geo.units import M2_PER_HA, M2_PER_MU

__all__ = [
    "CONSTRAINT_LABELS",
    "Constraints",
    "SiteCheck",
    "check_sites",
    "free_land",
    "generate_sites",
    "water_from_landuse",
]

log = logging.getLogger(__name__)

#: Constraint → how reasons name it.
CONSTRAINT_LABELS = {
    "zones": "开发区 (development zone)",
    "farmland": "永久基本农田 (permanent basic farmland)",
    "redline": "生态保护红线 (ecological red line)",
    "water": "水域 (water)",
}
_RULE_SOURCE = "rules.md R7: 安置社区不得占用永久基本农田、生态保护红线（三区三线）；选址避开水域"


@dataclass(frozen=True)
class Constraints:
    """The layers sites are judged against, in the analysis CRS; None when not given."""

    zones: gpd.GeoDataFrame
    planning_area: gpd.GeoDataFrame | None = None
    farmland: gpd.GeoDataFrame | None = None
    redline: gpd.GeoDataFrame | None = None
    water: gpd.GeoDataFrame | None = None
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, role: str) -> str:
        """Return the data source of a role for outputs."""
        return dict(self.labels).get(role, role)

    def layer(self, role: str) -> gpd.GeoDataFrame | None:
        """Return a constraint layer by role (``zones``, ``farmland``, ``redline``, ``water``)."""
        return getattr(self, role)


@dataclass(frozen=True)
class SiteCheck:
    """Sites with their eligibility, and one exclusion row per reason."""

    sites: gpd.GeoDataFrame
    exclusions: gpd.GeoDataFrame

    def reasons(self, site_id: str) -> list[str]:
        """Return the reasons a site is not (or cannot be decided) eligible."""
        e = self.exclusions
        return [str(r) for r in e.loc[e["site_id"] == site_id, "reason"]]


def water_from_landuse(landuse: gpd.GeoDataFrame, *, table: CodeTable, code_field: str) -> gpd.GeoDataFrame:
    """Return the land-use polygons whose code belongs to the ``water`` group, with ``code`` and ``name``."""
    classes = landuse[code_field].map(table.classify)
    is_water = classes.map(lambda c: c is not None and c.group == "water").astype(bool)
    out = landuse.loc[is_water, [landuse.geometry.name]].copy()
    out["code"] = landuse.loc[is_water, code_field].astype(str).to_numpy()
    out["name"] = [c.name for c in classes[is_water]]
    return out


def _dissolved(gdf: gpd.GeoDataFrame | None) -> shapely.Geometry:
    if gdf is None or len(gdf) == 0:
        return shapely.Polygon()
    return shapely.union_all(polygonal(np.asarray(gdf.geometry.values, dtype=object)))


def _overlap(sites: gpd.GeoSeries, layer: gpd.GeoDataFrame, label_column: str | None = None) -> pd.DataFrame:
    """Kernel: area of the layer (by label; one label when None) inside each site, with the pieces."""
    lab = layer[label_column].astype(str) if label_column else pd.Series("x", index=layer.index)
    lay = gpd.GeoDataFrame({"label": lab.to_numpy()}, geometry=layer.geometry.to_numpy(), crs=layer.crs)
    res = area_by_class(sites, lay, class_column="label")
    pieces = res.pieces
    assert pieces is not None
    geoms = pieces.groupby(["zone", "class"]).geometry.agg(lambda s: shapely.union_all(np.asarray(s.values)))
    t = res.table.rename(columns={"zone": "site_id", "class": "label"})
    t["geometry"] = [geoms.get((s, c)) for s, c in zip(t["site_id"], t["label"], strict=True)]
    return t


def _row(
    site_id: str,
    check: str,
    reason: str,
    area_m2: float | None,
    decides: str,
    geometry: object,
    data: str,
    source: str,
) -> dict[str, object]:
    return {
        "site_id": site_id,
        "check": check,
        "decides": decides,
        "reason": reason,
        "area_m2": area_m2,
        "rule_id": "R7",
        "source": source,
        "data": data,
        "geometry": geometry,
    }


def _planning_rows(sites: gpd.GeoDataFrame, c: Constraints, rule: RelocationRule) -> list[dict[str, object]]:
    if c.planning_area is None:
        return [
            _row(
                s,
                "planning_area",
                "cannot decide, because no urban planning area (城市规划区) layer was given",
                None,
                "cannot decide",
                None,
                "",
                rule.source,
            )
            for s in sites.index
        ]
    pa = gpd.GeoDataFrame(
        {"k": ["城市规划区"] * len(c.planning_area)},
        geometry=c.planning_area.geometry.to_numpy(),
        crs=c.planning_area.crs,
    )
    res = area_by_class(sites.geometry, pa, class_column="k", keep_pieces=False)
    union = _dissolved(c.planning_area)
    rows = []
    for s, geom in zip(sites.index, sites.geometry, strict=True):
        outside = float(res.zone_area_m2[s] - res.covered_m2[s])
        if outside > rule.sliver_m2:
            rows.append(
                _row(
                    s,
                    "planning_area",
                    f"{outside:,.0f} m² outside the urban planning area (城市规划区)",
                    outside,
                    "fail",
                    shapely.difference(geom, union),
                    c.label("planning_area"),
                    rule.source,
                )
            )
    return rows


def _constraint_rows(
    sites: gpd.GeoDataFrame, c: Constraints, rule: RelocationRule
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for role in ("zones", "farmland", "redline", "water"):
        layer = c.layer(role)
        if layer is None and role == "water":
            continue  # water is checked only when a land-use layer is given (stated in the run's methods)
        if layer is None:
            rows += [
                _row(
                    s,
                    role,
                    f"cannot decide, because no {CONSTRAINT_LABELS[role]} layer was given",
                    None,
                    "cannot decide",
                    None,
                    "",
                    _RULE_SOURCE,
                )
                for s in sites.index
            ]
            continue
        if len(layer) == 0:
            continue
        t = _overlap(
            sites.geometry, layer, "zone_id" if role == "zones" else ("code" if role == "water" else None)
        )
        for r in t.itertuples():
            if r.area_m2 <= rule.sliver_m2:
                continue
            what = {
                "zones": f"inside zone {r.label} (开发区内)",
                "water": f"on water (水域, land-use code {r.label})",
            }
            reason = f"{r.area_m2:,.0f} m² " + what.get(role, f"on {CONSTRAINT_LABELS[role]}")
            rows.append(
                _row(
                    r.site_id,
                    role,
                    reason,
                    float(r.area_m2),
                    "fail",
                    r.geometry,
                    c.label(role),
                    rule.source if role == "zones" else _RULE_SOURCE,
                )
            )
    return rows


def check_sites(
    sites: gpd.GeoDataFrame, constraints: Constraints, *, rule: RelocationRule, qa: QALog
) -> SiteCheck:
    """Judge each candidate site against the R7 location rules and the minimum community size.

    Parameters
    ----------
    sites : GeoDataFrame
        Site polygons in the analysis CRS, indexed by ``site_id`` (unique), with ``site_name``.
    constraints : Constraints
    rule : RelocationRule, keyword-only
    qa : QALog, keyword-only

    Returns
    -------
    SiteCheck
        ``sites`` gains ``area_m2``, ``area_ha``, ``area_mu``, ``capacity``, one ``<check>_m2`` column per
        constraint (NaN when the layer is missing), ``eligible`` (True / False / None) and ``reasons``
        (text); ``exclusions`` has one row per reason (``site_id``, ``check``, ``decides``, ``reason``,
        ``area_m2``, ``rule_id``, ``source``, ``data``, geometry of the overlap).
    """
    out = sites.copy()
    out["area_m2"] = out.geometry.area
    out["area_ha"] = out["area_m2"] / M2_PER_HA
    out["area_mu"] = out["area_m2"] / M2_PER_MU
    out["capacity"] = [rule.capacity(a) for a in out["area_m2"]]
    rows = _planning_rows(out, constraints, rule) + _constraint_rows(out, constraints, rule)
    for s, cap, area in zip(out.index, out["capacity"], out["area_m2"], strict=True):
        if cap < rule.min_site_population:
            rows.append(
                _row(
                    s,
                    "capacity",
                    f"capacity {cap:,} residents ({area:,.0f} m² ÷ {rule.land_m2_per_person:g} "
                    f"m² per person) is below the minimum community of {rule.min_site_population:,}",
                    None,
                    "fail",
                    None,
                    "",
                    f"{rule.source}；{rule.land_source}",
                )
            )
    ex = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=list(_row("", "", "", None, "", None, "", "").keys())),
        geometry="geometry",
        crs=sites.crs,
    )
    for check in ("planning_area", "zones", "farmland", "redline", "water"):
        sub = ex[(ex["check"] == check) & (ex["decides"] == "fail")].groupby("site_id")["area_m2"].sum()
        missing = ((ex["check"] == check) & (ex["decides"] == "cannot decide")).any()
        missing = missing or (check == "water" and constraints.water is None)
        out[f"{check}_m2"] = np.nan if missing else sub.reindex(out.index, fill_value=0.0).to_numpy()
    fails = set(ex.loc[ex["decides"] == "fail", "site_id"])
    undecided = set(ex.loc[ex["decides"] == "cannot decide", "site_id"])
    out["eligible"] = [False if s in fails else (None if s in undecided else True) for s in out.index]
    out["reasons"] = ["; ".join(ex.loc[ex["site_id"] == s, "reason"]) for s in out.index]
    out["rule_id"], out["source"] = rule.rule_id, rule.source
    for s in out.index[out["eligible"].map(lambda v: v is False)]:
        qa.add("site_excluded", out.loc[s, "reasons"], layer="sites", feature=s, severity="info")
    return SiteCheck(out, ex)


def free_land(
    constraints: Constraints, *, rule: RelocationRule, qa: QALog
) -> tuple[shapely.Geometry, gpd.GeoDataFrame]:
    """Return the free land of the planning area and one exclusion row per constraint.

    Each row gives the constraint's own area inside the planning area (a constraint missing is a
    "cannot decide" row); a last row gives the union of all of them (overlaps counted once). The
    identity ``free + union = planning area`` holds.
    """
    assert constraints.planning_area is not None
    pa = _dissolved(constraints.planning_area)
    pa_series = gpd.GeoSeries([pa], index=["城市规划区"], crs=constraints.zones.crs)
    rows: list[dict[str, object]] = []
    taken = []
    for role in ("zones", "farmland", "redline", "water"):
        layer = constraints.layer(role)
        if layer is None:
            water = role == "water"
            rows.append(
                _row(
                    "(free land)",
                    role,
                    "water not checked: no land-use layer was given (water comes from its 水域 group)"
                    if water
                    else f"cannot decide, because no {CONSTRAINT_LABELS[role]} layer was given: free land "
                    "may include it",
                    None,
                    "not checked" if water else "cannot decide",
                    None,
                    "",
                    _RULE_SOURCE,
                )
            )
            continue
        t = _overlap(pa_series, layer) if len(layer) else pd.DataFrame(columns=["area_m2", "geometry"])
        area = float(t["area_m2"].sum())
        geom = shapely.union_all(np.asarray(t["geometry"].to_numpy(), dtype=object)) if len(t) else None
        taken.append(_dissolved(layer))
        rows.append(
            _row(
                "(free land)",
                role,
                f"{area:,.0f} m² of the planning area is {CONSTRAINT_LABELS[role]}",
                area,
                "excluded",
                geom,
                constraints.label(role),
                _RULE_SOURCE,
            )
        )
    excluded = shapely.intersection(pa, shapely.union_all(taken)) if taken else shapely.Polygon()
    free = polygonal(np.array([shapely.difference(pa, excluded)], dtype=object))[0]
    rows.append(
        _row(
            "(free land)",
            "union",
            f"{shapely.area(excluded):,.0f} m² excluded in all (overlaps once); "
            f"{shapely.area(free):,.0f} m² of {shapely.area(pa):,.0f} m² free",
            float(shapely.area(excluded)),
            "excluded",
            excluded,
            "",
            _RULE_SOURCE,
        )
    )
    qa.add("free_land", str(rows[-1]["reason"]), layer="planning_area", severity="info")
    ex = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=constraints.zones.crs)
    return free, ex


def generate_sites(
    free: shapely.Geometry, *, rule: RelocationRule, crs: object
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Cut free land into candidate sites (``rule.site_method``); return (sites, excluded small pieces)."""
    if rule.site_method == "grid":
        minx, miny, maxx, maxy = shapely.bounds(free)
        g = rule.grid_m
        xs = np.arange(np.floor(minx / g) * g, maxx, g)
        ys = np.arange(np.floor(maxy / g) * g, miny - g, -g)
        cells = [(r, c, shapely.box(x, y, x + g, y + g)) for r, y in enumerate(ys) for c, x in enumerate(xs)]
        shapely.prepare(free)
        pieces = [
            (r, c, p)
            for r, c, cell in cells
            if shapely.intersects(free, cell)
            for p in shapely.get_parts(
                polygonal(np.array([shapely.intersection(free, cell)], dtype=object))[0]
            )
        ]
        method = (
            f"grid of {g:,.0f} m cells anchored at multiples of {g:,.0f} m; each connected piece a candidate"
        )
    else:
        pieces = [(0, 0, p) for p in shapely.get_parts(free)]
        method = "each connected part of the free land a candidate"
    pieces = [(r, c, p) for r, c, p in pieces if shapely.area(p) > 0]
    pieces.sort(key=lambda t: (t[0], t[1], -shapely.area(t[2])))
    need = rule.min_site_population * rule.land_m2_per_person
    big = [p for _, _, p in pieces if rule.capacity(shapely.area(p)) >= rule.min_site_population]
    small = [p for _, _, p in pieces if rule.capacity(shapely.area(p)) < rule.min_site_population]
    ids = [f"G{i + 1:03d}" for i in range(len(big))]
    sites = gpd.GeoDataFrame(
        {"site_id": ids, "site_name": [f"候选地块 {i}" for i in ids], "origin": method},
        geometry=big,
        crs=crs,
        index=pd.Index(ids, name="site"),
    )
    area_small = float(sum(shapely.area(p) for p in small))
    rows = [
        _row(
            "(free land)",
            "too_small",
            f"{len(small)} piece(s) of free land, {area_small:,.0f} m² in all, each "
            f"smaller than {need:,.0f} m² (a community of {rule.min_site_population:,} at "
            f"{rule.land_m2_per_person:g} m² per person)",
            area_small,
            "excluded",
            shapely.union_all(small) if small else None,
            "",
            f"{rule.source}；{rule.land_source}",
        )
    ]
    return sites, gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)
