"""R2 三区三线: overlaps worked by hand on EPSG:4526 boxes; dissolve first, shared edges, the tolerance."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

import analysis.commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from boundaries.constraints import (
    JSON_KEYS,
    ConstraintRule,
    ControlLayers,
    check_constraints,
    dissolve_control,
)
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones
from tests.conftest import CRS, b, zones_gdf

RULE = ConstraintRule.from_profile(load_profile("henan"))
DAY = dt.date(2026, 11, 21)


def _layer(*geoms):
    return gpd.GeoDataFrame({"BSM": [f"f{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=CRS)


def _zones():
    # Z1: 100 x 100 = 10 000 m²; Z2: 100 x 100 at x 200..300.
    return prepare_zones(zones_gdf(("Z1", b(0, 0, 100, 100)), ("Z2", b(200, 0, 300, 100))), qa=QALog())


def _controls(qa=None, **layers):
    return ControlLayers.prepare(**{k: _layer(*v) for k, v in layers.items()}, qa=qa or QALog())


# farmland f1 (x 80..120, y 0..50) and f2 (x 90..130) overlap each other; inside Z1 both cover x 80..100,
# y 0..50 = 20 x 50 = 1000 m². Summing per-feature intersections would give 1000 + 500 = 1500.
# f3 touches Z2 along its east edge (x = 300): no area.
FARMLAND = (b(80, 0, 120, 50), b(90, 0, 130, 50), b(300, 0, 400, 100))
# urban boundary covers x -10..90 (Z1's x 90..100 is outside: 10 x 100 = 1000 m²) and exactly Z2.
URBAN = (b(-10, -10, 90, 110), b(200, 0, 300, 100))


def test_overlapping_farmland_counts_once_and_shared_edge_is_no_finding():
    qa = QALog()
    res = check_constraints(
        _zones(),
        _controls(qa, farmland=FARMLAND, redline=(b(500, 0, 600, 10),), urban=URBAN),
        rule=RULE,
        as_of=DAY,
    )
    v1, v2 = res.verdicts
    assert v1.farmland_overlap_m2 == pytest.approx(1000.0)
    assert v1.farmland_parts == 1
    assert v1.redline_overlap_m2 == 0.0
    assert v1.outside_urban_boundary_m2 == pytest.approx(1000.0)
    assert (v1.farmland_passes, v1.redline_passes, v1.urban_passes, v1.passes) == (False, True, False, False)
    assert v2.farmland_overlap_m2 == 0.0 and v2.farmland_sliver_m2 == 0.0
    assert v2.outside_urban_boundary_m2 == pytest.approx(0.0, abs=1e-6)
    assert v2.passes is True and v2.verdict == "pass"
    # the two farmland features overlap by x 90..120 x 0..50 = 1500 m²: a QA row, counted once
    row = next(r for r in qa.rows if r.check == "control_overlap")
    assert row.area_m2 == pytest.approx(1500.0)
    # the overlap geometries are the exact boxes
    parts = res.parts[res.parts["finding"]]
    far = parts[(parts["zone_id"] == "Z1") & (parts["kind"] == "farmland")].geometry.iloc[0]
    out = parts[(parts["zone_id"] == "Z1") & (parts["kind"] == "urban")].geometry.iloc[0]
    assert far.symmetric_difference(b(80, 0, 100, 50)).area == pytest.approx(0.0, abs=1e-6)
    assert out.symmetric_difference(b(90, 0, 100, 100)).area == pytest.approx(0.0, abs=1e-6)
    assert set(parts["rule_id"]) == {"R2.farmland", "R2.urban"}
    assert parts["share_of_zone"].tolist() == pytest.approx([0.1, 0.1])


def test_figures_in_ha_and_mu_and_shares():
    res = check_constraints(_zones(), _controls(farmland=FARMLAND), rule=RULE, as_of=DAY)
    row = res.verdicts[0].to_row()
    assert row["farmland_overlap_ha"] == pytest.approx(0.1)
    assert row["farmland_overlap_mu"] == pytest.approx(1.5)  # 1000 m² × 15/10 000
    assert row["farmland_overlap_share"] == pytest.approx(0.1)
    assert row["as_of"] == "2026-11-21"


def test_independent_overlay_agrees():
    # geopandas.overlay + dissolve, an independent route to the same figure
    zones = _zones()
    farm = _layer(*FARMLAND)
    dissolved = farm.dissolve()
    ov = gpd.overlay(zones[["zone_id", "geometry"]], dissolved[["geometry"]], how="intersection", keep_geom_type=True)
    expected = ov.assign(a=ov.area).groupby("zone_id")["a"].sum().reindex(zones["zone_id"], fill_value=0.0)
    res = check_constraints(zones, _controls(farmland=FARMLAND), rule=RULE)
    got = [v.farmland_overlap_m2 for v in res.verdicts]
    assert got == pytest.approx(expected.tolist())


@pytest.mark.parametrize(("height", "finding"), [(0.01, False), (0.0101, True), (0.005, False), (0.02, True)])
def test_tolerance_edge(height, finding):
    # a red-line strip 100 m long along Z2's top edge, reaching `height` m into the zone: 100 × height m²
    red = (b(200, 100 - height, 300, 150),)
    res = check_constraints(_zones(), _controls(redline=red), rule=RULE)
    v2 = res.verdicts[1]
    area = 100 * height
    if finding:
        assert v2.redline_overlap_m2 == pytest.approx(area, rel=1e-6)
        assert v2.redline_sliver_m2 == 0.0
        assert v2.redline_passes is False
    else:
        assert v2.redline_overlap_m2 == 0.0
        assert v2.redline_sliver_m2 == pytest.approx(area, rel=1e-6)
        assert v2.redline_passes is True
    sliver_rows = res.parts[~res.parts["finding"]]
    assert len(sliver_rows) == (0 if finding else 1)  # slivers are listed, not dropped


def test_missing_layer_cannot_decide_but_failure_decides():
    res = check_constraints(_zones(), _controls(farmland=FARMLAND, urban=URBAN), rule=RULE)
    v1, v2 = res.verdicts
    assert v1.passes is False  # farmland overlap decides, red line unknown
    assert v2.passes is None and v2.verdict == "cannot decide"
    assert v2.redline_overlap_m2 is None
    assert "R2.redline: cannot decide, because no 生态保护红线 layer was given" in v2.reason


def test_outside_urban_boundary_can_be_report_only():
    rule = ConstraintRule(**{**RULE.__dict__, "outside_urban_fails": False})
    res = check_constraints(
        _zones(),
        _controls(farmland=(b(500, 0, 510, 10),), redline=(b(500, 0, 510, 10),), urban=URBAN),
        rule=rule,
    )
    v1 = res.verdicts[0]
    assert v1.outside_urban_boundary_m2 == pytest.approx(1000.0)
    assert v1.passes is True and "reported only" in v1.reason


def test_dissolve_control_repairs_a_bowtie():
    qa = QALog()
    bow = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])  # two triangles of 25 m² each
    d = dissolve_control(gpd.GeoDataFrame(geometry=[bow], crs=CRS), kind="farmland", label="f", qa=qa)
    assert float(d.area.sum()) == pytest.approx(50.0)
    assert qa.count("invalid_geometry") == 1


def test_cli_json_keys(tmp_path):
    p = tmp_path / "l.gpkg"
    zones_gdf(("Z1", b(0, 0, 100, 100)), ("Z2", b(200, 0, 300, 100))).to_file(p, layer="zones")
    _layer(*FARMLAND).to_file(p, layer="yjjbnt")
    _layer(*URBAN).to_file(p, layer="czkfbj")
    r = CliRunner().invoke(
        cli,
        [
            "constraints",
            str(p),
            "--zones-layer",
            "zones",
            "--farmland",
            str(p),
            "--farmland-layer",
            "yjjbnt",
            "--urban-boundary",
            str(p),
            "--urban-boundary-layer",
            "czkfbj",
            "--json",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [tuple(d) for d in lines] == [JSON_KEYS, JSON_KEYS]
    assert lines[0]["farmland_overlap_m2"] == pytest.approx(1000.0)
    assert lines[0]["redline_overlap_m2"] is None
    assert lines[0]["passes"] is False and lines[1]["passes"] is None
    assert lines[0]["rule_ids"] == ["R2.farmland", "R2.redline", "R2.urban"]
    assert (tmp_path / "o" / "report.xlsx").exists()
    layers = gpd.list_layers(tmp_path / "o" / "findings.gpkg")["name"].tolist()
    assert "constraint_overlaps" in layers
