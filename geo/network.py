"""Distances between points: over a road network where one is given, straight-line otherwise.

Network method (:class:`RoadNetwork`)
-------------------------------------
1. The road lines are split into straight segments. With ``noding="intersections"`` (the default) the
   lines are first noded (``shapely.union_all``), so two roads that cross meet at a junction; data that
   draws bridges and overpasses as crossings should use ``noding="endpoints"``, where only shared
   vertices join roads.
2. Vertices closer than ``node_tolerance_m`` (they round to the same point of a grid of that size) are one
   node. Each segment is an undirected edge weighted by its length in metres (parallel edges keep the
   shortest).
3. A point is snapped to the nearest segment (``STRtree.query_nearest``). Its network distance to another
   point is the straight access leg from the point to its snap point, plus the way along its segment to
   one of the segment's end nodes, plus the shortest path between nodes (Dijkstra,
   ``scipy.sparse.csgraph.dijkstra``), plus the same at the other end. Two points snapped to the same
   segment may also go directly along it.
4. Points in different connected parts of the network are unreachable (``inf``).

Straight-line method (:func:`straight_line_matrix`): planar distance in the analysis CRS (Gauss-Krüger:
scale error below 0.04 % within 1.5° of the central meridian).

Every distance table names its method (:data:`NETWORK`, :data:`STRAIGHT`).

>>> import shapely
>>> roads = gpd.GeoSeries([shapely.LineString([(0, 0), (100, 0), (100, 100)])], crs=4547)
>>> net = RoadNetwork.from_lines(roads)
>>> pts = gpd.GeoSeries([shapely.Point(0, 10), shapely.Point(110, 100)], crs=4547)
>>> net.distance_matrix(pts.iloc[:1], pts.iloc[1:]).tolist()
[[220.0]]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.crs import crs_label, is_projected_metres
from geo.errors import CRSError, DataError

__all__ = [
    "NETWORK",
    "STRAIGHT",
    "RoadNetwork",
    "Snap",
    "distance_matrix",
    "distance_to_polygons",
    "straight_line_matrix",
]

log = logging.getLogger(__name__)

#: Method labels recorded with every distance.
NETWORK = "network"
STRAIGHT = "straight-line"


def _require_metres(geoms: gpd.GeoSeries, what: str) -> None:
    if geoms.crs is None or not is_projected_metres(geoms.crs):
        msg = (
            f"{what} is in {crs_label(geoms.crs)}; distances need a projected CRS in metres: "
            "transform it to the analysis CRS first"
        )
        raise CRSError(msg)


def _points(geoms: gpd.GeoSeries) -> np.ndarray:
    """Return a point per geometry: the point itself, or a point on the surface of a line or polygon."""
    g = np.asarray(geoms.values, dtype=object)
    pts = np.asarray(g, dtype=object).copy()
    not_point = shapely.get_type_id(g) != 0
    pts[not_point] = shapely.point_on_surface(g[not_point])
    return pts


def straight_line_matrix(origins: gpd.GeoSeries, targets: gpd.GeoSeries) -> np.ndarray:
    """Return planar distances (m) from each origin point to each target point.

    Lines and polygons are represented by a point on their surface.

    >>> import shapely
    >>> o = gpd.GeoSeries([shapely.Point(0, 0)], crs=4547)
    >>> straight_line_matrix(o, gpd.GeoSeries([shapely.Point(3, 4)], crs=4547)).tolist()
    [[5.0]]
    """
    _require_metres(origins, "origin layer")
    _require_metres(targets, "target layer")
    o, t = _points(origins), _points(targets)
    if len(o) == 0 or len(t) == 0:
        return np.zeros((len(o), len(t)))
    return np.asarray(shapely.distance(o[:, None], t[None, :]), dtype=float)


@dataclass(frozen=True)
class Snap:
    """Where points meet the network: per point the segment, its end nodes, offsets and the access leg."""

    segment: np.ndarray
    node_a: np.ndarray
    node_b: np.ndarray
    along_m: np.ndarray
    to_b_m: np.ndarray
    access_m: np.ndarray


class RoadNetwork:
    """An undirected road graph with edge lengths in metres; see the module notes for the method."""

    def __init__(
        self,
        seg_u: np.ndarray,
        seg_v: np.ndarray,
        seg_geoms: np.ndarray,
        n_nodes: int,
        crs: object,
        noding: str,
    ) -> None:
        self.seg_u, self.seg_v, self.seg_geoms = seg_u, seg_v, seg_geoms
        self.seg_len = shapely.length(seg_geoms)
        self.n_nodes, self.crs, self.noding = n_nodes, crs, noding
        edges = pd.DataFrame(
            {"a": np.minimum(seg_u, seg_v), "b": np.maximum(seg_u, seg_v), "w": self.seg_len}
        )
        edges = edges[edges["a"] != edges["b"]].groupby(["a", "b"], as_index=False)["w"].min()
        a, b, w = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["w"].to_numpy()
        self.graph = csr_matrix(
            (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
            shape=(n_nodes, n_nodes),
        )
        self.n_components = int(connected_components(self.graph, directed=False)[0]) if n_nodes else 0
        self.tree = shapely.STRtree(seg_geoms)
        self.joined, self.join_m = 0, 0.0

    @property
    def method(self) -> str:
        """Describe the method for outputs."""
        return (
            f"{NETWORK}: {len(self.seg_geoms)} road segments, {self.n_nodes} nodes, "
            f"{self.n_components} connected part(s), noded at {self.noding}, {self.joined} road end(s) "
            f"joined across gaps of at most {self.join_m:g} m; points snapped to the nearest "
            "segment, access leg counted; Dijkstra shortest paths"
        )

    @classmethod
    def from_lines(
        cls,
        lines: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        noding: str = "intersections",
        node_tolerance_m: float = 0.01,
        join_m: float = 0.0,
    ) -> RoadNetwork:
        """Build the graph from a line layer in a projected CRS in metres.

        Parameters
        ----------
        lines : GeoSeries or GeoDataFrame
            Road centre lines (LineString / MultiLineString); other geometry types are ignored.
        noding : {"intersections", "endpoints"}, keyword-only
            Whether crossing lines meet at a junction, or only at shared vertices.
        node_tolerance_m : float, keyword-only
            Vertices within this grid size are the same node.
        join_m : float, keyword-only
            A dangling road end (a node of one segment) within this distance of another segment is joined
            to its nearest point by a connector edge of that length (undershoots in digitised roads).

        Raises
        ------
        CRSError
            When the layer is not in metres.
        DataError
            When the layer has no lines, or ``noding`` is unknown.
        """
        geoms = lines.geometry if isinstance(lines, gpd.GeoDataFrame) else lines
        _require_metres(geoms, "road layer")
        if noding not in ("intersections", "endpoints"):
            msg = f"noding must be 'intersections' or 'endpoints', not {noding!r}"
            raise DataError(msg)
        g = np.asarray(geoms.values, dtype=object)
        g = g[(g != None) & np.isin(shapely.get_type_id(g), (1, 5))]  # noqa: E711
        if len(g) == 0:
            msg = "the road layer has no lines (LineString or MultiLineString)"
            raise DataError(msg)
        parts = shapely.get_parts(shapely.union_all(g) if noding == "intersections" else shapely.get_parts(g))
        parts = parts[shapely.get_type_id(parts) == 1]
        coords, idx = shapely.get_coordinates(parts, return_index=True)
        same = idx[1:] == idx[:-1]
        start, end = coords[:-1][same], coords[1:][same]
        keys = np.round(np.vstack([start, end]) / node_tolerance_m).astype(np.int64)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        n = len(start)
        u, v, xy = inverse[:n], inverse[n:], np.vstack([start, end])
        node_xy = np.zeros((len(uniq), 2))
        node_xy[inverse] = xy
        joined = 0
        if join_m > 0 and n:
            u, v, start, end, node_xy, joined = _join_dangles(u, v, start, end, node_xy, join_m)
        seg_geoms = shapely.linestrings(np.stack([start, end], axis=1))
        net = cls(u, v, seg_geoms, len(node_xy), geoms.crs, noding)
        net.joined = joined
        net.join_m = join_m
        return net

    def largest_part(self) -> tuple[RoadNetwork, int]:
        """Return the network restricted to its largest connected part, and the number of segments dropped.

        Islands of road (a street grid drawn without its link to the outer roads) otherwise make every
        point snapped to them unreachable; without them such points snap to the main network instead,
        their straight access leg counted.
        """
        if self.n_components <= 1:
            return self, 0
        _, lab = connected_components(self.graph, directed=False)
        seg_lab = lab[self.seg_u]
        big = np.bincount(seg_lab).argmax()
        keep = seg_lab == big
        nodes, inv = np.unique(np.concatenate([self.seg_u[keep], self.seg_v[keep]]), return_inverse=True)
        k = int(keep.sum())
        net = RoadNetwork(inv[:k], inv[k:], self.seg_geoms[keep], len(nodes), self.crs, self.noding)
        net.joined, net.join_m = self.joined, self.join_m
        return net, int((~keep).sum())

    def snap(self, points: gpd.GeoSeries) -> Snap:
        """Snap points (or a point on each polygon's surface) to their nearest road segment."""
        _require_metres(points, "point layer")
        pts = _points(points)
        pi, si = self.tree.query_nearest(pts, all_matches=False)
        seg = np.empty(len(pts), dtype=np.intp)
        seg[pi] = si
        along = shapely.line_locate_point(self.seg_geoms[seg], pts)
        access = shapely.distance(self.seg_geoms[seg], pts)
        return Snap(seg, self.seg_u[seg], self.seg_v[seg], along, self.seg_len[seg] - along, access)

    def distance_matrix(
        self, origins: gpd.GeoSeries, targets: gpd.GeoSeries, *, limit_m: float = np.inf
    ) -> np.ndarray:
        """Return network distances (m) from each origin to each target; ``inf`` where unreachable.

        Dijkstra runs from the end nodes of the origins' segments, so pass the smaller set as origins
        (the graph is undirected). ``limit_m`` stops the search early; longer paths come back ``inf``.
        """
        if len(origins) == 0 or len(targets) == 0:
            return np.zeros((len(origins), len(targets)))
        so, st = self.snap(origins), self.snap(targets)
        src = np.unique(np.concatenate([so.node_a, so.node_b]))
        dst = np.unique(np.concatenate([st.node_a, st.node_b]))
        dmat = dijkstra(self.graph, directed=False, indices=src, limit=limit_m)[:, dst]
        rs = {n: i for i, n in enumerate(src)}
        cs = {n: i for i, n in enumerate(dst)}
        best = np.full((len(origins), len(targets)), np.inf)
        for on, ooff in ((so.node_a, so.along_m), (so.node_b, so.to_b_m)):
            r = np.array([rs[n] for n in on])
            for tn, toff in ((st.node_a, st.along_m), (st.node_b, st.to_b_m)):
                c = np.array([cs[n] for n in tn])
                best = np.minimum(best, ooff[:, None] + dmat[r[:, None], c[None, :]] + toff[None, :])
        same = so.segment[:, None] == st.segment[None, :]
        direct = np.abs(so.along_m[:, None] - st.along_m[None, :])
        best = np.where(same, np.minimum(best, direct), best)
        out = best + so.access_m[:, None] + st.access_m[None, :]
        return np.where(out <= limit_m, out, np.inf)


def _join_dangles(
    u: np.ndarray, v: np.ndarray, start: np.ndarray, end: np.ndarray, node_xy: np.ndarray, join_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Join each dangling node to the nearest point of another segment within ``join_m`` (see from_lines)."""
    deg = np.bincount(np.concatenate([u, v]), minlength=len(node_xy))
    dangles = np.flatnonzero(deg == 1)
    segs = shapely.linestrings(np.stack([start, end], axis=1))
    pts = shapely.points(node_xy[dangles])
    pi, si = shapely.STRtree(segs).query(pts, predicate="dwithin", distance=join_m)
    ok = (u[si] != dangles[pi]) & (v[si] != dangles[pi])
    pi, si = pi[ok], si[ok]
    if len(pi) == 0:
        return u, v, start, end, node_xy, 0
    d = shapely.distance(pts[pi], segs[si])
    order = np.lexsort((d, pi))
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]]
    splits: dict[int, list[tuple[float, int]]] = {}
    for k in first:
        splits.setdefault(int(si[k]), []).append(
            (float(shapely.line_locate_point(segs[si[k]], pts[pi[k]])), int(dangles[pi[k]]))
        )
    nu, nv, ns, ne = list(u), list(v), list(start), list(end)
    xy = list(node_xy)

    def add(a: int, b: int, pa: np.ndarray, pb: np.ndarray) -> None:
        nu.append(a)
        nv.append(b)
        ns.append(pa)
        ne.append(pb)

    keep = np.ones(len(u), dtype=bool)
    for s_i, items in splits.items():
        keep[s_i] = False
        length = float(shapely.length(segs[s_i]))
        prev, prev_xy = int(u[s_i]), start[s_i]
        for t, dangle in sorted(items):
            if t <= 1e-9:
                w, w_xy = int(u[s_i]), start[s_i]
            elif t >= length - 1e-9:
                w, w_xy = int(v[s_i]), end[s_i]
            else:
                w_xy = start[s_i] + (end[s_i] - start[s_i]) * (t / length)
                w = len(xy)
                xy.append(w_xy)
            if w != prev:
                add(prev, w, prev_xy, w_xy)
            add(dangle, w, node_xy[dangle], w_xy)
            prev, prev_xy = w, w_xy
        if prev != int(v[s_i]):
            add(prev, int(v[s_i]), prev_xy, end[s_i])
    mask = np.concatenate([keep, np.ones(len(nu) - len(u), dtype=bool)])
    return (
        np.asarray(nu)[mask],
        np.asarray(nv)[mask],
        np.asarray(ns)[mask],
        np.asarray(ne)[mask],
        np.asarray(xy),
        len(first),
    )


def distance_to_polygons(
    origins: gpd.GeoSeries,
    polygons: gpd.GeoSeries,
    *,
    network: RoadNetwork | None = None,
    limit_m: float = np.inf,
) -> tuple[np.ndarray, str]:
    """Return each origin's distance (m) to the nearest of the polygons, and the method.

    Straight-line: from the origin's point to the nearest polygon edge. Network: to the nearest point where
    a road crosses into a polygon (road segments intersected with the polygons' boundaries), 0 for an
    origin inside a polygon, ``inf`` when no road enters any polygon.

    >>> import shapely
    >>> roads = gpd.GeoSeries([shapely.LineString([(0, 0), (0, 500), (300, 500)])], crs=4547)
    >>> zone = gpd.GeoSeries([shapely.box(100, 400, 400, 600)], crs=4547)
    >>> o = gpd.GeoSeries([shapely.Point(0, 0)], crs=4547)
    >>> distance_to_polygons(o, zone, network=RoadNetwork.from_lines(roads))[0].tolist()
    [600.0]
    >>> round(float(distance_to_polygons(o, zone)[0][0]), 3)  # to the corner (100, 400)
    412.311
    """
    _require_metres(polygons, "polygon layer")
    pts = np.asarray(_points(origins), dtype=object)
    polys = np.asarray(polygons.values, dtype=object)
    whole = shapely.union_all(polys)
    inside = shapely.covered_by(pts, whole)
    if network is None:
        return np.where(inside, 0.0, shapely.distance(pts, whole)), STRAIGHT
    border = shapely.union_all(shapely.boundary(polys))
    seg_i = network.tree.query(border, predicate="intersects")
    cross = shapely.get_parts(shapely.intersection(network.seg_geoms[seg_i], border))
    entries = shapely.points(shapely.get_coordinates(cross)) if len(cross) else np.empty(0, dtype=object)
    if len(entries) == 0:
        return np.where(inside, 0.0, np.inf), NETWORK
    targets = gpd.GeoSeries(entries, crs=polygons.crs)
    d = network.distance_matrix(gpd.GeoSeries(pts, crs=origins.crs), targets, limit_m=limit_m).min(axis=1)
    return np.where(inside, 0.0, d), NETWORK


def distance_matrix(
    origins: gpd.GeoSeries,
    targets: gpd.GeoSeries,
    *,
    network: RoadNetwork | None = None,
    limit_m: float = np.inf,
) -> tuple[np.ndarray, str]:
    """Return the distance matrix (m) and the method used: network when given, straight-line otherwise."""
    if network is None:
        return straight_line_matrix(origins, targets), STRAIGHT
    return network.distance_matrix(origins, targets, limit_m=limit_m), NETWORK
