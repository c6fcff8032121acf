"""R2, R3, boundary QA and the proposal on the bundled Puyang sample; every expected figure is computed here
independently (geopandas overlay and dissolve, shapely, PuLP/CBC), not taken from devzone's output."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from analysis.constraints import ROLES, load_controls, run_constraints
from analysis.project import load_project
from geo.layers import load_zones
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import SAMPLE

GPKG = SAMPLE / "puyang_sample.gpkg"
pytestmark = pytest.mark.skipif(not GPKG.exists(), reason="the bundled sample tests/data/sample is not there yet")
DAY = dt.date(2026, 11, 21)
PROFILE = load_profile("henan")


@pytest.fixture(scope="module")
def project():
    proj = load_project(SAMPLE / "project.toml")
    qa = QALog()
    zones, acrs = load_zones(proj.layers["zones"], crs=proj.crs, qa=qa)
    return proj, zones, acrs, qa


@pytest.fixture(scope="module")
def layers():
    return {
        name: gpd.read_file(GPKG, layer=name)
        for name in ("zones", "yjjbnt", "stbhhx", "czkfbj", "dltb_2023", "dltb_2020")
    }


def _valid(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return g.set_geometry(g.geometry.make_valid())


def _overlay_area(zones: gpd.GeoDataFrame, other: gpd.GeoDataFrame) -> pd.Series:
    """Area of the dissolved ``other`` inside each zone, by geopandas.overlay."""
    diss = _valid(other)[["geometry"]].dissolve()
    ov = gpd.overlay(zones[["ZONE_ID", "geometry"]], diss, how="intersection", keep_geom_type=True)
    return ov.assign(a=ov.area).groupby("ZONE_ID")["a"].sum().reindex(zones["ZONE_ID"], fill_value=0.0)


def test_constraints_match_overlay_and_dissolve(project, layers):
    proj, zones, acrs, qa = project
    controls = load_controls({k: proj.layers.get(r) for k, r in ROLES.items()}, zones, acrs, qa=qa)
    verdicts = {v.zone_id: v for v in run_constraints(zones, controls, profile=PROFILE, as_of=DAY).result.verdicts}
    z = layers["zones"]
    farm = _overlay_area(z, layers["yjjbnt"])
    red = _overlay_area(z, layers["stbhhx"])
    urban = _valid(layers["czkfbj"])[["geometry"]].dissolve()
    outside = gpd.overlay(z[["ZONE_ID", "geometry"]], urban, how="difference")
    outside = outside.assign(a=outside.area).set_index("ZONE_ID")["a"].reindex(z["ZONE_ID"], fill_value=0.0)
    for zid in z["ZONE_ID"]:
        v = verdicts[zid]
        # figures exclude slivers ≤ 1 m²; the independent totals include them
        assert v.farmland_overlap_m2 + v.farmland_sliver_m2 == pytest.approx(farm[zid], abs=1e-3)
        assert v.redline_overlap_m2 + v.redline_sliver_m2 == pytest.approx(red[zid], abs=1e-3)
        assert v.outside_urban_boundary_m2 + v.outside_urban_sliver_m2 == pytest.approx(outside[zid], abs=1e-3)
    # the overlapping farmland polygons count once: summing per-feature intersections would give more
    naive = gpd.overlay(
        z[z["ZONE_ID"] == "PY02"][["geometry"]], _valid(layers["yjjbnt"])[["geometry"]], how="intersection"
    ).area.sum()
    assert naive > verdicts["PY02"].farmland_overlap_m2 + 10_000
    # PY03 only shares an edge with the red line: no finding
    assert verdicts["PY03"].redline_overlap_m2 == 0.0 and verdicts["PY03"].redline_passes is True
    assert [verdicts[z].passes for z in ("PY01", "PY02", "PY03", "PY04")] == [True, False, True, False]


def test_conversions_match_an_independent_overlay(project, layers):
    from analysis.conflicts import run_conflicts

    proj, zones, acrs, _ = project
    run = run_conflicts(
        zones,
        proj.layers["landuse"],
        previous=proj.layers["landuse_previous"],
        analysis_crs=acrs,
        profile=PROFILE,
        qa=QALog(),
        as_of=DAY,
    )
    conv = run.conversions
    assert conv is not None
    # independently: earlier 工矿仓储 (no traps in 2020) ∩ current 商住 features, inside the zones
    prev = layers["dltb_2020"]
    cur = _valid(layers["dltb_2023"])
    ind = prev[prev["DLBM"].isin(["0601", "0602", "0603", "0508"])][["BSM", "geometry"]]
    rc = cur[cur["DLBM"].isin(["05H1", "0701", "0702"])][["geometry"]]  # 三调 商业服务业设施, 城镇住宅, 农村宅基地
    zone_union = layers["zones"][["geometry"]].dissolve()
    first = gpd.overlay(ind, rc.dissolve(), how="intersection", keep_geom_type=False)
    first = first[first.area > 0].explode(index_parts=False)
    first = first[first.geom_type == "Polygon"]
    expected = gpd.overlay(first, zone_union, how="intersection", keep_geom_type=False)
    expected = expected[expected.area > 1.0]
    assert sorted(conv.loc[conv["finding"], "parcel_previous"].astype(int)) == sorted(expected["BSM"].astype(int))
    assert conv.loc[conv["finding"], "area_m2"].sum() == pytest.approx(expected.area.sum(), rel=1e-9)


def test_zone_geometry_qa_agrees_with_shapely(layers):
    from boundaries.geometry_qa import GeometryRule, check_zone_geometry

    z = layers["zones"]
    rows = check_zone_geometry(z, rule=GeometryRule.from_profile(PROFILE))
    assert (rows["check"] == "invalid").sum() == int((~z.is_valid).sum())
    geoms = list(z.geometry)
    close = [(i, j) for i in range(len(geoms)) for j in range(i + 1, len(geoms)) if geoms[i].distance(geoms[j]) <= 5]
    assert ((rows["check"].isin(["overlap", "gap", "sliver"])).sum() == 0) == (not close)


@pytest.fixture(scope="module")
def py03(project):
    from analysis.proposal import run_proposals

    proj, zones, acrs, _ = project
    controls = load_controls({k: proj.layers.get(r) for k, r in ROLES.items()}, zones, acrs, qa=QALog())
    run = run_proposals(
        zones,
        proj.layers["landuse"],
        controls,
        analysis_crs=acrs,
        profile=PROFILE,
        qa=QALog(),
        zone_ids=("PY03",),
        as_of=DAY,
    )
    return run.results[0], zones


def test_proposal_passes_when_checked_independently(py03, layers):
    res, zones = py03
    v = res.verdict
    assert (v.status, v.method) == ("proposed", "optimal")
    poly = res.polygon.geometry.iloc[0]
    assert poly.is_valid and poly.geom_type == "Polygon" and len(poly.interiors) == 0
    lu = _valid(layers["dltb_2023"])
    ov = gpd.overlay(
        lu[["DLBM", "geometry"]],
        gpd.GeoDataFrame(geometry=[poly], crs=lu.crs),
        how="intersection",
        keep_geom_type=True,
    ).dissolve("DLBM")
    area = ov.area
    ind = area[area.index.isin(["0601", "0602", "0603", "0508"])].sum()
    con = area[~area.index.str[:2].isin(["01", "02", "03", "04", "11", "12"]) | (area.index == "1109")]
    con = con[con.index != "1006"].sum()
    assert ind / con >= 0.6  # PY03 has no overlapping parcels or unknown codes: the dissolved share is exact
    assert ind / con == pytest.approx(v.share_after, abs=1e-6)
    farm = _overlay_area(gpd.GeoDataFrame({"ZONE_ID": ["P"]}, geometry=[poly], crs=lu.crs), layers["yjjbnt"])
    assert farm["P"] == pytest.approx(0.0, abs=1e-6)
    # what was taken in lies outside the old zone and what was left out inside it
    old = zones.loc["PY03"].geometry
    chosen = res.pieces[res.pieces["chosen"]]
    assert all(old.intersection(g).area < 1e-3 for g in chosen.loc[chosen["action"] == "add"].geometry)
    assert all(
        old.intersection(g).area == pytest.approx(g.area) for g in chosen.loc[chosen["action"] == "remove"].geometry
    )
    assert poly.area == pytest.approx(old.area - v.removed_m2 + v.added_m2, abs=0.01)


def test_proposal_is_between_a_lower_bound_and_the_greedy(py03):
    """SCIP (a MIP solver, not CP-SAT) without the shape test gives a lower bound; the greedy an upper one."""
    from ortools.linear_solver import pywraplp

    from boundaries.proposal_solver import greedy_selection

    res, _ = py03
    c = res.pieces[res.pieces["action"].isin(["remove", "add"])]
    add = (c["action"] == "add").to_numpy()
    area = c["area_m2"].to_numpy()
    before = res.share_before
    ind, den = (
        before.industrial_area_m2,
        before.construction_area_m2 + before.unknown_area_m2 + before.uncovered_area_m2,
    )
    mip = pywraplp.Solver.CreateSolver("SCIP")
    x = [mip.BoolVar(f"x{k}") for k in range(len(c))]
    mip.Minimize(sum(float(a) * v for a, v in zip(area, x, strict=True)))
    mip.Add(
        ind + sum(float(a) * v for a, v, s in zip(area, x, add, strict=True) if s)
        >= 0.6 * (den + sum((float(a) if s else -float(a)) * v for a, v, s in zip(area, x, add, strict=True)))
    )
    assert mip.Solve() == pywraplp.Solver.OPTIMAL
    lower = mip.Objective().Value()
    greedy = greedy_selection(
        np.where(add, area, 0.0).tolist(),
        np.where(add, area, -area).tolist(),
        area.tolist(),
        industrial_m2=ind,
        denominator_m2=den,
        threshold=0.6,
        feasible=lambda s: True,
    )
    upper = float(area[list(greedy.chosen)].sum())
    assert lower - 1.0 <= res.verdict.changed_m2 <= upper + 1e-6
