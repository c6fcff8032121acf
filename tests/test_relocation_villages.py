"""Who moves: villages inside zones, shares of villages partly inside, apportioned populations."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from analysis.relocation import RelocationRule, village_table, villages_to_move
from geo.errors import DataError, ProfileError, SchemaError
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones
from tests.conftest import CRS, X0, Y0, b, zones_gdf


def _pt(x, y):
    return Point(X0 + x, Y0 + y)


def _villages(items, pop_field="population"):
    return gpd.GeoDataFrame(
        {
            "village_id": [i for i, _, _ in items],
            "CJMC": [f"{i}村" for i, _, _ in items],
            pop_field: [p for _, _, p in items],
        },
        geometry=[g for _, g, _ in items],
        crs=CRS,
    )


@pytest.fixture
def rule():
    return RelocationRule.from_profile(load_profile())


@pytest.fixture
def zones():
    return prepare_zones(zones_gdf(("Z1", b(0, 0, 1000, 1000))), qa=QALog())


VILLAGES = [
    ("V1", b(100, 100, 300, 300), 800),  # wholly inside
    ("V2", b(900, 0, 1100, 200), 1001),  # 200×100 of 200×200 inside: share 0.5
    ("V3", b(950, 500, 1150, 600), 400),  # 50×100 of 200×100 inside: share 0.25
    ("V4", _pt(500, 500), 1200),  # point inside
    ("V5", _pt(2000, 2000), 900),  # point outside
    ("V6", b(1000, 800, 1100, 900), 300),  # touches the boundary only
    ("V7", b(999.5, 0, 1100, 1), 50),  # 0.5 m² inside: a sliver
]


def test_area_share_apportioning(zones, rule):
    qa = QALog()
    v = village_table(_villages(VILLAGES), layer="villages", qa=qa)
    m = villages_to_move(zones, v, rule=rule, qa=qa)
    assert list(m.index) == ["V1", "V2", "V3", "V4"]
    assert m.loc["V2", "area_m2"] == pytest.approx(40_000.0)
    assert m.loc["V2", "inside_m2"] == pytest.approx(20_000.0)
    assert m["share_inside"].tolist() == pytest.approx([1.0, 0.5, 0.25, 1.0])
    # 1001 × 0.5 = 500.5 → 501 (rounded up); 400 × 0.25 = 100
    assert m["population_to_house"].tolist() == [800, 501, 100, 1200]
    assert m["moves"].all()
    assert (m["zone_id"] == "Z1").all()
    assert "500.5" not in m.loc["V2", "reason"] and "501 of 1,001" in m.loc["V2", "reason"]
    assert m.loc["V4", "basis"].startswith("point")
    assert (m["rule_id"] == "R7").all()


def test_whole_village_apportioning(zones):
    rule = RelocationRule.from_profile(load_profile(), apportion="whole", whole_village_min_share=0.5)
    qa = QALog()
    m = villages_to_move(zones, village_table(_villages(VILLAGES), layer="v", qa=qa), rule=rule, qa=qa)
    assert m["population_to_house"].tolist() == [800, 1001, 0, 1200]  # V2 at exactly 50% moves whole
    assert m["moves"].tolist() == [True, True, False, True]
    assert "stays" in m.loc["V3", "reason"]


def test_overlapping_zones_count_once(rule):
    zones = prepare_zones(zones_gdf(("Z1", b(0, 0, 1000, 1000)), ("Z2", b(800, 0, 1800, 1000))), qa=QALog())
    qa = QALog()
    v = village_table(_villages([("V", b(700, 0, 900, 100), 1000)]), layer="v", qa=qa)
    m = villages_to_move(zones, v, rule=rule, qa=qa)
    assert m.loc["V", "inside_m2"] == pytest.approx(20_000.0)
    assert m.loc["V", "share_inside"] == pytest.approx(1.0)
    assert m.loc["V", "population_to_house"] == 1000


def test_missing_population_cannot_decide(zones, rule):
    qa = QALog()
    v = village_table(_villages([("V1", b(100, 100, 300, 300), None)]), layer="v", qa=qa)
    m = villages_to_move(zones, v, rule=rule, qa=qa)
    assert m.loc["V1", "population_to_house"] is None
    assert m.loc["V1", "reason"].startswith("cannot decide")
    assert qa.count("village_population") == 1


def test_bad_population_values_are_listed():
    g = _villages([("V1", _pt(0, 0), "abc"), ("V2", _pt(1, 1), -5), ("V3", _pt(2, 2), 10)])
    with pytest.raises(DataError, match=r"2 feature\(s\).*V1: 'abc'.*V2: -5"):
        village_table(g, layer="villages.gpkg:villages", qa=QALog())


def test_population_field_names_and_missing_field():
    g = _villages([("V1", _pt(0, 0), 10)], pop_field="HJRK")
    assert village_table(g, layer="v", qa=QALog())["population"].tolist() == [10.0]
    g2 = _villages([("V1", _pt(0, 0), 10)], pop_field="foo")
    with pytest.raises(SchemaError, match=r"population.*fields are"):
        village_table(g2, layer="v", qa=QALog())


def test_profile_overrides_are_checked():
    with pytest.raises(ProfileError, match="apportion"):
        RelocationRule.from_profile(load_profile(), apportion="by_houses")
    r = RelocationRule.from_profile(load_profile())
    assert r.capacity(500_000.0) == 5000 and r.capacity(499_999.0) == 4999
    assert r.min_site_population == 5000 and r.radius_m["kindergarten"] == 300.0
    assert isinstance(pd.Series(r.weights).sum(), float)
