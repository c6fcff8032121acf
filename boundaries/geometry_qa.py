"""Geometry QA of zone boundaries: every problem a row with a location; repairs only when asked.

Checks on the zone layer as stored (before any repair), each a row with the feature, the zone, the figures
and a location (a point, or the problem polygon):

``invalid``       GEOS's validity reason (``shapely.is_valid_reason``) and the point it names.
``duplicate``     consecutive vertices closer than ``duplicate_tolerance_m``.
``spike``         a vertex whose angle between its two edges is below ``spike_angle_deg`` (the boundary
                  runs out and comes back, or cuts in and back: both are spikes).
``tiny_part``     a polygon part below ``min_part_m2``.  ``tiny_hole``: a hole below ``min_hole_m2``.
``overlap``       two zones (or two features of one zone) sharing more than ``overlap_tolerance_m2``.
``gap``/``sliver`` the space between two zones closer than ``adjacency_m``: the morphological closing of
                  the pair (buffer out and back in by half the adjacency distance, mitred) minus the pair,
                  keeping the parts that touch both zones. Those parts are narrower than ``adjacency_m``
                  by construction; their approximate width is 2 × area ÷ perimeter, and a part narrower than
                  ``sliver_width_m`` is a ``sliver``.

:func:`boundaries.geometry_fix.fix_zone_geometry` repairs what needs no planning decision — invalid
rings (``make_valid``), duplicate and spike vertices, tiny holes (filled) and tiny parts (dropped, never a
zone's last part) — and logs every change. Overlaps and gaps between zones are not repaired: giving the
area to one zone or the other is a boundary decision; the log says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import ProfileError
from geo.geometry import reason_location
from geo.io import find_field
from geo.kernel import polygonal
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.zones import ZONE_ID_FIELDS

__all__ = ["COLUMNS", "GeometryRule", "check_zone_geometry", "polygons_of", "ring_vertex_problems"]

#: Columns of a QA table (plus geometry: the location).
COLUMNS = [
    "check",
    "severity",
    "zone_id",
    "feature",
    "part",
    "ring",
    "vertex",
    "area_m2",
    "width_m",
    "angle_deg",
    "other",
    "message",
    "action",
]


@dataclass(frozen=True)
class GeometryRule:
    """Parameters of the boundary geometry checks (``[rules."QA.geometry"]``)."""

    rule_id: str
    adjacency_m: float
    sliver_width_m: float
    overlap_tolerance_m2: float
    duplicate_tolerance_m: float
    spike_angle_deg: float
    min_part_m2: float
    min_hole_m2: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "QA.geometry") -> GeometryRule:
        """Build the parameters from a profile; raise :class:`ProfileError` for missing or negative values."""
        p = profile.rule(rule_id)
        keys = (
            "adjacency_m",
            "sliver_width_m",
            "overlap_tolerance_m2",
            "duplicate_tolerance_m",
            "spike_angle_deg",
            "min_part_m2",
            "min_hole_m2",
        )
        try:
            vals = {k: float(p[k]) for k in keys}
        except KeyError as exc:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] lacks {exc.args[0]!r}'
            raise ProfileError(msg) from exc
        bad = {k: v for k, v in vals.items() if v < 0}
        if bad:
            msg = f'profile {profile.origin}: [rules."{rule_id}"] values must be ≥ 0: {bad}'
            raise ProfileError(msg)
        return cls(rule_id=str(p.get("id", rule_id)), **vals)


def _row(check: str, zone: str, feature: object, message: str, geometry: Any, **kw: Any) -> dict[str, Any]:
    sev = "error" if check in ("invalid", "overlap") else "warning"
    row = dict.fromkeys(COLUMNS)
    row.update(check=check, severity=sev, zone_id=zone, feature=str(feature), message=message, geometry=geometry)
    row.update(kw)
    return row


def polygons_of(geom: Any) -> list[shapely.Polygon]:
    """Return the polygons of a (multi)polygon or collection; empty for None or empty."""
    if geom is None or geom.is_empty:
        return []
    return [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]


def ring_vertex_problems(
    coords: np.ndarray, *, duplicate_m: float, spike_deg: float
) -> tuple[list[int], list[tuple[int, float]]]:
    """Return the duplicate vertices and the spikes (vertex, angle in degrees) of one closed ring.

    Vertex numbers refer to the ring as stored (0-based, without the closing point).

    >>> ring = np.array([(0, 0), (10, 0), (10, 0), (10, 10), (5.1, 10), (5, 30), (5, 10), (0, 10), (0, 0)])
    >>> dup, spikes = ring_vertex_problems(ring, duplicate_m=0.001, spike_deg=5.0)
    >>> dup, [(v, round(a, 3)) for v, a in spikes]
    ([2], [(5, 0.286)])
    """
    pts = np.asarray(coords, dtype=float)[:-1, :2]
    n = len(pts)
    if n < 3:
        return [], []
    step = np.linalg.norm(pts - np.roll(pts, 1, axis=0), axis=1)  # distance to the previous vertex
    dup = [i for i in range(1, n) if step[i] <= duplicate_m]
    if n > 1 and step[0] <= duplicate_m:
        dup.append(0)
    keep = [i for i in range(n) if i not in set(dup)]
    q = pts[keep]
    spikes = []
    m = len(q)
    for j in range(m):
        a, c = q[j - 1] - q[j], q[(j + 1) % m] - q[j]
        na, nc = math.hypot(*a), math.hypot(*c)
        if na == 0 or nc == 0:
            continue
        cos = max(-1.0, min(1.0, float(np.dot(a, c)) / (na * nc)))
        angle = math.degrees(math.acos(cos))
        if angle < spike_deg:
            spikes.append((keep[j], angle))
    return sorted(dup), spikes


def _rings(poly: shapely.Polygon) -> Iterator[tuple[int, shapely.LinearRing]]:
    yield 0, poly.exterior
    yield from enumerate(poly.interiors, start=1)


def _ring_rows(zone: str, feat: object, pi: int, ri: int, ring: Any, rule: GeometryRule) -> list[dict[str, Any]]:
    """Rows of one ring: a tiny hole, duplicate and spike vertices."""
    rows = []
    where = {"part": pi, "ring": ri}
    if ri > 0:
        hole = float(shapely.Polygon(ring).area)
        if hole < rule.min_hole_m2:
            msg = f"part {pi} hole {ri} has {hole:.2f} m² (< {rule.min_hole_m2:g} m²)"
            rows.append(_row("tiny_hole", zone, feat, msg, shapely.Polygon(ring), area_m2=hole, **where))
    coords = np.asarray(ring.coords)
    dup, spikes = ring_vertex_problems(coords, duplicate_m=rule.duplicate_tolerance_m, spike_deg=rule.spike_angle_deg)
    for v in dup:
        msg = f"part {pi} ring {ri} vertex {v} repeats the one before (≤ {rule.duplicate_tolerance_m:g} m)"
        rows.append(_row("duplicate", zone, feat, msg, shapely.Point(coords[v][:2]), vertex=v, **where))
    for v, ang in spikes:
        msg = f"part {pi} ring {ri} vertex {v}: spike, angle {ang:.3f}° (< {rule.spike_angle_deg:g}°)"
        rows.append(_row("spike", zone, feat, msg, shapely.Point(coords[v][:2]), vertex=v, angle_deg=ang, **where))
    return rows


def _feature_rows(zone: str, feat: object, geom: Any, rule: GeometryRule) -> list[dict[str, Any]]:
    if geom is None or geom.is_empty:
        return [_row("invalid", zone, feat, "feature has no geometry", None)]
    rows: list[dict[str, Any]] = []
    if not shapely.is_valid(geom):
        why = shapely.is_valid_reason(geom)
        where = reason_location(why) or shapely.point_on_surface(geom)
        rows.append(_row("invalid", zone, feat, f"invalid geometry: {why}", where))
    for pi, poly in enumerate(polygons_of(geom), start=1):
        area = float(poly.area)
        if area < rule.min_part_m2:
            msg = f"part {pi} has {area:.2f} m² (< {rule.min_part_m2:g} m²)"
            rows.append(_row("tiny_part", zone, feat, msg, poly, part=pi, area_m2=area))
        for ri, ring in _rings(poly):
            rows += _ring_rows(zone, feat, pi, ri, ring, rule)
    return rows


def _width(g: Any) -> float:
    p = float(g.length)
    return 2.0 * float(g.area) / p if p > 0 else 0.0


def _pair_rows(zones: list[str], feats: list[object], geoms: np.ndarray, rule: GeometryRule) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=rule.adjacency_m)
    for i, j in zip(a, b, strict=True):
        if i >= j:
            continue
        gi, gj = geoms[i], geoms[j]
        inter = polygonal(np.array([shapely.intersection(gi, gj)], dtype=object))[0]
        for part in shapely.get_parts(inter):
            area = float(part.area)
            if area > rule.overlap_tolerance_m2:
                same = zones[i] == zones[j]
                what = (
                    f"features {feats[i]} and {feats[j]} of zone {zones[i]}"
                    if same
                    else f"zones {zones[i]} and {zones[j]}"
                )
                rows.append(
                    _row(
                        "overlap",
                        zones[i],
                        feats[i],
                        f"{what} overlap by {area:.2f} m² (about {_width(part):.2f} m wide)",
                        part,
                        area_m2=area,
                        width_m=_width(part),
                        other=zones[j] if not same else str(feats[j]),
                    )
                )
        if zones[i] != zones[j]:
            rows += _gap_rows(zones[i], zones[j], feats[i], gi, gj, rule)
    return rows


def _gap_rows(zi: str, zj: str, fi: object, gi: Any, gj: Any, rule: GeometryRule) -> list[dict[str, Any]]:
    r = rule.adjacency_m / 2.0
    pair = shapely.union(gi, gj)
    closed = pair.buffer(r, join_style="mitre", mitre_limit=10.0).buffer(-r, join_style="mitre", mitre_limit=10.0)
    gaps = polygonal(np.array([shapely.difference(closed, pair)], dtype=object))[0]
    rows = []
    eps = 1e-6
    for part in shapely.get_parts(gaps):
        area = float(part.area)
        if area <= eps or part.distance(gi) > eps or part.distance(gj) > eps:
            continue
        w = _width(part)
        check = "sliver" if w < rule.sliver_width_m else "gap"
        rows.append(
            _row(
                check,
                zi,
                fi,
                f"{check} of {area:.2f} m², about {w:.3f} m wide, between zones {zi} and {zj}"
                f" (closer than {rule.adjacency_m:g} m)",
                part,
                area_m2=area,
                width_m=w,
                other=zj,
            )
        )
    return rows


def _zone_ids(zones: gpd.GeoDataFrame, id_field: str | None, layer: str) -> list[str]:
    cols = [c for c in zones.columns if c != zones.geometry.name]
    try:
        field = find_field(
            cols,
            id_field,
            () if id_field else ZONE_ID_FIELDS,
            what="zone id",
            option="--zone-id",
            source=layer,
        )
    except Exception:
        if id_field:
            raise
        return [str(i) for i in zones.index]
    return [str(v).strip() for v in zones[field]]


def check_zone_geometry(
    zones: gpd.GeoDataFrame,
    *,
    rule: GeometryRule,
    id_field: str | None = None,
    layer: str = "zones",
    qa: QALog | None = None,
) -> gpd.GeoDataFrame:
    """Check the zone layer as stored; return one row per problem, with its location.

    Parameters
    ----------
    zones : GeoDataFrame
        The zone features as read (not repaired), in a projected CRS in metres.
    rule : GeometryRule, keyword-only
    id_field : str, optional, keyword-only
        Zone id field (the usual names are tried; else the feature id).
    layer : str, keyword-only
        The layer's name for QA rows.
    qa : QALog, optional, keyword-only
        When given, every row is also added to it (check ``boundary_<check>``).

    Returns
    -------
    GeoDataFrame
        Columns :data:`COLUMNS` and geometry (the location), in the layer's CRS.

    Examples
    --------
    >>> from shapely import box
    >>> from geo.profile import load_profile
    >>> z = gpd.GeoDataFrame({"ZONE_ID": ["A", "B"]}, geometry=[box(0, 0, 100, 100), box(100.5, 0, 200, 100)],
    ...                      crs=4526)
    >>> rows = check_zone_geometry(z, rule=GeometryRule.from_profile(load_profile()))
    >>> rows[["check", "zone_id", "other"]].values.tolist(), round(float(rows["area_m2"].iloc[0]), 6)
    ([['sliver', 'A', 'B']], 50.0)
    """
    ids = _zone_ids(zones, id_field, layer)
    geoms = np.asarray(zones.geometry.values, dtype=object)
    rows: list[dict[str, Any]] = []
    for zid, feat, g in zip(ids, zones.index, geoms, strict=True):
        rows += _feature_rows(zid, feat, g, rule)
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    valid = geoms.copy()
    valid[ok] = polygonal(shapely.make_valid(geoms[ok], method="structure", keep_collapsed=False))
    idx = np.flatnonzero(ok)
    rows += _pair_rows([ids[i] for i in idx], [zones.index[i] for i in idx], valid[idx], rule)
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=[*COLUMNS, "geometry"]), geometry="geometry", crs=zones.crs)
    if qa is not None:
        for r in out.itertuples():
            qa.add(
                f"boundary_{r.check}",
                r.message,
                layer=layer,
                severity=r.severity,
                feature=r.feature,
                zone=r.zone_id,
                area_m2=r.area_m2 if r.area_m2 == r.area_m2 else None,
                geometry=r.geometry,
            )
    return out
