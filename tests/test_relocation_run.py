"""The relocation run end to end on the crafted scenario (tests/relocation_scenario.py), and the CLI.

Hand-worked figures (metres; points on the surface of the boxes are their centres):

- network (one road along y = 400): V1 (500, 500) snaps to (500, 400), access 100; V2 (1600, 1600)
  access 1200; V3 (2000, 200) access 200. S1 (2900, 400) and S2 (−1100, 400) lie on the road.
  V1→S1 = 100 + 2400 = 2500, V2→S1 = 1200 + 1300 = 2500, V3→S1 = 200 + 900 = 1100.
- To house 6500 people only one site can open (two would need 2 × 5000); each holds 6400, so at most
  5500 (V1 + V2) are housed: at S1 3000×2500 + 2500×2500 = 13.75e6 < at S2 3000×1700 + 2500×3900
  = 14.85e6. V3 (1000) is left: the 5,000 minimum is the cause (without it V3 fits at S2).
- Services at S1 over the road: kindergarten (2900, 700) 300 m (= the 300 m radius: within); school
  (2900, 900) 500 m; clinic (2000, 400) 900 m; shop (3400, 400) 500 m; bus stop (−1100, 600) 4200 m.
- Jobs at S1: to where the road enters Z1 at (2000, 400): 900 m; S2: to (0, 400): 1100 m.
- Score S1 = 100 × (1 + 1 + 1 + 1 + 0 + 2 × 1 + (14.04 − 5.7106)/(14.04 − 2)) / 8 = 83.65.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from click.testing import CliRunner

from analysis import commands  # noqa: F401  (registers the subcommands)
from analysis.cli import cli
from analysis.relocation_report import relocation_outputs
from analysis.relocation_run import RelocationInputs, run_relocation
from analysis.report import RunInfo, write_outputs
from geo.errors import DataError
from geo.layers import LayerSpec, load_zones
from geo.profile import load_profile
from geo.qa import QALog
from tests import relocation_scenario

DAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return relocation_scenario.build(tmp_path_factory.mktemp("reloc"))


def _run(scenario, *, roads=True, sites=True, **overrides):
    g = scenario["gpkg"]
    qa = QALog()
    zones, acrs = load_zones(LayerSpec(g, "zones"), qa=qa)
    inputs = RelocationInputs(
        villages=LayerSpec(g, "villages"),
        sites=LayerSpec(g, "sites") if sites else None,
        planning_area=LayerSpec(g, "planning_area"),
        farmland=LayerSpec(g, "farmland"),
        redline=LayerSpec(g, "redline"),
        roads=LayerSpec(g, "roads") if roads else None,
        facilities=LayerSpec(g, "facilities"),
        dem=LayerSpec(scenario["dem"]),
    )
    return (
        run_relocation(
            zones, inputs, analysis_crs=acrs, profile=load_profile(), qa=qa, as_of=DAY, **overrides
        ),
        qa,
        zones,
    )


def test_network_run_hand_worked(scenario):
    run, qa, _ = _run(scenario)
    assert run.movers["population_to_house"].to_dict() == {"V1": 3000, "V2": 2500, "V3": 1000}
    assert run.sites["eligible"].tolist() == [True, True, False, False, False]
    a = run.assignments.set_index("village_id")
    assert a.loc["V1", "site_id"] == "S1" and a.loc["V2", "site_id"] == "S1"
    assert a.loc["V1", "distance_m"] == pytest.approx(2500.0)
    assert a.loc["V2", "distance_m"] == pytest.approx(2500.0)
    assert a.loc["V3", "site_id"] is None or a.loc["V3", "site_id"] != a.loc["V3", "site_id"]
    assert "minimum of 5,000" in a.loc["V3", "reason"] and "site S1, site S2" in a.loc["V3", "reason"]
    assert run.result.total_cost == pytest.approx(13.75e6)
    s1 = run.sites.loc["S1"]
    assert [s1[f"{k}_m"] for k in ("kindergarten", "school", "clinic", "shop", "bus_stop")] == pytest.approx(
        [300.0, 500.0, 900.0, 500.0, 4200.0]
    )
    assert [bool(s1[f"{k}_within"]) for k in ("kindergarten", "school", "clinic", "shop", "bus_stop")] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert run.sites.loc[["S1", "S2"], "jobs_m"].tolist() == pytest.approx([900.0, 1100.0])
    assert s1["mean_slope_deg"] == pytest.approx(math.degrees(math.atan(0.1)), abs=1e-4)
    slope_part = (14.04 - math.degrees(math.atan(0.1))) / (14.04 - 2.0)
    assert s1["score"] == pytest.approx(round(100 * (6 + slope_part) / 8, 2))
    assert run.sites.loc["S1", "population"] == 5500 and not run.sites.loc["S2", "used"]
    assert run.distance_method == "network"
    assert qa.count("road_snap") == 4  # V2 1200 m, S3, S4, S5 beyond 500 m from the road


def test_straight_line_run_and_split(scenario):
    run, _, _ = _run(scenario, roads=False)
    a = run.assignments.set_index("village_id")
    assert a.loc["V1", "distance_m"] == pytest.approx(math.hypot(2400, 100))
    assert a.loc["V2", "distance_m"] == pytest.approx(math.hypot(1300, 1200))
    assert run.distance_method == "straight-line"
    assert dict(run.methods)["distance"].startswith("straight-line")
    # split: one site, 6400 places; the cheapest per person first: V3 (922 m) 1000, V2 (1769 m) 2500, then
    # V1 (2402 m) 2900; 100 of V1 are left
    split, _, _ = _run(scenario, roads=False, allow_split=True)
    t = split.assignments
    housed = t.dropna(subset=["site_id"]).set_index("village_id")["population"].to_dict()
    assert housed == {"V1": 2900, "V2": 2500, "V3": 1000}
    left = t[t["site_id"].isna()]
    assert left[["village_id", "population"]].values.tolist() == [["V1", 100]]


def test_generated_sites_from_free_land(scenario):
    run, _, _ = _run(scenario, sites=False)
    assert len(run.sites) > 0 and run.sites["eligible"].map(lambda e: e is True).all()
    assert (run.sites[["zones_m2", "farmland_m2", "redline_m2"]] == 0).all().all()
    ex = run.free_excluded.set_index("check")
    # inside the planning area: zone 2000 × 2000, farmland 1000 × 1000, red line 1000 × 1000
    assert ex.loc["zones", "area_m2"] == pytest.approx(4_000_000.0)
    assert ex.loc["farmland", "area_m2"] == pytest.approx(1_000_000.0)
    assert ex.loc["redline", "area_m2"] == pytest.approx(1_000_000.0)
    used = run.sites[run.sites["used"]]
    assert len(used) == 1 and used["population"].iloc[0] == 6500  # 1 km cells hold up to 10,000
    assert run.result.unhoused == (0, 0, 0)


def test_needs_sites_or_planning_area(scenario):
    g = scenario["gpkg"]
    qa = QALog()
    zones, acrs = load_zones(LayerSpec(g, "zones"), qa=qa)
    with pytest.raises(DataError, match="candidate sites"):
        run_relocation(
            zones,
            RelocationInputs(villages=LayerSpec(g, "villages")),
            analysis_crs=acrs,
            profile=load_profile(),
            qa=qa,
        )


def test_outputs_workbook_layers_and_escaped_map(scenario, tmp_path):
    import geopandas as gpd

    g = scenario["gpkg"]
    v = gpd.read_file(g, layer="villages")
    v.loc[0, "CJMC"] = "<b>甲村</b>"
    path = tmp_path / "v.gpkg"
    v.to_file(path, layer="villages")
    qa = QALog()
    zones, acrs = load_zones(LayerSpec(g, "zones"), qa=qa)
    run = run_relocation(
        zones,
        RelocationInputs(
            villages=LayerSpec(path, "villages"),
            sites=LayerSpec(g, "sites"),
            planning_area=LayerSpec(g, "planning_area"),
            farmland=LayerSpec(g, "farmland"),
            redline=LayerSpec(g, "redline"),
        ),
        analysis_crs=acrs,
        profile=load_profile(),
        qa=qa,
        as_of=DAY,
    )
    out = relocation_outputs(run, out_dir=tmp_path, qa=qa)
    info = RunInfo(title="t", as_of=DAY, analysis_crs=acrs, profile=load_profile())
    paths = write_outputs(tmp_path, out, info, qa, basemap="none", zones=zones)
    html = paths["map"].read_text(encoding="utf-8")
    # folium writes the GeoJSON with \u escapes: the escaped name is there, the raw tag is not
    assert "\\u0026lt;b\\u0026gt;\\u7532\\u6751\\u0026lt;/b\\u0026gt;" in html
    assert "<b>甲村" not in html and "\\u003cb\\u003e\\u7532" not in html
    import openpyxl
    import pyogrio

    sheets = openpyxl.load_workbook(paths["workbook"], read_only=True).sheetnames
    assert {"安置-搬迁村庄", "安置-候选地块", "安置-排除原因", "安置-分配方案", "安置-方法说明"} <= set(
        sheets
    )
    layers = {name for name, _ in pyogrio.list_layers(paths["geopackage"])}
    assert {
        "relocation_villages",
        "relocation_sites",
        "relocation_excluded",
        "relocation_assignments",
        "relocation_service_radii",
    } <= layers
    png = tmp_path / "relocation_map.png"  # drawn, or (no CJK font on this machine) a QA row says why not
    assert (png.exists() and png.stat().st_size > 10_000) or qa.count("print_map") == 1


def test_cli_json_has_exactly_the_documented_keys(scenario, tmp_path):
    g = str(scenario["gpkg"])
    args = [
        "relocate",
        f"{g}:zones",
        "--villages",
        f"{g}:villages",
        "--sites",
        f"{g}:sites",
        "--farmland",
        f"{g}:farmland",
        "--redline",
        f"{g}:redline",
        "--planning-area",
        f"{g}:planning_area",
        "--roads",
        f"{g}:roads",
        "--facilities",
        f"{g}:facilities",
        "--dem",
        str(scenario["dem"]),
        "--json",
        "--as-of",
        "2026-01-01",
    ]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) == {"assignments", "sites"}
    assert all(set(r) == {"village_id", "population", "site_id"} for r in doc["assignments"])
    assert all(
        set(s) == {"site_id", "eligible", "reasons", "capacity", "population", "score"} for s in doc["sites"]
    )
    by_village = {r["village_id"]: r for r in doc["assignments"]}
    assert by_village["V3"] == {"village_id": "V3", "population": 1000, "site_id": None}
    assert by_village["V1"]["site_id"] == "S1"
    s4 = next(s for s in doc["sites"] if s["site_id"] == "S4")
    assert s4["eligible"] is False and s4["reasons"] == [
        "640,000 m² on 永久基本农田 (permanent basic farmland)"
    ]
    assert "village V3: no site for 1000 people: the minimum of 5,000" in res.stderr


def test_cli_errors_are_one_line(scenario):
    g = str(scenario["gpkg"])
    res = CliRunner().invoke(cli, ["relocate", f"{g}:zones", "--villages", f"{g}:villages"])
    assert res.exit_code == 1
    assert res.stderr.strip().count("\n") == 0 and "candidate sites" in res.stderr
    res2 = CliRunner().invoke(cli, ["relocate", f"{g}:zones", "--villages", "/no/such.gpkg:villages"])
    assert res2.exit_code == 1 and "no such file" in res2.stderr


def test_pipeline_job(scenario, tmp_path):
    from analysis.pipeline import JOBS, run_project

    assert "relocation" in [j.name for j in JOBS]
    g, dem = scenario["gpkg"], scenario["dem"]
    layers = "".join(
        f'[layers.{role}]\npath = "{g}"\nlayer = "{layer}"\n\n'
        for role, layer in (
            ("zones", "zones"),
            ("villages", "villages"),
            ("sites", "sites"),
            ("planning_area", "planning_area"),
            ("farmland", "farmland"),
            ("redline", "redline"),
            ("roads", "roads"),
            ("facilities", "facilities"),
        )
    )
    toml = tmp_path / "project.toml"
    toml.write_text(
        f'[project]\nname = "t"\nas_of = "2026-01-01"\n\n{layers}[rasters.dem]\npath = "{dem}"\n',
        encoding="utf-8",
    )
    paths, ctx = run_project(toml, tmp_path / "out", basemap="none", only=("relocation",))
    run = ctx.results["relocation"]
    assert run.sites.loc["S1", "population"] == 5500
    assert ("relocation_print_map" in paths and paths["relocation_print_map"].exists()) or ctx.qa.count(
        "print_map"
    ) == 1
    # without sites or a planning area the job says it cannot decide
    bare = tmp_path / "bare.toml"
    bare.write_text(
        f'[project]\nname = "b"\n\n[layers.zones]\npath = "{g}"\nlayer = "zones"\n\n'
        f'[layers.villages]\npath = "{g}"\nlayer = "villages"\n',
        encoding="utf-8",
    )
    _, ctx2 = run_project(bare, tmp_path / "out2", basemap="none", only=("relocation",))
    assert "relocation" not in ctx2.results
    assert any("neither [layers.sites] nor [layers.planning_area]" in r.message for r in ctx2.qa.rows)


def test_assign_villages_adapter_on_points_and_boxes():
    import geopandas as gpd
    import pandas as pd
    from shapely import Point, box

    from analysis.relocation import RelocationRule
    from analysis.relocation_run import assign_villages
    from tests.conftest import CRS, X0, Y0

    # V1 (0, 0) is 1000 m from S0's centre (1000, 0) and 3000 m from S1's (3000, 0); V2 (2750, 968.2458) is
    # 2000 m and 1000 m away: the hand-solved minimum case, so both go to S0 (3000×1000 + 3000×2000 = 9e6)
    y = math.sqrt(1_000_000 - 250**2)
    villages = gpd.GeoDataFrame(
        {"population_to_house": [3000, 3000]},
        geometry=[Point(X0, Y0), Point(X0 + 2750, Y0 + y)],
        crs=CRS,
        index=pd.Index(["V1", "V2"]),
    )
    sites = gpd.GeoDataFrame(
        {"capacity": [10_000, 10_000]},
        geometry=[
            box(X0 + 900, Y0 - 100, X0 + 1100, Y0 + 100),
            box(X0 + 2900, Y0 - 100, X0 + 3100, Y0 + 100),
        ],
        crs=CRS,
        index=pd.Index(["S0", "S1"]),
    )
    res, table, how = assign_villages(villages, sites, rule=RelocationRule.from_profile(load_profile()))
    assert how == "straight-line"
    assert table.set_index("village_id")["site_id"].to_dict() == {"V1": "S0", "V2": "S0"}
    assert table["distance_m"].tolist() == pytest.approx([1000.0, 2000.0])
    assert res.total_cost == pytest.approx(9.0e6)
