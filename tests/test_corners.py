"""四至: extreme points and the named feature beyond each side, on a crafted layout worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import LineString, MultiPolygon, Point, Polygon

from boundaries.corners import describe_four_sides, four_sides_frame, named_features, side_region
from geo.errors import CRSError, SchemaError
from geo.qa import QALog
from tests.conftest import X0, Y0, b

# Zone 200 m × 100 m. East: 东环路 10 m off; north: 纬一路 20 m off; south: 马颊河 (a polygon) 20 m off;
# 经三路 runs north-south through the zone; west: nothing within 200 m, 王庄村 (a point) 250 m off; one
# unnamed road 20 m west.


def line(*pts):
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def zone(geom=None):
    return gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "zone_name": ["测试区"]}, geometry=[geom or b(0, 0, 200, 100)], crs="EPSG:4526"
    )


def layers():
    roads = gpd.GeoDataFrame(
        {"NAME": ["东环路", "纬一路", "经三路", None]},
        geometry=[
            line((210, -50), (210, 150)),
            line((-50, 120), (250, 120)),
            line((100, -300), (100, 400)),
            line((-20, -50), (-20, 150)),
        ],
        crs="EPSG:4526",
    )
    rivers = gpd.GeoDataFrame({"MC": ["马颊河"]}, geometry=[b(-100, -40, 300, -20)], crs="EPSG:4526")
    places = gpd.GeoDataFrame({"名称": ["王庄村"]}, geometry=[Point(X0 - 250, Y0 + 50)], crs="EPSG:4526")
    return {"roads": roads, "rivers": rivers, "places": places}


def test_named_features_combines_layers_and_logs_unnamed():
    qa = QALog()
    n = named_features(layers(), qa=qa)
    assert sorted(n["name"]) == ["东环路", "王庄村", "纬一路", "经三路", "马颊河"]
    assert qa.count("unnamed_feature") == 1
    with pytest.raises(SchemaError, match="--name-field"):
        named_features({"x": gpd.GeoDataFrame({"FOO": ["a"]}, geometry=[Point(0, 0)], crs="EPSG:4526")})


def test_four_sides_of_the_crafted_layout():
    r = describe_four_sides(zone(), named_features(layers()))[0]
    sides = {s.side: s for s in r.sides}
    assert (sides["east"].name, sides["east"].distance_m, sides["east"].layer) == (
        "东环路",
        pytest.approx(10),
        "roads",
    )
    assert (sides["north"].name, sides["north"].distance_m) == ("纬一路", pytest.approx(20))
    assert (sides["south"].name, sides["south"].distance_m) == ("马颊河", pytest.approx(20))
    # 经三路 crosses the zone north-south, so it names neither the north nor the south side
    assert sides["west"].name is None
    assert sides["west"].reason == "cannot name, because no named feature within 200 m"
    assert (
        r.text == "东至东环路，西至：无法命名（200 米内无有名称的道路、河流或地名），南至马颊河，北至纬一路"
    )
    # with a 300 m search the village 250 m west names the west side
    far = describe_four_sides(zone(), named_features(layers()), search_m=300)[0]
    assert far.text == "东至东环路，西至王庄村，南至马颊河，北至纬一路"
    assert far.sides[1].distance_m == pytest.approx(250)


def test_extreme_points_follow_the_boundary_point_table():
    r = describe_four_sides(zone(), None)[0]
    ext = {e.side: (e.point, e.northing_m - Y0, e.easting_m - X0) for e in r.extremes}
    # J1 NW, J2 NE, J3 SE, J4 SW; ties go to the first in table order
    assert ext == {
        "east": ("J2", 100, 200),
        "west": ("J1", 100, 0),
        "south": ("J3", 0, 200),
        "north": ("J1", 100, 0),
    }
    assert all(
        s.reason == "cannot name, because no roads, rivers or place-names layer was given" for s in r.sides
    )


def test_a_crossing_road_never_names_the_sides_it_crosses():
    # 经三路 runs north-south through the zone: north and south cannot be named by it
    roads = gpd.GeoDataFrame({"NAME": ["经三路"]}, geometry=[line((100, -300), (100, 400))], crs="EPSG:4526")
    r = describe_four_sides(zone(), named_features({"roads": roads}))[0]
    north = r.sides[3]
    assert north.name is None
    assert north.reason == "cannot name, because within 200 m only: 经三路 run(s) through the zone"
    assert north.text == "北至：无法命名（200 米内仅有：经三路穿越开发区）"


def test_a_road_crossing_one_slanted_side_is_not_beyond_the_others():
    # a zone whose west side leans (SW corner pushed 40 m east): the east-west road 纬二路 crosses the west
    # and east sides only; it names neither north nor south (it does not face them), nor east/west (through)
    g = Polygon([(X0 + 40, Y0), (X0 + 200, Y0), (X0 + 200, Y0 + 100), (X0, Y0 + 100)])
    roads = gpd.GeoDataFrame({"NAME": ["纬二路"]}, geometry=[line((-300, 50), (500, 50))], crs="EPSG:4526")
    r = describe_four_sides(zone(g), named_features({"roads": roads}))[0]
    assert [s.name for s in r.sides] == [None, None, None, None]


def test_a_street_leaving_the_zone_does_not_name_the_side():
    # 支路 runs from inside the zone out through the east side: it touches 2 m of the 100 m side, not 20 %
    roads = gpd.GeoDataFrame({"NAME": ["支路"]}, geometry=[line((150, 50), (260, 50))], crs="EPSG:4526")
    r = describe_four_sides(zone(), named_features({"roads": roads}))[0]
    assert r.sides[0].name is None
    assert r.sides[0].text == "东至：无法命名（200 米内仅有：支路沿该边不足 20%）"
    assert (
        describe_four_sides(zone(), named_features({"roads": roads}), min_along_share=0.0)[0].sides[0].name
        == "支路"
    )


def test_ties_go_to_the_feature_running_along_more_of_the_side():
    # 短路 is 10.0 m east but 30 m long; 长路 is 10.5 m east (within the 1 m tie) and runs along all 100 m
    roads = gpd.GeoDataFrame(
        {"NAME": ["短路", "长路"]},
        geometry=[line((210, 40), (210, 70)), line((210.5, -50), (210.5, 150))],
        crs="EPSG:4526",
    )
    r = describe_four_sides(zone(), named_features({"roads": roads}))[0]
    assert r.sides[0].name == "长路" and r.sides[0].along_m == pytest.approx(100)
    strict = describe_four_sides(zone(), named_features({"roads": roads}), tie_m=0.1)[0]
    assert strict.sides[0].name == "短路"


def test_side_region_is_the_swept_strip_and_ignores_holes():
    # an L-shaped zone: the east region of the lower arm starts at x=200, of the upper arm at x=100
    l_shape = b(0, 0, 200, 50).union(b(0, 50, 100, 100))
    reg = side_region(l_shape, (1.0, 0.0), 50.0)
    # lower arm: x 200–250, y 0–50; upper arm: x 100–150, y 50–100 (the step is not filled)
    assert reg.area == pytest.approx(50 * 50 + 50 * 50)
    assert reg.covers(Point(X0 + 125, Y0 + 75)) and not reg.covers(Point(X0 + 175, Y0 + 75))
    holed = b(0, 0, 200, 100).difference(b(50, 20, 80, 60))
    assert side_region(holed, (0.0, 1.0), 10.0).area == pytest.approx(200 * 10)


def test_multipart_zone_and_frame():
    z = zone(MultiPolygon([b(0, 0, 200, 100), b(400, 0, 450, 40)]))
    r = describe_four_sides(z, named_features(layers()))
    f = four_sides_frame(r)
    assert f["side"].tolist() == ["east", "west", "south", "north"]
    east = f.iloc[0]
    assert (east["point"], east["easting_m"] - X0) == ("J6", 450)  # the east-most point is on parcel 2
    assert f["sizhi"].nunique() == 1


def test_names_in_another_crs_are_refused():
    n = named_features(layers()).to_crs(4490)
    with pytest.raises(CRSError, match="bring them"):
        describe_four_sides(zone(), n)
