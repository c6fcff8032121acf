"""The one area-by-class kernel: how much of each class lies inside each zone.

Everything in devzone that needs "area of X inside Y" calls :func:`area_by_class`.

Method
------
1. A spatial index (shapely STRtree) over the class layer finds the features each zone may touch.
2. A feature wholly inside a zone (``contains_properly`` against the prepared zone) keeps its own
   area; only features crossing the zone boundary are intersected.
3. Overlaps between pieces in the same zone are found exactly (interiors intersect: one DE-9IM
   ``relate`` per pair, the same answer from either side — prepared ``contains`` alone misses some
   slivers that touch their container's boundary, which were then counted twice). Each set
   of mutually overlapping pieces is resolved so that no square metre counts twice: pieces of one class
   are unioned; between classes the class with the higher precedence keeps the overlap (ties: the
   feature that comes first in the layer). Every overlapping pair is reported with its area.
   A land-use layer is (nearly) a coverage, so the exact predicates run only where an overlap is
   possible (:func:`_suspect_pieces`): a source feature whose every edge is matched exactly once, in
   the opposite direction, by an edge of another feature is "edge-matched". Every connected group of
   mutually overlapping features holds at least one feature that is not (along the rim of the part
   covered twice, some edge has no mirror edge, or its twin runs the same way), so the exact test,
   started from the features that are not edge-matched and followed from feature to overlapping
   feature, finds every overlapping pair that testing all pairs would, at a small part of the cost.
4. Areas are planar, in the CRS of the inputs, which must be projected in metres.

The identity ``Σ class areas + uncovered = zone area`` holds by construction; the tests check it against
an independent union, so a double count or a lost piece would show up as a negative or wrong gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.crs import crs_label, is_projected_metres
from geo.errors import CRSError, DataError

__all__ = ["AreaByClass", "area_by_class", "polygonal"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AreaByClass:
    """Result of :func:`area_by_class`.

    Attributes
    ----------
    table : DataFrame
        Long table with columns ``zone``, ``class``, ``area_m2`` (one row per zone and class present).
    zone_area_m2 : Series
        Planar zone areas, indexed by zone.
    covered_m2 : Series
        Area covered by the class layer in each zone (overlaps counted once).
    uncovered_m2 : Series
        ``zone_area_m2 - covered_m2``: the gaps of the class layer inside each zone.
    overlaps : DataFrame
        One row per overlapping pair of features inside a zone: ``zone``, ``source_a``, ``source_b``,
        ``class_a``, ``class_b``, ``area_m2``, ``resolved_to``.
    pieces : GeoDataFrame or None
        The pieces inside each zone (``zone``, ``class``, ``source``, ``area_m2``, geometry); overlapping
        pieces are replaced by their resolved parts, so the pieces tile the covered area exactly.
    n_pairs : int
        Zone-feature pairs examined; ``n_inside`` of them took the fast path.
    """

    table: pd.DataFrame
    zone_area_m2: pd.Series
    covered_m2: pd.Series
    uncovered_m2: pd.Series
    overlaps: pd.DataFrame
    pieces: gpd.GeoDataFrame | None
    n_pairs: int
    n_inside: int

    def area(self, zone: object, classes: Callable[[str], bool] | None = None) -> float:
        """Return the area of the classes accepted by ``classes`` (all when None) in one zone."""
        t = self.table[self.table["zone"] == zone]
        if classes is not None:
            t = t[t["class"].map(classes).astype(bool)]
        return float(t["area_m2"].sum())


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (lines and points from overlay have no area)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    mixed = np.flatnonzero((types == 7) | (types == 1) | (types == 2) | (types == 5))
    for i in mixed:
        parts = shapely.get_parts(geoms[i])
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.multipolygons(shapely.get_parts(polys)) if len(polys) else shapely.Polygon()
    return out


def _check_inputs(zones: gpd.GeoSeries, layer: gpd.GeoDataFrame) -> None:
    if zones.crs is None or layer.crs is None:
        msg = "area_by_class needs both layers to have a CRS"
        raise CRSError(msg)
    if not CRS.from_user_input(zones.crs).equals(layer.crs):
        msg = (
            f"zones are in {crs_label(zones.crs)} but the class layer is in {crs_label(layer.crs)}; "
            "transform both to one analysis CRS first (geo.crs.to_analysis_crs)"
        )
        raise CRSError(msg)
    if not is_projected_metres(zones.crs):
        msg = f"areas cannot be measured in {crs_label(zones.crs)}: it is not projected in metres"
        raise CRSError(msg)
    if not zones.index.is_unique:
        msg = "zone keys must be unique; dissolve zones by id first"
        raise DataError(msg)


def _rank_of(precedence: Mapping[str, int] | Callable[[str], int] | None) -> Callable[[str], int]:
    if precedence is None:
        return lambda _c: 0
    if callable(precedence):
        return precedence
    table = dict(precedence)
    return lambda c: table.get(c, 0)


def area_by_class(
    zones: gpd.GeoSeries,
    layer: gpd.GeoDataFrame,
    *,
    class_column: str,
    precedence: Mapping[str, int] | Callable[[str], int] | None = None,
    keep_pieces: bool = True,
    assume_valid: bool = False,
) -> AreaByClass:
    """Sum the area of each class of ``layer`` inside each zone, exactly and without double counting.

    Parameters
    ----------
    zones : GeoSeries
        Zone polygons, indexed by a unique zone key, in a projected CRS in metres.
    layer : GeoDataFrame
        Valid polygons with a class label column, in the same CRS. Its index labels identify the
        source features in the outputs.
    class_column : str, keyword-only
        Column holding each feature's class label (text).
    precedence : mapping or callable, optional, keyword-only
        Rank of each class; where features of different classes overlap, the higher rank keeps the
        overlap. Default: all equal, the earlier feature wins.
    keep_pieces : bool, keyword-only
        Also return the piece geometries (needed for maps and GeoPackages, not for the figures).
    assume_valid : bool, keyword-only
        The caller has made every polygon valid (e.g. :func:`geo.geometry.repair_polygons`), so the
        kernel does not test validity again. With an invalid polygon and ``assume_valid=False``, every
        piece gets the exact overlap test.

    Returns
    -------
    AreaByClass

    Raises
    ------
    CRSError
        When the CRSs differ or are not in metres.

    See Also
    --------
    geo.geometry.repair : make a layer valid first, with QA rows.

    Examples
    --------
    >>> from shapely import box
    >>> z = gpd.GeoSeries([box(0, 0, 10, 10)], index=["Z1"], crs=4547)
    >>> lu = gpd.GeoDataFrame({"c": ["a", "b"]}, geometry=[box(0, 0, 6, 10), box(5, 0, 20, 10)], crs=4547)
    >>> r = area_by_class(z, lu, class_column="c", precedence={"b": 1})
    >>> r.table[["class", "area_m2"]].to_numpy().tolist()
    [['a', 50.0], ['b', 50.0]]
    >>> float(r.overlaps["area_m2"].iloc[0]), r.overlaps["resolved_to"].iloc[0]
    (10.0, 'b')
    """
    _check_inputs(zones, layer)
    rank = _rank_of(precedence)
    zgeoms = np.asarray(zones.values, dtype=object)
    lgeoms = np.asarray(layer.geometry.values, dtype=object)
    labels = layer[class_column].astype(str).to_numpy()
    shapely.prepare(zgeoms)
    tree = shapely.STRtree(lgeoms)
    zi, li = tree.query(zgeoms, predicate="intersects")
    inside = shapely.contains_properly(zgeoms[zi], lgeoms[li])
    geoms = np.empty(len(zi), dtype=object)
    geoms[inside] = lgeoms[li[inside]]
    cross = ~inside
    if cross.any():
        geoms[cross] = polygonal(shapely.intersection(lgeoms[li[cross]], zgeoms[zi[cross]]))
    areas = shapely.area(geoms)
    keep = areas > 0.0
    zi, li, geoms, areas = zi[keep], li[keep], geoms[keep], areas[keep]
    log.debug("area_by_class: %d pairs, %d inside, %d intersected", len(inside), inside.sum(), cross.sum())

    suspect = _suspect_pieces(li, lgeoms, tree, crossing=li[~inside[keep]], valid=assume_valid)
    pieces_zone, pieces_class, pieces_src, pieces_geom, pieces_area, overlap_rows = _resolve_overlaps(
        zi, li, geoms, areas, labels, rank, layer.index.to_numpy(), keep_pieces, suspect
    )
    zkeys = zones.index.to_numpy()
    table = (
        pd.DataFrame({"zone": zkeys[pieces_zone], "class": pieces_class, "area_m2": pieces_area})
        .groupby(["zone", "class"], sort=True, as_index=False)["area_m2"]
        .sum()
    )
    zone_area = pd.Series(shapely.area(zgeoms), index=zones.index, name="zone_area_m2")
    covered = table.groupby("zone")["area_m2"].sum().reindex(zones.index, fill_value=0.0)
    overlaps = pd.DataFrame(
        overlap_rows, columns=["zone", "source_a", "source_b", "class_a", "class_b", "area_m2", "resolved_to"]
    )
    if len(overlaps):
        overlaps["zone"] = zkeys[overlaps["zone"].to_numpy(dtype=int)]
    pieces = None
    if keep_pieces:
        pieces = gpd.GeoDataFrame(
            {
                "zone": zkeys[pieces_zone],
                "class": pieces_class,
                "source": pieces_src,
                "area_m2": pieces_area,
            },
            geometry=gpd.GeoSeries(pieces_geom, crs=zones.crs).values,
            crs=zones.crs,
        )
    return AreaByClass(
        table=table,
        zone_area_m2=zone_area,
        covered_m2=covered.rename("covered_m2"),
        uncovered_m2=(zone_area - covered).rename("uncovered_m2"),
        overlaps=overlaps,
        pieces=pieces,
        n_pairs=len(inside),
        n_inside=int(inside.sum()),
    )


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return x, y and ring number of every vertex, the feature of each ring, and whether each ring runs
    clockwise-for-an-exterior / anticlockwise-for-a-hole (its interior is then on its right)."""
    if (shapely.get_type_id(geoms) == 3).all() and not shapely.get_num_interior_rings(geoms).any():
        xy, ring = shapely.get_coordinates(geoms, return_index=True)
        x, y = xy[:, 0], xy[:, 1]
        same = ring[:-1] == ring[1:]
        twice_area = np.bincount(ring[:-1][same], weights=(x[:-1] * y[1:] - x[1:] * y[:-1])[same], minlength=len(geoms))
        return x, y, ring, np.arange(len(geoms)), twice_area < 0
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    return xy[:, 0], xy[:, 1], ring, part_of[ring_part], shapely.is_ccw(rings) != exterior


def _vertex_hash(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _mix(x.view(np.uint64) ^ _mix(y.view(np.uint64)))


def _not_edge_matched(geoms: np.ndarray) -> np.ndarray:
    """Flag features with an edge that is not matched exactly once, in the opposite direction, by another
    edge (same coordinates, bit for bit); features of a clean coverage are flagged only at its rim."""
    x, y, ring, feature_of_ring, reverse = _rings(geoms)
    vh = _vertex_hash(x, y)
    m = np.flatnonzero(ring[:-1] == ring[1:])  # edge m runs from vertex m to vertex m + 1
    h = vh[m] ^ vh[m + 1]  # the same for both directions; collisions only leave edges unmatched
    order = np.argsort(h)
    hs = h[order]
    first = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
    two = first[np.diff(np.r_[first, len(m)]) == 2]
    e1, e2 = order[two], order[two + 1]
    v1, v2 = m[e1], m[e2]
    # a match runs the other way once both rings are oriented interior-left
    same = reverse[ring[v1]] == reverse[ring[v2]]
    j, k = np.where(same, v2 + 1, v2), np.where(same, v2, v2 + 1)
    ok = (x[v1] == x[j]) & (y[v1] == y[j]) & (x[v1 + 1] == x[k]) & (y[v1 + 1] == y[k])
    matched = np.zeros(len(m), dtype=bool)
    matched[e1[ok]] = True
    matched[e2[ok]] = True
    bad = m[~matched]
    bad = bad[(x[bad] != x[bad + 1]) | (y[bad] != y[bad + 1])]  # repeated points are not edges
    flagged = np.zeros(len(geoms), dtype=bool)
    flagged[feature_of_ring[ring[bad]]] = True
    return flagged


def _interiors_meet(geoms: np.ndarray, query: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Return index pairs (i < j), i in ``query``, of geometries whose interiors intersect.

    One DE-9IM test (``relate_pattern 'T********'``) per pair of envelopes that meet, so the answer is
    the same from either side; prepared ``contains`` can miss a sliver touching the container's
    boundary that ``within`` from the sliver's side finds.
    """
    a, b = tree.query(geoms[query])
    a = query[a]
    pairs = np.unique(np.column_stack([np.minimum(a, b), np.maximum(a, b)])[a != b], axis=0)
    if len(pairs) == 0:
        return pairs
    return pairs[shapely.relate_pattern(geoms[pairs[:, 0]], geoms[pairs[:, 1]], "T********")]


def _overlap_closure(geoms: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Flag every feature connected to a seed by a chain of overlapping features (exact test)."""
    tree = shapely.STRtree(geoms)
    involved = np.zeros(len(geoms), dtype=bool)
    queried = np.zeros(len(geoms), dtype=bool)
    frontier = seeds.copy()
    while frontier.any():
        queried |= frontier
        pairs = _interiors_meet(geoms, np.flatnonzero(frontier), tree)
        involved[pairs.ravel()] = True
        frontier = involved & ~queried
    return involved


def _suspect_pieces(
    li: np.ndarray,
    lgeoms: np.ndarray,
    tree: shapely.STRtree,
    *,
    crossing: np.ndarray | None = None,
    valid: bool = False,
) -> np.ndarray:
    """Return a mask of the pieces whose source feature overlaps another source feature.

    Two pieces can only overlap when their sources do. The sources are checked for edge matching
    against the features near them (``tree`` indexes the whole class layer); from those that are not
    edge-matched the exact predicates follow overlaps to every feature overlapping another (see the
    module notes for why none is missed). A feature sharing an edge with, or overlapping, a source that
    lies inside a zone reaches into the zone and is a source itself, so only the sources ``crossing``
    a zone boundary (all, when None) need their surroundings looked up. The argument needs valid
    polygons: with an invalid source every piece is suspect and all of them get the exact test.
    """
    if len(li) < 2:
        return np.zeros(len(li), dtype=bool)
    src = np.unique(li)
    sgeoms = lgeoms[src]
    if not valid and not shapely.is_valid(sgeoms).all():
        return np.ones(len(li), dtype=bool)
    around = sgeoms if crossing is None else lgeoms[np.unique(crossing)]
    near = np.union1d(src, tree.query(around)[1])
    seeds = _not_edge_matched(lgeoms[near])[np.searchsorted(near, src)]
    if not seeds.any():
        return np.zeros(len(li), dtype=bool)
    return np.isin(li, src[_overlap_closure(sgeoms, seeds)])


def _overlap_pairs(zi: np.ndarray, geoms: np.ndarray, suspect: np.ndarray | None = None) -> np.ndarray:
    """Return index pairs (i < j) of pieces in the same zone whose interiors intersect.

    Only pairs with at least one ``suspect`` piece are tested (all pieces when ``suspect`` is None).
    """
    if len(geoms) < 2:
        return np.empty((0, 2), dtype=np.intp)
    query = np.arange(len(geoms)) if suspect is None else np.flatnonzero(suspect)
    if len(query) == 0:
        return np.empty((0, 2), dtype=np.intp)
    pairs = _interiors_meet(geoms, query, shapely.STRtree(geoms))
    return pairs[zi[pairs[:, 0]] == zi[pairs[:, 1]]] if len(pairs) else pairs


def _components(n: int, pairs: np.ndarray) -> list[np.ndarray]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes = np.unique(pairs)
    pos = np.searchsorted(nodes, pairs)
    graph = coo_matrix((np.ones(len(pairs)), (pos[:, 0], pos[:, 1])), shape=(len(nodes), len(nodes)))
    _, comp = connected_components(graph, directed=False)
    order = np.argsort(comp, kind="stable")
    splits = np.flatnonzero(np.diff(comp[order])) + 1
    return [nodes[g] for g in np.split(order, splits)]


def _resolve_overlaps(
    zi: np.ndarray,
    li: np.ndarray,
    geoms: np.ndarray,
    areas: np.ndarray,
    labels: np.ndarray,
    rank: Callable[[str], int],
    source_ids: np.ndarray,
    keep_pieces: bool,
    suspect: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple]]:
    classes = labels[li]
    pairs = _overlap_pairs(zi, geoms, suspect)
    if len(pairs) == 0:
        src = source_ids[li].astype(str)
        return zi, classes, src, geoms, areas, []
    in_cluster = np.zeros(len(geoms), dtype=bool)
    in_cluster[np.unique(pairs)] = True
    out_zone: list[int] = []
    out_class: list[str] = []
    out_src: list[str] = []
    out_geom: list[object] = []
    out_area: list[float] = []
    rows: list[tuple] = []
    for i, j in pairs:
        ov = shapely.area(shapely.intersection(geoms[i], geoms[j]))
        ca, cb = classes[i], classes[j]
        if ca == cb:
            winner = ca
        else:
            ra, rb = rank(ca), rank(cb)
            winner = ca if (ra, -li[i]) > (rb, -li[j]) else cb
        rows.append((int(zi[i]), source_ids[li[i]], source_ids[li[j]], ca, cb, float(ov), winner))
    for comp in _components(len(geoms), pairs):
        order = sorted(comp, key=lambda k: (-rank(classes[k]), li[k]))
        class_order = list(dict.fromkeys(classes[k] for k in order))
        taken = shapely.Polygon()
        for c in class_order:
            members = [k for k in comp if classes[k] == c]
            merged = shapely.union_all(geoms[members])
            part = polygonal(np.array([shapely.difference(merged, taken)], dtype=object))[0]
            taken = shapely.union(taken, merged)
            out_zone.append(int(zi[comp[0]]))
            out_class.append(c)
            out_src.append(",".join(str(source_ids[li[k]]) for k in sorted(members)))
            out_geom.append(part)
            out_area.append(float(shapely.area(part)))
    free = ~in_cluster
    zone = np.concatenate([zi[free], np.asarray(out_zone, dtype=zi.dtype)])
    cls = np.concatenate([classes[free], np.asarray(out_class, dtype=object)])
    src = np.concatenate([source_ids[li[free]].astype(str), np.asarray(out_src, dtype=object)])
    geo = np.concatenate([geoms[free], np.asarray(out_geom, dtype=object)]) if keep_pieces else geoms[:0]
    area = np.concatenate([areas[free], np.asarray(out_area, dtype=float)])
    if not keep_pieces:
        geo = np.full(len(zone), None, dtype=object)
    return zone, cls, src, geo, area, rows
