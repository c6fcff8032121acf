"""The subcommands inefficient, evidence, enterprises and intensity through click's CliRunner, on small
layers with hand-worked figures."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner

from analysis import commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from tests.conftest import CRS, X0, Y0, b, landuse_gdf, zones_gdf


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def parcels_gpkg(tmp_path):
    p = tmp_path / "land.gpkg"
    gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B"],
            "industry_code": ["26", "26"],
            "floor_area_m2": [None, 3000.0],
            "actual_start": ["2020-05-01", None],
            "agreed_start": ["2020-01-01", "2021-01-01"],
        },
        geometry=[b(0, 0, 100, 100), b(200, 0, 300, 100)],
        crs=CRS,
    ).to_file(p, layer="parcels")
    # A: 3000 m² × 2 storeys = 6000 m² on 10000 m² → FAR 0.6 (chemicals: 0.6, passes); coefficient 0.3
    gpd.GeoDataFrame({"CS": [2]}, geometry=[b(0, 0, 60, 50)], crs=CRS).to_file(p, layer="buildings")
    return p


def test_inefficient_json_and_outputs(parcels_gpkg, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(
        cli,
        [
            "inefficient",
            str(parcels_gpkg),
            "--layer",
            "parcels",
            "--buildings",
            str(parcels_gpkg),
            "--buildings-layer",
            "buildings",
            "--building-field",
            "storeys=CS",
            "--as-of",
            "2026-11-21",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    rows = {d["parcel_id"]: d for d in _lines(r.stdout)}
    assert rows["A"]["far"] == pytest.approx(0.6) and rows["A"]["building_coefficient"] == pytest.approx(0.3)
    assert "far" not in rows["A"]["failing"] and "building_coefficient" not in rows["A"]["failing"]
    # B: the records' 3000 m² on 10000 m² = 0.3 < 0.6; no buildings → coefficient 0
    assert rows["B"]["far"] == pytest.approx(0.3) and rows["B"]["verdict"] == "inefficient"
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert {"低效用地核查", "低效用地指标明细", "QA", "规则与参数"} <= set(wb.sheetnames)
    assert "inefficient_parcels" in gpd.list_layers(out / "findings.gpkg")["name"].tolist()


def test_evidence_rows(parcels_gpkg, tmp_path):
    tif = tmp_path / "lc.tif"
    arr = np.full((10, 30), 2, dtype="uint8")  # 10 m pixels over x 0..300, y 0..100; class 2 (not built)
    arr[:, 20:] = 1  # B (x 200..300) is built
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=30,
        height=10,
        count=1,
        dtype="uint8",
        crs=CRS,
        nodata=0,
        transform=Affine(10, 0, X0, 0, -10, Y0 + 100),
    ) as ds:
        ds.write(arr, 1)
    r = CliRunner().invoke(
        cli,
        [
            "evidence",
            str(parcels_gpkg),
            "--layer",
            "parcels",
            "--landcover",
            str(tif),
            "--built-class",
            "1",
            "--as-of",
            "2026-11-21",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = {d["parcel_id"]: d for d in _lines(r.stdout)}
    assert rows["A"]["evidence"] == "recorded_built_looks_vacant" and rows["A"]["built_share"] == 0.0
    assert rows["B"]["evidence"] == "recorded_idle_looks_built" and rows["B"]["built_share"] == 1.0


def test_evidence_needs_a_raster(parcels_gpkg):
    r = CliRunner().invoke(cli, ["evidence", str(parcels_gpkg), "--layer", "parcels"])
    assert r.exit_code == 1 and "give --landcover or --imagery" in r.stderr


def test_enterprises(tmp_path):
    zones = tmp_path / "zones.gpkg"
    zones_gdf(("Z1", b(0, 0, 100, 100))).to_file(zones, layer="zones")
    table = tmp_path / "ent.csv"
    pd.DataFrame(
        {
            "企业名称": ["甲", "乙"],
            "所在开发区": ["Z1", "Z1"],
            "用地面积（亩）": [10, 10],
            "税收（万元）": [200, 100],
            "规上企业": ["是", "是"],
        }
    ).to_csv(table, index=False)
    r = CliRunner().invoke(cli, ["enterprises", str(table), "--zones", str(zones), "--json"])
    assert r.exit_code == 0, r.output
    rows = {d["name"]: d for d in _lines(r.stdout)}
    assert rows["甲"]["tax_per_mu_wan"] == pytest.approx(20.0) and rows["乙"][
        "tax_per_mu_wan"
    ] == pytest.approx(10.0)
    # zone: 300 万元 over 20 亩 = 15 万元/亩, exactly the target: passes
    assert "15.00 ≥ 15 万元/亩" in r.stderr and "→ pass" in r.stderr


def test_intensity_project(tmp_path):
    gpkg = tmp_path / "p.gpkg"
    zones_gdf(("Z1", b(0, 0, 100, 100)), ("Z2", b(200, 0, 300, 100)), ("Z3", b(400, 0, 500, 100))).to_file(
        gpkg, layer="zones"
    )
    # industrial land rates 60%, 45%, 30% of construction land (the rest is 0701), scored against 0.60
    landuse_gdf(
        ("0601", b(0, 0, 60, 100)),
        ("0701", b(60, 0, 100, 100)),
        ("0601", b(200, 0, 245, 100)),
        ("0701", b(245, 0, 300, 100)),
        ("0601", b(400, 0, 430, 100)),
        ("0701", b(430, 0, 500, 100)),
    ).to_file(gpkg, layer="dltb")
    proj = tmp_path / "project.toml"
    proj.write_text(
        '[project]\nname = "t"\nas_of = "2026-11-21"\n[layers.zones]\npath = "p.gpkg"\nlayer = "zones"\n'
        'id_field = "ZONE_ID"\n[layers.landuse]\npath = "p.gpkg"\nlayer = "dltb"\ncode_field = "DLBM"\n'
        'scheme = "sandiao"\n',
        encoding="utf-8",
    )
    r = CliRunner().invoke(cli, ["intensity", str(proj), "--json", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    rows = {d["zone_id"]: d for d in _lines(r.stdout)}
    assert [rows[z]["composite_low"] for z in ("Z1", "Z2", "Z3")] == [
        pytest.approx(1.0),
        pytest.approx(0.75),
        pytest.approx(0.5),
    ]
    assert [rows[z]["rank_best"] for z in ("Z1", "Z2", "Z3")] == [1, 2, 3]
    assert [rows[z]["eligible_to_expand"] for z in ("Z1", "Z2", "Z3")] == [True, True, False]
    assert rows["Z3"]["suggestion"] == "downgrade" and rows["Z1"]["suggestion"] == "grow"
    wb = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx", read_only=True)
    assert "集约利用评价" in wb.sheetnames and "60%规则汇总" not in wb.sheetnames
