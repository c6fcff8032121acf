"""``devzone industrial`` through click's CliRunner: JSON output, files, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely import LineString, box

from analysis import commands  # noqa: F401  (registers the subcommands)
from analysis.cli import cli
from boundaries.industrial import JSON_KEYS
from tests.conftest import CRS, b, landuse_gdf, zones_gdf


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    zones = zones_gdf(("A", b(0, 0, 100, 100)), ("B", b(200, 0, 300, 100)))
    lu = landuse_gdf(
        ("0601", b(0, 0, 60, 100)),
        ("0701", b(60, 0, 100, 100)),  # A: 60 % passes
        ("0601", b(200, 0, 250, 100)),
        ("0508", b(250, 0, 255, 100)),
        ("05H1", b(255, 0, 300, 100)),
    )
    z, lu_p = tmp_path / "zones.gpkg", tmp_path / "dltb.gpkg"
    zones.to_file(z, layer="zones")
    lu.to_file(lu_p, layer="dltb")
    return z, lu_p


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_json_one_object_per_zone(files):
    z, lu = files
    r = invoke("industrial", str(z), str(lu), "--json")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [tuple(row) for row in rows] == [JSON_KEYS, JSON_KEYS]
    a, bb = rows
    assert a["zone_id"] == "A" and a["passes"] is True and a["share_of_construction"] == pytest.approx(0.6)
    # B: industrial 0601 50x100 + 0508 5x100 = 5500 of 10000 construction → 55 %
    assert bb["industrial_area_m2"] == pytest.approx(5500.0) and bb["passes"] is False
    assert bb["basis"] == "construction" and bb["rule_id"] == "R1"


def test_writes_workbook_gpkg_and_map(files, tmp_path):
    z, lu = files
    out = tmp_path / "out"
    r = invoke("industrial", str(z), str(lu), "--out", str(out), "--basemap", "none")
    assert r.exit_code == 0, r.output
    assert {p.name for p in out.iterdir()} == {"report.xlsx", "findings.gpkg", "map.html"}
    import openpyxl

    wb = openpyxl.load_workbook(out / "report.xlsx")
    assert {"60%规则汇总", "地类构成", "QA", "规则与参数"} <= set(wb.sheetnames)
    layers = {name for name, _ in pyogrio.list_layers(out / "findings.gpkg")}
    assert {"zones_industrial_share", "landuse_pieces", "run_info"} <= layers
    pieces = gpd.read_file(out / "findings.gpkg", layer="landuse_pieces")
    assert pieces.loc[pieces["zone_id"] == "B", "area_m2"].sum() == pytest.approx(10_000.0)
    # refuses to overwrite
    r2 = CliRunner().invoke(cli, ["industrial", str(z), str(lu), "--out", str(out)])
    assert r2.exit_code == 1 and "--overwrite" in r2.output


def test_map_escapes_attribute_values(tmp_path):
    zones = zones_gdf(("<script>alert(1)</script>", b(0, 0, 100, 100)))
    lu = landuse_gdf(("0601", b(0, 0, 100, 100)))
    z, lu_p, out = tmp_path / "z.gpkg", tmp_path / "l.gpkg", tmp_path / "o"
    zones.to_file(z)
    lu.to_file(lu_p)
    r = invoke("industrial", str(z), str(lu_p), "--out", str(out), "--basemap", "none")
    assert r.exit_code == 0, r.output
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    # popups show the escaped text: folium writes it JSON-encoded, "&" as \u0026
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html
    assert "\\u003cscript" not in html  # not even as a feature id


def _err(*args: str):
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 1, (r.exit_code, r.output)
    assert r.exception is None or isinstance(r.exception, SystemExit)
    lines = [line for line in r.stderr.splitlines() if line.startswith("devzone: error:")]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.output
    return lines[0]


def test_missing_file(files, tmp_path):
    z, _ = files
    assert "nope.gpkg: no such file" in _err("industrial", str(z), str(tmp_path / "nope.gpkg"))


def test_missing_layer(files):
    z, lu = files
    msg = _err("industrial", str(z), str(lu), "--landuse-layer", "DLTB2023")
    assert "no layer 'DLTB2023'; its layers are: dltb" in msg


def test_missing_field_lists_fields(files):
    z, lu = files
    msg = _err("industrial", str(z), str(lu), "--code-field", "GHDLBM")
    assert "no field 'GHDLBM'" in msg and "the fields are: DLBM" in msg


def test_zone_layer_without_crs(tmp_path, files):
    _, lu = files
    p = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        pyogrio.write_dataframe(gpd.GeoDataFrame({"ZONE_ID": ["A"]}, geometry=[b(0, 0, 100, 100)]), p)
    msg = _err("industrial", str(p), str(lu))
    assert "has no coordinate reference system" in msg and "EPSG:4526" in msg


def test_zone_layer_without_polygons(tmp_path, files):
    _, lu = files
    p = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame(
        {"ZONE_ID": ["A"]}, geometry=[LineString([(38_590_000, 3_958_000), (38_590_100, 3_958_100)])], crs=CRS
    ).to_file(p)
    assert "has no polygons (geometry types: LineString)" in _err("industrial", str(p), str(lu))


def test_empty_zone_layer(tmp_path, files):
    _, lu = files
    p = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"ZONE_ID": []}, geometry=[], crs=CRS).to_file(p)
    assert "the zone layer is empty (0 features)" in _err("industrial", str(p), str(lu))


def test_unreadable_encoding(tmp_path, files):
    z, _ = files
    p = tmp_path / "dltb.shp"
    pyogrio.write_dataframe(
        landuse_gdf(("0601", b(0, 0, 10, 10))).assign(DLMC="工业用地"), p, encoding="cp936"
    )
    p.with_suffix(".cpg").write_text("UTF-8")
    assert "the .cpg says 'UTF-8'" in _err("industrial", str(z), str(p))
    r = invoke("industrial", str(z), str(p), "--encoding", "GB18030", "--json")
    assert r.exit_code == 0


def test_degrees_where_no_crs_can_be_chosen(tmp_path, files):
    _, lu = files
    p = tmp_path / "polar.gpkg"
    gpd.GeoDataFrame({"ZONE_ID": ["A"]}, geometry=[box(10, 85, 11, 86)], crs=4326).to_file(p)
    assert "no projected CRS can be chosen" in _err("industrial", str(p), str(lu))


def test_gbk_shapefile_end_to_end(tmp_path, files):
    z, _ = files
    p = tmp_path / "dltb.shp"
    pyogrio.write_dataframe(
        landuse_gdf(("0601", b(0, 0, 70, 100)), ("0701", b(70, 0, 100, 100))).assign(
            DLMC=["工业用地", "城镇住宅用地"]
        ),
        p,
        encoding="cp936",
    )
    p.with_suffix(".cpg").unlink()
    r = invoke("industrial", str(z), str(p), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["share_of_construction"] == pytest.approx(0.7)


def test_fail_on_violation_exit_code(files):
    z, lu = files
    r = CliRunner().invoke(cli, ["industrial", str(z), str(lu), "--fail-on-violation"])
    assert r.exit_code == 3


def test_map_opens_without_a_cdn(files, tmp_path):
    """Government intranets block CDNs: Leaflet is inlined and nothing else is fetched from the web."""
    import re

    z, lu = files
    out = tmp_path / "out"
    assert invoke("industrial", str(z), str(lu), "--out", str(out), "--basemap", "none").exit_code == 0
    page = (out / "map.html").read_text(encoding="utf-8")
    assert not re.search(r'<script src="https?://', page)
    assert not re.search(r'<link rel="stylesheet" href="https?://', page)
    assert "Leaflet 1.9.4" in page and "L.map(" in page
