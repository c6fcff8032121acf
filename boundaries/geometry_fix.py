"""Repairs of zone-boundary geometry, only when asked (``devzone qa --fix``), each one logged.

Repaired without a planning decision: invalid rings (``shapely.make_valid``, structure method), duplicate
and spike vertices (removed one at a time until none is left), holes below ``min_hole_m2`` (filled) and
parts below ``min_part_m2`` (dropped, but never a zone's last parts). Overlaps and gaps between zones are
not repaired — giving the area to one zone or the other is a boundary decision — and the log says so.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.geometry_qa import GeometryRule, polygons_of, ring_vertex_problems
from geo.kernel import polygonal
from geo.qa import QALog

__all__ = ["fix_zone_geometry"]


def _drop_vertices(ring: np.ndarray, rule: GeometryRule) -> tuple[np.ndarray, int, int]:
    """Remove duplicate and spike vertices until none is left; return (ring, n duplicates, n spikes)."""
    pts = np.asarray(ring, dtype=float)[:, :2]
    n_dup = n_spike = 0
    while len(pts) >= 4:
        dup, spikes = ring_vertex_problems(pts, duplicate_m=rule.duplicate_tolerance_m, spike_deg=rule.spike_angle_deg)
        if not dup and not spikes:
            break
        drop = set(dup) if dup else {spikes[0][0]}
        n_dup += len(dup)
        n_spike += 0 if dup else 1
        body = np.array([p for i, p in enumerate(pts[:-1]) if i not in drop])
        pts = np.vstack([body, body[:1]]) if len(body) else body
    return pts, n_dup, n_spike


def _fix_polygon(poly: shapely.Polygon, rule: GeometryRule, note: list[str]) -> shapely.Polygon | None:
    ext, d, s = _drop_vertices(np.asarray(poly.exterior.coords), rule)
    if len(ext) < 4:
        note.append("a part collapsed when its spikes were removed")
        return None
    holes = []
    for k, ring in enumerate(poly.interiors, start=1):
        hole_area = float(shapely.Polygon(ring).area)
        if hole_area < rule.min_hole_m2:
            note.append(f"filled hole {k} of {hole_area:.2f} m²")
            continue
        h, dh, sh = _drop_vertices(np.asarray(ring.coords), rule)
        d, s = d + dh, s + sh
        if len(h) >= 4:
            holes.append(h)
    if d:
        note.append(f"removed {d} duplicate vertex(es)")
    if s:
        note.append(f"removed {s} spike vertex(es)")
    return shapely.Polygon(ext, holes)


def _fix_one(geom: Any, rule: GeometryRule) -> tuple[Any, list[str]]:
    note: list[str] = []
    if not shapely.is_valid(geom):
        note.append(f"made valid ({shapely.is_valid_reason(geom)})")
        geom = polygonal(np.array([shapely.make_valid(geom, method="structure", keep_collapsed=False)], dtype=object))[
            0
        ]
    polys = [p for p in (_fix_polygon(p, rule, note) for p in polygons_of(geom)) if p is not None and not p.is_empty]
    big = [p for p in polys if p.area >= rule.min_part_m2]
    if big and len(big) < len(polys):
        note.append(
            f"dropped {len(polys) - len(big)} part(s) below {rule.min_part_m2:g} m² "
            f"({sum(p.area for p in polys if p.area < rule.min_part_m2):.2f} m²)"
        )
        polys = big
    fixed = shapely.MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else shapely.Polygon())
    if not fixed.is_empty and not fixed.is_valid:
        note.append(f"made valid after the vertex repairs ({shapely.is_valid_reason(fixed)})")
        fixed = polygonal(np.array([shapely.make_valid(fixed, method="structure")], dtype=object))[0]
    return fixed, note


def fix_zone_geometry(
    zones: gpd.GeoDataFrame,
    rows: gpd.GeoDataFrame,
    *,
    rule: GeometryRule,
    layer: str = "zones",
    qa: QALog | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Repair what :func:`check_zone_geometry` found that needs no planning decision; log every change.

    Parameters
    ----------
    zones : GeoDataFrame
        The zone features as checked.
    rows : GeoDataFrame
        The QA rows of :func:`check_zone_geometry` for these features.
    rule : GeometryRule, keyword-only
    layer : str, keyword-only
    qa : QALog, optional, keyword-only
        When given, every repair is also a QA row (action ``repaired``).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The zone features with repaired geometries (same index and attributes), and the repair log: one row
        per feature changed (``feature``, ``zone_id``, ``area_before_m2``, ``area_after_m2``, ``action``) and
        one per overlap or gap left alone (``action = "not repaired"``).
    """
    fixed = zones.copy()
    log_rows = []
    needs = set(rows.loc[rows["check"].isin(["invalid", "duplicate", "spike", "tiny_part", "tiny_hole"]), "feature"])
    ids = dict(zip(rows["feature"], rows["zone_id"], strict=False))
    for feat in zones.index:
        if str(feat) not in needs:
            continue
        before = zones.geometry.loc[feat]
        after, note = _fix_one(before, rule)
        if not note:
            continue
        fixed.loc[[feat], fixed.geometry.name] = gpd.GeoSeries([after], index=[feat], crs=zones.crs)
        a0 = float(shapely.area(before)) if before is not None else 0.0
        log_rows.append(
            {
                "feature": str(feat),
                "zone_id": ids.get(str(feat)),
                "area_before_m2": a0,
                "area_after_m2": float(after.area),
                "action": "repaired: " + "; ".join(note),
            }
        )
    for r in rows[rows["check"].isin(["overlap", "gap", "sliver"])].itertuples():
        log_rows.append(
            {
                "feature": r.feature,
                "zone_id": r.zone_id,
                "area_before_m2": None,
                "area_after_m2": None,
                "action": f"not repaired ({r.check} with {r.other}): assigning the area to one zone is a "
                "boundary decision",
            }
        )
    log = pd.DataFrame(log_rows, columns=["feature", "zone_id", "area_before_m2", "area_after_m2", "action"])
    if qa is not None:
        for r in log.itertuples():
            qa.add(
                "boundary_fix",
                r.action,
                layer=layer,
                feature=r.feature,
                zone=r.zone_id,
                severity="info",
                action="repaired" if r.action.startswith("repaired") else "not repaired",
                area_m2=None if r.area_after_m2 is None or r.area_after_m2 != r.area_after_m2 else r.area_after_m2,
            )
    return fixed, log
