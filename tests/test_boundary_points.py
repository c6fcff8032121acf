"""The boundary-point table J1…Jn: order, start, closure, columns, zone prefix, areas — checked by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from openpyxl import load_workbook
from pyproj import CRS, Geod, Transformer
from shapely import MultiPolygon, Polygon, box

from boundaries.boundary_points import (
    POINT_COLUMNS,
    boundary_points,
    document_crs,
    ring_from_northwest,
    write_points_xlsx,
    zone_point_summary,
)
from geo.crs import ellipsoidal_area_m2
from geo.errors import CRSError
from geo.gk import gk_crs, gk_zone_of_crs
from geo.qa import QALog
from tests.conftest import X0, Y0, b


def zone(geom, crs="EPSG:4526", zid="Z1"):
    return gpd.GeoDataFrame({"zone_id": [zid], "zone_name": ["测试区"]}, geometry=[geom], crs=crs)


def table(geom, **kw):
    return boundary_points(zone(geom), **kw)


def rows(t):
    return [(r.point, r.ring, r.northing_m - Y0, r.easting_m - X0) for r in t.itertuples()]


def test_box_is_clockwise_from_the_north_west_corner_and_closed():
    t = table(b(0, 0, 200, 100))
    assert list(t.columns[:-1]) == POINT_COLUMNS
    # NW (0,100) → NE (200,100) → SE (200,0) → SW (0,0) → NW again; X = northing, Y = easting
    assert rows(t) == [
        ("J1", 1, 100, 0),
        ("J2", 1, 100, 200),
        ("J3", 1, 0, 200),
        ("J4", 1, 0, 0),
        ("J1", 1, 100, 0),
    ]
    assert t["length_to_next_m"].tolist()[:4] == [200, 100, 200, 100]
    assert t["length_to_next_m"].isna().tolist() == [False] * 4 + [True]
    assert t["closing"].tolist() == [False] * 4 + [True]
    assert t["seq"].tolist() == [1, 2, 3, 4, 5]
    # the easting carries zone 38 (8 digits), the northing has 7
    assert all(38_000_000 <= e < 39_000_000 for e in t["easting_m"])
    assert all(1_000_000 <= n < 10_000_000 for n in t["northing_m"])
    assert t.geometry.iloc[0].x == pytest.approx(t["easting_m"].iloc[0])


def test_orientation_and_start_of_the_input_do_not_matter():
    ccw = Polygon([(X0 + 200, Y0), (X0 + 200, Y0 + 100), (X0, Y0 + 100), (X0, Y0)])  # starts at SE, CCW
    cw = Polygon([(X0, Y0), (X0, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0)])  # starts at SW, CW
    assert rows(table(ccw)) == rows(table(cw)) == rows(table(b(0, 0, 200, 100)))


def test_north_west_vertex_is_the_farthest_north_west():
    # northing − easting: (30,100) → 70, (0,60) → 60, (0,0) → 0: J1 = (30,100); then clockwise
    g = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 80), (X0 + 30, Y0 + 100), (X0, Y0 + 60)])
    assert [(n, e) for _, _, n, e in rows(table(g))] == [
        (100, 30),
        (80, 100),
        (0, 100),
        (0, 0),
        (60, 0),
        (100, 30),
    ]


def test_a_bulge_on_a_diagonal_side_does_not_start_the_ring():
    # west side from (0,0) up to (100,200) bulging out at (40,110): the bulge is nearest the bbox NW
    # corner (0,200) (98.5 m vs 100 m) but the top (100,200) is farther north-west (100 vs 70): J1 = top
    xy = np.array([[0.0, 0.0], [300.0, 0.0], [300.0, 200.0], [100.0, 200.0], [40.0, 110.0]])
    assert ring_from_northwest(xy)[0].tolist() == [100.0, 200.0]


def test_ties_go_to_the_northernmost_vertex():
    # (0,70) and (30,100) both have northing − easting = 70: the northern one starts
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 80.0], [30.0, 100.0], [0.0, 70.0]])
    assert ring_from_northwest(xy)[0].tolist() == [30.0, 100.0]


def test_holes_are_clockwise_from_their_own_north_west_and_numbered_on():
    outer = [(X0, Y0), (X0 + 200, Y0), (X0 + 200, Y0 + 100), (X0, Y0 + 100)]
    hole_a = [
        (X0 + 120, Y0 + 10),
        (X0 + 150, Y0 + 10),
        (X0 + 150, Y0 + 30),
        (X0 + 120, Y0 + 30),
    ]  # south-east
    hole_b = [(X0 + 50, Y0 + 20), (X0 + 80, Y0 + 20), (X0 + 80, Y0 + 60), (X0 + 50, Y0 + 60)]  # further north
    t = table(Polygon(outer, [hole_a, hole_b]))
    assert rows(t)[5:] == [
        ("J5", 2, 60, 50),
        ("J6", 2, 60, 80),
        ("J7", 2, 20, 80),
        ("J8", 2, 20, 50),
        ("J5", 2, 60, 50),
        ("J9", 3, 30, 120),
        ("J10", 3, 30, 150),
        ("J11", 3, 10, 150),
        ("J12", 3, 10, 120),
        ("J9", 3, 30, 120),
    ]


def test_parts_are_parcels_largest_first_numbered_continuously():
    small, big = b(300, 0, 350, 40), b(0, 0, 200, 100)
    t = table(MultiPolygon([small, big]))
    assert t["parcel"].tolist() == [1] * 5 + [2] * 5
    assert t["ring"].tolist() == [1] * 10
    assert rows(t)[5:] == [
        ("J5", 1, 40, 300),
        ("J6", 1, 40, 350),
        ("J7", 1, 0, 350),
        ("J8", 1, 0, 300),
        ("J5", 1, 40, 300),
    ]


def test_without_zone_prefix_the_easting_has_six_digits():
    # EPSG:4547 is EPSG:4526 without the 38 000 000 m in the easting
    g4547 = Polygon([(x - 38_000_000, y) for x, y in b(0, 0, 200, 100).exterior.coords])
    t = boundary_points(zone(g4547, crs="EPSG:4547"))
    assert t["easting_m"].tolist() == pytest.approx(
        [X0 - 38e6, X0 - 38e6 + 200, X0 - 38e6 + 200, X0 - 38e6, X0 - 38e6]
    )
    assert all(100_000 <= e < 1_000_000 for e in t["easting_m"])
    assert gk_zone_of_crs(4547).zone == 38 and gk_zone_of_crs(4547).prefix is False


def test_vertices_equal_after_rounding_are_listed_once():
    g = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100.0002, Y0 + 0.0001), (X0 + 100, Y0 + 50), (X0, Y0 + 50)])
    qa = QALog()
    t = boundary_points(zone(g), qa=qa)
    assert (~t["closing"]).sum() == 4
    assert qa.count("duplicate_vertex") == 1


def test_areas_planar_and_ellipsoidal():
    outer = [(X0, Y0), (X0 + 200, Y0), (X0 + 200, Y0 + 100), (X0, Y0 + 100)]
    hole = [
        (X0 + 50, Y0 + 20),
        (X0 + 80, Y0 + 20),
        (X0 + 80, Y0 + 60),
        (X0 + 50, Y0 + 60),
    ]  # same orientation
    z = zone(MultiPolygon([Polygon(outer, [hole]), b(300, 0, 350, 40)]))
    s = zone_point_summary(z, boundary_points(z)).iloc[0]
    # 200*100 - 30*40 + 50*40 = 20 800 m² = 2.08 公顷 = 31.2 亩
    assert (s.area_m2, s.area_ha, s.area_mu) == (
        pytest.approx(20_800),
        pytest.approx(2.08),
        pytest.approx(31.2),
    )
    assert (s.parcels, s.rings, s.points) == (2, 3, 12)
    assert (s.gk_zone, s.zone_prefix, s.central_meridian_deg) == (38, True, 114.0)
    # independent: each ring's area on the ellipsoid with pyproj.Geod, the hole subtracted by hand
    tr = Transformer.from_crs(4526, 4490, always_xy=True)
    geod = Geod(ellps="GRS80")

    def ring_area(coords):
        lon, lat = tr.transform(*zip(*coords, strict=True))
        return abs(geod.polygon_area_perimeter(lon, lat)[0])

    expected = ring_area(outer) - ring_area(hole) + ring_area(list(b(300, 0, 350, 40).exterior.coords))
    assert s.ellipsoidal_area_m2 == pytest.approx(expected, rel=1e-9)
    assert float(ellipsoidal_area_m2(z.geometry)[0]) == pytest.approx(expected, rel=1e-9)


def test_xlsx_has_the_table_with_three_decimals(tmp_path):
    z = zone(b(0, 0, 200, 100))
    pts = boundary_points(z)
    p = write_points_xlsx(z, pts, tmp_path / "j.xlsx")
    ws = load_workbook(p)["界址点坐标"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    head = next(i for i, r in enumerate(cells) if r[0] == "点号 point")
    assert cells[head][:5] == [
        "点号 point",
        "地块 parcel",
        "圈号 ring",
        "X 坐标 northing_m",
        "Y 坐标 easting_m",
    ]
    assert cells[head + 1][:6] == ["J1", 1, 1, Y0 + 100, X0, 200]
    assert cells[head + 5][0] == "J1" and cells[head + 5][5] is None
    assert ws.cell(row=head + 2, column=4).number_format == "0.000"
    text = " ".join(str(r[0]) for r in cells[:head])
    assert "带号 38" in text and "2.0000 公顷" in text and "30.00 亩" in text
    parcels = load_workbook(p)["地块面积"]
    assert [c.value for c in parcels[2]] == [1, 1, 4, 20000, 2, 30]


def test_document_crs():
    z = zone(b(0, 0, 10, 10))
    assert document_crs(z)[0].to_epsg() == 4526
    geo = z.to_crs(4490)
    crs, gk, reason = document_crs(geo)
    assert crs.to_epsg() == 4526 and gk.zone == 38 and "not a Gauss-Krüger" in reason
    assert document_crs(geo, crs="EPSG:4547")[0].to_epsg() == 4547
    finland = gpd.GeoDataFrame(
        {"zone_id": ["F"], "zone_name": ["F"]},
        geometry=[box(490_000, 6_700_000, 491_000, 6_701_000)],
        crs=3067,
    )
    with pytest.raises(CRSError, match="outside China"):
        document_crs(finland)


def test_gk_crs_table():
    assert gk_crs("CGCS2000", 3, 37, prefix=True).to_epsg() == 4525
    assert gk_crs("Xian1980", 3, 38, prefix=True).to_epsg() == 2362
    assert CRS.from_epsg(2362).name == "Xian 1980 / 3-degree Gauss-Kruger zone 38"
    with pytest.raises(CRSError, match="outside"):
        gk_crs("CGCS2000", 3, 50, prefix=True)
    assert gk_zone_of_crs(3857) is None
