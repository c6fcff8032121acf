"""R6 zone intensity: TD/T 1029 indicators worked by hand on boxes, zone type, ranking, bottom third,
增/调/降/退."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest

from analysis.intensity import IntensityRule, judge_intensity
from analysis.intensity_measure import INDICATORS, Indicator, measure_intensity
from geo.buildings import prepare_buildings
from geo.codes import code_table
from geo.landuse import measure_landuse
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones
from tests.conftest import CRS, b, landuse_gdf, zones_gdf

RULE = IntensityRule.from_profile(load_profile("henan"))
AS_OF = dt.date(2026, 11, 21)


def _zone_a():
    """Zone A 100 x 100 m: 0601 6000 m², 0701 1500 m², 0809 500 m², 0101 2000 m²."""
    qa = QALog()
    zones = prepare_zones(zones_gdf(("A", b(0, 0, 100, 100))), qa=qa)
    lu = landuse_gdf(
        ("0601", b(0, 0, 60, 100)),
        ("0701", b(60, 0, 75, 100)),
        ("0809", b(75, 0, 80, 100)),
        ("0101", b(80, 0, 100, 100)),
    )
    areas = measure_landuse(zones, lu, table=code_table("sandiao"), qa=qa)
    bld = prepare_buildings(
        gpd.GeoDataFrame({"storeys": [2, 5]}, geometry=[b(0, 0, 30, 40), b(60, 0, 70, 30)], crs=CRS), qa=qa
    )
    supply = gpd.GeoDataFrame(
        {"parcel_id": ["S1"], "zone_id": ["A"], "industry_code": ["34"], "total_investment_yuan": [9.0e6]},
        geometry=[b(0, 0, 60, 100)],
        crs=CRS,
    )
    rates = [
        {
            "zone_id": "A",
            "approved_area_m2": 7000.0,
            "supplied_area_m2": 6000.0,
            "supplied_on_approved_m2": 5000.0,
            "idle_area_m2": 600.0,
            "idle_rate": 0.1,
            "idle_reason": "",
        }
    ]
    ents = pd.DataFrame(
        {"zone_id": ["A", "A"], "tax_yuan": [4.0e6, 2.0e6], "fixed_assets_yuan": [3.0e7, None]}
    )
    return zones, areas, bld, supply, rates, ents


def _values(inds):
    return {i.name: i.value for i in inds}


def test_indicators_by_hand():
    zones, areas, bld, supply, rates, ents = _zone_a()
    inds, facts = measure_intensity(
        zones, landuse=areas, supply_rates=rates, supply=supply, buildings=bld, enterprises=ents
    )
    v = _values(inds["A"])
    assert v["land_development_rate"] == pytest.approx(0.8)  # (7000 + 6000 − 5000) / 10000
    assert v["land_supply_rate"] == pytest.approx(0.75)  # 6000 / 8000
    assert v["built_up_rate"] == pytest.approx(1.0)  # the supplied parcel is all 0601 construction land
    assert v["industrial_land_rate"] == pytest.approx(0.75)  # 6000 / 8000
    assert v["composite_far"] == pytest.approx((1200 * 2 + 300 * 5) / 8000)
    assert v["building_density"] == pytest.approx(1500 / 8000)
    assert v["industrial_far"] == pytest.approx(2400 / 6000)
    assert v["industrial_building_coefficient"] == pytest.approx(1200 / 6000)
    assert v["tax_wan_per_ha"] == pytest.approx(6.0e6 / 6000)  # 600 万元 / 0.6 公顷 = 1000
    inv = next(i for i in inds["A"] if i.name == "investment_wan_per_ha")
    assert inv.value == pytest.approx(3.0e7 / 6000) and inv.lower_bound  # one enterprise lacks the figure
    assert v["idle_rate"] == pytest.approx(0.1)
    assert facts.loc["A", "housing_m2"] == pytest.approx(1500.0)
    r = judge_intensity(zones, inds, facts, rule=RULE, as_of=AS_OF)[0]
    assert r.zone_type == "industry_led"  # 75% > 30% and housing 18.75% < 25%
    assert r.rank is None and "only 1 zone" in r.eligibility_reason and r.suggestion == "cannot_decide"
    assert r.eligible_to_expand is None


def test_missing_layers_say_why():
    zones, areas, *_ = _zone_a()
    inds, facts = measure_intensity(zones, landuse=areas)
    by = {i.name: i for i in inds["A"]}
    assert by["industrial_land_rate"].value == pytest.approx(0.75)
    assert by["land_supply_rate"].value is None and "no supply records" in by["land_supply_rate"].reason
    assert "no buildings layer" in by["composite_far"].reason
    assert "no enterprise table" in by["tax_wan_per_ha"].reason
    inds, facts = measure_intensity(zones)
    assert all(i.value is None for i in inds["A"])
    assert judge_intensity(zones, inds, facts, rule=RULE)[0].zone_type == "cannot_decide"


def _judge(values: dict[str, dict[str, float | None]], rule=RULE, conflicts=None, intervals=None):
    ids = list(values)
    zones = pd.DataFrame({"zone_name": ids}, index=ids)
    inds = {
        z: [Indicator(n, v.get(n), None, None, INDICATORS[n][1], False, "") for n in INDICATORS]
        for z, v in values.items()
    }
    for z, (name, lo, hi) in (intervals or {}).items():
        inds[z] = [
            Indicator(name, None, None, None, "share", False, "", low=lo, high=hi) if i.name == name else i
            for i in inds[z]
        ]
    facts = pd.DataFrame({"industrial_m2": 1.0, "construction_m2": 2.0, "housing_m2": 0.0}, index=ids)
    return {
        r.zone_id: r for r in judge_intensity(zones, inds, facts, rule=rule, planning_conflicts=conflicts)
    }


def test_ranking_bottom_third_and_suggestions():
    # one weighted indicator, industrial_land_rate, scored min(rate / 0.60, 1)
    vals = {
        f"Z{i}": {"industrial_land_rate": x} for i, x in enumerate([0.6, 0.5, 0.4, 0.3, 0.2, 0.1], start=1)
    }
    vals["Z6"].update({"land_supply_rate": 0.4, "idle_rate": 0.2})  # bottom + low supply + high idle
    vals["Z1"].update({"land_supply_rate": 0.9, "idle_rate": 0.0})
    for z in ("Z2", "Z3", "Z4", "Z5"):
        vals[z].update({"land_supply_rate": 0.8, "idle_rate": 0.05})
    rule = IntensityRule(**{**RULE.__dict__, "weights": {"industrial_land_rate": 1.0}})
    r = _judge(vals, rule=rule, conflicts={"Z3": "0.2 ha of 永久基本农田"})
    assert [r[z].rank for z in r] == [1, 2, 3, 4, 5, 6]
    assert r["Z1"].composite == pytest.approx(1.0) and r["Z2"].composite == pytest.approx(0.5 / 0.6)
    # n = 6: bottom third is r > 6 − 2 = 4 → Z5, Z6
    assert [r[z].eligible_to_expand for z in r] == [True, True, True, True, False, False]
    assert [r[z].suggestion for z in r] == ["grow", "grow", "adjust", "keep", "downgrade", "withdraw"]
    assert r["Z5"].suggestion_zh == "降" and "排名后1/3" in r["Z5"].eligibility_reason


def test_missing_data_make_rank_intervals():
    # industrial_land_rate (ideal 0.60) and idle_rate (scores 0 at 0.15) are used; the other indicators no
    # zone has are dropped. A: (1 + 1)/2 = 1; B: (0.5 + 0)/2 = 0.25; C: (0.75 + 0.5)/2 = 0.625;
    # D lacks idle_rate: (1 + [0, 1])/2 = [0.5, 1.0]
    vals = {
        "A": {"industrial_land_rate": 0.6, "idle_rate": 0.0},
        "B": {"industrial_land_rate": 0.3, "idle_rate": 0.15},
        "C": {"industrial_land_rate": 0.45, "idle_rate": 0.075},
        "D": {"industrial_land_rate": 0.6},
    }
    r = _judge(vals)
    assert (r["D"].composite_low, r["D"].composite_high) == (pytest.approx(0.5), pytest.approx(1.0))
    assert r["C"].composite == pytest.approx(0.625) and r["B"].composite == pytest.approx(0.25)
    assert [(r[z].rank_best, r[z].rank_worst) for z in "ABCD"] == [(1, 1), (4, 4), (2, 3), (1, 3)]
    # four zones: bottom third is r > 4 − 4/3 → ranks 3 and 4
    assert [r[z].eligible_to_expand for z in "ABCD"] == [True, False, None, None]
    assert "may or may not" in r["C"].eligibility_reason and r["C"].suggestion == "cannot_decide"
    assert "dropped" in r["A"].eligibility_reason


def test_interval_indicator_scores():
    # an idle rate between 5% and 10% (undecided parcels) scores between 1 − 0.10/0.15 and 1 − 0.05/0.15
    vals = {z: {"industrial_land_rate": 0.6, "idle_rate": 0.0} for z in ("A", "B", "C")}
    r = _judge(vals, intervals={"C": ("idle_rate", 0.05, 0.10)})
    assert r["C"].composite_low == pytest.approx((1 + 1 / 3) / 2)
    assert r["C"].composite_high == pytest.approx((1 + 2 / 3) / 2)
    assert (r["C"].rank_best, r["C"].rank_worst) == (3, 3) and r["C"].eligible_to_expand is False


def test_ties_share_a_rank():
    vals = {z: {"industrial_land_rate": x} for z, x in (("A", 0.5), ("B", 0.5), ("C", 0.2))}
    r = _judge(vals)
    assert (r["A"].rank, r["B"].rank, r["C"].rank) == (1, 1, 3)
    assert r["A"].composite == r["B"].composite == pytest.approx(0.5 / 0.6)
