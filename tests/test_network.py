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
