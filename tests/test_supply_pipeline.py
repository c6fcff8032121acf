"""The idle and 批而未供 jobs through a project file, and ``devzone idle`` through the CLI."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely import box

from analysis.cli import cli
from analysis.commands import idle as _idle_cmd  # noqa: F401  registers the subcommand
from analysis.pipeline import run_project

E, N = 38_500_000.0, 3_950_000.0


def b(x0, y0, x1, y1):
    return box(E + x0, N + y0, E + x1, N + y1)


@pytest.fixture
def project(tmp_path):
    gpkg = tmp_path / "d.gpkg"
    gpd.GeoDataFrame({"ZONE_ID": ["Z1"], "ZONE_NAME": ["一区"]}, geometry=[b(0, 0, 1000, 1000)],
                     crs=4526).to_file(gpkg, layer="zones")
    gpd.GeoDataFrame({"ZDBH": ["S1", "S2", "S3"]},
                     geometry=[b(0, 0, 300, 500), b(300, 0, 600, 200), b(700, 0, 900, 300)],
                     crs=4526).to_file(gpkg, layer="supply_parcels")
    gpd.GeoDataFrame({"PZWH": ["a", "b"]}, geometry=[b(0, 0, 600, 500), b(800, 800, 1200, 1000)],
                     crs=4526).to_file(gpkg, layer="approved")
    gpd.GeoDataFrame({"GHDLBM": ["1001", "0103"]}, geometry=[b(0, 0, 1000, 600), b(0, 600, 1000, 1000)],
                     crs=4526).to_file(gpkg, layer="ghyt")
    pd.DataFrame({
        "宗地编号": ["S1", "S2", "S3"],
        "合同签订日期": ["2024-05-01", "2022年6月1日", "2020.01.01"],
        "约定开工日期": ["2025-01-10", "2022.09.01", "2020/6/1"],
        "实际开工日期": [None, "2022-10-01", None],
        "成交价款": [500, 100, 80],
    }).to_excel(tmp_path / "records.xlsx", sheet_name="供地", index=False)
    (tmp_path / "project.toml").write_text(
        '[project]\nname = "测试"\nas_of = "2026-11-21"\n'
        '[layers.zones]\npath = "d.gpkg"\nlayer = "zones"\n'
        '[layers.supply]\npath = "d.gpkg"\nlayer = "supply_parcels"\nid_field = "ZDBH"\n'
        '[layers.supply.table]\npath = "records.xlsx"\nsheet = "供地"\nkey = "宗地编号"\n'
        'amount_unit = "万元"\n'
        'fields = { land_price_yuan = "成交价款" }\n'
        '[layers.approved]\npath = "d.gpkg"\nlayer = "approved"\n'
        '[layers.planned]\npath = "d.gpkg"\nlayer = "ghyt"\n', encoding="utf-8")
    return tmp_path


def test_pipeline_idle_and_unsupplied(project):
    paths, ctx = run_project(project / "project.toml", project / "out", only=("idle", "unsupplied"))
    idle = ctx.results["idle"]
    st = idle.parcels.set_index("parcel_id")["status"].to_dict()
    # As of 2026-11-21: S1 agreed 2025-01-10, idle from 2026-01-10, reclaim from 2027-01-10
    # → fee 20% × 500 万元.
    # S2 started. S3 agreed 2020-06-01 → reclaim (≥ 2 years).
    assert st == {"S1": "idle_fee", "S2": "not_idle", "S3": "reclaim"}
    assert idle.parcels.set_index("parcel_id").loc["S1", "fee_yuan"] == pytest.approx(1_000_000.0)
    assert set(idle.parcels["zone_id"]) == {"Z1"}
    z = ctx.results["unsupplied"].result.zones[0]
    assert z.unsupplied_area_m2 == pytest.approx(130_000.0)
    assert z.idle_rate == pytest.approx((150_000 + 60_000) / 270_000)
    # Window (2023-11-21, 2026-11-21]: S1 only, 150 000 / 3 = 50 000 m²/year;
    # (600 000 − 270 000) / 50 000 = 6.6 years.
    assert z.supply_years_left == pytest.approx(6.6)
    sheets = pd.ExcelFile(paths["workbook"]).sheet_names
    for name in ("供地记录", "闲置土地认定", "闲置土地汇总", "批而未供与供应率", "批而未供地块"):
        assert name in sheets
    layers = {name for name, _ in pyogrio.list_layers(paths["geopackage"])}
    assert {"supply_parcels", "idle_parcels", "unsupplied_land"} <= layers
    html = paths["map"].read_text(encoding="utf-8")
    # the legends (layer names are JSON-escaped in the script)
    assert "闲置土地（判定日期 2026-11-21）" in html and "批而未供 approved, not supplied" in html
    sheet = pd.read_excel(paths["workbook"], sheet_name="闲置土地认定")
    assert "认定结果 status_zh" in sheet.columns and "判定日期 as_of" in sheet.columns
    assert set(sheet["判定日期 as_of"]) == {"2026-11-21"}


def test_pipeline_without_approved_says_cannot_decide(project):
    text = (project / "project.toml").read_text(encoding="utf-8")
    cut = text.split("[layers.approved]")[0]
    (project / "p2.toml").write_text(cut, encoding="utf-8")
    _, ctx = run_project(project / "p2.toml", project / "out2", only=("idle", "unsupplied"))
    msgs = [r.message for r in ctx.qa.rows if r.check == "job_skipped"]
    assert any("cannot decide, because the project file has no [layers.approved]" in m for m in msgs)
    assert "unsupplied" not in ctx.results


def _base(project):
    return ["idle", str(project / "d.gpkg"), "--layer", "supply_parcels", "--id-field", "ZDBH", "--table",
            str(project / "records.xlsx")]


def test_cli_idle_json_keys(project):
    r = CliRunner().invoke(cli, [*_base(project), "--sheet", "供地", "--key", "宗地编号",
                                 "--amount-unit", "万元", "--field", "land_price_yuan=成交价款",
                                 "--as-of", "2026-01-10", "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [list(row) for row in rows] == [["parcel_id", "status", "days_overdue", "fee_yuan", "rule_id"]] * 3
    s1 = rows[0]
    # 2026-01-10 is exactly one year after the agreed start 2025-01-10: idle, 365 days.
    assert s1 == {"parcel_id": "S1", "status": "idle_fee", "days_overdue": 365, "fee_yuan": 1_000_000.0,
                  "rule_id": "R4.fee"}
    r = CliRunner().invoke(cli, [*_base(project), "--sheet", "供地", "--key", "宗地编号",
                                 "--as-of", "2026-01-09"])
    # Without --amount-unit the 成交价款 column (a usual name, no unit in its header) is refused.
    assert r.exit_code == 1
    assert "成交价款" in r.stderr and "amount_unit" in r.stderr
    r = CliRunner().invoke(cli, [*_base(project), "--sheet", "供地", "--key", "宗地编号",
                                 "--amount-unit", "元", "--as-of", "2026-01-09"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "S1, not_idle, 364, -, R4"


def test_cli_idle_bad_field_is_one_line_error(project):
    r = CliRunner().invoke(cli, [*_base(project), "--key", "宗地编号", "--field", "nonsense",
                                 "--as-of", "2026-01-09"])
    assert r.exit_code == 1
    assert "schema_name=column" in r.stderr
