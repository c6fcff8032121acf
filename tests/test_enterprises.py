"""Enterprises: table mapping, A/B/C classes worked by hand, zone assignment, 亩均税收 per zone."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from analysis.enterprise_table import enterprise_records
from analysis.enterprises import (
    EnterpriseRule,
    _take,
    assign_zones,
    classify_enterprises,
    directory,
    zone_tax_per_mu,
)
from geo.errors import SchemaError
from geo.profile import load_profile
from geo.qa import QALog
from geo.units import M2_PER_MU
from geo.zones import prepare_zones
from tests.conftest import CRS, b, zones_gdf

RULE = EnterpriseRule.from_profile(load_profile("henan"))
TAX_PER_MU = [30, 28, 26, 24, 22, 20, 18, 16, 14, 12]  # 万元/亩, E1 … E10, 10 亩 each
RD = [0.05, 0.01, 0.03, 0.03, 0.02, 0.04, 0.03, 0.02, 0.01, 0.03]  # R&D ÷ revenue; median 0.03


def _table() -> pd.DataFrame:
    """The enterprise table as a user would hand it in: Chinese headers, 万元 and 亩."""
    rows = []
    for i, (t, rd) in enumerate(zip(TAX_PER_MU, RD, strict=True), start=1):
        rows.append(
            {
                "统一社会信用代码": f"E{i}",
                "企业名称": f"企业{i}",
                "开发区编号": "Z1" if i <= 5 else "Z2",
                "用地面积": 10,
                "实缴税金": t * 10,
                "营业收入": 10_000,
                "研发经费": rd * 10_000,
                "工业总产值": 10_000,
                "综合能耗": 1000 if i == 8 else 100,
                "排放当量": 1000 if i == 8 else 10,
                "规模以上": "是",
            }
        )
    rows.append(
        {
            "统一社会信用代码": "E11",
            "企业名称": "小微",
            "开发区编号": "Z2",
            "用地面积": 3,
            "实缴税金": 3,
            "规模以上": "否",
        }
    )
    rows.append(
        {"统一社会信用代码": "E12", "企业名称": "无地", "开发区编号": "Z3", "实缴税金": 50, "规模以上": "是"}
    )
    rows.append({"统一社会信用代码": "E13", "企业名称": "未知", "开发区编号": "Z3", "实缴税金": "n.a."})
    return pd.DataFrame(rows)


def _records(qa=None):
    return enterprise_records(_table(), amount_unit="万元", area_unit="亩", qa=qa or QALog())


def test_table_mapping_units_and_bad_cells():
    qa = QALog()
    r = _records(qa)
    assert r.loc[0, "tax_yuan"] == pytest.approx(300 * 10_000)  # 300 万元
    assert r.loc[0, "land_area_m2"] == pytest.approx(10 * M2_PER_MU)
    assert r.loc[0, "above_designated_size"] is True and r.loc[10, "above_designated_size"] is False
    assert pd.isna(r.loc[12, "tax_yuan"]) and qa.count("enterprise_parse") == 1
    with pytest.raises(SchemaError, match=r"tax_yuan \('实缴税金'\) has no unit"):
        enterprise_records(_table(), qa=QALog())
    with pytest.raises(SchemaError, match="no such column"):
        enterprise_records(_table(), fields={"tax_yuan": "税额"}, amount_unit="元", qa=QALog())


def test_classes_by_hand():
    c = classify_enterprises(_records(), rule=RULE, as_of=dt.date(2026, 11, 21)).set_index("enterprise_id")
    assert c["tax_per_mu_wan"].tolist()[:10] == pytest.approx(TAX_PER_MU)
    assert c.loc["E1", "n_ranked"] == 10
    # A: ceil(15% × 10) = 2 top enterprises (E1, E2); only E1's R&D 5% ≥ median 3%
    assert c.loc["E1", "class"] == "A"
    assert c.loc["E2", "class"] == "B" and "below the median" in c.loc["E2", "reason"]
    # C: lower half = tax per 亩 ≤ median 21 → E6 … E10; ceil(10% × 10) = 1 lowest composite:
    # E8 (worst in both)
    assert c.loc["E8", "class"] == "C"
    assert c.loc["E8", "composite_score"] == pytest.approx(0.0)
    assert (c.loc[["E3", "E4", "E5", "E6", "E7", "E9", "E10"], "class"] == "B").all()
    assert c.loc["E11", "class"] == "out_of_scope"  # below size and 3 亩 < 5 亩
    assert c.loc["E12", "class"] == "cannot_decide" and "land area" in c.loc["E12", "reason"]
    assert c.loc["E13", "class"] == "cannot_decide" and "size class" in c.loc["E13", "reason"]
    assert c.loc["E1", "rank_tax_per_mu"] == 1 and c.loc["E10", "rank_tax_per_mu"] == 10


def test_top_share_includes_ties_and_unknown_rd_cannot_decide():
    recs = _records()
    recs.loc[recs["enterprise_id"] == "E3", "tax_yuan"] = 280 * 10_000  # ties E2 at 28 万元/亩
    recs.loc[recs["enterprise_id"] == "E1", "rd_yuan"] = None
    c = classify_enterprises(recs, rule=RULE).set_index("enterprise_id")
    assert c.loc["E1", "class"] == "cannot_decide" and "R&D" in c.loc["E1", "reason"]
    assert "top 15%" in c.loc["E3", "reason"]  # tied with the second: taken too
    s = pd.Series([5.0, 4.0, 4.0, 1.0], index=list("abcd"))
    assert list(_take(s, 2, largest=True)) == ["a", "b", "c"]
    assert list(_take(s, 1, largest=False)) == ["d"]


def test_zone_tax_per_mu_and_directory():
    qa = QALog()
    zones = prepare_zones(
        zones_gdf(("Z1", b(0, 0, 100, 100)), ("Z2", b(200, 0, 300, 100)), ("Z3", b(400, 0, 500, 100))), qa=qa
    )
    recs = _records()
    c = classify_enterprises(recs, rule=RULE)
    z = zone_tax_per_mu(c, zones, rule=RULE).set_index("zone_id")
    # Z1: (30+28+26+24+22)·10 万元 over 50 亩 = 26; Z2: ((20+18+16+14+12)·10 + 3) over 53 亩
    assert z.loc["Z1", "tax_per_mu_wan"] == pytest.approx(26.0) and z.loc["Z1", "passes"]
    assert z.loc["Z2", "tax_per_mu_wan"] == pytest.approx(803 / 53)
    assert z.loc["Z3", "verdict"] == "cannot decide"
    assert z.loc["Z1", "target_wan_per_mu"] == 15.0
    d = directory(c, zones)
    assert d.loc[0, "enterprise_id"] == "E1" and d.loc[0, "class"] == "A"
    assert set(d["zone_id"]) == {"Z1", "Z2", "Z3"}


def test_assign_zones_by_parcel_and_location():
    qa = QALog()
    zones = prepare_zones(zones_gdf(("Z1", b(0, 0, 100, 100)), ("Z2", b(200, 0, 300, 100))), qa=qa)
    ents = gpd.GeoDataFrame(
        {
            "enterprise_id": ["a", "b", "c", "d"],
            "zone_id": [None, None, "ZX", None],
            "parcel_id": ["P9", None, None, None],
        },
        geometry=[None, b(210, 10, 220, 20).centroid, None, Point(0, 0)],
        crs=CRS,
    )
    parcels = pd.DataFrame({"parcel_id": ["P9"], "zone_id": ["Z1"]})
    z = assign_zones(ents, zones, parcels=parcels, qa=qa)
    assert z.tolist() == ["Z1", "Z2", "ZX", None]
    assert qa.count("enterprise_zone") == 2  # unknown zone ZX; d lies nowhere


def test_units_in_headers():
    # the form of the bundled sample: units in the headers, no mapping, no declared unit
    t = pd.DataFrame(
        {
            "企业名称": ["甲", "乙"],
            "所在开发区": ["Z1", "Z1"],
            "用地面积（亩）": [12.0, 3.0],
            "税收（万元）": [240.0, 9.0],
            "营业收入（万元）": [5000.0, 100.0],
            "规上企业": ["是", "否"],
        }
    )
    r = enterprise_records(t, qa=QALog())
    assert r["tax_yuan"].tolist() == [pytest.approx(2_400_000.0), pytest.approx(90_000.0)]
    assert r["land_area_m2"].tolist() == [pytest.approx(12 * M2_PER_MU), pytest.approx(3 * M2_PER_MU)]
    assert r["zone_id"].tolist() == ["Z1", "Z1"]
    c = classify_enterprises(r, rule=RULE).set_index("name")
    assert c.loc["甲", "tax_per_mu_wan"] == pytest.approx(20.0) and c.loc["乙", "class"] == "out_of_scope"
    with pytest.raises(SchemaError, match="says 万元"):
        enterprise_records(t, amount_unit="元", qa=QALog())
