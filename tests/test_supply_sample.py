"""The bundled Puyang sample: supply records, idle-land cases and 批而未供, checked against the table rows.

Expected statuses are worked out by hand from the rows of supply_records.xlsx (as of 2026-11-21, the
project's as_of) — the dates are repeated here and checked against the file, so a changed sample fails
loudly instead of silently changing what is tested.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from analysis.idle_run import run_idle
from analysis.project import load_project
from analysis.unsupplied_run import run_unsupplied
from geo.layers import load_zones
from geo.profile import load_profile
from geo.qa import QALog

SAMPLE = Path(__file__).parent / "data" / "sample"
pytestmark = pytest.mark.skipif(not (SAMPLE / "supply_records.xlsx").exists() or
                                not (SAMPLE / "puyang_sample.gpkg").exists(),
                                reason="the bundled sample (tests/data/sample) is not there: `make sample`")
AS_OF = dt.date(2026, 11, 21)

# 宗地编号: (约定开工日期, 实际开工日期, 停工日期, 已开发, 已投资, expected status, days_overdue),
# by hand:
# unstarted → days = as_of − agreed; idle from agreed + 1 year, reclaim from agreed + 2 years (inclusive);
# stopped → days = as_of − stop; idle when ≥ 1 year and (developed < 1/3 or invested < 25%).
CASES = {
    "PY-2025-003": ("2025-11-21", None, None, 0, 0, "idle_fee", 365),        # exactly 1 year
    "PY-2025-012": ("2025-11-22", None, None, 0, 0, "not_idle", 364),        # 1 year less a day
    "PY-2025-007": ("2025-11-20", None, None, 0, 0, "idle_fee", 366),
    "PY-2024-004": ("2024-11-21", None, None, 0, 0, "reclaim", 730),         # exactly 2 years
    "PY-2024-012": ("2024-11-22", None, None, 0, 0, "idle_fee", 729),        # 2 years less a day
    "PY-2024-010": ("2024-11-20", None, None, 0, 0, "reclaim", 731),
    "PY-2021-011": ("2022-06-30", None, None, 0, 0, "reclaim", 1605),
    "PY-2025-023": ("2026-05-18", None, None, 0, 0, "not_idle", 187),
    "PY-2026-003": ("2027-03-01", None, None, 0, 0, "not_idle", 0),          # agreed start not reached
    "PY-2022-011": ("2023-04-01", None, None, 0, 0, "government_cause", 1330),
    "PY-2023-035": ("2024-02-15", None, None, 0, 0, "government_cause", 1010),
    "PY-2021-003": ("2021-09-01", None, None, 0, 0, "government_cause", 1907),
    "PY-2024-024": ("2025-03-10", None, None, 0, 0, "idle_fee", 621),
    "PY-2023-038": ("2024-06-01", None, None, 0, 0, "reclaim", 903),
    "PY-2022-004": ("2023-03-01", "2023-04-10", "2025-06-30", 0.20, 0.30, "stalled", 509),
    "PY-2021-014": ("2022-05-01", "2022-06-15", "2024-09-01", 0.40, 0.18, "stalled", 811),
    "PY-2022-008": ("2023-08-01", "2023-09-01", "2025-11-21", 0.30, 0.20, "stalled", 365),  # exactly 1 year
    "PY-2023-031": ("2024-04-01", "2024-05-01", "2025-12-15", 0.30, 0.20, "not_idle", 341),
    "PY-2021-006": ("2022-03-01", "2022-03-20", "2024-03-01", 0.50, 0.25, "not_idle", 995),  # 25% exactly
    "PY-2020-011": ("2021-07-01", "2021-08-01", "2023-08-01", 0.34, 0.26, "not_idle", 1208),
}


def _days(a: str, b: dt.date) -> int:
    return (b - dt.date.fromisoformat(a)).days


def test_hand_days_are_consistent():
    for pid, (agreed, _actual, stop, *_rest, days) in CASES.items():
        clock = stop or agreed
        assert max(0, _days(clock, AS_OF)) == days, pid


@pytest.fixture(scope="module")
def sample():
    proj = load_project(SAMPLE / "project.toml")
    qa = QALog()
    zones, acrs = load_zones(proj.layers["zones"], crs=proj.crs, qa=qa)
    profile = load_profile(proj.profile)
    idle = run_idle(proj.layers["supply"], profile=profile, qa=qa, as_of=proj.as_of, zones=zones,
                    analysis_crs=acrs)
    rows = pd.read_excel(SAMPLE / "supply_records.xlsx", sheet_name="供地台账", dtype=object)
    return proj, qa, zones, acrs, profile, idle, rows.set_index("宗地编号")


def _cell_date(v):
    return None if pd.isna(v) else pd.Timestamp(str(v).replace("年", "-").replace("月", "-").replace("日", "")
                                                .replace(".", "-").replace("/", "-")).date()


def test_rows_hold_the_hand_worked_values(sample):
    *_, rows = sample
    for pid, (agreed, actual, stop, dev, inv, _status, _days) in CASES.items():
        r = rows.loc[pid]
        assert _cell_date(r["约定开工日期"]) == dt.date.fromisoformat(agreed), pid
        assert _cell_date(r["实际开工日期"]) == (dt.date.fromisoformat(actual) if actual else None), pid
        assert _cell_date(r["停工日期"]) == (dt.date.fromisoformat(stop) if stop else None), pid
        assert float(r["已开发面积比例"]) == pytest.approx(dev)
        assert float(r["已投资比例"]) == pytest.approx(inv)


def test_sample_statuses(sample):
    proj, _qa, _z, _a, _p, idle, rows = sample
    assert proj.as_of == AS_OF
    p = idle.parcels.set_index("parcel_id")
    for pid, (*_v, status, days) in CASES.items():
        assert (p.loc[pid, "status"], int(p.loc[pid, "days_overdue"])) == (status, days), pid
    # Fee = 20% of the land price; the table gives it in 万元.
    for pid in ("PY-2025-003", "PY-2025-007", "PY-2024-012", "PY-2024-024"):
        price_wan = float(rows.loc[pid, "土地价款（万元）"])
        assert p.loc[pid, "fee_yuan"] == pytest.approx(0.2 * price_wan * 10_000)
    # '待定' as agreed start and the parcel without a row: cannot decide; every other parcel is not idle.
    assert p.loc["PY-2025-018", "status"] == "cannot_decide"
    assert p.loc["PY-2010-006", "status"] == "cannot_decide"
    others = p.drop(index=[*CASES, "PY-2025-018", "PY-2010-006"])
    assert set(others["status"]) == {"not_idle"}


def test_sample_join_qa(sample):
    _proj, qa, *_ = sample
    q = qa.to_frame()
    unjoined = q[q["check"] == "supply_unjoined"]["message"].tolist()
    ids = sorted(m.split(": parcel ")[1].split(" ")[0] for m in unjoined)
    assert ids == ["PY-2016-088", "PY-2021-0O7"]
    assert q.loc[q["check"] == "supply_no_record", "feature"].tolist() == ["PY-2010-006"]
    bad = q[q["check"] == "supply_parse"]
    assert len(bad) == 1 and bad.iloc[0]["field"] == "约定开工日期" and "'待定'" in bad.iloc[0]["message"]


def test_sample_unsupplied_matches_an_independent_overlay(sample):
    proj, qa, zones, acrs, profile, idle, _rows = sample
    run = run_unsupplied(zones, idle, approved=proj.layers["approved"], planned=None, analysis_crs=acrs,
                         profile=profile, qa=qa, as_of=proj.as_of)
    gpkg = SAMPLE / "puyang_sample.gpkg"
    appr = shapely.union_all(gpd.read_file(gpkg, layer="approved").geometry.make_valid().to_numpy())
    sup = shapely.union_all(gpd.read_file(gpkg, layer="supply_parcels").geometry.make_valid().to_numpy())
    for z in run.result.zones:
        zone = zones.loc[z.zone_id].geometry
        # Union first, then intersect (a different route from the kernel's per-piece resolution).
        assert z.approved_area_m2 == pytest.approx(appr.intersection(zone).area, abs=0.01)
        assert z.unsupplied_area_m2 == pytest.approx(appr.difference(sup).intersection(zone).area, abs=0.01)
        assert z.supplied_area_m2 == pytest.approx(sup.intersection(zone).area, abs=0.01)
