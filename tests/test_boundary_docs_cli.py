"""devzone corners / points / import-txt and the boundary_docs + printmaps jobs, on box layers (by hand)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from shapely import LineString, MultiPolygon, Polygon

from analysis import commands  # noqa: F401  registers the subcommands
from analysis.boundary_docs import DocOptions, zone_folder_name
from analysis.cli import cli
from analysis.pipeline import run_project
from geo.errors import DevzoneError
from geo.printmap import find_cjk_font
from geo.profile import load_profile
from tests.conftest import X0, Y0, b

CRS = "EPSG:4526"


def line(*pts):
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


@pytest.fixture
def layers(tmp_path):
    """Zone A: 200 × 100 m box; zone B: two parts, the larger with a hole. Roads: 东环路 10 m east of A."""
    outer = [(X0 + 1000, Y0), (X0 + 1200, Y0), (X0 + 1200, Y0 + 100), (X0 + 1000, Y0 + 100)]
    hole = [(X0 + 1050, Y0 + 20), (X0 + 1080, Y0 + 20), (X0 + 1080, Y0 + 60), (X0 + 1050, Y0 + 60)]
    zones = gpd.GeoDataFrame(
        {"ZONE_ID": ["A", "B"], "ZONE_NAME": ["甲区", "乙区"]},
        geometry=[b(0, 0, 200, 100), MultiPolygon([Polygon(outer, [hole]), b(1300, 0, 1350, 40)])],
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        {"NAME": ["东环路", "纬一路"]},
        geometry=[line((210, -50), (210, 150)), line((-50, 120), (250, 120))],
        crs=CRS,
    )
    landuse = gpd.GeoDataFrame(
        {"DLBM": ["0601", "0701"]}, geometry=[b(0, 0, 150, 100), b(150, 0, 200, 100)], crs=CRS
    )
    p = tmp_path / "in.gpkg"
    zones.to_file(p, layer="zones")
    roads.to_file(p, layer="roads")
    landuse.to_file(p, layer="dltb")
    return p


def run(*args):
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return res


def test_corners_text_and_json(layers):
    res = run("corners", layers, "--zones-layer", "zones", "--names", f"{layers}:roads")
    assert res.exit_code == 0, res.output
    first = res.stdout.splitlines()[0]
    nothing = "无法命名（200 米内无有名称的道路、河流或地名）"
    assert first == f"A 甲区: 东至东环路，西至：{nothing}，南至：{nothing}，北至纬一路"
    res = run("corners", layers, "--zones-layer", "zones", "--names", f"{layers}:roads", "--json")
    objs = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["zone_id"] for o in objs] == ["A", "B"]
    east = objs[0]["sides"][0]
    assert (east["name"], east["distance_m"]) == ("东环路", pytest.approx(10.0))
    assert objs[0]["extremes"][0] == {
        "side": "east",
        "point": "J2",
        "northing_m": Y0 + 100,
        "easting_m": X0 + 200,
    }


def test_corners_bad_names_path_is_one_line_error(layers):
    res = CliRunner().invoke(
        cli, ["corners", str(layers), "--zones-layer", "zones", "--names", "nope.gpkg:roads"]
    )
    assert res.exit_code == 1
    assert "nope.gpkg:roads: no such file" in res.output


def test_points_prints_the_table_and_writes_xlsx_and_txt(layers, tmp_path):
    res = run("points", layers, "--zones-layer", "zones")
    lines = res.stdout.splitlines()
    assert lines[0].startswith(
        "A 甲区: 4 points, 1 parcel(s), 1 ring(s), 20,000.00 m² = 2.0000 公顷 = 30.00 亩"
    )
    assert lines[1].split() == ["J1", "地块1", "圈1", "X", f"{Y0 + 100:.3f}", "Y", f"{X0:.3f}"]
    out = tmp_path / "out"
    res = run("points", layers, "--zones-layer", "zones", "--txt", "--out", out, "--producer", "某局")
    assert res.exit_code == 0, res.output
    folder = out / zone_folder_name("B", "乙区")
    txt = (folder / "界址点坐标_B.txt").read_bytes().decode("gbk").splitlines()
    assert "数据产生单位=某局" in txt
    # B: parcel 1 (the holed box, 18 800 m²) with 10 rows, parcel 2 (2 000 m²) with 5 rows
    assert [x for x in txt if x.endswith("@")] == [
        "10,1.8800,B-1,乙区区块一,面,,,,@",
        "5,0.2000,B-2,乙区区块二,面,,,,@",
    ]
    ws = load_workbook(folder / "界址点坐标表_B.xlsx")["地块面积"]
    assert [c.value for c in ws[2]][:4] == [1, 2, 8, 18800]
    res = run("points", layers, "--zones-layer", "zones", "--json")
    a = json.loads(res.stdout.splitlines()[0])
    assert a["points"][0] == {
        "parcel": 1,
        "ring": 1,
        "point": "J1",
        "seq": 1,
        "northing_m": Y0 + 100,
        "easting_m": X0,
        "length_to_next_m": 200.0,
        "closing": False,
    }


def test_import_txt_round_trip_and_swapped_axes(layers, tmp_path):
    out = tmp_path / "out"
    run("points", layers, "--zones-layer", "zones", "--txt", "--out", out)
    txt = out / zone_folder_name("B", "乙区") / "界址点坐标_B.txt"
    res = run("import-txt", txt, "--out", tmp_path / "b.gpkg", "--zone-id", "B")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("B 乙区: 2 parcel(s), 20,800.00 m² = 2.0800 公顷 = 31.20 亩, EPSG:4526")
    back = gpd.read_file(tmp_path / "b.gpkg", layer="zones")
    orig = gpd.read_file(layers, layer="zones").set_index("ZONE_ID").geometry["B"]
    assert back.geometry.iloc[0].symmetric_difference(orig).area < 1e-6
    swapped = tmp_path / "swapped.txt"
    rows = []
    for ln in txt.read_bytes().decode("gbk").splitlines():
        f = ln.split(",")
        rows.append(",".join([f[0], f[1], f[3], f[2]]) if len(f) == 4 and f[0].startswith("J") else ln)
    swapped.write_bytes("\r\n".join(rows).encode("gbk"))
    res = CliRunner().invoke(
        cli, ["import-txt", str(swapped), "--out", str(tmp_path / "s.gpkg"), "--strict-axes"]
    )
    assert res.exit_code == 1 and "before X" in res.output
    res = run("import-txt", swapped, "--out", tmp_path / "s.gpkg", "--json")
    obj = json.loads(res.stdout.splitlines()[0])
    assert obj["axes_swapped"] is True and obj["parcels"][0]["area_m2"] == pytest.approx(18_800)
    res = CliRunner().invoke(cli, ["import-txt", str(swapped), "--out", str(tmp_path / "s.gpkg")])
    assert res.exit_code == 1 and "--overwrite" in res.output


def test_doc_options_from_profile_and_overrides():
    p = load_profile("henan")
    o = DocOptions.from_profile(p)
    assert (o.encoding, o.decimals, o.header.precision, o.search_m) == ("gbk", 3, "", 200.0)
    o = DocOptions.from_profile(p, encoding="utf-8", precision="0.05", search_m=None)
    assert (o.encoding, o.header.precision, o.search_m) == ("utf-8", "0.05", 200.0)


def test_pipeline_jobs_write_documents_and_print_maps(layers, tmp_path):
    try:
        find_cjk_font()
    except DevzoneError as exc:
        pytest.skip(f"no CJK font: {exc}")
    proj = tmp_path / "p.toml"
    proj.write_text(
        f'''[project]
name = "测试"
as_of = "2026-11-21"
crs = "EPSG:4526"
[documents]
producer = "测试局"
[layers.zones]
path = "{layers.name}"
layer = "zones"
[layers.landuse]
path = "{layers.name}"
layer = "dltb"
code_field = "DLBM"
[layers.roads]
path = "{layers.name}"
layer = "roads"
''',
        encoding="utf-8",
    )
    paths, ctx = run_project(proj, tmp_path / "run", only=("industrial", "boundary_docs", "printmaps"))
    folder = tmp_path / "run" / zone_folder_name("A", "甲区")
    assert sorted(p.name for p in folder.iterdir()) == [
        "出图_A.pdf",
        "出图_A.png",
        "界址点坐标_A.txt",
        "界址点坐标表_A.xlsx",
    ]
    assert "数据产生单位=测试局" in (folder / "界址点坐标_A.txt").read_text(encoding="gbk")
    sheets = load_workbook(paths["workbook"]).sheetnames
    assert {"四至", "界址点坐标", "界址点汇总"} <= set(sheets)
    docs = ctx.results["boundary_docs"]
    assert docs.sides[0].text.startswith("东至东环路")
    info = ctx.results["printmaps"]
    assert set(info) == {"出图 PNG A", "出图 PDF A", "出图 PNG B", "出图 PDF B"}


def test_a_proposed_boundary_gets_its_own_documents(tmp_path):
    # the proposal job's result for zone A: the box grown 50 m east; its XLSX and TXT go beside A's own
    from types import SimpleNamespace

    from analysis.boundary_docs import _proposal_documents
    from boundaries.coordinate_txt import read_boundary_txt
    from geo.qa import QALog

    zones = gpd.GeoDataFrame({"zone_id": ["A"], "zone_name": ["甲区"]}, geometry=[b(0, 0, 200, 100)], crs=CRS)
    zones.index = zones["zone_id"]
    polygon = gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[b(0, 0, 250, 100)], crs=CRS)
    result = SimpleNamespace(
        verdict=SimpleNamespace(status="proposed", zone_id="A", zone_name="甲区"), polygon=polygon
    )
    ctx = SimpleNamespace(
        results={"proposal": SimpleNamespace(results=[result])},
        options={},
        zones=zones,
        qa=QALog(),
        out_dir=tmp_path,
    )
    files = _proposal_documents(ctx, DocOptions.from_profile(load_profile("henan")))
    folder = tmp_path / zone_folder_name("A", "甲区")
    assert sorted(p.name for p in folder.iterdir()) == [
        "界址点坐标_A_调整方案.txt",
        "界址点坐标表_A_调整方案.xlsx",
    ]
    assert set(files) == {"界址点坐标表 A_调整方案", "坐标交换文件 A_调整方案"}
    back = read_boundary_txt(folder / "界址点坐标_A_调整方案.txt")
    assert back["parcel_name"].iloc[0] == "甲区（调整方案）" and back["area_m2"].iloc[0] == pytest.approx(
        25_000
    )


def test_print_map_layers_carry_overlaps_and_the_proposal():
    import shapely

    from analysis.printmaps import PrintInputs, _layers

    zones = gpd.GeoDataFrame(
        {"zone_id": ["A", "B"], "zone_name": ["甲区", "乙区"]},
        geometry=[b(0, 0, 200, 100), b(300, 0, 400, 100)],
        crs=CRS,
    )
    overlaps = gpd.GeoDataFrame(
        {"zone_id": ["A", "A"], "kind": ["farmland", "urban"], "finding": [True, False]},
        geometry=[b(0, 0, 10, 10), b(190, 90, 200, 100)],
        crs=CRS,
    )
    proposals = gpd.GeoDataFrame({"zone_id": ["A"]}, geometry=[b(0, 0, 250, 100)], crs=CRS)
    inp = PrintInputs(zones=zones, overlaps=overlaps, proposals=proposals)
    labels = [
        layer.label
        for layer in _layers(
            inp, zones.iloc[[0]], zones.crs, shapely.box(X0 - 500, Y0 - 500, X0 + 900, Y0 + 600)
        )
    ]
    # the sliver (finding False) is not drawn; zone B is drawn as a neighbour; the proposal on top
    assert labels == [
        "占永久基本农田",
        "其他开发区",
        "开发区边界（四至范围）",
        "四至调整建议（方案，未经批准）",
    ]
