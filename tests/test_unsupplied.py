"""批而未供 and the rates on box fixtures in EPSG:4526, every figure worked out by hand."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import box

from analysis.unsupplied import RatesRule, measure_supply
from geo.codes import code_table
from geo.landuse import measure_landuse
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones

E, N = 38_500_000.0, 3_950_000.0
RULE = RatesRule.from_profile(load_profile("henan"))
AS_OF = dt.date(2026, 11, 21)


def b(x0, y0, x1, y1):
    return box(E + x0, N + y0, E + x1, N + y1)


def _zones():
    raw = gpd.GeoDataFrame({"ZONE_ID": ["Z1"], "ZONE_NAME": ["一区"]}, geometry=[b(0, 0, 1000, 1000)],
                           crs=4526)
    return prepare_zones(raw, qa=QALog())


def _approved():
    # A1 300 000 m² inside; A2 400 × 200 of which 200 × 200 = 40 000 m² inside the zone.
    return gpd.GeoDataFrame({"PZWH": ["豫政土〔2020〕1号", "豫政土〔2021〕7号"]},
                            geometry=[b(0, 0, 600, 500), b(800, 800, 1200, 1000)], crs=4526)


def _supply():
    idx = pd.Index(["S1", "S2", "S3", "S4"], name="parcel")
    return gpd.GeoDataFrame(
        {"parcel_id": list(idx),
         "contract_date": pd.to_datetime(["2024-05-01", "2022-06-01", "2020-01-01", "2027-01-01"])},
        geometry=[b(0, 0, 300, 500), b(300, 0, 600, 200), b(700, 0, 900, 300), b(0, 600, 100, 700)],
        index=idx, crs=4526)


def _planned():
    lu = gpd.GeoDataFrame({"GHDLBM": ["1001", "0103"]}, geometry=[b(0, 0, 1000, 600), b(0, 600, 1000, 1000)],
                          crs=4526)
    return measure_landuse(_zones(), lu, table=code_table("ydyh"), qa=QALog())


STATUSES = pd.Series({"S1": "idle_fee", "S2": "not_idle", "S3": "cannot_decide", "S4": "not_idle"})


def test_unsupplied_rates_by_hand():
    qa = QALog()
    run = measure_supply(_zones(), _supply(), approved=_approved(), statuses=STATUSES, planned=_planned(),
                         as_of=AS_OF, rule=RULE, qa=qa)
    z = run.zones[0]
    assert z.approved_area_m2 == pytest.approx(340_000.0)
    # S4 is supplied after the as-of date: not counted. S1 150 000 + S2 60 000 + S3 60 000.
    assert z.supplied_area_m2 == pytest.approx(270_000.0)
    # A1 − S1 − S2 = 300 000 − 150 000 − 60 000 = 90 000; A2 inside = 40 000.
    assert z.unsupplied_area_m2 == pytest.approx(130_000.0)
    assert z.supplied_on_approved_m2 == pytest.approx(210_000.0)
    assert z.unsupplied_rate == pytest.approx(130_000 / 340_000)
    # Idle: S1 150 000; S3 (60 000) cannot be classified → the rate lies in [150/270, 210/270].
    assert z.idle_area_m2 == pytest.approx(150_000.0)
    assert z.undecided_area_m2 == pytest.approx(60_000.0)
    assert z.idle_rate is None
    assert (z.idle_rate_low, z.idle_rate_high) == (pytest.approx(150 / 270), pytest.approx(210 / 270))
    assert z.idle_reason.startswith("cannot decide, because")
    # Window (2023-11-21, 2026-11-21]: only S1 (150 000) → 50 000 m²/year; planned construction 600 000.
    assert z.recent_supply_m2 == pytest.approx(150_000.0)
    assert z.mean_yearly_supply_m2 == pytest.approx(50_000.0)
    assert z.planned_construction_m2 == pytest.approx(600_000.0)
    assert z.supply_years_left == pytest.approx((600_000 - 270_000) / 50_000)  # 6.6 years
    assert qa.count("supply_after_as_of") == 1


def test_unsupplied_geometry_parts():
    run = measure_supply(_zones(), _supply(), approved=_approved(), statuses=STATUSES, as_of=AS_OF, rule=RULE,
                         qa=QALog())
    parts = run.unsupplied
    assert list(parts["area_m2"].round(6)) == [90_000.0, 40_000.0]
    assert list(parts["unsupplied_id"]) == ["U-Z1-1", "U-Z1-2"]
    # Independent check of the first part with a different shapely route: A1 minus the union of S1 and S2.
    supplied = shapely.union_all([b(0, 0, 300, 500), b(300, 0, 600, 200)])
    expected = shapely.difference(b(0, 0, 600, 500), supplied)
    assert shapely.equals(shapely.normalize(parts.geometry.iloc[0]), shapely.normalize(expected))
    assert parts["approved_sources"].iloc[0] == "0"
    # The parts add up to the total.
    assert parts["area_m2"].sum() == pytest.approx(run.zones[0].unsupplied_area_m2)


def test_each_rate_says_what_it_lacks():
    run = measure_supply(_zones(), _supply(), approved=None, statuses=None, planned=None, as_of=AS_OF,
                         rule=RULE, qa=QALog())
    z = run.zones[0]
    assert z.unsupplied_area_m2 is None and z.unsupplied_rate is None
    assert z.idle_rate is None and z.supply_years_left is None
    assert "approved-land layer" in z.unsupplied_reason
    assert "idle-land check" in z.idle_reason
    assert "planned land-use layer" in z.years_reason
    assert z.supplied_area_m2 == pytest.approx(270_000.0)
    assert len(run.unsupplied) == 0


def test_decided_idle_rate_and_undated_parcels():
    statuses = STATUSES.replace({"cannot_decide": "stalled"})
    sup = _supply()
    sup.loc["S2", "contract_date"] = pd.NaT
    run = measure_supply(_zones(), sup, approved=_approved(), statuses=statuses, planned=_planned(),
                         as_of=AS_OF, rule=RULE, qa=QALog())
    z = run.zones[0]
    assert z.idle_rate == pytest.approx((150_000 + 60_000) / 270_000)
    assert z.undated_supply_m2 == pytest.approx(60_000.0)
    assert z.supply_years_left is None
    assert "contract_date" in z.years_reason
