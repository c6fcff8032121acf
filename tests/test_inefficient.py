"""R5 inefficient land: storey equivalents, FAR, building coefficient, investment, tax — worked by hand on
boxes, and FAR / building coefficient on real OSM buildings (Kotka) against an independent overlay."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.inefficient import InefficientRule, checks_table, judge_inefficient, verdict_frame
from geo.buildings import measure_buildings, prepare_buildings, storey_equivalents
from geo.errors import ProfileError
from geo.indicators import industry_2002, load_indicator_table
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import CRS, REAL, b

PROFILE = load_profile("henan")
RULE = InefficientRule.from_profile(PROFILE)


@pytest.mark.parametrize(
    ("storeys", "height", "rule", "value", "exact"),
    [
        (1, 8.0, "conservative", 1.0, True),  # exactly 8 m is not "higher than 8 m"
        (1, 8.01, "conservative", 2.0, True),
        (3, None, "conservative", 3.0, True),
        (2, 16.0, "conservative", 2.0, True),  # 16 = 8·2: no storey must be higher than 8 m
        (2, 20.0, "conservative", 3.0, True),  # 20 > 16: at least one storey > 8 m
        (2, 20.0, "average", 4.0, True),  # average 10 m > 8 m: both count twice
        (2, 16.0, "average", 2.0, True),
        (None, 6.0, "conservative", 1.0, False),
        (None, 12.0, "conservative", 2.0, False),
        (None, None, "conservative", 1.0, False),
        (0, None, "conservative", 1.0, False),  # 0 storeys is unknown, not zero floor area
    ],
)
def test_storey_equivalents(storeys, height, rule, value, exact):
    e = storey_equivalents(storeys, height, rule=rule)
    assert (e.value, e.exact) == (value, exact)


def test_industry_codes_and_table():
    t = load_indicator_table("2008")
    assert [t.far_min(c).value for c in ("13", "17", "25", "32", "36", "39", "41", "43")] == [
        1.0, 0.8, 0.5, 0.6, 0.7, 0.7, 1.0, 0.7]
    assert t.far_min("38") is None  # no code 38 in the 2002 edition
    inv = t.investment_min("26", 4)
    assert inv.value is None and inv.status == "unconfirmed"
    assert industry_2002("C2614")[0] == "26"
    assert industry_2002("29", edition="2017")[0] is None  # rubber or plastics: needs 3 digits
    assert industry_2002("C2921", edition="2017")[0] == "30"
    assert industry_2002("3611", edition="2017")[0] == "37"
    assert industry_2002(None)[0] is None


def _buildings():
    g = gpd.GeoDataFrame(
        {"storeys": [2, 1, None, None, None, np.nan], "height": [None, 10.0, None, None, 12.0, None],
         "kind": ["building", "building", "堆场", "building", "building", "building"]},
        geometry=[b(0, 0, 40, 50), b(50, 0, 70, 50), b(80, 0, 100, 20),  # P1
                  b(200, 0, 220, 100),  # P2
                  b(390, 0, 430, 100),  # crosses into P3: 30 x 100 inside
                  b(600, 0, 610, 10)],  # outside every parcel
        crs=CRS)
    return prepare_buildings(g, qa=QALog())


def _parcels():
    return gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3", "P4"],
         "industry_code": ["26", "C2710", "25", "5411"],
         "floor_area_m2": [np.nan, 5000.0, np.nan, np.nan],
         "area_m2": [np.nan, 10_000.0, np.nan, 10_000.0],
         "total_investment_yuan": [np.nan, 3.0e7, np.nan, np.nan],
         "zone_id": ["Z1", "Z1", "Z2", "Z1"]},
        geometry=[b(0, 0, 100, 100), b(200, 0, 300, 100), b(400, 0, 500, 100), b(700, 0, 800, 100)], crs=CRS)


def test_measure_buildings_by_hand():
    m = measure_buildings(_parcels().set_index("parcel_id").geometry, _buildings())
    # P1: 2000 m² × 2 storeys + 1000 m² single storey of 10 m (counts twice) = 6000 m²; yard 400 m²
    assert m.loc["P1", "floor_area_low_m2"] == pytest.approx(6000.0)
    assert m.loc["P1", "footprint_total_m2"] == pytest.approx(3400.0)
    assert m.loc["P1", "footprint_yard_m2"] == pytest.approx(400.0)
    assert m.loc["P1", "n_buildings"] == 2  # the yard is not a building
    # P3: 30 x 100 clipped, 12 m with unknown storeys: at least 2 → 6000 m², unknown footprint 3000
    assert m.loc["P3", "footprint_building_m2"] == pytest.approx(3000.0)
    assert m.loc["P3", "floor_area_low_m2"] == pytest.approx(6000.0)
    assert m.loc["P3", "unknown_storey_footprint_m2"] == pytest.approx(3000.0)
    assert m.loc["P4", "footprint_total_m2"] == 0.0


def _judge(rule=RULE, tax=None):
    qa = QALog()
    parcels = _parcels()
    v = judge_inefficient(parcels, rule=rule, qa=qa, buildings=_buildings(), tax_yuan=tax,
                          as_of=dt.date(2026, 11, 21), data="test")
    return {x.parcel_id: x for x in v}, verdict_frame(parcels, v), qa


def _chk(v, name):
    return next(c for c in v.checks if c.indicator == name)


def test_far_and_building_coefficient_by_hand():
    v, frame, _ = _judge()
    p1 = v["P1"]
    far = _chk(p1, "far")
    assert far.value == pytest.approx(0.6) and far.threshold == 0.6 and far.status == "pass"  # inclusive
    assert _chk(p1, "building_coefficient").value == pytest.approx(0.34)
    assert _chk(p1, "single_storey").status == "pass"
    # P2: the record's floor area 5000 / 10000 = 0.5 < 0.7 (medicine); footprint 2000 / 10000 = 0.2 < 0.3
    p2 = v["P2"]
    assert _chk(p2, "far").value == pytest.approx(0.5) and _chk(p2, "far").status == "fail"
    assert p2.far_basis.startswith("records")
    assert _chk(p2, "building_coefficient").status == "fail"
    assert p2.verdict == "inefficient" and p2.failing.split(",")[:2] == ["far", "building_coefficient"]
    # P3: lower bound 6000 / 10000 = 0.6 ≥ 0.5 (petroleum) decides although storeys are unknown;
    # building coefficient exactly 0.30 passes
    p3 = v["P3"]
    assert _chk(p3, "far").status == "pass" and _chk(p3, "far").reason.startswith("at least")
    assert _chk(p3, "building_coefficient").value == pytest.approx(0.30)
    assert _chk(p3, "building_coefficient").status == "pass"
    assert _chk(p3, "single_storey").status == "cannot_decide"
    assert v["P4"].verdict == "not_industrial"
    assert frame.loc[1, "far_status"] == "fail" and frame.loc[1, "verdict"] == "inefficient"


def test_far_lower_bound_below_minimum_cannot_decide():
    rule = InefficientRule(**{**RULE.__dict__, "far_min_by_industry": {"25": 0.7}})
    v, _, _ = _judge(rule)
    far = _chk(v["P3"], "far")
    assert far.status == "cannot_decide" and "at least 0.6" in far.reason
    assert far.threshold_status == "profile"


def test_investment_needs_region_class_and_a_confirmed_value():
    v, _, _ = _judge()
    inv = _chk(v["P2"], "investment")
    assert inv.value == pytest.approx(3000.0)  # 3e7 元 / 10000 m² = 3000 元/m² = 3000 万元/公顷
    assert inv.status == "cannot_decide" and "region class" in inv.reason
    rule = InefficientRule(**{**RULE.__dict__, "region_class_by_zone": {"Z1": 4}})
    v, _, _ = _judge(rule)
    inv = _chk(v["P2"], "investment")
    assert inv.status == "cannot_decide" and "unconfirmed" in inv.reason
    rule = InefficientRule(**{**rule.__dict__, "investment_min_wan_per_ha": {"4:27": 3000.0}})
    v, _, _ = _judge(rule)
    assert _chk(v["P2"], "investment").status == "pass"  # 3000 ≥ 3000, inclusive
    rule = InefficientRule(**{**rule.__dict__, "investment_min_wan_per_ha": {"4:*": 3000.01}})
    v, _, _ = _judge(rule)
    assert _chk(v["P2"], "investment").status == "fail"


def test_tax_per_mu():
    # P1: 10000 m² = 15 亩; 2,250,000 元 = 225 万元 → 15 万元/亩 exactly passes; P2 1,000,000 元 → 6.67 fails
    v, _, _ = _judge(tax={"P1": 2_250_000.0, "P2": 1_000_000.0})
    assert _chk(v["P1"], "tax_per_mu").value == pytest.approx(15.0)
    assert _chk(v["P1"], "tax_per_mu").status == "pass"
    assert _chk(v["P2"], "tax_per_mu").value == pytest.approx(100.0 / 15.0)
    assert _chk(v["P2"], "tax_per_mu").status == "fail"
    assert "no enterprise row" in _chk(v["P3"], "tax_per_mu").reason
    v, _, _ = _judge()
    assert "no enterprise table" in _chk(v["P1"], "tax_per_mu").reason


def test_single_storey_flag_and_office_footprint():
    g = gpd.GeoDataFrame({"storeys": [1, 1], "use": ["生产", "办公"]},
                         geometry=[b(0, 0, 50, 50), b(60, 0, 90, 30)], crs=CRS)
    parcels = gpd.GeoDataFrame({"parcel_id": ["S"], "industry_code": ["34"]}, geometry=[b(0, 0, 100, 100)],
                               crs=CRS)
    v = judge_inefficient(parcels, rule=RULE, qa=QALog(), buildings=prepare_buildings(g, qa=QALog()))[0]
    assert _chk(v, "single_storey").status == "flag" and v.flags == "single_storey"
    # office footprint 900 m² of 10000 = 9% > 7%: fails on the footprint alone
    off = _chk(v, "office_living_share")
    assert off.value == pytest.approx(0.09) and off.status == "fail"
    assert _chk(v, "green_ratio").status == "cannot_decide"


def test_area_basis_and_mismatch_qa():
    parcels = gpd.GeoDataFrame({"parcel_id": ["A"], "industry_code": ["34"], "area_m2": [12_000.0],
                                "floor_area_m2": [8400.0]}, geometry=[b(0, 0, 100, 100)], crs=CRS)
    qa = QALog()
    v = judge_inefficient(parcels, rule=RULE, qa=qa)[0]
    assert v.area_basis == "record" and _chk(v, "far").value == pytest.approx(0.7)
    assert qa.count("area_mismatch") == 1
    geo_rule = InefficientRule(**{**RULE.__dict__, "area_basis": "geometry"})
    v = judge_inefficient(parcels, rule=geo_rule, qa=QALog())[0]
    assert _chk(v, "far").value == pytest.approx(0.84)


def test_checks_table_long_form():
    v, _, _ = _judge()
    t = checks_table(list(v.values()))
    assert len(t) == 3 * 7  # P4 is not industrial: no checks
    assert set(t["status"]) <= {"pass", "fail", "cannot_decide", "flag"}


def test_bad_profile_values():
    bad = {**PROFILE.rules, "R5": {**PROFILE.rule("R5"), "tall_storey_rule": "max"}}
    from geo.profile import RuleProfile
    with pytest.raises(ProfileError, match="tall_storey_rule"):
        InefficientRule.from_profile(RuleProfile("x", "", "", "test", rules=bad))


# ---- real OSM buildings (Kotka, Finland; © OpenStreetMap contributors, ODbL) ----

KOTKA = REAL / "osm_finland_kotka_test.gpkg"


@pytest.fixture(scope="module")
def kotka():
    if not KOTKA.exists():
        pytest.skip(f"{KOTKA} is missing")
    lu = gpd.read_file(KOTKA, layer="landuse").to_crs(3067)
    bld = gpd.read_file(KOTKA, layer="buildings").to_crs(3067)
    return lu, bld


def test_kotka_industrial_parcels_against_overlay(kotka):
    lu, bld = kotka
    qa = QALog()
    ind = lu[lu["landuse"] == "industrial"].copy()
    ind["parcel_id"] = ind["osm_way_id"].astype(str)
    from geo.geometry import repair_polygons
    parcels = repair_polygons(ind, layer="landuse", qa=qa)
    assert qa.count("invalid_geometry") == 1  # way 413379437 is invalid in OSM
    buildings = prepare_buildings(bld, layer="buildings", qa=qa)
    v = judge_inefficient(parcels, rule=RULE, qa=qa, buildings=buildings)
    frame = verdict_frame(parcels, v).set_index("parcel_id")
    # independent: geopandas overlay of each parcel with the union of all building footprints
    union = gpd.GeoDataFrame(geometry=[shapely.union_all(buildings.geometry.values)], crs=buildings.crs)
    for pid in ("461415540", "413379433", "369849792"):
        parcel = parcels[parcels["parcel_id"] == pid]
        inside = gpd.overlay(parcel[["geometry"]], union, how="intersection")
        expected = inside.area.sum() / parcel.area.sum()
        assert frame.loc[pid, "building_coefficient"] == pytest.approx(expected, rel=1e-9)
    # The largest industrial area (12.8 ha, 47 buildings): none of its buildings has building:levels, so the
    # FAR is a lower bound equal to the building coefficient of its buildings (no structures/yards in OSM).
    big = frame.loc["461415540"]
    assert big["far"] == pytest.approx(big["building_coefficient"], rel=1e-9)
    assert big["far_status"] == "cannot_decide"  # no industry code: no FAR minimum to compare with
    assert big["building_coefficient_status"] in ("pass", "fail")
    assert (big["building_coefficient"] >= 0.30) == (big["building_coefficient_status"] == "pass")


def test_kotka_far_with_real_levels(kotka):
    # The terraced houses carry building:levels = 1: FAR from real storeys equals their footprint ratio,
    # and with storeys known the FAR is exact (no lower bound).
    _, bld = kotka
    buildings = prepare_buildings(bld[bld["building_levels"].notna()], qa=QALog())
    assert set(buildings["storeys"]) == {1.0}
    hull = gpd.GeoSeries([buildings.union_all().convex_hull.buffer(5)], index=["H"], crs=buildings.crs)
    m = measure_buildings(hull, buildings)
    assert m.loc["H", "unknown_storey_footprint_m2"] == 0.0
    assert m.loc["H", "floor_area_low_m2"] == pytest.approx(buildings.union_all().area, rel=1e-9)
    assert m.loc["H", "n_buildings"] == len(buildings)
    assert m.loc["H", "single_storey_footprint_m2"] == pytest.approx(m.loc["H", "footprint_building_m2"])


def test_checks_table_columns():
    t = checks_table([])
    assert list(t.columns)[:3] == ["parcel_id", "zone_id", "indicator"]
    assert isinstance(t, pd.DataFrame)


def test_far_source_auto_prefers_exact_buildings_and_reports_both():
    # records: 3000 m² floor area on 10000 m² (0.3, the 8 m rule not applied); buildings: 2500 m², 1 storey of
    # 10 m (counts twice) + 500 m² × 2 storeys = 6000 m² → 0.6
    g = gpd.GeoDataFrame({"storeys": [1, 2], "height": [10.0, 7.0]},
                         geometry=[b(0, 0, 50, 50), b(60, 0, 85, 20)], crs=CRS)
    parcels = gpd.GeoDataFrame({"parcel_id": ["F"], "industry_code": ["26"], "floor_area_m2": [3000.0]},
                               geometry=[b(0, 0, 100, 100)], crs=CRS)
    bld = prepare_buildings(g, qa=QALog())
    v = judge_inefficient(parcels, rule=RULE, qa=QALog(), buildings=bld)[0]
    far = _chk(v, "far")
    assert far.value == pytest.approx(0.6) and far.status == "pass" and v.far_basis.startswith("buildings")
    assert "records give 0.3" in far.reason
    rec_rule = InefficientRule(**{**RULE.__dict__, "far_source": "records_first"})
    far = _chk(judge_inefficient(parcels, rule=rec_rule, qa=QALog(), buildings=bld)[0], "far")
    assert far.value == pytest.approx(0.3) and far.status == "fail" and "buildings give 0.6" in far.reason
