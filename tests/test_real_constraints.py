"""Real data: R2 三区三线 on the OSM Kotka extract (© OpenStreetMap contributors, ODbL) against QGIS.

The control layers in tests/data/real/kotka_controls.gpkg are built from real OSM polygons by
make_kotka_controls.py (farmland = farmland/meadow/greenhouse_horticulture, unrepaired and overlapping;
redline = forest + natural=wood; urban_boundary = a made-up 50 m buffer of the built-up land use). The
expected figures in kotka_expected_qgis_r2.csv were produced once with QGIS 3.22 (native:fixgeometries +
native:calculatevectoroverlaps, planar in EPSG:3067; native:difference and native:intersection for the
outside area and the per-polygon sums) by qgis_truth_r2.py; tests/data/real/README.md says how.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Transformer

import analysis.commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from analysis.constraints import load_controls, run_constraints
from geo.layers import LayerSpec, load_zones
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import REAL

ZONES = REAL / "kotka_zones.gpkg"
CONTROLS = REAL / "kotka_controls.gpkg"
EXPECTED = pd.read_csv(REAL / "kotka_expected_qgis_r2.csv").set_index("zone_id")
LAYERS = {"farmland": "farmland", "redline": "redline", "urban": "urban_boundary"}
REL = 1e-6


@pytest.fixture(scope="module")
def run():
    qa = QALog()
    zones, acrs = load_zones(LayerSpec(ZONES, "zones"), crs="EPSG:3067", qa=qa)
    specs = {k: LayerSpec(CONTROLS, layer) for k, layer in LAYERS.items()}
    controls = load_controls(specs, zones, acrs, qa=qa)
    return run_constraints(zones, controls, profile=load_profile("henan")), qa


def test_r2_figures_match_qgis(run):
    res, _ = run
    verdicts = {v.zone_id: v for v in res.result.verdicts}
    assert sorted(verdicts) == ["KT-A", "KT-B", "KT-C"] == sorted(EXPECTED.index)
    for zid, v in verdicts.items():
        e = EXPECTED.loc[zid]
        assert v.zone_area_m2 == pytest.approx(e["zone_area_m2"], rel=REL), zid
        assert v.farmland_overlap_m2 == pytest.approx(e["farmland_overlap_m2"], rel=REL), zid
        assert v.redline_overlap_m2 == pytest.approx(e["redline_overlap_m2"], rel=REL), zid
        assert v.outside_urban_boundary_m2 == pytest.approx(e["outside_urban_m2"], rel=REL), zid
        assert v.zone_area_m2 - v.outside_urban_boundary_m2 == pytest.approx(e["inside_urban_m2"], rel=REL), zid
        # no digitising sliver is left out of these figures (QGIS has no tolerance): at most float residue
        assert v.farmland_sliver_m2 + v.redline_sliver_m2 + v.outside_urban_sliver_m2 < 1e-6, zid
    # every zone overlaps farmland; only KT-A reaches the red line (forest/wood); all lie partly outside
    assert [verdicts[z].redline_passes for z in ("KT-A", "KT-B", "KT-C")] == [False, True, True]
    assert all(v.farmland_passes is False and v.urban_passes is False and v.passes is False for v in verdicts.values())


def test_overlap_geometries_match_qgis(run):
    """The parts devzone reports sum to QGIS's figures; outside parts vs QGIS's native:difference."""
    res, _ = run
    parts = res.result.parts
    for zid, e in EXPECTED.iterrows():
        mine = parts[parts["zone_id"] == zid]
        for kind, col in (("farmland", "farmland_overlap_m2"), ("urban", "outside_urban_difference_m2")):
            got = float(mine.loc[mine["kind"] == kind].geometry.area.sum())
            assert got == pytest.approx(e[col], rel=REL), (zid, kind)


def test_cli_json_matches_qgis(tmp_path):
    args = ["constraints", str(ZONES), "--zones-layer", "zones", "--crs", "EPSG:3067", "--json"]
    for kind, layer in LAYERS.items():
        opt = "--urban-boundary" if kind == "urban" else f"--{kind}"
        args += [opt, str(CONTROLS), f"{opt}-layer", layer]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    lines = {d["zone_id"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert sorted(lines) == ["KT-A", "KT-B", "KT-C"]
    for zid, d in lines.items():
        e = EXPECTED.loc[zid]
        assert d["farmland_overlap_m2"] == pytest.approx(e["farmland_overlap_m2"], rel=REL), zid
        assert d["redline_overlap_m2"] == pytest.approx(e["redline_overlap_m2"], rel=REL), zid
        assert d["outside_urban_boundary_m2"] == pytest.approx(e["outside_urban_m2"], rel=REL), zid
        assert d["passes"] is False


def _farmland_pair_overlap_in(zone_id: str) -> float:
    """Area of repaired farmland 75391014 ∩ 106230775 inside a zone, with shapely and pyproj alone."""
    df = pyogrio.read_dataframe(CONTROLS, layer="farmland")
    pair = [shapely.make_valid(df.geometry[df["osm_way_id"] == w].iloc[0]) for w in ("75391014", "106230775")]
    z = pyogrio.read_dataframe(ZONES, layer="zones")
    ring = np.asarray(z.geometry[z["zone_id"] == zone_id].iloc[0].exterior.coords)
    x, y = Transformer.from_crs(4326, 3067, always_xy=True).transform(ring[:, 0], ring[:, 1])
    return float(shapely.Polygon(np.column_stack([x, y])).intersection(pair[0]).intersection(pair[1]).area)


def test_overlapping_farmland_counts_once(run):
    """Summing each farmland polygon's overlap (QGIS native:intersection) double counts KT-B's 4,856.6 m²."""
    res, qa = run
    verdicts = {v.zone_id: v for v in res.result.verdicts}
    twice = _farmland_pair_overlap_in("KT-B")
    assert twice == pytest.approx(4856.6, abs=0.05)  # README: 4,856.6 m² of the farmland × farmland overlap
    naive = EXPECTED["farmland_naive_sum_m2"]
    assert naive["KT-B"] > verdicts["KT-B"].farmland_overlap_m2
    assert naive["KT-B"] - verdicts["KT-B"].farmland_overlap_m2 == pytest.approx(twice, rel=1e-5)
    # KT-A and KT-C hold no overlap between farmland polygons: there the per-polygon sum is the same figure
    for zid in ("KT-A", "KT-C"):
        assert _farmland_pair_overlap_in(zid) == 0.0
        assert naive[zid] == pytest.approx(verdicts[zid].farmland_overlap_m2, rel=REL)
    # the doubled area of each layer is a QA row (farmland 75391014 × 106230775; forest 75391017 × wood 106231103)
    rows = {r.layer.rsplit(":", 1)[1]: r.area_m2 for r in qa.rows if r.check == "control_overlap"}
    assert rows == {"farmland": pytest.approx(17020.41, abs=0.01), "redline": pytest.approx(1101.26, abs=0.01)}
