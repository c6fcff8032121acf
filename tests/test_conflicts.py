"""R3: real estate inside zones and industrial → commercial/housing conversions, worked by hand on boxes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import analysis.commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from boundaries.conflicts import ConflictRule, ConversionRule, find_conflicting_uses, find_conversions
from geo.codes import code_table
from geo.landuse import measure_landuse
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones
from tests.conftest import b, landuse_gdf, zones_gdf

PROFILE = load_profile("henan")
RULE = ConflictRule.from_profile(PROFILE)
CONV = ConversionRule.from_profile(PROFILE)
DAY = dt.date(2026, 11, 21)

# Zone 100 x 100. Current survey: industry x 0..50 (5000), city housing x 50..80 reaching 20 m beyond the
# north edge (inside 30 x 100 = 3000), shops x 80..100 / y 0..50 (1000), village homesteads x 80..100 /
# y 50..100 (1000), and housing wholly outside.
CURRENT = (
    ("0601", b(0, 0, 50, 100)),
    ("0701", b(50, 0, 80, 120)),
    ("05H1", b(80, 0, 100, 50)),
    ("0702", b(80, 50, 100, 100)),
    ("0701", b(100, 0, 200, 100)),
)
# Earlier survey: industry x 0..70, storage under the shops, farmland elsewhere.
PREVIOUS = (
    ("0601", b(0, 0, 70, 100)),
    ("0101", b(70, 0, 80, 100)),
    ("0508", b(80, 0, 100, 50)),
    ("0101", b(80, 50, 100, 100)),
)


def _measure(items, zones):
    return measure_landuse(zones, landuse_gdf(*items), table=code_table("sandiao"), qa=QALog())


def _zones():
    return prepare_zones(zones_gdf(("Z", b(0, 0, 100, 100))), qa=QALog())


def test_residential_and_commercial_by_parcel():
    z = _zones()
    res = find_conflicting_uses(z, _measure(CURRENT, z), rule=RULE, data="dltb_2023", data_date="2023-12-31", as_of=DAY)
    rows = {r.parcel: r for r in res.itertuples()}
    assert set(rows) == {"1", "2", "3"}  # feature ids; the parcel outside the zone is not listed
    assert (rows["1"].code, rows["1"].kind, rows["1"].area_m2, rows["1"].finding) == (
        "0701",
        "residential",
        pytest.approx(3000.0),
        True,
    )
    assert (rows["2"].code, rows["2"].kind, rows["2"].area_m2, rows["2"].finding) == (
        "05H1",
        "commercial",
        pytest.approx(1000.0),
        True,
    )
    assert (rows["3"].kind, rows["3"].finding) == ("village", False)  # 农村宅基地: listed, not real estate
    assert rows["1"].area_mu == pytest.approx(4.5)  # 3000 m² × 15 / 10 000
    assert rows["1"].share_of_zone == pytest.approx(0.3)
    assert set(res["rule_id"]) == {"R3"} and set(res["data_date"]) == {"2023-12-31"}
    assert res.loc[res["parcel"] == "1"].geometry.iloc[0].symmetric_difference(b(50, 0, 80, 100)).area == pytest.approx(
        0.0, abs=1e-6
    )


def test_parcel_numbers_from_an_id_field():
    z = _zones()
    lu = landuse_gdf(*CURRENT)
    lu["BSM"] = [f"4109{i:04d}" for i in range(len(lu))]
    areas = measure_landuse(z, lu, table=code_table("sandiao"), qa=QALog())
    res = find_conflicting_uses(z, areas, rule=RULE, landuse=lu, id_field="BSM")
    assert sorted(res["parcel"]) == ["41090001", "41090002", "41090003"]


def test_conversion_between_vintages():
    z = _zones()
    res = find_conversions(
        z,
        _measure(CURRENT, z),
        _measure(PREVIOUS, z),
        rule=CONV,
        data=("dltb_2020", "dltb_2023"),
        data_date=("2020-12-31", "2023-12-31"),
        as_of=DAY,
    )
    got = {(r.code_previous, r.code_current): r for r in res.itertuples()}
    # 工业 x 0..70 ∩ 住宅 x 50..80 = x 50..70: 20 x 100 = 2000 m²; 仓储 under the shops: 20 x 50 = 1000 m²;
    # the village homesteads were farmland, not industry: no row.
    assert set(got) == {("0601", "0701"), ("0508", "05H1")}
    assert got[("0601", "0701")].area_m2 == pytest.approx(2000.0)
    assert got[("0508", "05H1")].area_m2 == pytest.approx(1000.0)
    assert got[("0601", "0701")].parcel_previous == "0" and got[("0601", "0701")].parcel_current == "1"
    assert got[("0601", "0701")].change == "工业用地 → 城镇住宅用地"
    assert all(res["finding"]) and set(res["rule_id"]) == {"R3.conversion"}
    geom = res.loc[res["code_current"] == "0701"].geometry.iloc[0]
    assert geom.symmetric_difference(b(50, 0, 70, 100)).area == pytest.approx(0.0, abs=1e-6)


def test_conversion_sliver_is_listed_not_a_finding():
    z = _zones()
    # the later survey redrew the boundary 5 mm into the old factory: 0.005 x 100 = 0.5 m² ≤ 1 m²
    res = find_conversions(
        z,
        _measure((("0601", b(0, 0, 49.995, 100)), ("0701", b(49.995, 0, 100, 100))), z),
        _measure((("0601", b(0, 0, 50, 100)), ("0701", b(50, 0, 100, 100))), z),
        rule=CONV,
    )
    assert len(res) == 1
    assert res["area_m2"].iloc[0] == pytest.approx(0.5, rel=1e-4)
    assert not res["finding"].iloc[0]


def test_cli_conflicts_json(tmp_path):
    p = tmp_path / "l.gpkg"
    zones_gdf(("Z", b(0, 0, 100, 100))).to_file(p, layer="zones")
    landuse_gdf(*CURRENT).to_file(p, layer="dltb_2023")
    landuse_gdf(*PREVIOUS).to_file(p, layer="dltb_2020")
    r = CliRunner().invoke(
        cli,
        [
            "conflicts",
            str(p),
            str(p),
            "--zones-layer",
            "zones",
            "--landuse-layer",
            "dltb_2023",
            "--previous",
            str(p),
            "--previous-layer",
            "dltb_2020",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    docs = [json.loads(x) for x in r.stdout.splitlines()]
    assert [d["zone_id"] for d in docs] == ["Z"]
    d = docs[0]
    assert d["residential_m2"] == pytest.approx(3000.0) and d["commercial_m2"] == pytest.approx(1000.0)
    assert d["village_m2"] == pytest.approx(1000.0)
    assert d["converted_m2"] == pytest.approx(3000.0)
    assert d["rule_ids"] == ["R3", "R3.conversion"]
