"""Candidates of the boundary proposal, and the shape test (one piece, no new holes).

- :func:`removal_candidates`: pieces inside the zone that are not industrial and count in the R1
  denominator, sharing at least ``min_contact_m`` of boundary with the zone (the length of the zone
  boundary within 1 mm of the piece).
- :func:`addition_candidates`: industrial pieces outside the zone (the kernel's pieces of the pseudo-zone
  :data:`OUTSIDE`), minus 永久基本农田 and 生态保护红线 and other zones, inside 城镇开发边界, each remaining
  part a candidate when it shares ``min_contact_m`` of boundary with the zone; what was cut away is
  reported. Without all three control layers nothing is taken in.
- :class:`ZoneShape`: the zone for a choice of candidates, and whether it is one piece without new holes.
  Parts and holes smaller than ``min_piece_m2`` (slivers from floating-point differences) are ignored;
  a hole is new when it does not overlap a hole of the zone as it was.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.constraints import ControlLayers
from boundaries.industrial import IndustrialRule
from boundaries.proposal_solver import ProposalRule
from geo.kernel import polygonal

__all__ = ["OUTSIDE", "ZoneShape", "addition_candidates", "contact_length_m", "removal_candidates"]

#: Key of the pseudo-zone holding the land-use features' parts outside the zone.
OUTSIDE = "__outside__"
_EPS_M = 1e-3


def contact_length_m(zone_boundary: Any, geoms: np.ndarray) -> np.ndarray:
    """Return the length of the zone boundary within 1 mm of each geometry: the boundary they share."""
    return shapely.length(shapely.intersection(zone_boundary, shapely.buffer(geoms, _EPS_M)))


class ZoneShape:
    """Builds the zone for a choice of candidates and tests it (one piece, no new holes); cached."""

    def __init__(self, zone: Any, geoms: list[Any], actions: list[str], min_piece_m2: float) -> None:
        self.zone, self.geoms, self.actions, self.min_piece = zone, geoms, actions, min_piece_m2
        polys = [p for p in shapely.get_parts(zone) if isinstance(p, shapely.Polygon)]
        self.n_parts = len(polys)
        self.holes = shapely.union_all(
            [shapely.Polygon(r) for p in polys for r in p.interiors] or [shapely.Polygon()]
        )
        self._cache: dict[frozenset[int], tuple[Any, int, int]] = {}

    def build(self, chosen: frozenset[int]) -> tuple[Any, int, int]:
        """Return (polygon, number of parts, number of new holes) for a choice."""
        if chosen not in self._cache:
            rem = [self.geoms[k] for k in chosen if self.actions[k] == "remove"]
            add = [self.geoms[k] for k in chosen if self.actions[k] == "add"]
            g = self.zone
            if rem:
                g = shapely.difference(g, shapely.union_all(rem))
            if add:
                g = shapely.union_all([g, *add])
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
                        if shapely.Polygon(r).area >= self.min_piece
                        or shapely.Polygon(r).intersects(self.holes)
                    ],
                )
                for p in parts
            ]
            new_holes = sum(
                1
                for p in cleaned
                for r in p.interiors
                if shapely.area(shapely.intersection(shapely.Polygon(r), self.holes)) <= self.min_piece
            )
            geom = (
                shapely.MultiPolygon(cleaned)
                if len(cleaned) > 1
                else (cleaned[0] if cleaned else shapely.Polygon())
            )
            self._cache[chosen] = (geom, len(cleaned), new_holes)
        return self._cache[chosen]

    def feasible(self, chosen: frozenset[int]) -> bool:
        """Return True when the choice keeps the zone in as many pieces as before (≥ 1) without new holes."""
        _, n, holes = self.build(chosen)
        return 1 <= n <= self.n_parts and holes == 0


def _contact_m(zone_boundary: Any, geoms: np.ndarray) -> np.ndarray:
    """Length of the zone boundary within 1 mm of each geometry: the boundary they share."""
    return shapely.length(shapely.intersection(zone_boundary, shapely.buffer(geoms, _EPS_M)))


def removal_candidates(
    p: gpd.GeoDataFrame, zid: str, zone: Any, rule: IndustrialRule, params: ProposalRule
) -> gpd.GeoDataFrame:
    cats = {"other_construction", "unknown"} | ({"non_construction"} if rule.denominator == "zone" else set())
    r = p[(p["zone"] == zid) & p["category"].isin(cats) & (p["area_m2"] >= params.min_piece_m2)].copy()
    r["contact_m"] = contact_length_m(zone.boundary, np.asarray(r.geometry.values, dtype=object))
    r = r[r["contact_m"] >= params.min_contact_m]
    return r.assign(action="remove", excluded_m2=0.0, note="")


def _control_mask(controls: ControlLayers, others: Any) -> tuple[Any, Any]:
    """Return (area never to take in, urban boundary) from the dissolved control layers and other zones."""
    block = [
        shapely.union_all(np.asarray(g.geometry.values))
        for g in (controls.farmland, controls.redline)
        if g is not None
    ]
    if others is not None and not others.is_empty:
        block.append(others)
    urban = (
        shapely.union_all(np.asarray(controls.urban.geometry.values)) if controls.urban is not None else None
    )
    return shapely.union_all(block) if block else shapely.Polygon(), urban


def addition_candidates(
    p: gpd.GeoDataFrame, zone: Any, controls: ControlLayers, others: Any, params: ProposalRule
) -> tuple[gpd.GeoDataFrame, list[str]]:
    ind = p[(p["zone"] == OUTSIDE) & (p["category"] == "industrial")]
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
        note = (
            f"nothing is taken in: without the {', '.join(missing)} layer(s) no land outside the zone can be "
            "shown to be allowed"
        )
        return ind.iloc[:0].assign(action="add", contact_m=0.0, excluded_m2=0.0, note=""), [note]
    block, urban = _control_mask(controls, others)
    rows = []
    for rec in ind.itertuples():
        allowed = shapely.intersection(shapely.difference(rec.geometry, block), urban)
        parts = [g for g in shapely.get_parts(polygonal(np.array([allowed], dtype=object))[0]) if g.area > 0]
        cut = float(rec.geometry.area) - sum(g.area for g in parts)
        for i, part in enumerate(parts, start=1):
            contact = float(contact_length_m(zone.boundary, np.array([part], dtype=object))[0])
            ok = part.area >= params.min_piece_m2 and contact >= params.min_contact_m
            rows.append(
                {
                    **rec._asdict(),
                    "geometry": part,
                    "area_m2": float(part.area),
                    "contact_m": contact,
                    "excluded_m2": cut,
                    "action": "add" if ok else "excluded",
                    "note": (f"part {i}; " if len(parts) > 1 else "")
                    + (
                        f"{cut:,.2f} m² in 永久基本农田/生态保护红线/城镇开发边界外/other zones left out"
                        if cut > params.min_piece_m2
                        else ""
                    )
                    + (
                        "" if ok else "not adjacent to the zone (or too small) once the control areas are out"
                    ),
                }
            )
        if not parts:
            rows.append(
                {
                    **rec._asdict(),
                    "contact_m": 0.0,
                    "excluded_m2": cut,
                    "action": "excluded",
                    "note": "wholly in 永久基本农田/生态保护红线/城镇开发边界外/other zones",
                }
            )
    frame = (
        gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=p.crs)
        if rows
        else ind.iloc[:0].assign(action="add", contact_m=0.0, excluded_m2=0.0, note="")
    )
    return frame.drop(columns=["Index"], errors="ignore"), []
