"""R4 idle land: every date boundary worked by hand, causes, stalled parcels, missing fields."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from analysis.idle import JSON_KEYS, IdleRule, cause_kind, judge_idle, judge_parcel
from geo.errors import ProfileError
from geo.profile import load_profile

RULE = IdleRule.from_profile(load_profile("henan"))
AGREED = dt.date(2021, 3, 5)
PRICE = 3_600_000.0  # 360 万元


def _rec(**kw):
    base = {"parcel_id": "P", "agreed_start": AGREED, "actual_start": None, "stopped_since": None,
            "developed_share": None, "invested_share": None, "land_price_yuan": PRICE, "delay_cause": None}
    base.update(kw)
    return base


# Agreed start 2021-03-05. One year later: 2022-03-05 (365 days, 2021-03-05 → 2022-03-05 has no 29 Feb).
# Two years later: 2023-03-05 (730 days). Fee = 20% × 3 600 000 = 720 000 元.
@pytest.mark.parametrize(("as_of", "status", "days", "fee", "rule_id"), [
    (dt.date(2021, 3, 4), "not_idle", 0, None, "R4"),            # before the agreed start
    (dt.date(2021, 3, 5), "not_idle", 0, None, "R4"),
    (dt.date(2022, 3, 4), "not_idle", 364, None, "R4"),          # one day less than a year
    (dt.date(2022, 3, 5), "idle_fee", 365, 720_000.0, "R4.fee"),  # exactly one year
    (dt.date(2023, 3, 4), "idle_fee", 729, 720_000.0, "R4.fee"),  # one day less than two years
    (dt.date(2023, 3, 5), "reclaim", 730, None, "R4.reclaim"),   # exactly two years
    (dt.date(2026, 11, 21), "reclaim", 2087, None, "R4.reclaim"),
])
def test_unstarted_boundaries(as_of, status, days, fee, rule_id):
    v = judge_parcel(_rec(), as_of=as_of, rule=RULE)
    assert (v.status, v.days_overdue, v.fee_yuan, v.rule_id) == (status, days, fee, rule_id)
    assert v.as_of == as_of.isoformat()
    assert v.article  # the article text is in every verdict
    assert (as_of - AGREED).days == days or days == 0


def test_days_checked_independently():
    # 2087 days from 2021-03-05 to 2026-11-21: 2021-03-05→2026-03-05 is 5 years with one 29 Feb (2024) =
    # 5×365+1 = 1826; 2026-03-05→2026-11-21 = 26+30+31+30+31+31+30+31+21 = 261. 1826 + 261 = 2087.
    assert 5 * 365 + 1 + (26 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 21) == 2087


# Agreed start on 29 February 2020: one year is reached on 2021-02-28 (民法典 Art. 202), two on 2022-02-28.
@pytest.mark.parametrize(("as_of", "status", "days"), [
    (dt.date(2021, 2, 27), "not_idle", 364),
    (dt.date(2021, 2, 28), "idle_fee", 365),
    (dt.date(2022, 2, 27), "idle_fee", 729),
    (dt.date(2022, 2, 28), "reclaim", 730),
])
def test_feb29_agreed_start(as_of, status, days):
    v = judge_parcel(_rec(agreed_start=dt.date(2020, 2, 29)), as_of=as_of, rule=RULE)
    assert (v.status, v.days_overdue) == (status, days)
    assert v.idle_from == "2021-02-28"
    assert v.reclaim_from == "2022-02-28"


# Across a leap day the year has 366 days: agreed 2023-03-05 → idle from 2024-03-05, day 366.
def test_year_containing_29_february_is_366_days():
    rec = _rec(agreed_start=dt.date(2023, 3, 5))
    assert judge_parcel(rec, as_of=dt.date(2024, 3, 4), rule=RULE).status == "not_idle"
    v = judge_parcel(rec, as_of=dt.date(2024, 3, 5), rule=RULE)
    assert (v.status, v.days_overdue) == ("idle_fee", 366)


def test_start_after_as_of_counts_as_not_started():
    v = judge_parcel(_rec(actual_start=dt.date(2023, 6, 1)), as_of=dt.date(2022, 6, 1), rule=RULE)
    assert v.status == "idle_fee"
    v = judge_parcel(_rec(actual_start=dt.date(2023, 6, 1)), as_of=dt.date(2023, 6, 1), rule=RULE)
    assert v.status == "not_idle"
    assert "started" in v.reason and "not in the data" in v.reason  # it had been idle before starting


def test_idle_fee_without_price_names_the_field():
    v = judge_parcel(_rec(land_price_yuan=None), as_of=dt.date(2022, 6, 1), rule=RULE)
    assert (v.status, v.fee_yuan, v.missing) == ("idle_fee", None, ("land_price_yuan",))


def test_missing_agreed_start_cannot_decide():
    v = judge_parcel(_rec(agreed_start=None), as_of=dt.date(2022, 6, 1), rule=RULE)
    assert (v.status, v.missing, v.days_overdue) == ("cannot_decide", ("agreed_start",), None)
    assert "agreed_start" in v.reason


@pytest.mark.parametrize(("cause", "kind", "status"), [
    ("政府未按期交地", "government", "government_cause"),
    ("规划调整", "government", "government_cause"),
    ("不可抗力（洪水）", "government", "government_cause"),
    ("非政府原因", "enterprise", "reclaim"),
    ("企业资金困难", "enterprise", "reclaim"),
    ("市场变化", "other", "reclaim"),
    (None, None, "reclaim"),
])
def test_delay_cause(cause, kind, status):
    assert cause_kind(cause, RULE) == kind
    v = judge_parcel(_rec(delay_cause=cause), as_of=dt.date(2024, 1, 1), rule=RULE)
    assert v.status == status
    if status == "government_cause":
        assert (v.fee_yuan, v.rule_id) == (None, "R4.government")


def test_government_cause_does_not_make_a_parcel_idle():
    v = judge_parcel(_rec(delay_cause="规划调整"), as_of=dt.date(2021, 6, 1), rule=RULE)
    assert v.status == "not_idle"


# Started 2021-04-01, stopped 2022-01-10; one year stopped on 2023-01-10.
STARTED = {"actual_start": dt.date(2021, 4, 1), "stopped_since": dt.date(2022, 1, 10)}


@pytest.mark.parametrize(("dev", "inv", "as_of", "status", "missing"), [
    (0.30, 0.50, dt.date(2023, 1, 9), "not_idle", ()),          # stopped one day less than a year
    (0.30, 0.50, dt.date(2023, 1, 10), "stalled", ()),          # developed 30% < 1/3
    (1 / 3, 0.50, dt.date(2023, 1, 10), "not_idle", ()),        # exactly 1/3 is not "不足三分之一"
    (0.50, 0.25, dt.date(2023, 1, 10), "not_idle", ()),         # exactly 25% is not "不足百分之二十五"
    (0.50, 0.2499, dt.date(2023, 1, 10), "stalled", ()),
    (None, 0.10, dt.date(2023, 1, 10), "stalled", ()),          # one indicator below suffices
    (None, 0.50, dt.date(2023, 1, 10), "cannot_decide", ("developed_share",)),
    (None, None, dt.date(2023, 1, 10), "cannot_decide", ("developed_share", "invested_share")),
])
def test_stalled(dev, inv, as_of, status, missing):
    v = judge_parcel(_rec(developed_share=dev, invested_share=inv, **STARTED), as_of=as_of, rule=RULE)
    assert (v.status, v.missing) == (status, missing)
    if status == "stalled":
        assert (v.rule_id, v.days_overdue, v.fee_yuan) == ("R4.stalled", 365, None)


def test_stalled_government_cause_and_not_stopped():
    rec = _rec(developed_share=0.1, delay_cause="因文物保护停工", **STARTED)
    v = judge_parcel(rec, as_of=dt.date(2024, 1, 1), rule=RULE)
    assert v.status == "government_cause"
    v = judge_parcel(_rec(actual_start=dt.date(2021, 4, 1), developed_share=0.1), as_of=dt.date(2024, 1, 1),
                     rule=RULE)
    assert (v.status, v.days_overdue) == ("not_idle", 0)


def test_stop_before_start_cannot_decide():
    rec = _rec(actual_start=dt.date(2022, 1, 1), stopped_since=dt.date(2021, 1, 1), developed_share=0.1)
    v = judge_parcel(rec, as_of=dt.date(2024, 1, 1), rule=RULE)
    assert (v.status, v.missing) == ("cannot_decide", ("stopped_since",))


def test_thresholds_come_from_the_profile(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[profile]\nname = "x"\nextends = "henan"\n[rules.R4]\nidle_years = 2\nreclaim_years = 3\n'
                 'fee_share = 0.1\ndeveloped_share_below = "1/2"\nblank_actual_start = "unknown"\n',
                 encoding="utf-8")
    rule = IdleRule.from_profile(load_profile(p))
    v = judge_parcel(_rec(actual_start=dt.date(2020, 1, 1)), as_of=dt.date(2023, 3, 5), rule=rule)
    assert v.status == "not_idle"  # started
    v = judge_parcel(_rec(actual_start=dt.date(2030, 1, 1)), as_of=dt.date(2023, 3, 5), rule=rule)
    assert (v.status, v.fee_yuan) == ("idle_fee", 360_000.0)  # two years → 10% fee under this profile
    assert judge_parcel(_rec(), as_of=dt.date(2023, 3, 5), rule=rule).missing == ("actual_start",)
    assert rule.developed_share_below == 0.5
    bad = tmp_path / "bad.toml"
    bad.write_text('[profile]\nname = "x"\nextends = "henan"\n[rules.R4]\ndeveloped_share_below = "a/b"\n',
                   encoding="utf-8")
    with pytest.raises(ProfileError, match="developed_share_below"):
        IdleRule.from_profile(load_profile(bad))


def test_judge_idle_frame_and_json_keys():
    supply = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "agreed_start": pd.to_datetime(["2021-03-05", None]),
         "actual_start": pd.to_datetime([None, None]), "land_price_yuan": [PRICE, 1.0],
         "map_area_m2": [10_000.0, 400.0]},
        geometry=[box(0, 0, 100, 100), box(0, 0, 20, 20)], crs=4526,
        index=pd.Index(["A", "B"], name="parcel"))
    verdicts, gdf = judge_idle(supply, as_of=dt.date(2022, 3, 5), rule=RULE)
    assert list(verdicts[0].to_json()) == list(JSON_KEYS)
    assert verdicts[0].to_json() == {"parcel_id": "A", "status": "idle_fee", "days_overdue": 365,
                                     "fee_yuan": 720_000.0, "rule_id": "R4.fee"}
    assert gdf.loc["B", "status"] == "cannot_decide"
    assert gdf.loc["A", "area_m2"] == 10_000.0
    assert set(gdf["as_of"]) == {"2022-03-05"}
