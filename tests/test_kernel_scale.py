"""The kernel at scale: a generated tessellation of ~10k parcels with deliberate overlaps and a gap.

Checked against independent computations, not against the kernel's own output:

- per zone and class areas against ``geopandas.overlay`` + ``dissolve`` with the precedence applied by
  set differences of the dissolved classes (relative 1e-9);
- the gaps against the zone minus the union of the whole layer;
- the overlapping pairs against an all-pairs ``relate_pattern('T********')`` (interiors intersect);
- the overlap pre-test (edge matching + closure) against testing every pair, on layers built to fool a
  pre-test: a stacked second tiling, a grid shifted by half a cell, duplicates, holes, multipolygons;
- the fast read path (Arrow, part-by-part mask) against one plain masked ``pyogrio`` read.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo.io import mask_in_crs, read_layer
from geo.kernel import _overlap_pairs, _suspect_pieces, area_by_class
from tests.conftest import CRS, X0, Y0

RANK = {"a": 3, "b": 2, "c": 1, "d": 0}


def tessellation(nx: int, ny: int, *, seed: int, cell_m: float = 40.0, k: int = 2) -> np.ndarray:
    """Jittered grid cells whose shared edges carry the same ``k`` wiggled vertices on both sides."""
    rng = np.random.default_rng(seed)
    X, Y = np.meshgrid(X0 + np.arange(nx + 1) * cell_m, Y0 + np.arange(ny + 1) * cell_m)
    X = X + rng.uniform(-0.25, 0.25, X.shape) * cell_m
    Y = Y + rng.uniform(-0.25, 0.25, Y.shape) * cell_m
    t = np.arange(1, k + 1) / (k + 1)
    hx = X[:, :-1, None] + (X[:, 1:] - X[:, :-1])[..., None] * t
    hy = Y[:, :-1, None] + (Y[:, 1:] - Y[:, :-1])[..., None] * t + rng.uniform(-2, 2, (ny + 1, nx, k))
    vx = X[:-1, :, None] + (X[1:] - X[:-1])[..., None] * t + rng.uniform(-2, 2, (ny, nx + 1, k))
    vy = Y[:-1, :, None] + (Y[1:] - Y[:-1])[..., None] * t

    def ring(p: np.ndarray, h: np.ndarray, v: np.ndarray) -> np.ndarray:
        parts = [p[:-1, :-1, None], h[:-1], p[:-1, 1:, None], v[:, 1:], p[1:, 1:, None], h[1:, :, ::-1],
                 p[1:, :-1, None], v[:, :-1, ::-1], p[:-1, :-1, None]]
        return np.concatenate(parts, axis=-1).reshape(nx * ny, -1)

    geoms = shapely.polygons(np.stack([ring(X, hx, vx), ring(Y, hy, vy)], axis=-1))
    assert shapely.is_valid(geoms).all()
    return geoms


def star(cx: float, cy: float, r: float, *, seed: int, m: int = 120) -> shapely.Polygon:
    rng = np.random.default_rng(seed)
    th = np.linspace(0, 2 * np.pi, m, endpoint=False)
    rho = 1 + sum(rng.uniform(0, 0.1) * np.cos(h * th + rng.uniform(0, 6)) for h in range(2, 7))
    return shapely.Polygon(np.column_stack([cx + r * rho * np.cos(th), cy + r * rho * np.sin(th)]))


@pytest.fixture(scope="module")
def scene() -> tuple[gpd.GeoSeries, gpd.GeoDataFrame]:
    """~10k parcels, five zones (one with a hole, one past the layer's edge), overlaps and a gap."""
    geoms = tessellation(100, 100, seed=7)
    rng = np.random.default_rng(11)
    classes = rng.choice(list(RANK), size=len(geoms), p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    c = lambda i: shapely.centroid(geoms[i])  # noqa: E731
    extra = [
        ("d", geoms[5050]),  # a duplicate of a parcel, lower class
        ("a", shapely.buffer(c(5250), 70.0)),  # a big disc over several parcels, top class
        ("b", shapely.affinity.translate(geoms[5460], 13.0, 9.0)),  # a shifted copy: partial overlaps
        ("c", shapely.buffer(c(5470), 6.0)),  # a small disc inside a parcel
        ("b", geoms[5480]),  # a same-class duplicate
    ]
    classes[5480] = "b"
    gap = np.array([5055, 5056, 5155, 5156])  # four parcels missing: a gap in the coverage
    keep = np.setdiff1d(np.arange(len(geoms)), gap)
    layer = gpd.GeoDataFrame(
        {"cls": np.concatenate([classes[keep], [e[0] for e in extra]])},
        geometry=np.concatenate([geoms[keep], np.array([e[1] for e in extra], dtype=object)]),
        crs=CRS,
    )
    layer.index = pd.RangeIndex(100, 100 + len(layer))  # labels other than positions
    x1, y1 = X0 + 2000, Y0 + 2000
    zones = gpd.GeoSeries(
        [
            star(x1, y1, 420, seed=1).difference(star(x1 + 120, y1 + 60, 60, seed=2)),  # holds the overlaps
            star(X0 + 700, Y0 + 900, 300, seed=3),
            star(X0 + 3200, Y0 + 900, 350, seed=4),
            star(X0 + 3900, Y0 + 3300, 500, seed=5),  # reaches past the layer's edge: uncovered there
            star(X0 + 900, Y0 + 3300, 250, seed=6),
        ],
        index=["Z1", "Z2", "Z3", "Z4", "Z5"],
        crs=CRS,
    )
    return zones, layer


def _expected_by_overlay(zones: gpd.GeoSeries, layer: gpd.GeoDataFrame) -> pd.DataFrame:
    zg = gpd.GeoDataFrame({"zone": zones.index}, geometry=zones.values, crs=CRS)
    pieces = gpd.overlay(zg, layer, how="intersection", keep_geom_type=True)
    per = pieces.dissolve(by=["zone", "cls"]).reset_index()
    rows = []
    for zone, grp in per.groupby("zone"):
        taken = shapely.Polygon()
        for cls in sorted(grp["cls"], key=lambda k: -RANK[k]):
            g = grp.loc[grp["cls"] == cls, "geometry"].iloc[0]
            rows.append((zone, cls, shapely.area(shapely.difference(g, taken))))
            taken = shapely.union(taken, g)
    return pd.DataFrame(rows, columns=["zone", "class", "expected_m2"])


def test_class_areas_equal_overlay_and_dissolve(scene):
    zones, layer = scene
    res = area_by_class(zones, layer, class_column="cls", precedence=RANK, keep_pieces=False)
    exp = _expected_by_overlay(zones, layer)
    got = res.table.merge(exp, on=["zone", "class"], how="outer")
    assert len(got) == len(exp) == len(res.table)  # the same zone × class rows
    np.testing.assert_allclose(got["area_m2"], got["expected_m2"], rtol=1e-9)
    assert set(res.table["zone"]) == set(zones.index)
    assert res.n_pairs > 1000


def test_gaps_equal_zone_minus_union(scene):
    zones, layer = scene
    res = area_by_class(zones, layer, class_column="cls", precedence=RANK, keep_pieces=False)
    lg = np.asarray(layer.geometry.values)
    for zone, geom in zones.items():
        gap = shapely.area(shapely.difference(geom, shapely.union_all(lg[shapely.intersects(lg, geom)])))
        assert res.uncovered_m2[zone] == pytest.approx(gap, rel=1e-6, abs=1e-9 * geom.area)
    assert res.uncovered_m2["Z1"] > 1000.0  # the four missing parcels
    assert res.uncovered_m2["Z4"] > 10_000.0  # past the layer's edge
    assert res.uncovered_m2["Z2"] == pytest.approx(0.0, abs=1e-6)


def test_overlapping_pairs_equal_all_pairs_relate(scene):
    zones, layer = scene
    res = area_by_class(zones, layer, class_column="cls", precedence=RANK)
    zg = np.asarray(zones.values)
    lg = np.asarray(layer.geometry.values)
    expected = set()
    for zone, z in zip(zones.index, zg, strict=True):
        idx = np.flatnonzero(shapely.intersects(lg, z))
        pieces = shapely.intersection(lg[idx], z)
        a, b = shapely.STRtree(pieces).query(pieces)
        a, b = a[a < b], b[a < b]
        hit = shapely.relate_pattern(pieces[a], pieces[b], "T********")
        expected |= {(zone, *sorted((layer.index[idx[i]], layer.index[idx[j]])))
                     for i, j in zip(a[hit], b[hit], strict=True)}
    got = {(r.zone, *sorted((r.source_a, r.source_b))) for r in res.overlaps.itertuples()}
    assert got == expected
    assert len(expected) >= 8  # duplicate, disc over parcels, shifted copy, inner disc, same-class twin
    assert res.pieces["area_m2"].sum() == pytest.approx(res.covered_m2.sum(), rel=1e-12)


@pytest.mark.parametrize(
    ("cell", "inset_m", "angle"), [(1, 1.0, 75), (2, 0.5, 120), (6, 0.5, 15), (8, 2.0, 45)]
)
def test_a_copy_inset_in_its_parcel_and_cut_by_the_zone_is_an_overlap(cell, inset_m, angle):
    """Both pieces end on the zone's edge; prepared ``contains`` says no for these, ``within`` and
    relate say yes (the kernel used to count the inset copy twice here)."""
    g = tessellation(10, 10, seed=1)[cell]
    inner = shapely.buffer(g, -inset_m, join_style="mitre")
    lay = gpd.GeoDataFrame({"cls": ["a", "b"]}, geometry=[g, inner], crs=CRS)
    c = shapely.centroid(g)
    half = shapely.Polygon([(-500, 0), (500, 0), (500, 500), (-500, 500)])
    zone = shapely.affinity.translate(shapely.affinity.rotate(half, angle, origin=(0, 0)), c.x, c.y)
    zones = gpd.GeoSeries([zone], index=["Z"], crs=CRS)
    res = area_by_class(zones, lay, class_column="cls", precedence=RANK)
    areas = dict(zip(res.table["class"], res.table["area_m2"], strict=True))
    assert areas["a"] == pytest.approx(shapely.area(shapely.intersection(g, zone)), rel=1e-9)
    assert areas.get("b", 0.0) == pytest.approx(0.0, abs=1e-6)
    assert len(res.overlaps) == 1
    assert res.overlaps["area_m2"].iloc[0] == pytest.approx(shapely.intersection(inner, zone).area, rel=1e-6)


def _random_layer(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    g = tessellation(20, 20, seed=seed, k=int(rng.integers(0, 3)))
    if seed % 3 == 0:  # a hole, a multipolygon and a reversed ring keep matching their neighbours
        g[5] = g[5].difference(shapely.buffer(shapely.centroid(g[5]), 4.0))
        g[9] = shapely.MultiPolygon([g[9]])
        g[11] = shapely.Polygon(shapely.get_coordinates(g[11])[::-1])
    extra = []
    for _ in range(int(rng.integers(0, 10))):
        i = int(rng.integers(0, len(g)))
        kind = int(rng.integers(0, 6))
        extra.append([
            g[i],
            shapely.affinity.translate(g[i], *rng.uniform(-30, 30, 2)),
            shapely.union_all([g[i], g[min(i + 1, len(g) - 1)]]),
            shapely.buffer(shapely.centroid(g[i]), float(rng.uniform(1, 10))),
            shapely.buffer(shapely.centroid(g[i]), float(rng.uniform(50, 150))),
            shapely.buffer(g[i], -float(rng.uniform(0.5, 4))),
        ][kind])
    extra = [e for e in extra if not e.is_empty and e.geom_type in ("Polygon", "MultiPolygon")]
    out = np.concatenate([g, np.array(extra, dtype=object)])
    return out[rng.permutation(len(out))]


def _adversarial() -> list[np.ndarray]:
    g = tessellation(12, 12, seed=3, k=1)
    pairs_h = [shapely.union_all(g[i : i + 2]) for i in range(0, 144, 2)]  # a second tiling, vertices shared
    pairs_v = [shapely.union_all([g[i], g[i + 12]]) for i in range(132) if (i // 12) % 2 == 0]
    cells = [shapely.box(i, j, i + 1, j + 1) for i in range(8) for j in range(8)]
    shifted = [shapely.box(i + 0.5, j + 0.5, i + 1.5, j + 1.5) for i in range(2, 5) for j in range(2, 5)]
    twins = [shapely.box(0, 0, 1, 1), shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)]  # paired the same way
    return [np.concatenate([g, np.array(e, dtype=object)]) for e in (pairs_h, pairs_v, list(g))] + [
        np.array(cells + shifted, dtype=object),  # every edge matched within its own grid, yet overlapping
        np.array(twins, dtype=object),
    ]


ADVERSARIAL = ["stacked-h", "stacked-v", "doubled", "shifted", "twins"]


@pytest.mark.parametrize("case", [*range(24), *ADVERSARIAL])
def test_pretest_finds_every_pair_testing_all_would(case):
    geoms = _random_layer(case) if isinstance(case, int) else _adversarial()[ADVERSARIAL.index(case)]
    n = len(geoms)
    li = np.concatenate([np.arange(n), np.arange(0, n, 3)])  # two zones, the second sees every third feature
    zi = np.concatenate([np.zeros(n, dtype=int), np.ones(len(range(0, n, 3)), dtype=int)])
    pieces = geoms[li]
    everything = _overlap_pairs(zi, pieces, None)
    fast = _overlap_pairs(zi, pieces, _suspect_pieces(li, geoms, shapely.STRtree(geoms)))
    np.testing.assert_array_equal(fast, everything)
    if not isinstance(case, int):
        assert len(everything) > 0


def test_clean_tessellation_needs_no_exact_test():
    geoms = tessellation(30, 30, seed=5)
    li = np.arange(120, 780)  # an inner block: its rim is matched by the features around it
    suspect = _suspect_pieces(li, geoms, shapely.STRtree(geoms))
    assert not suspect.any()
    boxes = np.array([shapely.box(i, j, i + 1, j + 1) for i in range(10) for j in range(10)], dtype=object)
    inner = np.array([10 * i + j for i in range(1, 9) for j in range(1, 9)])  # grid data: no hash pile-ups
    assert not _suspect_pieces(inner, boxes, shapely.STRtree(boxes)).any()
    geoms2 = geoms.copy()
    geoms2[400] = shapely.affinity.translate(geoms[400], 0.001, 0.0)  # one parcel nudged by 1 mm
    suspect = _suspect_pieces(li, geoms2, shapely.STRtree(geoms2))
    assert suspect[li == 400].all() and 1 <= suspect.sum() <= 9


def test_fast_read_equals_one_masked_read(tmp_path):
    geoms = tessellation(60, 60, seed=9)
    rng = np.random.default_rng(2)
    n = len(geoms)
    gdf = gpd.GeoDataFrame(
        {
            "DLBM": rng.choice(["0601", "0103", "0702", None], size=n).astype(object),
            "DLMC": np.where(rng.random(n) < 0.5, "工业用地", "旱地").astype(object),
            "TBMJ": np.round(shapely.area(geoms), 2),
            "N": rng.integers(0, 9, n).astype("int32"),
        },
        geometry=geoms,
        crs=CRS,
    )
    path = tmp_path / "lu.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="dltb")
    zones = [star(X0 + 300, Y0 + 300, 150, seed=1), star(X0 + 1900, Y0 + 400, 200, seed=2),
             star(X0 + 1200, Y0 + 1900, 180, seed=3), star(X0 + 420, Y0 + 460, 90, seed=4)]
    mask = mask_in_crs(zones, CRS, CRS, pad_m=50.0)
    assert shapely.get_num_geometries(mask) >= 3  # scattered: read part by part
    got = read_layer(path, "dltb", mask=mask)
    want = pyogrio.read_dataframe(path, layer="dltb", mask=mask, fid_as_index=True).sort_index()
    assert_geodataframe_equal(got, want)
    assert got.index.is_monotonic_increasing and got.index.is_unique
    assert 0 < len(got) < n / 2
    assert math.isclose(got["TBMJ"].sum(), want["TBMJ"].sum())
    # the GeoParquet copy: the same features, labelled by their row positions (GPKG fids start at 1)
    pq_path = tmp_path / "lu.parquet"
    gdf.to_parquet(pq_path, write_covering_bbox=True, row_group_size=500)
    from_pq = read_layer(pq_path, mask=mask)
    np.testing.assert_array_equal(from_pq.index.to_numpy(), got.index.to_numpy() - 1)
    np.testing.assert_array_equal(from_pq["TBMJ"].to_numpy(), got["TBMJ"].to_numpy())
    assert shapely.equals_exact(from_pq.geometry.values, got.geometry.values, 0).all()
