"""Siting new projects on idle and 批而未供 land: a crafted ranking and the combination method."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from analysis.siting import JSON_KEYS, SitingRule, candidates, industry_codes, rank_sites
from geo.codes import code_table
from geo.landuse import measure_landuse
from geo.profile import load_profile
from geo.qa import QALog
from geo.units import M2_PER_MU

E, N = 38_500_000.0, 3_950_000.0
RULE = SitingRule.from_profile(load_profile("henan"))
AS_OF = dt.date(2026, 11, 21)


def b(x0, y0, x1, y1):
    return box(E + x0, N + y0, E + x1, N + y1)


def _cands():
    idle = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2", "P3", "P4", "P5"],
         "status": ["reclaim", "idle_fee", "stalled", "reclaim", "not_idle"],
         "zone_id": ["Z1", "Z1", "Z2", "Z1", "Z1"]},
        geometry=[b(0, 200, 300, 300), b(0, 400, 400, 500), b(2000, 0, 2250, 200), b(500, 0, 800, 200),
                  b(0, 700, 500, 900)], crs=4526)
    unsup = gpd.GeoDataFrame({"unsupplied_id": ["U-Z1-1"], "zone_id": ["Z1"]}, geometry=[b(0, 0, 200, 100)],
                             crs=4526)
    return candidates(idle, unsup, rule=RULE)


def _planned(cands):
    lu = gpd.GeoDataFrame({"GHDLBM": ["1001", "0103"]}, geometry=[b(0, 0, 1000, 600), b(2000, 0, 3000, 1000)],
                          crs=4526)
    return measure_landuse(cands, lu, table=code_table("ydyh"), qa=QALog(), keep_pieces=False)


def test_candidates_take_the_listed_statuses():
    c = _cands()
    assert sorted(c.index) == ["P1", "P2", "P3", "P4", "U-Z1-1"]  # P5 (not idle) is not land on offer
    assert c.loc["U-Z1-1", "kind"] == "unsupplied"
    assert c.loc["P4", "area_m2"] == pytest.approx(60_000.0)


def test_ranking_on_a_crafted_case():
    c = _cands()
    farmland = gpd.GeoDataFrame(geometry=[b(700, 0, 800, 200)], crs=4526)  # 20 000 m² of P4
    redline = gpd.GeoDataFrame(geometry=[b(5000, 5000, 5100, 5100)], crs=4526)
    zones = pd.Series({"Z1": "石油化工、精细化工", "Z2": "食品加工"})
    options, sites = rank_sites(c, need_m2=25 * M2_PER_MU, industry_code="26", zone_industries=zones,
                                planned=_planned(c), farmland=farmland, redline=redline, rule=RULE,
                                qa=QALog(), as_of=AS_OF)
    # Every single candidate covers 25 亩 = 16 666.67 m². Z1's are planned industrial, clear and match 26;
    # among them 批而未供 (U) first, then reclaim (P1), then idle_fee (P2). P3 lies in Z2 (food, planned
    # farmland), P4 overlaps farmland by 20 000 m²: last.
    assert [o.option_id for o in options] == ["U-Z1-1", "P1", "P2", "P3", "P4"]
    u = options[0]
    assert u.waste_m2 == pytest.approx(20_000 - 25 * M2_PER_MU)
    assert (u.industry_match, u.planned_industrial, u.constraint_free) == (True, True, True)
    p3, p4 = options[3], options[4]
    assert (p3.industry_match, p3.planned_industrial_share) == (False, 0.0)
    assert p4.farmland_overlap_m2 == pytest.approx(20_000.0)
    assert p4.constraint_free is False
    assert "overlaps 永久基本农田 by 20,000.00 m²" in p4.reasons
    assert list(u.to_json()) == list(JSON_KEYS)
    assert list(sites["option_id"]) == [o.option_id for o in options]


def test_without_layers_the_checks_say_so():
    c = _cands()
    options, _ = rank_sites(c, need_m2=1000.0, industry_code="13", rule=RULE, qa=QALog(), as_of=AS_OF)
    o = options[0]
    assert (o.industry_match, o.planned_industrial, o.constraint_free) == (None, None, None)
    assert "not checked (no layer)" in o.reasons and "leading industry unknown" in o.reasons
    # Ties on every check: availability decides (批而未供, reclaim, reclaim, stalled, idle_fee), then waste.
    assert [o.option_id for o in options] == ["U-Z1-1", "P1", "P4", "P3", "P2"]


def _row():
    # A | B | C in a row (adjacent), D apart; areas 10 000, 10 000, 20 000, 10 000 m².
    idle = gpd.GeoDataFrame({"parcel_id": list("ABCD"), "status": ["reclaim"] * 4, "zone_id": ["Z1"] * 4},
                            geometry=[b(0, 0, 100, 100), b(100, 0, 200, 100), b(200, 0, 400, 100),
                                      b(600, 0, 700, 100)], crs=4526)
    return candidates(idle, None, rule=RULE)


@pytest.mark.parametrize(("need", "combos"), [
    (25_000.0, [("B", "C")]),        # B+C = 30 000; A+B = 20 000 too small; A+B+C not minimal
    (35_000.0, [("A", "B", "C")]),   # only all three (40 000) cover it
    (45_000.0, []),                  # D is not adjacent: nothing covers 45 000
])
def test_combinations_are_minimal_connected_sets(need, combos):
    options, _ = rank_sites(_row(), need_m2=need, industry_code="26", rule=RULE, qa=QALog(), as_of=AS_OF)
    found = [o.parcels for o in options if len(o.parcels) > 1]
    assert found == combos
    if combos:
        assert options[0].parcels == combos[0] and options[0].fits
        assert options[0].area_m2 == pytest.approx(sum({"A": 1e4, "B": 1e4, "C": 2e4}[p] for p in combos[0]))


def test_industry_codes():
    assert industry_codes("羽绒及服装加工、食品加工", RULE) == ("13", "14", "18", "19")
    assert industry_codes("商贸物流", RULE) is None


def test_site_project_cli(tmp_path):
    import json

    import pyogrio
    from click.testing import CliRunner

    from analysis.cli import cli
    from analysis.commands import site_project as _cmd  # noqa: F401  registers the subcommand

    g = tmp_path / "d.gpkg"
    layers = {
        "zones": ({"ZONE_ID": ["Z1"], "LEAD": ["精细化工"]}, [b(0, 0, 1000, 1000)]),
        "supply": ({"ZDBH": ["S1", "S2", "S3"], "agreed_start": ["2025-01-10", "2022-09-01", "2020-06-01"],
                    "actual_start": [None, "2022-10-01", None], "land_price_yuan": [5e6, 1e6, 8e5]},
                   [b(0, 0, 300, 500), b(300, 0, 600, 200), b(700, 0, 900, 300)]),
        "approved": ({"PZWH": ["a", "b"]}, [b(0, 0, 600, 500), b(800, 800, 1200, 1000)]),
        "ghyt": ({"GHDLBM": ["1001", "0103"]}, [b(0, 0, 1000, 600), b(0, 600, 1000, 1000)]),
        "yjjbnt": ({"BH": ["F1"]}, [b(800, 800, 1000, 1000)]),
        "stbhhx": ({"BH": ["R1"]}, [b(5000, 5000, 5100, 5100)]),
    }
    for name, (attrs, geoms) in layers.items():
        pyogrio.write_dataframe(gpd.GeoDataFrame(attrs, geometry=geoms, crs=4526), g, layer=name)
    roles = {"zones": "zones", "supply": "supply", "approved": "approved", "planned": "ghyt",
             "farmland": "yjjbnt", "redline": "stbhhx"}
    text = '[project]\nname = "t"\nas_of = "2026-11-21"\n' + "".join(
        f'[layers.{r}]\npath = "d.gpkg"\nlayer = "{lay}"\n' + ('id_field = "ZDBH"\n' if r == "supply" else "")
        for r, lay in roles.items())
    (tmp_path / "project.toml").write_text(text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["site-project", str(tmp_path / "project.toml"), "--need-mu", "50",
                                 "--industry", "26", "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert all(list(row) == list(JSON_KEYS) for row in rows)
    # 批而未供 U-Z1-1 = A1 − S1 − S2 = 300 × 300 = 90 000 m² (planned industrial, clear, 化工 ∋ 26) first;
    # then reclaim S3, idle_fee S1; U-Z1-2 (40 000 m², all on 永久基本农田) last.
    assert [row["option_id"] for row in rows] == ["U-Z1-1", "S3", "S1", "U-Z1-2"]
    assert rows[0]["area_m2"] == pytest.approx(90_000.0)
    assert rows[0]["waste_m2"] == pytest.approx(90_000.0 - 50 * M2_PER_MU)
    assert rows[-1]["constraint_free"] is False
    r = CliRunner().invoke(cli, ["site-project", str(tmp_path / "project.toml"), "--industry", "26"])
    assert r.exit_code == 2  # the need is required
