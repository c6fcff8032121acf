"""The one area-by-class kernel: how much of each class lies inside each zone.

Everything in devzone that needs "area of X inside Y" calls :func:`area_by_class`.

Method
------
1. A spatial index (shapely STRtree) over the class layer finds the features each zone may touch.
2. A feature wholly inside a zone (``contains_properly`` against the prepared zone) keeps its own
   area; only features crossing the zone boundary are intersected.
3. Overlaps between pieces in the same zone are found exactly (``overlaps`` or ``contains``). Each set
   of mutually overlapping pieces is resolved so that no square metre counts twice: pieces of one class
   are unioned; between classes the class with the higher precedence keeps the overlap (ties: the
   feature that comes first in the layer). Every overlapping pair is reported with its area.
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

    pieces_zone, pieces_class, pieces_src, pieces_geom, pieces_area, overlap_rows = _resolve_overlaps(
        zi, li, geoms, areas, labels, rank, layer.index.to_numpy(), keep_pieces
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


def _overlap_pairs(zi: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Return index pairs (i < j) of pieces in the same zone whose interiors intersect."""
    if len(geoms) < 2:
        return np.empty((0, 2), dtype=np.intp)
    tree = shapely.STRtree(geoms)
    a1, b1 = tree.query(geoms, predicate="overlaps")
    a2, b2 = tree.query(geoms, predicate="contains")
    a = np.concatenate([a1, a2])
    b = np.concatenate([b1, b2])
    ok = (a != b) & (zi[a] == zi[b])
    pairs = np.column_stack([np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])])
    return np.unique(pairs, axis=0) if len(pairs) else pairs


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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple]]:
    classes = labels[li]
    pairs = _overlap_pairs(zi, geoms)
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
