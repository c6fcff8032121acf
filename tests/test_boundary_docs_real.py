"""Boundary documents on real boundaries: Henan's 157 counties (Tianditu, CGCS2000; fetched, not committed).

- The exchange TXT of every county reads back to the same area on the ellipsoid as pyproj.Geod gives for
  the original EPSG:4490 polygons (an independent computation), to the rounding of 1 mm coordinates.
- Every ring of the J table is clockwise and starts at its north-west-most vertex, largest northing −
  easting (checked with shapely's ``is_ccw`` and plain numpy, not with devzone's own functions).
- 四至 of the Puyang counties named by their neighbouring counties agree with an independent method:
  points 50 m outside every edge's midpoint, looked up in the neighbours and weighted by edge length (a
  neighbour along less than 20 % of a side does not name it; Hebei and Shandong are not in the data).
"""

from __future__ import annotations

import collections
import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from boundaries.boundary_points import boundary_points, document_crs
from boundaries.coordinate_txt import TxtHeader, read_boundary_txt, write_boundary_txt
from boundaries.corners import describe_four_sides, named_features
from tests.conftest import FETCHED

ADMIN = FETCHED / "henan_admin_tianditu_cgcs2000.gpkg"
PUYANG = ("华龙区", "清丰县", "南乐县", "范县", "台前县", "濮阳县")


@pytest.fixture(scope="module")
def counties():
    if not ADMIN.exists():
        pytest.skip(f"{ADMIN.name} not fetched: run `make data` (scripts/fetch_data.py)")
    c = gpd.read_file(ADMIN, layer="county")
    return gpd.GeoDataFrame(
        {"zone_id": c["adcode"].astype(str), "zone_name": c["name"]}, geometry=c.geometry, crs=c.crs
    )


def test_txt_round_trip_of_every_county_against_geod(counties, tmp_path):
    crs, gk, _ = document_crs(counties)
    assert (gk.zone, gk.prefix) == (38, True)  # Henan's centre is in zone 38
    doc = counties.to_crs(crs)
    p = write_boundary_txt(doc, tmp_path / "henan.txt", header=TxtHeader(date="2026-11-21"))
    back = read_boundary_txt(p)
    back["zone_id"] = back["parcel_id"].str.split("-").str[0]
    merged = back.dissolve(by="zone_id").reindex(counties["zone_id"])
    geod = Geod(ellps="GRS80")
    # pyproj adds the rings' signed areas: exteriors counter-clockwise, holes clockwise
    want = np.array(
        [abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) for g in counties.geometry]
    )
    got = np.array(
        [
            abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0])
            for g in merged.to_crs(4490).geometry
        ]
    )
    # coordinates rounded to 1 mm move each vertex by at most 0.71 mm: the area by at most perimeter × 0.71 mm
    assert np.all(np.abs(got - want) <= doc.length.to_numpy() * 0.00071)
    assert np.abs(got - want).max() < 100.0  # m², for counties of 10⁸–10⁹ m²
    assert len(back) == len(counties) + 2  # 淅川县 and 安阳县 have two parts each


def test_rings_are_clockwise_from_the_north_west(counties):
    doc = counties.to_crs(document_crs(counties)[0])
    pts = boundary_points(doc)
    assert pts["easting_m"].between(38_000_000, 39_000_000).all()  # 8 digits, zone 38
    for _, ring in pts.groupby(["zone_id", "parcel", "ring"]):
        xy = ring[["easting_m", "northing_m"]].to_numpy()
        assert (xy[0] == xy[-1]).all()
        assert not shapely.LinearRing(xy).is_ccw
        open_xy = xy[:-1]
        nw = open_xy[:, 1] - open_xy[:, 0]
        assert nw[0] >= nw.max() - 0.001
    holes = pts[pts["ring"] > 1]["zone_id"].unique()
    assert sorted(counties.set_index("zone_id").loc[holes, "zone_name"]) == ["建安区", "浉河区"]


def _side_of(nx: float, ny: float) -> str:
    ang = math.degrees(math.atan2(ny, nx))
    if -45 <= ang < 45:
        return "east"
    if 45 <= ang < 135:
        return "north"
    return "south" if -135 <= ang < -45 else "west"


def _sampled_neighbours(zone: shapely.Polygon, others: gpd.GeoDataFrame, share: float) -> dict:
    """The neighbour met most (by edge length) 50 m outside each side, if it covers ``share`` of the side."""
    xy = np.asarray(shapely.geometry.polygon.orient(zone, 1.0).exterior.coords)
    votes: dict[str, collections.Counter] = {
        s: collections.Counter() for s in ("east", "north", "west", "south")
    }
    side_m: dict[str, float] = collections.defaultdict(float)
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0:
            continue
        nx, ny = (y1 - y0) / length, -(x1 - x0) / length
        side = _side_of(nx, ny)
        side_m[side] += length
        hit = others[others.contains(shapely.Point((x0 + x1) / 2 + 50 * nx, (y0 + y1) / 2 + 50 * ny))]
        if len(hit):
            votes[side][hit["name"].iloc[0]] += length
    best = {s: v.most_common(1)[0] if v else (None, 0.0) for s, v in votes.items()}
    return {s: (name if length >= share * side_m[s] else None) for s, (name, length) in best.items()}


def test_four_sides_of_the_puyang_counties_agree_with_edge_sampling(counties):
    doc = counties.to_crs(document_crs(counties)[0])
    for name in PUYANG:
        one = doc[doc["zone_name"] == name]
        others = doc[doc["zone_name"] != name].rename(columns={"zone_name": "name"})
        names = named_features({"county": others[["name", "geometry"]]})
        r = describe_four_sides(one, names, search_m=200)[0]
        expected = _sampled_neighbours(one.geometry.iloc[0].geoms[0], others, 0.2)
        assert {s.side: s.name for s in r.sides} == expected, name


def test_zones_outside_china_get_tables_but_no_exchange_txt(tmp_path):
    # Kotka (Finland, OSM; committed in tests/data/real): no Chinese Gauss-Krüger zone, so no TXT, said so
    from analysis.boundary_docs import DocOptions, run_boundary_docs
    from geo.layers import LayerSpec, load_zones
    from geo.profile import load_profile
    from geo.qa import QALog
    from tests.conftest import REAL

    qa = QALog()
    zones, acrs = load_zones(LayerSpec(REAL / "kotka_zones.gpkg", "zones"), qa=qa)
    assert acrs.crs.to_epsg() == 32635  # UTM 35N, chosen outside China
    opts = DocOptions.from_profile(load_profile("henan"))
    run = run_boundary_docs(zones, options=opts, qa=qa, out_dir=tmp_path)
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["界址点坐标表_KT-A.xlsx", "界址点坐标表_KT-B.xlsx", "界址点坐标表_KT-C.xlsx"]
    assert qa.count("txt_skipped") == 1
    assert run.points["easting_m"].between(100_000, 900_000).all()  # UTM eastings, table still X/Y
