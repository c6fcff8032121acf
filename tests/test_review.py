"""devzone review: the application package — per-zone folders with every document, cut to the zone."""

from __future__ import annotations

import tomllib

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from analysis import commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from analysis.review import filter_frame
from boundaries.coordinate_txt import dissolve_parcels, read_boundary_txt
from geo.errors import DevzoneError
from geo.printmap import find_cjk_font
from tests.conftest import SAMPLE

ZONE_FILES = {"report.xlsx", "findings.gpkg", "map.html", "清单.txt"}
JOBS = ("industrial", "constraints", "boundary_docs", "printmaps")
ROLES = ("zones", "landuse", "farmland", "redline", "urban_boundary", "roads", "rivers", "villages")


@pytest.fixture(scope="module")
def font():
    try:
        return find_cjk_font()
    except DevzoneError as exc:
        pytest.skip(f"no CJK font: {exc}")


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory):
    """The bundled sample's project file, cut to the layers these jobs read (faster than the whole run)."""
    src = SAMPLE / "project.toml"
    if not src.exists():
        pytest.skip("the bundled sample (tests/data/sample) is not there")
    data = tomllib.loads(src.read_text(encoding="utf-8"))
    lines = ["[project]", 'name = "濮阳样例（节选）"', 'as_of = "2026-11-21"', 'crs = "EPSG:4526"', ""]
    for role in ROLES:
        lines.append(f"[layers.{role}]")
        for k, v in data["layers"][role].items():
            if isinstance(v, dict):
                continue
            v = str(SAMPLE / v) if k == "path" else v
            lines.append(f"{k} = {v!r}".replace("'", '"'))
        lines.append("")
    p = tmp_path_factory.mktemp("proj") / "project.toml"
    p.write_text("\n".join(lines), encoding="utf-8")
    return p


def test_filter_frame_cuts_by_the_zone_column():
    t = pd.DataFrame({"四至 zone_id": ["A", "B", "A"], "x": [1, 2, 3]})
    assert filter_frame(t, "A")["x"].tolist() == [1, 3]
    assert filter_frame(pd.DataFrame({"x": [1]}), "A") is None


def test_review_of_the_sample(sample_project, font, tmp_path):
    out = tmp_path / "pkg"
    args = [
        "review",
        str(sample_project),
        "--out",
        str(out),
        "--basemap",
        "none",
        "--zone",
        "PY04",
        "--producer",
        "濮阳市自然资源和规划局",
        *(x for j in JOBS for x in ("--only", j)),
    ]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert {"report.xlsx", "findings.gpkg", "map.html", "清单.txt", "index.html"} <= {
        p.name for p in out.iterdir()
    }
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert [f.name for f in folders] == ["PY04_南乐县产业集聚区（样例）"]  # only the zone asked for
    z = folders[0]
    assert {p.name for p in z.iterdir()} == ZONE_FILES | {
        "出图_PY04.png",
        "出图_PY04.pdf",
        "界址点坐标_PY04.txt",
        "界址点坐标表_PY04.xlsx",
    }
    # the zone's workbook holds only its rows
    sheets = pd.read_excel(z / "report.xlsx", sheet_name=None)
    for name in ("60%规则汇总", "三区三线", "四至", "界址点汇总"):
        if name not in sheets:  # a job not registered (yet) in this tree
            continue
        col = next(c for c in sheets[name].columns if str(c).endswith("zone_id"))
        assert set(sheets[name][col]) == {"PY04"}, name
    full = pd.read_excel(out / "report.xlsx", sheet_name="四至")
    assert len(full) == 16 and len(sheets["四至"]) == 4
    layers = dict(pyogrio.list_layers(z / "findings.gpkg"))
    assert {"boundary_points", "sizhi_extreme_points", "zones_industrial_share"} <= set(layers)
    # the TXT reads back to the zone as measured (two parcels, same area to the square metre)
    zones = gpd.read_file(SAMPLE / "puyang_sample.gpkg", layer="zones").set_index("ZONE_ID")
    back = dissolve_parcels(read_boundary_txt(z / "界址点坐标_PY04.txt"))
    assert back.area.iloc[0] == pytest.approx(zones.geometry["PY04"].area, abs=1.0)
    assert "数据产生单位=濮阳市自然资源和规划局" in (z / "界址点坐标_PY04.txt").read_text(encoding="gbk")
    index = (out / "清单.txt").read_text(encoding="utf-8-sig")
    assert (
        "PY04_南乐县产业集聚区（样例）/" in index
        and "界址点坐标_PY04.txt" in index
        and "R1 产业用地" in index
    )
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="PY04_南乐县产业集聚区（样例）/出图_PY04.pdf"' in html


def test_review_refuses_an_unknown_zone(sample_project, tmp_path):
    res = CliRunner().invoke(
        cli,
        [
            "review",
            str(sample_project),
            "--out",
            str(tmp_path / "x"),
            "--zone",
            "NOPE",
            "--only",
            "boundary_docs",
        ],
    )
    assert res.exit_code == 1 and "--zone NOPE: no such zone" in res.output
