"""The bundled Puyang sample: supply records, idle-land cases and 批而未供, checked against the table cells.

Every case of the sample README's idle-land table (U1–U9, G1–G3, TBD, X1–X2, K1–K6) is written out below
with the values of its row in supply_records.xlsx, and its status, days overdue and fee are worked out by
hand from 闲置土地处置办法 Art. 2, 8 and 14 as of 2026-11-21 (the project's as_of), counting years in
calendar years (analysis/idle.py). The cell values are asserted against the file (read with openpyxl, not
with devzone's parsers) before devzone's verdicts are compared with the hand-worked ones, so a changed
sample fails loudly instead of silently changing what is tested.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from dateutil.relativedelta import relativedelta

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
PROJECT_FIELDS = {"total_investment_yuan", "land_price_yuan"}


@dataclass(frozen=True)
class Case:
    """One README case: its row's cells and the verdict worked out by hand."""

    zone: str
    agreed: str | None      # 约定开工日期 (ISO; the cell may hold any of the mixed forms)
    actual: str | None      # 实际开工日期
    stop: str | None        # 停工日期
    dev: float              # 已开发面积比例
    inv: float              # 已投资比例
    price_wan: float        # 土地价款（万元）
    cause: str | None       # 闲置原因
    status: str
    days: int | None
    fee_yuan: float | None


GOV1, GOV2 = "政府原因：规划调整", "政府原因：土地未按约定期限交付"
FORCE = "不可抗力：2021年“7·20”特大暴雨灾害"


def unstarted(zone, agreed, price_wan, status, days, fee_yuan=None, cause=None) -> Case:
    """A row without 实际开工日期 or 停工日期; its shares are 0."""
    return Case(zone, agreed, None, None, 0, 0, price_wan, cause, status, days, fee_yuan)


def stopped(zone, dates, dev, inv, price_wan, status, days) -> Case:
    """A started row with a stop date: "约定开工日期 实际开工日期 停工日期"; no cause, no fee."""
    return Case(zone, *dates.split(), dev, inv, price_wan, None, status, days, None)


# By hand. Unstarted (no 实际开工日期): days = as_of − agreed start; idle (fee 20% of the land price,
# Art. 14(一)) from the same calendar day 1 year after the agreed start, inclusive; reclaimed without
# compensation (Art. 14(二)) from the same day 2 years after, inclusive; a government or force-majeure
# cause makes it 政府原因 idle land without a fee (Art. 8). Started and stopped: days = as_of − stop date;
# idle (Art. 2 ¶2) when stopped ≥ 1 calendar year and developed < 1/3 or invested < 25%; no fee amount
# (profile stalled_fee = false). Days, counted on a calendar (2024 is the only leap year in range):
#   2025-11-21 → 2026-11-21 = 365;  2024-11-21 → 2026-11-21 = 365 + 365 = 730;
#   2022-06-30 → 2026-06-30 = 4 × 365 + 1 (29 Feb 2024) = 1461, → 11-21: 30+31+31+30+22 = 144 → 1605;
#   2026-05-18 → 11-21: 31+30+31+31+30+31+3 = 187;  2023-04-01 → 2026-04-01 = 1096, + 214 + 20 = 1330;
#   2024-02-15 → 2026-02-15 = 731, → 11-15: 28+31+30+31+30+31+31+30+31 = 273, + 6 → 1010;
#   2021-09-01 → 2026-09-01 = 1826, + 30 + 31 + 20 = 1907;  2025-03-10 → 2026-03-10 = 365, + 245 + 11 = 621;
#   2024-06-01 → 2026-06-01 = 730, + 153 + 20 = 903;  2025-06-30 → 2026-06-30 = 365, + 144 = 509;
#   2024-09-01 → 2026-09-01 = 730, + 81 = 811;  2025-12-15 → 2026-11-15 = 335, + 6 = 341;
#   2024-03-01 → 2026-03-01 = 730, + 245 + 20 = 995;  2023-08-01 → 2026-08-01 = 1096, + 92 + 20 = 1208.
# Fees: 20% × 土地价款 (万元) × 10 000 元/万元.
CASES = {
    # U1 exactly 1 year: idle, fee 0.2 × 1751.31 万元
    "PY-2025-006": unstarted("PY01", "2025-11-21", 1751.31, "idle_fee", 365, 3_502_620.0),
    # U2 one day short of 1 year
    "PY-2025-017": unstarted("PY02", "2025-11-22", 928.23, "not_idle", 364),
    # U3 1 year and a day: fee 0.2 × 1155.77 万元
    "PY-2025-023": unstarted("PY03", "2025-11-20", 1155.77, "idle_fee", 366, 2_311_540.0),
    # U4 exactly 2 years: reclaim
    "PY-2024-009": unstarted("PY04", "2024-11-21", 3012.56, "reclaim", 730),
    # U5 one day short of 2 years: fee 0.2 × 975.51 万元, not reclaimed
    "PY-2024-006": unstarted("PY01", "2024-11-22", 975.51, "idle_fee", 729, 1_951_020.0),
    # U6 2 years and a day
    "PY-2024-018": unstarted("PY02", "2024-11-20", 788.74, "reclaim", 731),
    # U7 over 4 years (the land-cover raster shows it built: an R5 evidence matter, not R4's)
    "PY-2022-004": unstarted("PY03", "2022-06-30", 802.17, "reclaim", 1605),
    # U8 less than a year
    "PY-2025-030": unstarted("PY04", "2026-05-18", 1565.69, "not_idle", 187),
    # U9 agreed start after as_of: the clock has not started
    "PY-2026-004": unstarted("PY01", "2027-03-01", 1761.43, "not_idle", 0),
    # G1–G3: would be reclaimed (≥ 2 years) but the cause is a government act / force majeure
    "PY-2022-023": unstarted("PY02", "2023-04-01", 961.01, "government_cause", 1330, cause=GOV1),
    "PY-2023-014": unstarted("PY03", "2024-02-15", 1044.63, "government_cause", 1010, cause=GOV2),
    "PY-2021-005": unstarted("PY01", "2021-09-01", 912.13, "government_cause", 1907, cause=FORCE),
    # TBD '待定': no date, cannot decide (asserted on the raw cell below)
    "PY-2025-033": unstarted("PY04", None, 917.75, "cannot_decide", None),
    # X1 ≥ 1 < 2 years: fee 0.2 × 2105.24 万元; X2 ≥ 2 years (both built on the raster: R5 evidence)
    "PY-2024-016": unstarted("PY01", "2025-03-10", 2105.24, "idle_fee", 621, 4_210_480.0),
    "PY-2023-028": unstarted("PY02", "2024-06-01", 972.15, "reclaim", 903),
    # K1 developed 20% < 1/3; K2 invested 18% < 25%; K3 stopped exactly 1 year, both short
    "PY-2022-016": stopped("PY01", "2023-03-01 2023-04-10 2025-06-30", 0.2, 0.3, 1879.7, "stalled", 509),
    "PY-2021-017": stopped("PY02", "2022-05-01 2022-06-15 2024-09-01", 0.4, 0.18, 843.06, "stalled", 811),
    "PY-2023-006": stopped("PY03", "2023-08-01 2023-09-01 2025-11-21", 0.3, 0.2, 1975.62, "stalled", 365),
    # K4 stopped less than a year (idle only from 2026-12-15)
    "PY-2023-022": stopped("PY04", "2024-04-01 2024-05-01 2025-12-15", 0.3, 0.2, 2047.31, "not_idle", 341),
    # K5 developed 50% ≥ 1/3 and invested exactly 25% (not below); K6 34% ≥ 33.3…% and 26%
    "PY-2021-006": stopped("PY01", "2022-03-01 2022-03-20 2024-03-01", 0.5, 0.25, 2028, "not_idle", 995),
    "PY-2020-032": stopped("PY03", "2021-07-01 2021-08-01 2023-08-01", 0.34, 0.26, 1852.51, "not_idle", 1208),
}
NO_ROW = "PY-2010-010"                       # a parcel without a row
UNJOINED = ("PY-2016-088", "PY-2021-0O7")    # rows without a parcel (the second has letter O for zero)
TBD = "PY-2025-033"


def _iso(s: str | None) -> dt.date | None:
    return None if s is None else dt.date.fromisoformat(s)


def _cell_date(v) -> dt.date | None:
    """A date cell in any of the sample's forms, read without devzone's parser."""
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    m = re.fullmatch(r"(\d{4})[年./-](\d{1,2})[月./-](\d{1,2})日?", str(v).strip())
    assert m, f"not a date: {v!r}"
    return dt.date(*map(int, m.groups()))


def _rule_of_thumb(agreed, actual, stop, dev, inv, cause) -> str:
    """Art. 2/8/14 on plain dates (dateutil for the calendar years), for the hand table and other rows."""
    idle = None
    if actual is None or actual > AS_OF:
        if agreed is None:
            return "cannot_decide"
        if agreed + relativedelta(years=1) <= AS_OF:
            idle = "reclaim" if agreed + relativedelta(years=2) <= AS_OF else "idle_fee"
    elif stop is not None and stop + relativedelta(years=1) <= AS_OF and (dev < 1 / 3 or inv < 0.25):
        idle = "stalled"
    if idle and cause and ("政府" in cause or "不可抗力" in cause):
        return "government_cause"
    return idle or "not_idle"


def test_hand_table_is_consistent():
    for pid, c in CASES.items():
        clock = _iso(c.stop) or _iso(c.agreed)
        days = None if clock is None else max(0, (AS_OF - clock).days)
        assert days == c.days, pid
        status = _rule_of_thumb(_iso(c.agreed), _iso(c.actual), _iso(c.stop), c.dev, c.inv, c.cause)
        assert status == c.status, pid
        fee = round(0.2 * c.price_wan * 10_000, 2) if c.status == "idle_fee" else None
        assert fee == c.fee_yuan, pid


@pytest.fixture(scope="module")
def cells():
    ws = openpyxl.load_workbook(SAMPLE / "supply_records.xlsx", read_only=True)["供地台账"]
    it = ws.iter_rows(values_only=True)
    header = list(next(it))
    return {r[0]: dict(zip(header, r, strict=True)) for r in it if r[0] is not None}


@pytest.fixture(scope="module")
def sample():
    proj = load_project(SAMPLE / "project.toml")
    qa = QALog()
    zones, acrs = load_zones(proj.layers["zones"], crs=proj.crs, qa=qa)
    profile = load_profile(proj.profile)
    idle = run_idle(proj.layers["supply"], profile=profile, qa=qa, as_of=proj.as_of, zones=zones,
                    analysis_crs=acrs)
    return proj, qa, zones, acrs, profile, idle


def test_cells_hold_the_hand_worked_values(cells):
    assert len(cells) == 209 and NO_ROW not in cells and all(u in cells for u in UNJOINED)
    for pid, c in CASES.items():
        r = cells[pid]
        if pid == TBD:
            assert r["约定开工日期"] == "待定"
        else:
            assert _cell_date(r["约定开工日期"]) == _iso(c.agreed), pid
        assert _cell_date(r["实际开工日期"]) == _iso(c.actual), pid
        assert _cell_date(r["停工日期"]) == _iso(c.stop), pid
        assert (float(r["已开发面积比例"]), float(r["已投资比例"])) == (c.dev, c.inv), pid
        assert float(r["土地价款（万元）"]) == c.price_wan, pid
        assert r["闲置原因"] == c.cause, pid


def test_sample_verdicts_equal_the_hand_worked_ones(sample):
    proj, *_, idle = sample
    assert proj.as_of == AS_OF
    p = idle.parcels.set_index("parcel_id")
    for pid, c in CASES.items():
        row = p.loc[pid]
        days = None if pd.isna(row["days_overdue"]) else int(row["days_overdue"])
        fee = None if pd.isna(row["fee_yuan"]) else float(row["fee_yuan"])
        assert (row["zone_id"], row["status"], days) == (c.zone, c.status, c.days), pid
        assert fee == (None if c.fee_yuan is None else pytest.approx(c.fee_yuan, abs=0.005)), pid
    # The boundary days themselves: idle from / reclaim from the same calendar day.
    assert p.loc["PY-2025-006", "idle_from"] == "2026-11-21"
    assert p.loc["PY-2024-009", "reclaim_from"] == "2026-11-21"
    assert p.loc["PY-2024-006", "reclaim_from"] == "2026-11-22"
    assert p.loc[TBD, "missing"] == "agreed_start"


def test_every_other_row_is_not_idle(sample, cells):
    """The README says every row not listed is not idle; the cells say so too, and so does devzone."""
    *_, idle = sample
    p = idle.parcels.set_index("parcel_id")
    others = [pid for pid in cells if pid not in CASES]
    assert len(others) == 209 - len(CASES)
    for pid in others:
        r = cells[pid]
        hand = _rule_of_thumb(_cell_date(r["约定开工日期"]), _cell_date(r["实际开工日期"]),
                              _cell_date(r["停工日期"]), float(r["已开发面积比例"]), float(r["已投资比例"]),
                              r["闲置原因"])
        assert (hand, p.loc[pid, "status"]) == ("not_idle", "not_idle"), pid
    # The parcel without a row cannot be decided; the two rows without a parcel are judged, unmapped.
    assert (p.loc[NO_ROW, "status"], p.loc[NO_ROW, "missing"]) == ("cannot_decide", "agreed_start")
    assert p.loc[list(UNJOINED), "geometry"].isna().all()
    assert sorted(p.index) == sorted([*cells, NO_ROW])


def test_sample_join_qa(sample):
    _proj, qa, *_ = sample
    q = qa.to_frame()
    unjoined = q[q["check"] == "supply_unjoined"]["message"].tolist()
    ids = sorted(m.split(": parcel ")[1].split(" ")[0] for m in unjoined)
    assert ids == sorted(UNJOINED)
    assert q.loc[q["check"] == "supply_no_record", "feature"].tolist() == [NO_ROW]
    bad = q[q["check"] == "supply_parse"]
    assert len(bad) == 1 and bad.iloc[0]["field"] == "约定开工日期" and "'待定'" in bad.iloc[0]["message"]
    undecided = q[q["check"] == "idle_cannot_decide"]
    assert sorted(undecided["feature"]) == sorted([NO_ROW, TBD])
    # project.toml maps the full schema names (total_investment_yuan, land_price_yuan): no unit-suffix fallback
    # ("mapping key 'land_price' read as 'land_price_yuan'") row; the amounts are still read (next test).
    fallback = q[(q["check"] == "supply_field") & q["message"].str.contains("mapping key", regex=False)]
    assert fallback.empty, fallback["message"].tolist()
    assert not q["field"].isin(["total_investment", "land_price"]).any()
    mapped = tomllib.loads((SAMPLE / "project.toml").read_text(encoding="utf-8"))["layers"]["supply"]["table"]
    assert set(mapped["fields"]) >= PROJECT_FIELDS


def test_sample_amounts_are_read_in_wan_yuan(sample, cells):
    *_, idle = sample
    s = idle.supply
    for pid in CASES:
        assert s.loc[pid, "land_price_yuan"] == pytest.approx(cells[pid]["土地价款（万元）"] * 10_000)
        assert s.loc[pid, "total_investment_yuan"] == pytest.approx(cells[pid]["总投资（万元）"] * 10_000)


def test_sample_unsupplied_matches_an_independent_overlay(sample):
    proj, qa, zones, acrs, profile, idle = sample
    run = run_unsupplied(zones, idle, approved=proj.layers["approved"], planned=None, analysis_crs=acrs,
                         profile=profile, qa=qa, as_of=proj.as_of)
    gpkg = SAMPLE / "puyang_sample.gpkg"
    appr = shapely.union_all(gpd.read_file(gpkg, layer="approved").geometry.make_valid().to_numpy())
    sup = shapely.union_all(gpd.read_file(gpkg, layer="supply_parcels").geometry.make_valid().to_numpy())
    unsup = appr.difference(sup)
    # The README's totals (whole layers, in and out of zones): 1,191.81 ha approved, 157.08 ha 批而未供.
    assert (round(appr.area / 1e4, 2), round(unsup.area / 1e4, 2)) == (1191.81, 157.08)
    assert {z.zone_id for z in run.result.zones} == {"PY01", "PY02", "PY03", "PY04"}
    parts = run.result.unsupplied
    q = qa.to_frame()
    slivers = q[q["check"] == "unsupplied_sliver"]
    assert (parts["area_m2"] >= float(profile.rule("R4.rates")["sliver_m2"])).all()
    for z in run.result.zones:
        zone = zones.loc[z.zone_id].geometry
        # Union first, then intersect (a different route from the kernel's per-piece resolution).
        assert z.approved_area_m2 == pytest.approx(appr.intersection(zone).area, abs=0.01)
        assert z.unsupplied_area_m2 == pytest.approx(unsup.intersection(zone).area, abs=0.01)
        assert z.supplied_area_m2 == pytest.approx(sup.intersection(zone).area, abs=0.01)
        # The listed parts plus the slivers below sliver_m2 (counted, not listed: QA rows) make the total.
        listed = parts.loc[parts["zone_id"] == z.zone_id, "area_m2"].sum()
        small = slivers.loc[slivers["zone"] == z.zone_id, "area_m2"].sum()
        assert listed + small == pytest.approx(z.unsupplied_area_m2, abs=0.01)
    outside = unsup.difference(shapely.union_all(zones.geometry.to_numpy())).area
    inside = sum(z.unsupplied_area_m2 for z in run.result.zones)
    assert inside + outside == pytest.approx(unsup.area, abs=0.01)
