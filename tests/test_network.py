"""Road-network distances on a tiny crafted graph, worked out by hand, against straight-line ones."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from geo.errors import CRSError, DataError
from geo.network import NETWORK, STRAIGHT, RoadNetwork, distance_matrix, straight_line_matrix
from tests.conftest import CRS, X0, Y0


def _lines(*coords_lists):
    return gpd.GeoSeries([LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords_lists], crs=CRS)


def _pts(*xy):
    return gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in xy], crs=CRS)


# A "U" road: up the west side, across the top, down the east side (3 × 1000 m), and a cross road at
# y = 500 from x = -100 to 1100 that crosses both legs without sharing a vertex with them.
U = [(0, 0), (0, 1000), (1000, 1000), (1000, 0)]
CROSS = [(-100, 500), (1100, 500)]


def test_u_road_network_is_longer_than_straight_line():
    net = RoadNetwork.from_lines(_lines(U))
    a, b = _pts((0, 0)), _pts((1000, 0))
    assert net.distance_matrix(a, b)[0, 0] == pytest.approx(3000.0)
    assert straight_line_matrix(a, b)[0, 0] == pytest.approx(1000.0)


def test_noding_at_intersections_joins_crossing_roads():
    lines = _lines(U, CROSS)
    a, b = _pts((0, 0)), _pts((1000, 0))
    # noded: up 500, across 1000, down 500
    assert RoadNetwork.from_lines(lines).distance_matrix(a, b)[0, 0] == pytest.approx(2000.0)
    # endpoints only: the cross road touches nothing, the way round the U stays 3000
    assert RoadNetwork.from_lines(lines, noding="endpoints").distance_matrix(a, b)[0, 0] == pytest.approx(
        3000.0
    )


def test_access_legs_and_along_segment_offsets():
    net = RoadNetwork.from_lines(_lines(U))
    # (-30, 200) snaps to (0, 200): access 30; along the U to (1000, 300): 800 + 1000 + 700; (1040, 300)
    # snaps to (1000, 300): access 40.
    d = net.distance_matrix(_pts((-30, 200)), _pts((1040, 300)))[0, 0]
    assert d == pytest.approx(30 + 800 + 1000 + 700 + 40)
    snap = net.snap(_pts((-30, 200)))
    assert snap.access_m[0] == pytest.approx(30.0)


def test_points_on_the_same_segment_go_directly():
    net = RoadNetwork.from_lines(_lines([(0, 0), (1000, 0)]))
    d = net.distance_matrix(_pts((200, 10)), _pts((700, -20)))[0, 0]
    assert d == pytest.approx(10 + 500 + 20)


def test_disconnected_parts_are_unreachable_and_limit_cuts_paths():
    net = RoadNetwork.from_lines(_lines([(0, 0), (100, 0)], [(500, 0), (600, 0)]))
    assert net.n_components == 2
    assert math.isinf(net.distance_matrix(_pts((0, 0)), _pts((600, 0)))[0, 0])
    net1 = RoadNetwork.from_lines(_lines(U))
    assert math.isinf(net1.distance_matrix(_pts((0, 0)), _pts((1000, 0)), limit_m=2999.0)[0, 0])


def test_polygons_are_measured_from_a_point_on_their_surface():
    net = RoadNetwork.from_lines(_lines([(0, 0), (1000, 0)]))
    sq = gpd.GeoSeries(
        [shapely.box(X0 + 90, Y0 + 10, X0 + 110, Y0 + 30)], crs=CRS
    )  # point on surface (100, 20)
    d = net.distance_matrix(sq, _pts((600, 0)))[0, 0]
    assert d == pytest.approx(20 + 500)


def test_distance_matrix_names_its_method():
    a, b = _pts((0, 0), (3, 4)), _pts((0, 0))
    m, how = distance_matrix(a, b)
    assert how == STRAIGHT and m[:, 0].tolist() == [0.0, 5.0]
    m2, how2 = distance_matrix(a, b, network=RoadNetwork.from_lines(_lines([(0, 0), (0, 10)])))
    assert how2 == NETWORK and m2[:, 0].tolist() == [0.0, pytest.approx(3 + 4)]


def test_degrees_and_empty_layers_are_refused():
    with pytest.raises(CRSError, match="metres"):
        RoadNetwork.from_lines(gpd.GeoSeries([LineString([(114, 35), (115, 35)])], crs=4490))
    with pytest.raises(DataError, match="no lines"):
        RoadNetwork.from_lines(gpd.GeoSeries([Point(0, 0)], crs=CRS))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-200, 1200), st.integers(-200, 1200)), min_size=2, max_size=6))
def test_network_distance_is_never_shorter_than_straight_line(xy):
    net = RoadNetwork.from_lines(_lines(U, CROSS, [(0, 0), (1000, 1000)]))
    pts = _pts(*xy)
    d_net = net.distance_matrix(pts, pts)
    d_line = straight_line_matrix(pts, pts)
    assert np.all(d_net >= d_line - 1e-6)
    assert np.allclose(d_net, d_net.T)


def test_undershoots_are_joined_within_join_m():
    # B stops 5 m short of A (a T-junction drawn with a gap); C starts 8 m beyond A's east end.
    lines = _lines([(0, 0), (1000, 0)], [(500, 5), (500, 500)], [(1008, 0), (2000, 0)])
    assert RoadNetwork.from_lines(lines).n_components == 3
    net = RoadNetwork.from_lines(lines, join_m=10.0)
    assert net.n_components == 1 and net.joined == 3  # B's end, A's east end and C's west end
    # along A 500, the 5 m connector, up B 495
    assert net.distance_matrix(_pts((0, 0)), _pts((500, 500)))[0, 0] == pytest.approx(1000.0)
    # A 1000, the 8 m connector, C 992
    assert net.distance_matrix(_pts((0, 0)), _pts((2000, 0)))[0, 0] == pytest.approx(2000.0)
    assert "3 road end(s) joined" in net.method
    assert RoadNetwork.from_lines(lines, join_m=4.0).n_components == 3


def test_distance_to_polygons_enters_where_a_road_crosses():
    from geo.network import distance_to_polygons

    zone = gpd.GeoSeries([shapely.box(X0 + 1000, Y0 - 100, X0 + 1200, Y0 + 100)], crs=CRS)
    roads = RoadNetwork.from_lines(_lines([(0, 0), (2000, 0)]))
    d, how = distance_to_polygons(_pts((0, 50), (1100, 0), (0, 300)), zone, network=roads)
    # (0, 50): access 50 + along to the boundary crossing at x = 1000; inside: 0; (0, 300): 300 + 1000
    assert how == NETWORK and d.tolist() == pytest.approx([1050.0, 0.0, 1300.0])
    d2, how2 = distance_to_polygons(_pts((0, 50)), zone)
    assert how2 == STRAIGHT and d2[0] == pytest.approx(math.hypot(1000, 0))  # to the edge x = 1000 at y = 50
    far = RoadNetwork.from_lines(_lines([(0, 500), (500, 500)]))
    assert math.isinf(distance_to_polygons(_pts((0, 500)), zone, network=far)[0][0])


def test_largest_part_drops_road_islands():
    net = RoadNetwork.from_lines(_lines(U, [(5000, 0), (5100, 0)], [(6000, 0), (6050, 0)]))
    main, dropped = net.largest_part()
    assert net.n_components == 3 and main.n_components == 1 and dropped == 2
    # a point by the island now snaps to the U's east leg at (1000, 0): access 4000
    d = main.distance_matrix(_pts((5000, 0)), _pts((0, 0)))[0, 0]
    assert d == pytest.approx(4000 + 3000)
