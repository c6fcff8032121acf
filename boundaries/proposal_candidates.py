"""Candidates of the boundary proposal, and the shape test (one piece, no new holes).

- :func:`removal_candidates`: pieces inside the zone that are not industrial and count in the R1
  denominator, sharing at least ``min_contact_m`` of boundary with the zone (the length of the zone
  boundary within 1 mm of the piece).
- :func:`addition_candidates`: industrial pieces outside the zone (the kernel's pieces of the pseudo-zone
  :data:`OUTSIDE`), minus 永久基本农田 and 生态保护红线 and other zones, inside 城镇开发边界, each remaining
  part a candidate when it shares ``min_contact_m`` of boundary with the zone; what was cut away is
  reported. Without all three control layers nothing is taken in.
- :class:`ZoneShape`: the zone for a choice of candidates, and whether it is one piece without new holes.
  The shape is opened by 1 mm (mitred buffer in and out), so that float slivers between a piece and the
  old boundary do not enclose it; parts and holes smaller than ``min_piece_m2`` are ignored; a hole is
  new when it does not overlap a hole of the zone as it was.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.constraints import ControlLayers
from boundaries.industrial import IndustrialRule
from boundaries.proposal_solver import BoundaryTerms, ProposalRule
from geo.kernel import polygonal

__all__ = [
    "OUTSIDE",
    "ZoneShape",
    "addition_candidates",
    "boundary_terms",
    "contact_length_m",
    "removal_candidates",
    "rings_from_boundary",
]

#: Key of the pseudo-zone holding the land-use features' parts outside the zone.
OUTSIDE = "__outside__"
_EPS_M = 1e-3
#: A narrow piece runs along the boundary when it shares at least this share of its perimeter with it.
_ALONG_SHARE = 0.25


def contact_length_m(zone_boundary: Any, geoms: np.ndarray) -> np.ndarray:
    """Return the length of the zone boundary within 1 mm of each geometry: the boundary they share."""
    return shapely.length(shapely.intersection(zone_boundary, shapely.buffer(geoms, _EPS_M)))


class ZoneShape:
    """Builds the zone for a choice of candidates, tests it (one piece, no new holes) and explains failures.

    :meth:`cuts` turns a failed shape into constraints that forbid only shapes failing the same way:

    - a new hole made of left-out pieces ``H`` (and closed, maybe, by pieces taken in along the old
      boundary, ``C``): "not all of ``H`` and ``C`` without one of the candidates bordering the hole left
      out too": ``Σ_{H∪C} (1 − x) + Σ_border x ≥ 1``;
    - a part ``K`` cut off from the rest (zones of one part, when the rest holds land that cannot be left
      out, so it cannot vanish): "not all the left-out pieces touching ``K`` and the pieces taken in
      within ``K``, unless a candidate within ``K`` is left out or another piece touching ``K`` taken in".
    """

    def __init__(self, zone: Any, geoms: list[Any], actions: list[str], min_piece_m2: float) -> None:
        self.zone, self.geoms, self.actions, self.min_piece = zone, geoms, actions, min_piece_m2
        polys = [p for p in shapely.get_parts(zone) if isinstance(p, shapely.Polygon)]
        self.n_parts = len(polys)
        self.holes = shapely.union_all([shapely.Polygon(r) for p in polys for r in p.interiors] or [shapely.Polygon()])
        arr = np.asarray(geoms, dtype=object)
        self.tree = shapely.STRtree(arr) if len(arr) else None
        rem = [g for g, a in zip(geoms, actions, strict=True) if a == "remove"]
        self.removable = shapely.union_all(rem) if rem else shapely.Polygon()
        self._cache: dict[frozenset[int], tuple[Any, list[Any], list[Any]]] = {}

    def _shape(self, chosen: frozenset[int]) -> tuple[Any, list[Any], list[Any]]:
        if chosen not in self._cache:
            rem = [self.geoms[k] for k in chosen if self.actions[k] == "remove"]
            add = [self.geoms[k] for k in chosen if self.actions[k] == "add"]
            g = shapely.difference(self.zone, shapely.union_all(rem)) if rem else self.zone
            g = shapely.union_all([g, *add]) if add else g
            if rem or add:  # open by 1 mm: slivers left between pieces and the old boundary are not land
                g = g.buffer(-_EPS_M, join_style="mitre").buffer(_EPS_M, join_style="mitre")
            parts = [
                p
                for p in shapely.get_parts(polygonal(np.array([g], dtype=object))[0])
                if isinstance(p, shapely.Polygon) and p.area >= self.min_piece
            ]
            cleaned = [
                shapely.Polygon(
                    p.exterior,
                    [
                        r
                        for r in p.interiors
                        if shapely.Polygon(r).area >= self.min_piece or shapely.Polygon(r).intersects(self.holes)
                    ],
                )
                for p in parts
            ]
            new = [
                shapely.Polygon(r)
                for p in cleaned
                for r in p.interiors
                if shapely.area(shapely.intersection(shapely.Polygon(r), self.holes)) <= self.min_piece
            ]
            geom = shapely.MultiPolygon(cleaned) if len(cleaned) > 1 else (cleaned[0] if cleaned else shapely.Polygon())
            self._cache[chosen] = (geom, cleaned, new)
        return self._cache[chosen]

    def build(self, chosen: frozenset[int]) -> tuple[Any, int, int]:
        """Return (polygon, number of parts, number of new holes) for a choice."""
        geom, parts, new = self._shape(chosen)
        return geom, len(parts), len(new)

    def feasible(self, chosen: frozenset[int]) -> bool:
        """Return True when the choice keeps the zone in as many pieces as before (≥ 1) without new holes."""
        _, n, holes = self.build(chosen)
        return 1 <= n <= self.n_parts and holes == 0

    def _near(self, g: Any, *, within: bool) -> list[int]:
        if self.tree is None:
            return []
        hits = self.tree.query(g, predicate="dwithin", distance=_EPS_M)
        if within:
            return [int(k) for k in hits if shapely.area(shapely.intersection(self.geoms[k], g)) > self.min_piece]
        return [int(k) for k in hits]

    def cuts(self, chosen: frozenset[int]) -> list[tuple[list[int], list[int]]]:
        """Return constraints ``(neg, pos)`` meaning ``Σ_neg (1 − x) + Σ_pos x ≥ 1`` for a failed shape."""
        _, parts, new = self._shape(chosen)
        out = []
        for hole in new:
            touch = self._near(hole, within=False)
            inside = [k for k in self._near(hole, within=True) if k in chosen and self.actions[k] == "remove"]
            closing = [k for k in touch if k in chosen and self.actions[k] == "add"]  # land taken in can close it
            border = [k for k in touch if k not in chosen and self.actions[k] == "remove"]
            if inside:
                out.append((inside + closing, border))
        if self.n_parts == 1 and len(parts) > 1:
            fixed = [p for p in parts if shapely.area(shapely.difference(p, self.removable)) > self.min_piece]
            if fixed:
                main = max(fixed, key=lambda p: p.area)
                for k_part in (p for p in parts if p is not main):
                    touch, within = self._near(k_part, within=False), set(self._near(k_part, within=True))
                    neg = [k for k in touch if k in chosen and (self.actions[k] == "remove" or k in within)]
                    pos = [k for k in touch if k not in chosen and (self.actions[k] == "add" or k in within)]
                    out.append((neg, pos))
        return out


def boundary_terms(
    geoms: list[Any], actions: list[str], zone_boundary: Any, *, weight_m2_per_m: float
) -> BoundaryTerms:
    """Return how the zone's boundary length changes with each candidate and pair of candidates.

    A piece of perimeter ``P`` sharing ``e`` metres with the zone boundary changes the boundary by
    ``P − 2e`` when left out or taken in alone (its other edges become boundary, the shared ones stop
    being boundary). Two chosen pieces sharing ``s`` metres: ``−2s`` when both are left out or both taken
    in (the shared edge is no boundary), ``+2s`` when one is left out and the other taken in (they meet on
    the old boundary, which stays boundary).

    Contact is measured within 1 mm, so each shared stretch reads up to 2 mm long.

    >>> from shapely import box
    >>> t = boundary_terms([box(0, 0, 10, 10), box(10, 0, 20, 10)], ["remove", "remove"],
    ...                    box(-5, 0, 20, 30).boundary, weight_m2_per_m=1.0)
    >>> [round(v, 1) + 0.0 for v in t.linear_m], [(k, j, round(c, 1)) for k, j, c in t.pairs]
    ([20.0, 0.0], [(0, 1, -20.0)])
    """
    arr = np.asarray(geoms, dtype=object)
    if len(arr) == 0:
        return BoundaryTerms((), (), weight_m2_per_m)
    e = contact_length_m(zone_boundary, arr)
    linear = tuple(float(v) for v in shapely.length(shapely.boundary(arr)) - 2.0 * e)
    a, b = shapely.STRtree(arr).query(arr, predicate="dwithin", distance=_EPS_M)
    keep = a < b
    a, b = a[keep], b[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(arr[a]), shapely.buffer(arr[b], _EPS_M)))
    pairs = tuple(
        (int(k), int(j), float(-2.0 * c if actions[k] == actions[j] else 2.0 * c))
        for k, j, c in zip(a, b, shared, strict=True)
        if c > _EPS_M
    )
    return BoundaryTerms(linear, pairs, weight_m2_per_m)


def rings_from_boundary(
    geoms: np.ndarray, boundary: Any, *, min_contact_m: float, max_depth: int
) -> tuple[np.ndarray, list[list[int]]]:
    """Return each geometry's ring number counted from the zone boundary, and what each one requires.

    Ring 1: pieces sharing at least ``min_contact_m`` of the zone boundary; ring ``d``: pieces sharing as
    much boundary with a piece of ring ``d − 1`` (up to ``max_depth``; 0 = not reached). For a piece of
    ring 2 or more, ``requires[k]`` lists its neighbours among the pieces reached (any ring): leaving out
    (or taking in) ``k`` with none of them would make a hole (or an island), so at least one must go with
    it. This is necessary, not sufficient; the shape test catches the rest.

    >>> from shapely import box
    >>> g = np.array([box(0, 0, 1, 10), box(1, 0, 2, 10), box(2, 0, 3, 10)], dtype=object)
    >>> d, req = rings_from_boundary(g, box(0, 0, 3, 10).boundary.difference(box(1, -1, 4, 11)),
    ...                              min_contact_m=1.0, max_depth=3)
    >>> d.tolist(), req
    ([1, 2, 3], [[], [0, 2], [1]])
    """
    n = len(geoms)
    depth = np.zeros(n, dtype=int)
    requires: list[list[int]] = [[] for _ in range(n)]
    if n == 0:
        return depth, requires
    depth[contact_length_m(boundary, geoms) >= min_contact_m] = 1
    if max_depth <= 1:
        return depth, requires
    a, b = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=_EPS_M)
    keep = a != b
    a, b = a[keep], b[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[a]), shapely.buffer(geoms[b], _EPS_M)))
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j, c in zip(a, b, shared, strict=True):
        if c >= min_contact_m:
            nbrs[int(i)].append(int(j))
    for d in range(2, max_depth + 1):
        for k in np.flatnonzero(depth == 0):
            if any(depth[j] == d - 1 for j in nbrs[k]):
                depth[k] = d
    for k in np.flatnonzero(depth >= 2):
        requires[k] = sorted(j for j in nbrs[k] if depth[j] > 0)
    return depth, requires


def removal_candidates(
    p: gpd.GeoDataFrame, zid: str, zone: Any, rule: IndustrialRule, params: ProposalRule
) -> gpd.GeoDataFrame:
    """Pieces inside the zone that may be left out.

    Not industrial, counting in the R1 denominator, within ``params.removal_depth`` rings of the boundary;
    a narrow piece (roads, ditches: about ``2·area/perimeter`` < ``params.min_width_m`` wide) only where it
    runs along the boundary (sharing a quarter of its perimeter with it), so that no slit is cut into the
    zone. Columns ``ring``, ``requires`` (row positions) added.
    """
    cats = {"other_construction", "unknown"} | ({"non_construction"} if rule.denominator == "zone" else set())
    r = p[(p["zone"] == zid) & p["category"].isin(cats) & (p["area_m2"] >= params.min_piece_m2)].copy()
    geoms = np.asarray(r.geometry.values, dtype=object)
    perimeter = shapely.length(shapely.boundary(geoms))
    width = np.where(perimeter > 0, 2.0 * r["area_m2"].to_numpy() / np.where(perimeter > 0, perimeter, 1.0), 0.0)
    along = contact_length_m(zone.boundary, geoms) >= _ALONG_SHARE * perimeter
    r = r[(width >= params.min_width_m) | along].reset_index(drop=True)  # no slits cut into the zone
    geoms = np.asarray(r.geometry.values, dtype=object)
    depth, req = rings_from_boundary(
        geoms, zone.boundary, min_contact_m=params.min_contact_m, max_depth=params.removal_depth
    )
    r["contact_m"] = contact_length_m(zone.boundary, geoms)
    r["ring"], r["requires"] = depth, req
    return _renumber(r[r["ring"] > 0]).assign(action="remove", excluded_m2=0.0, note="")


def _renumber(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep ``requires`` pointing at row positions after rows were dropped."""
    pos = {old: new for new, old in enumerate(frame.index)}
    out = frame.reset_index(drop=True)
    out["requires"] = [[pos[j] for j in req if j in pos] for req in out["requires"]]
    return out


def _control_mask(controls: ControlLayers, others: Any) -> tuple[Any, Any]:
    """Return (area never to take in, urban boundary) from the dissolved control layers and other zones."""
    block = [
        shapely.union_all(np.asarray(g.geometry.values)) for g in (controls.farmland, controls.redline) if g is not None
    ]
    if others is not None and not others.is_empty:
        block.append(others)
    urban = shapely.union_all(np.asarray(controls.urban.geometry.values)) if controls.urban is not None else None
    return shapely.union_all(block) if block else shapely.Polygon(), urban


def _allowed_parts(ind: gpd.GeoDataFrame, block: Any, urban: Any) -> list[dict[str, Any]]:
    rows = []
    for rec in ind.itertuples():
        allowed = shapely.intersection(shapely.difference(rec.geometry, block), urban)
        parts = [g for g in shapely.get_parts(polygonal(np.array([allowed], dtype=object))[0]) if g.area > _EPS_M]
        cut = max(float(rec.geometry.area) - sum(g.area for g in parts), 0.0)
        cut = 0.0 if cut < _EPS_M else cut
        base = {k: v for k, v in rec._asdict().items() if k != "Index"}
        what = f"{cut:,.2f} m² in 永久基本农田/生态保护红线/城镇开发边界外/other zones left out" if cut else ""
        for i, part in enumerate(parts, start=1):
            note = "; ".join(x for x in ((f"part {i}" if len(parts) > 1 else ""), what) if x)
            rows.append({**base, "geometry": part, "area_m2": float(part.area), "excluded_m2": cut, "note": note})
        if not parts:
            rows.append(
                {
                    **base,
                    "excluded_m2": cut,
                    "area_m2": 0.0,
                    "note": "wholly in 永久基本农田/生态保护红线/城镇开发边界外/other zones",
                }
            )
    return rows


def addition_candidates(
    p: gpd.GeoDataFrame, zone: Any, controls: ControlLayers, others: Any, params: ProposalRule
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Industrial land outside the zone that may be taken in, within ``params.addition_depth`` rings.

    Returns the candidates (``action`` ``add``) and the pieces that may not be taken in (``excluded``), and
    notes (why nothing is taken in when a control layer is missing).
    """
    ind = p[(p["zone"] == OUTSIDE) & (p["category"] == "industrial")]
    empty = ind.iloc[:0].assign(action="add", contact_m=0.0, excluded_m2=0.0, note="", ring=0, requires=None)
    missing = [
        n
        for n, g in (
            ("永久基本农田", controls.farmland),
            ("生态保护红线", controls.redline),
            ("城镇开发边界", controls.urban),
        )
        if g is None
    ]
    if missing:
        return empty, [
            f"nothing is taken in: without the {', '.join(missing)} layer(s) no land outside the "
            "zone can be shown to be allowed"
        ]
    block, urban = _control_mask(controls, others)
    rows = _allowed_parts(ind, block, urban)
    if not rows:
        return empty, []
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=p.crs)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    usable = (frame["area_m2"] >= params.min_piece_m2).to_numpy()
    depth = np.zeros(len(frame), dtype=int)
    req: list[list[int]] = [[] for _ in range(len(frame))]
    idx = np.flatnonzero(usable)
    d_use, r_use = rings_from_boundary(
        geoms[idx], zone.boundary, min_contact_m=params.min_contact_m, max_depth=params.addition_depth
    )
    for pos, k in enumerate(idx):
        depth[k], req[k] = d_use[pos], [int(idx[j]) for j in r_use[pos]]
    frame["contact_m"] = contact_length_m(zone.boundary, geoms)
    frame["ring"], frame["requires"] = depth, req
    frame["action"] = np.where(depth > 0, "add", "excluded")
    far = (depth == 0) & (frame["area_m2"] > 0)
    frame.loc[far, "note"] = [
        ("; ".join(x for x in (n, "not adjacent to the zone (or too small) once the control areas are out") if x))
        for n in frame.loc[far, "note"]
    ]
    adds = _renumber(frame[frame["action"] == "add"])
    return pd.concat([adds, frame[frame["action"] == "excluded"].assign(requires=None)], ignore_index=True), []
