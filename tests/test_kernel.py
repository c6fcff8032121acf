"""The area-by-class kernel: hand-computed boxes, overlaps, gaps, and the area identity (hypothesis)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

from geo.errors import CRSError, DataError
from geo.kernel import area_by_class
from tests.conftest import CRS, b


def _layer(items, crs=CRS):
    return gpd.GeoDataFrame({"c": [c for c, _ in items]}, geometry=[g for _, g in items], crs=crs)


def _zones(*geoms, crs=CRS):
    return gpd.GeoSeries(list(geoms), index=[f"Z{i}" for i in range(len(geoms))], crs=crs)


def _areas(res, zone="Z0"):
    t = res.table[res.table["zone"] == zone]
    return dict(zip(t["class"], t["area_m2"], strict=True))


def test_inside_and_crossing_pieces():
    # zone 100 x 100; a: wholly inside (40x100 = 4000), b: crosses the east edge (60..150 → 40x100 = 4000),
    # c: outside, d: touches the zone only along its west edge (no area).
    res = area_by_class(
        _zones(b(0, 0, 100, 100)),
        _layer(
            [
                ("a", b(10, 0, 50, 100)),
                ("b", b(60, 0, 150, 100)),
                ("c", b(200, 0, 300, 100)),
                ("d", b(-50, 0, 0, 100)),
            ]
        ),
        class_column="c",
    )
    assert _areas(res) == {"a": pytest.approx(4000.0), "b": pytest.approx(4000.0)}
    assert res.uncovered_m2["Z0"] == pytest.approx(10_000 - 8000 - 0)
    assert res.n_inside == 0  # boxes sharing the zone's bottom and top edges are not strictly inside
    assert res.overlaps.empty


def test_fast_path_counts_strictly_inside_pieces():
    res = area_by_class(
        _zones(b(0, 0, 100, 100)),
        _layer([("a", b(10, 10, 20, 20)), ("a", b(30, 30, 40, 45))]),
        class_column="c",
    )
    assert res.n_inside == 2
    assert _areas(res) == {"a": pytest.approx(100.0 + 150.0)}


def test_overlap_within_a_class_counts_once():
    # two industrial boxes overlapping by 10 x 100 = 1000 m²: union = 60 x 100
    res = area_by_class(
        _zones(b(0, 0, 100, 100)),
        _layer([("i", b(0, 0, 40, 100)), ("i", b(30, 0, 60, 100))]),
        class_column="c",
    )
    assert _areas(res) == {"i": pytest.approx(6000.0)}
    assert res.overlaps["area_m2"].tolist() == [pytest.approx(1000.0)]
    assert res.uncovered_m2["Z0"] == pytest.approx(4000.0)


def test_overlap_between_classes_goes_to_higher_precedence():
    lay = _layer([("ind", b(0, 0, 60, 100)), ("res", b(50, 0, 100, 100))])  # overlap 10 x 100
    hi_res = area_by_class(_zones(b(0, 0, 100, 100)), lay, class_column="c", precedence={"res": 2, "ind": 1})
    assert _areas(hi_res) == {"ind": pytest.approx(5000.0), "res": pytest.approx(5000.0)}
    hi_ind = area_by_class(_zones(b(0, 0, 100, 100)), lay, class_column="c", precedence={"res": 1, "ind": 2})
    assert _areas(hi_ind) == {"ind": pytest.approx(6000.0), "res": pytest.approx(4000.0)}
    assert hi_ind.overlaps["resolved_to"].tolist() == ["ind"]


def test_tie_goes_to_the_earlier_feature():
    lay = _layer([("x", b(0, 0, 60, 100)), ("y", b(50, 0, 100, 100))])
    res = area_by_class(_zones(b(0, 0, 100, 100)), lay, class_column="c")
    assert _areas(res) == {"x": pytest.approx(6000.0), "y": pytest.approx(4000.0)}


def test_contained_duplicate_counts_once():
    lay = _layer([("x", b(10, 10, 90, 90)), ("x", b(10, 10, 90, 90)), ("y", b(20, 20, 30, 30))])
    res = area_by_class(_zones(b(0, 0, 100, 100)), lay, class_column="c", precedence={"y": 5})
    assert _areas(res) == {"x": pytest.approx(6400.0 - 100.0), "y": pytest.approx(100.0)}
    assert len(res.overlaps) == 3  # x-x, x-y, x-y


def test_multipart_zone_with_hole():
    outer = shapely.Polygon(
        [
            (b(0, 0, 1, 1).bounds[0], b(0, 0, 1, 1).bounds[1]),
            *[
                (x, y)
                for x, y in [
                    (b(100, 0, 101, 1).bounds[0], b(0, 0, 1, 1).bounds[1]),
                    (b(100, 100, 101, 101).bounds[0], b(0, 100, 1, 101).bounds[1]),
                    (b(0, 100, 1, 101).bounds[0], b(0, 100, 1, 101).bounds[1]),
                ]
            ],
        ],
        holes=[list(b(40, 40, 60, 60).exterior.coords)],
    )
    zone = shapely.MultiPolygon([outer, b(200, 0, 250, 20)])
    assert zone.area == pytest.approx(10_000 - 400 + 1000)
    lay = _layer([("a", b(0, 0, 300, 100))])
    res = area_by_class(_zones(zone), lay, class_column="c")
    assert _areas(res) == {"a": pytest.approx(10_000 - 400 + 1000)}
    assert res.uncovered_m2["Z0"] == pytest.approx(0.0, abs=1e-6)


def test_two_zones_are_measured_independently():
    lay = _layer([("a", b(0, 0, 200, 100))])
    res = area_by_class(_zones(b(0, 0, 100, 100), b(50, 0, 150, 50)), lay, class_column="c")
    assert _areas(res, "Z0") == {"a": pytest.approx(10_000.0)}
    assert _areas(res, "Z1") == {"a": pytest.approx(5000.0)}


def test_rejects_degrees_and_mixed_crs():
    lay = _layer([("a", box(114, 35, 115, 36))], crs=4490)
    with pytest.raises(CRSError, match="not projected in metres"):
        area_by_class(_zones(box(114, 35, 115, 36), crs=4490), lay, class_column="c")
    with pytest.raises(CRSError, match="transform both"):
        area_by_class(_zones(b(0, 0, 1, 1)), lay, class_column="c")


def test_rejects_duplicate_zone_keys():
    z = gpd.GeoSeries([b(0, 0, 1, 1), b(2, 2, 3, 3)], index=["A", "A"], crs=CRS)
    with pytest.raises(DataError, match="unique"):
        area_by_class(z, _layer([("a", b(0, 0, 1, 1))]), class_column="c")


def test_pieces_tile_the_covered_area():
    lay = _layer([("x", b(0, 0, 60, 100)), ("y", b(50, 0, 120, 100)), ("x", b(55, 20, 70, 40))])
    res = area_by_class(_zones(b(0, 0, 100, 100)), lay, class_column="c")
    assert res.pieces is not None
    assert res.pieces["area_m2"].sum() == pytest.approx(res.covered_m2["Z0"])
    union = shapely.union_all(res.pieces.geometry.values)
    assert union.area == pytest.approx(res.pieces.geometry.area.sum())  # pieces do not overlap


# --- the area identity as a property ------------------------------------------------------------

_coord = st.integers(min_value=-20, max_value=120)


@st.composite
def _boxes(draw, n_max=12):
    n = draw(st.integers(min_value=1, max_value=n_max))
    out = []
    for _ in range(n):
        x1, x2 = sorted(draw(st.lists(_coord, min_size=2, max_size=2, unique=True)))
        y1, y2 = sorted(draw(st.lists(_coord, min_size=2, max_size=2, unique=True)))
        out.append((draw(st.sampled_from(["a", "b", "c"])), b(x1 + 0.37, y1 + 0.11, x2 + 0.37, y2 + 0.11)))
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=_boxes(),
    zone_pts=st.lists(st.tuples(_coord, _coord), min_size=3, max_size=7, unique=True),
    rank=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3)),
)
def test_area_identity(items, zone_pts, rank):
    """Σ classes + uncovered = zone area, and uncovered equals the independently computed gap."""
    hull = shapely.MultiPoint(
        [(b(x, y, x + 1, y + 1).bounds[0], b(x, y, x + 1, y + 1).bounds[1]) for x, y in zone_pts]
    ).convex_hull
    if hull.geom_type != "Polygon" or hull.area < 1.0:
        return
    lay = _layer(items)
    res = area_by_class(_zones(hull), lay, class_column="c", precedence=rank)
    zone_area = hull.area
    total = res.table["area_m2"].sum() + res.uncovered_m2["Z0"]
    assert total == pytest.approx(zone_area, rel=1e-9)
    gap = hull.difference(shapely.union_all(lay.geometry.values)).area
    assert res.uncovered_m2["Z0"] == pytest.approx(gap, rel=1e-7, abs=1e-6 * zone_area)
    covered_by_class = {
        c: hull.intersection(shapely.union_all(lay.geometry[lay["c"] == c].values)).area
        for c in lay["c"].unique()
    }
    for c, area in _areas(res).items():
        # a class never gets more than its own union; 1e-6 m² is the floating-point resolution of areas
        # computed at 8-digit Gauss-Krüger eastings (two exact methods differ by ~1e-8 m² there)
        assert area <= covered_by_class[c] + 1e-6
    assert np.isfinite(total)
