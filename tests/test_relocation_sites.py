"""Where villages can go: site exclusions and free land on box fixtures with hand-computed areas.

Layout (metres from the fixtures' false origin, EPSG:4526):

- planning area (城市规划区) 0..3000 × 0..2000 = 6,000,000 m²
- zone Z1 0..1000 × 0..1000 = 1,000,000 m²
- 永久基本农田 1000..2000 × 0..500 = 500,000 m², drawn twice (two polygons overlapping on 1500..2000)
- 生态保护红线 2500..3500 × 1500..2500 (inside the planning area: 500 × 500 = 250,000 m²)
- water (三调 1101) 1000..3000 × 1900..2000 = 200,000 m²; it overlaps the red line on 2500..3000 × 1900..2000
  = 50,000 m²
- excluded in all: 1,000,000 + 500,000 + 250,000 + 200,000 − 50,000 = 1,900,000; free 4,100,000 m².
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from analysis.relocation import RelocationRule
from analysis.relocation_sites import Constraints, check_sites, free_land, generate_sites, water_from_landuse
from geo.codes import code_table
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones
from tests.conftest import CRS, b, landuse_gdf, zones_gdf


def _layer(*geoms):
    return gpd.GeoDataFrame(geometry=list(geoms), crs=CRS)


@pytest.fixture
def rule():
    return RelocationRule.from_profile(load_profile())


@pytest.fixture
def constraints():
    zones = prepare_zones(zones_gdf(("Z1", b(0, 0, 1000, 1000))), qa=QALog())
    landuse = landuse_gdf(("1101", b(1000, 1900, 3000, 2000)), ("0101", b(0, 1000, 500, 1500)))
    water = water_from_landuse(landuse, table=code_table("sandiao"), code_field="DLBM")
    return Constraints(
        zones=zones,
        planning_area=_layer(b(0, 0, 3000, 2000)),
        farmland=_layer(b(1000, 0, 2000, 500), b(1500, 0, 2000, 500)),
        redline=_layer(b(2500, 1500, 3500, 2500)),
        water=water,
        labels=(("farmland", "yjjbnt.gpkg"),),
    )


def _sites(**items):
    return gpd.GeoDataFrame(
        {"site_id": list(items), "site_name": [f"地块{k}" for k in items]},
        geometry=list(items.values()),
        crs=CRS,
        index=pd.Index(list(items), name="site"),
    )


def test_water_comes_from_the_water_group(constraints):
    assert constraints.water["code"].tolist() == ["1101"]
    assert constraints.water["name"].tolist() == ["河流水面"]


def test_site_exclusions_with_hand_computed_areas(constraints, rule):
    sites = _sites(
        S1=b(1200, 600, 2000, 1400),
        S2=b(900, 600, 1700, 1400),
        S3=b(1000, 300, 1800, 1100),
        S4=b(2600, 1000, 3400, 1800),
        S5=b(2000, 0, 2400, 400),
        S6=b(1000, 1000, 1800, 1700),
    )
    chk = check_sites(sites, constraints, rule=rule, qa=QALog())
    s = chk.sites
    assert s["eligible"].tolist() == [True, False, False, False, False, True]
    assert s["capacity"].tolist() == [6400, 6400, 6400, 6400, 1600, 5600]
    assert s.loc["S2", "zones_m2"] == pytest.approx(100 * 400)
    assert s.loc["S3", "farmland_m2"] == pytest.approx(
        800 * 200
    )  # the duplicate farmland polygon counts once
    assert s.loc["S4", "planning_area_m2"] == pytest.approx(400 * 800)
    assert s.loc["S4", "redline_m2"] == pytest.approx(800 * 300)
    assert s.loc["S6", "zones_m2"] == 0.0  # touches the zone at one corner: no area
    assert chk.reasons("S2") == ["40,000 m² inside zone Z1 (开发区内)"]
    assert chk.reasons("S3") == ["160,000 m² on 永久基本农田 (permanent basic farmland)"]
    assert chk.reasons("S4") == [
        "320,000 m² outside the urban planning area (城市规划区)",
        "240,000 m² on 生态保护红线 (ecological red line)",
    ]
    assert chk.reasons("S5") == [
        "capacity 1,600 residents (160,000 m² ÷ 100 m² per person) is below the minimum community of 5,000"
    ]
    ex = chk.exclusions.set_index(["site_id", "check"])
    assert ex.loc[("S3", "farmland"), "data"] == "yjjbnt.gpkg"
    assert shapely.area(ex.loc[("S3", "farmland"), "geometry"]) == pytest.approx(160_000.0)
    assert shapely.area(ex.loc[("S4", "planning_area"), "geometry"]) == pytest.approx(320_000.0)


def test_a_missing_layer_means_cannot_decide(constraints, rule):
    c = Constraints(
        zones=constraints.zones,
        planning_area=constraints.planning_area,
        farmland=None,
        redline=constraints.redline,
        water=constraints.water,
    )
    chk = check_sites(
        _sites(S1=b(1200, 600, 2000, 1400), S3=b(1000, 300, 1800, 1100)), c, rule=rule, qa=QALog()
    )
    assert chk.sites["eligible"].tolist() == [None, None]
    assert chk.reasons("S1") == [
        "cannot decide, because no 永久基本农田 (permanent basic farmland) layer was given"
    ]
    assert chk.sites["farmland_m2"].isna().all()


def test_free_land_identity_and_reasons(constraints, rule):
    free, ex = free_land(constraints, rule=rule, qa=QALog())
    assert shapely.area(free) == pytest.approx(4_100_000.0)
    areas = dict(zip(ex["check"], ex["area_m2"], strict=True))
    assert areas == pytest.approx(
        {
            "zones": 1_000_000.0,
            "farmland": 500_000.0,
            "redline": 250_000.0,
            "water": 200_000.0,
            "union": 1_900_000.0,
        }
    )
    assert shapely.area(free) + areas["union"] == pytest.approx(6_000_000.0)


def test_generated_grid_sites(constraints, rule):
    free, _ = free_land(constraints, rule=rule, qa=QALog())
    sites, small = generate_sites(free, rule=rule, crs=CRS)
    # rows from the north, columns from the west: (0..1000, 1000..2000) 1,000,000; (1000..2000, 1000..2000)
    # minus water 900,000; (2000..3000, 1000..2000) minus water and red line (overlap once) 700,000;
    # (1000..2000, 0..1000) minus farmland 500,000 (exactly 5,000 residents); (2000..3000, 0..1000) 1,000,000
    assert sites.geometry.area.tolist() == pytest.approx([1_000_000, 900_000, 700_000, 500_000, 1_000_000])
    assert list(sites.index) == ["G001", "G002", "G003", "G004", "G005"]
    chk = check_sites(sites, constraints, rule=rule, qa=QALog())
    assert chk.sites["eligible"].tolist() == [True] * 5
    assert chk.sites.loc["G004", "capacity"] == 5000
    assert small["area_m2"].tolist() == [0.0]


def test_generated_parts_and_small_pieces(constraints):
    rule = RelocationRule.from_profile(load_profile(), site_method="parts")
    free, _ = free_land(constraints, rule=rule, qa=QALog())
    sites, _ = generate_sites(free, rule=rule, crs=CRS)
    assert sites.geometry.area.tolist() == pytest.approx([4_100_000.0])
    grid = RelocationRule.from_profile(load_profile(), grid_m=600.0)
    sites6, small6 = generate_sites(free, rule=grid, crs=CRS)
    # 600 m cells hold at most 360,000 m² < 500,000 m²: every piece is too small
    assert len(sites6) == 0
    assert small6["area_m2"].iloc[0] == pytest.approx(4_100_000.0)
    assert "each smaller than 500,000 m²" in small6["reason"].iloc[0]
