"""★ Boundary proposal: optimality on a 3×3 grid solved by hand (and by brute force), where greedy is wrong;
contiguity cuts; never taking in 三区三线 land; the re-run R1/R2 verdicts; the CLI."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis.commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from boundaries.constraints import ConstraintRule, ControlLayers
from boundaries.industrial import IndustrialRule
from boundaries.proposal import JSON_KEYS, propose_boundary
from boundaries.proposal_solver import ProposalRule
from geo.codes import code_table
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import prepare_zones
from tests.conftest import CRS, b, landuse_gdf, zones_gdf

PROFILE = load_profile("henan")
R1 = IndustrialRule.from_profile(PROFILE)
R2 = ConstraintRule.from_profile(PROFILE)
PARAMS = ProposalRule.from_profile(PROFILE)
TABLE = code_table("sandiao")
FAR = b(5000, 5000, 5010, 5010)  # a control polygon far away: layer present, no overlap
URBAN_ALL = b(-1000, -1000, 1000, 1000)

# The 3×3 grid: columns 40, 100, 30 m wide (x 0/40/140/170), rows 100, 100, 50 m high (y 0/100/200/250).
#   north  (0,2) 0101 2000   (1,2) 0101 5000    (2,2) 0601 1500
#   middle (0,1) 0701 4000   (1,1) 0601 10000   (2,1) 05H1 3000
#   south  (0,0) 0601 4000   (1,0) 0701 10000   (2,0) 0101 3000
# Industrial I = 4000 + 10000 + 1500 = 15 500; construction D = I + 4000 + 10000 + 3000 = 32 500; share
# 47.69 %. The target needs 0.6·D − I = 4000 m² of "gain": leaving out a m² gains 0.6·a, taking in b m² of
# industrial land gains 0.4·b. Candidates (edge pieces, not the centre): (1,0) 10 000 → 6000;
# (0,1) 4000 → 2400; (2,1) 3000 → 1800; and east of (2,1) an industrial parcel A 50 x 100 = 5000 → 2000.
# Subsets reaching 4000: {(0,1),(2,1)} 7000 m² changed; {(0,1),A} 9000; {(1,0)} 10 000. Optimum: leave out
# (0,1) and (2,1) (7000 m²), new share 15 500 / 25 500 = 60.78 %. A greedy rule that takes the one piece
# reaching the target alone — (1,0) — changes 10 000 m².
XS, YS = (0, 40, 140, 170), (0, 100, 200, 250)
GRID = {
    (0, 2): "0101",
    (1, 2): "0101",
    (2, 2): "0601",
    (0, 1): "0701",
    (1, 1): "0601",
    (2, 1): "05H1",
    (0, 0): "0601",
    (1, 0): "0701",
    (2, 0): "0101",
}


def cell(c, r):
    return b(XS[c], YS[r], XS[c + 1], YS[r + 1])


def grid_landuse():
    items = [(code, cell(c, r)) for (c, r), code in GRID.items()]
    return landuse_gdf(*items, ("0601", b(170, 100, 220, 200)))


def _zone(geom):
    return prepare_zones(zones_gdf(("Z", geom)), qa=QALog())


def _controls(farmland=(FAR,), redline=(FAR,), urban=(URBAN_ALL,)):
    def g(x):
        return None if x is None else gpd.GeoDataFrame(geometry=list(x), crs=CRS)

    return ControlLayers.prepare(farmland=g(farmland), redline=g(redline), urban=g(urban), qa=QALog())


def _propose(zone, landuse, *, controls=None, params=PARAMS):
    return propose_boundary(
        _zone(zone),
        landuse,
        table=TABLE,
        code_field="DLBM",
        controls=controls or _controls(),
        rule=R1,
        constraint_rule=R2,
        params=params,
    )


def test_grid_optimum_by_hand():
    res = _propose(b(0, 0, 170, 250), grid_landuse())
    v = res.verdict
    assert (v.status, v.method) == ("proposed", "optimal")
    assert v.share_before == pytest.approx(15_500 / 32_500)
    chosen = res.pieces[res.pieces["chosen"]]
    assert sorted(chosen["code"]) == ["05H1", "0701"]
    assert set(chosen["action"]) == {"remove"}
    left_out = shapely.union_all(chosen.geometry.values)
    assert left_out.symmetric_difference(shapely.union_all([cell(0, 1), cell(2, 1)])).area == pytest.approx(
        0.0, abs=1e-6
    )
    assert (v.removed_m2, v.added_m2, v.changed_m2) == (pytest.approx(7000.0), 0.0, pytest.approx(7000.0))
    assert v.share_after == pytest.approx(15_500 / 25_500)  # re-measured by the R1 functions
    assert v.passes_after is True and v.constraints_pass_after is True
    assert v.one_piece is True and v.new_holes == 0
    assert res.polygon.geometry.iloc[0].area == pytest.approx(42_500 - 7000)
    # four candidates: three edge pieces to leave out, one parcel to take in; the centre is not one
    assert (v.n_remove_candidates, v.n_add_candidates) == (3, 1)
    assert v.rule_ids[:2] == ("R1.proposal", "R1")


def test_grid_optimum_matches_brute_force():
    """Every subset of the four candidates; shapes and shares by geopandas.overlay, not the kernel."""
    lu = grid_landuse()
    zone = b(0, 0, 170, 250)
    cands = {
        "(1,0)": ("remove", cell(1, 0)),
        "(0,1)": ("remove", cell(0, 1)),
        "(2,1)": ("remove", cell(2, 1)),
        "A": ("add", b(170, 100, 220, 200)),
    }
    best = None
    for n in range(1, 5):
        for combo in itertools.combinations(cands, n):
            g = zone
            for k in combo:
                act, geom = cands[k]
                g = g.difference(geom) if act == "remove" else g.union(geom)
            if shapely.get_num_geometries(g) != 1 or len(g.interiors):
                continue
            ov = gpd.overlay(lu, gpd.GeoDataFrame(geometry=[g], crs=CRS), how="intersection", keep_geom_type=False)
            ind = ov.loc[ov["DLBM"] == "0601"].area.sum()
            con = ov.loc[ov["DLBM"] != "0101"].area.sum()
            cost = sum(cands[k][1].area for k in combo)
            if ind >= 0.6 * con and (best is None or cost < best[0]):
                best = (cost, set(combo))
    assert best == (pytest.approx(7000.0), {"(0,1)", "(2,1)"})
    assert _propose(zone, lu).verdict.changed_m2 == pytest.approx(best[0])


def test_greedy_is_worse_on_the_grid_and_says_so():
    greedy = ProposalRule(**{**PARAMS.__dict__, "max_exact_candidates": 0})
    v = _propose(b(0, 0, 170, 250), grid_landuse(), params=greedy).verdict
    assert v.method == "greedy"
    assert "4 candidates > 0, the limit for the exact method" in v.method_note
    assert v.changed_m2 == pytest.approx(10_000.0)  # leaves out (1,0): worse than the optimum 7000
    assert v.share_after == pytest.approx(15_500 / 22_500)
    assert v.passes_after is True


def test_contiguity_cut():
    # A industry x 0..100 (10 000), B road x 100..140 (4000, construction), C housing x 140..200 (6000).
    # I = 10 000, D = 20 000, need 12 000 − 10 000 = 2000. Leaving out B (4000 m², gain 2400) is the
    # cheapest but cuts the zone in two; taking in E (x −50..0, 5000 m², gain 2000) is next: one cut.
    lu = landuse_gdf(
        ("0601", b(0, 0, 100, 100)),
        ("1004", b(100, 0, 140, 100)),
        ("0701", b(140, 0, 200, 100)),
        ("0601", b(-50, 0, 0, 100)),
    )
    v = _propose(b(0, 0, 200, 100), lu).verdict
    assert (v.method, v.n_cuts) == ("optimal", 1)
    assert (v.added_m2, v.removed_m2) == (pytest.approx(5000.0), 0.0)
    assert v.share_after == pytest.approx(15_000 / 25_000)
    assert v.one_piece is True


def test_never_takes_in_controlled_land():
    # zone 100 x 100: industry ring 3600 around housing x/y 10..90 (6400, not at the edge): I 3600, D 10 000,
    # need 2400, only by taking in ≥ 6000 m² of industry. West W (10 000) is 永久基本农田 over x −100..−30;
    # east E (10 000) is 生态保护红线 over x 150..200; north N (10 000) lies outside 城镇开发边界 above y 170.
    # Allowed: W 3000 (gain 1200), E 5000 (2000), N 7000 (2800). Optimum: N's 7000 m² alone.
    ring = shapely.Polygon(b(0, 0, 100, 100).exterior.coords, [b(10, 10, 90, 90).exterior.coords])
    lu = landuse_gdf(
        ("0601", ring),
        ("0701", b(10, 10, 90, 90)),
        ("0601", b(-100, 0, 0, 100)),
        ("0601", b(100, 0, 200, 100)),
        ("0601", b(0, 100, 100, 200)),
    )
    controls = _controls(
        farmland=(b(-100, 0, -30, 100),), redline=(b(150, 0, 200, 100),), urban=(b(-300, -300, 300, 170),)
    )
    res = _propose(b(0, 0, 100, 100), lu, controls=controls)
    v = res.verdict
    assert v.added_m2 == pytest.approx(7000.0) and v.removed_m2 == 0.0
    assert res.polygon.geometry.iloc[0].symmetric_difference(b(0, 0, 100, 170)).area == pytest.approx(0.0, abs=1e-6)
    assert (v.farmland_overlap_after_m2, v.redline_overlap_after_m2) == (0.0, 0.0)
    assert v.outside_urban_boundary_after_m2 == 0.0  # float residue of the kernel is not a finding
    assert v.share_after == pytest.approx(10_600 / 17_000) and v.passes_after is True
    adds = res.pieces[res.pieces["action"] == "add"].sort_values("area_m2")
    assert adds["area_m2"].tolist() == pytest.approx([3000.0, 5000.0, 7000.0])
    assert adds["excluded_m2"].tolist() == pytest.approx([7000.0, 5000.0, 3000.0])


def test_without_a_control_layer_nothing_is_taken_in():
    lu = landuse_gdf(
        ("0601", b(0, 0, 50, 100)),
        ("1004", b(50, 0, 60, 100)),
        ("0701", b(60, 0, 100, 100)),
        ("0601", b(-50, 0, 0, 100)),
    )
    res = _propose(b(0, 0, 100, 100), lu, controls=_controls(farmland=None))
    v = res.verdict
    assert v.added_m2 == 0.0 and v.n_add_candidates == 0
    assert "without the 永久基本农田 layer" in v.reason
    # I 5000 / D 10 000, need 1000: the road x 50..60 (1000 m², gain 600) is not enough and would cut the
    # zone in two; leaving out the housing x 60..100 (4000 m², gain 2400) is the optimum
    assert v.changed_m2 == pytest.approx(4000.0) and v.share_after == pytest.approx(5000 / 6000)
    assert v.constraints_pass_after is None  # R2 cannot be decided on the result either


def test_passing_zone_needs_nothing_and_hopeless_zone_has_no_solution():
    ok = _propose(b(0, 0, 100, 100), landuse_gdf(("0601", b(0, 0, 100, 100)))).verdict
    assert ok.status == "not needed"
    # housing wholly inside, industry only as a thin edge: nothing to leave out, nothing to take in
    ring = shapely.Polygon(b(0, 0, 100, 100).exterior.coords, [b(1, 1, 99, 99).exterior.coords])
    bad = _propose(b(0, 0, 100, 100), landuse_gdf(("0601", ring), ("0701", b(1, 1, 99, 99)))).verdict
    assert bad.status == "no solution" and bad.passes_after is None


def test_cli_propose_json(tmp_path):
    p = tmp_path / "l.gpkg"
    zones_gdf(("Z", b(0, 0, 170, 250))).to_file(p, layer="zones")
    grid_landuse().to_file(p, layer="dltb")
    for name, g in (("yjjbnt", FAR), ("stbhhx", FAR), ("czkfbj", URBAN_ALL)):
        gpd.GeoDataFrame(geometry=[g], crs=CRS).to_file(p, layer=name)
    r = CliRunner().invoke(
        cli,
        [
            "propose",
            str(p),
            str(p),
            "--zones-layer",
            "zones",
            "--landuse-layer",
            "dltb",
            "--farmland",
            str(p),
            "--farmland-layer",
            "yjjbnt",
            "--redline",
            str(p),
            "--redline-layer",
            "stbhhx",
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
    docs = [json.loads(x) for x in r.stdout.splitlines()]
    assert [tuple(d) for d in docs] == [JSON_KEYS]
    assert docs[0]["changed_m2"] == pytest.approx(7000.0) and docs[0]["method"] == "optimal"
    layers = gpd.list_layers(tmp_path / "o" / "findings.gpkg")["name"].tolist()
    assert {"proposal_boundaries", "proposal_pieces"} <= set(layers)


def test_peeling_a_second_ring():
    # zone 200 x 230. W housing x 0..60 (12 000, ring 1); S housing x 60..140, y 0..50 (4000, ring 1); the
    # housing behind it, x 60..140, y 50..140 (7200, ring 2: not on the boundary); industry elsewhere:
    # N x 60..140, y 140..200 (4800), E x 140..200 (12 000), T y 200..230 (6000).
    # I = 22 800, D = 46 000: need 0.6·46 000 − 22 800 = 4800. W alone: gain 7200 for 12 000 m²; S and the
    # housing behind it: 2400 + 4320 = 6720 for 11 200 m² (the housing alone would be a hole and is short).
    lu = landuse_gdf(
        ("0701", b(0, 0, 60, 200)),
        ("0701", b(60, 0, 140, 50)),
        ("0701", b(60, 50, 140, 140)),
        ("0601", b(60, 140, 140, 200)),
        ("0601", b(140, 0, 200, 200)),
        ("0601", b(0, 200, 200, 230)),
    )
    one_ring = ProposalRule(**{**PARAMS.__dict__, "removal_depth": 1})
    v1 = _propose(b(0, 0, 200, 230), lu, params=one_ring).verdict
    assert v1.removed_m2 == pytest.approx(12_000.0) and v1.share_after == pytest.approx(22_800 / 34_000)
    two = _propose(b(0, 0, 200, 230), lu, params=ProposalRule(**{**PARAMS.__dict__, "removal_depth": 2}))
    assert two.verdict.removed_m2 == pytest.approx(11_200.0)
    assert two.verdict.share_after == pytest.approx(22_800 / 34_800)
    assert sorted(two.pieces.loc[two.pieces["chosen"], "area_m2"].round(6)) == [4000.0, 7200.0]
    assert two.verdict.one_piece and two.verdict.new_holes == 0


def test_land_taken_in_that_closes_a_notch_into_a_hole_is_cut_correctly():
    # zone 100 x 100: housing R (x 30..70, y 0..40, 1600, on the south edge) and housing H (x 10..90,
    # y 50..95, 3600, inside); industry the rest (4800): I 4800, D 10 000, need 1200. Outside, industry:
    # A south (x 20..80, y −10..0, 600), A' west (1000), A'' east (2000). Leaving out R (gain 960) and taking
    # in A (gain 240) is cheapest (2200 m²) but A closes R's notch into a hole; next: R + A' (2600 m²).
    # A cut that forgot A would forbid R altogether and give A' + A'' (3000 m²).
    r, h = b(30, 0, 70, 40), b(10, 50, 90, 95)
    ind = b(0, 0, 100, 100).difference(r).difference(h)
    lu = landuse_gdf(
        ("0701", r),
        ("0701", h),
        ("0601", ind),
        ("0601", b(20, -10, 80, 0)),
        ("0601", b(-10, 0, 0, 100)),
        ("0601", b(100, 0, 120, 100)),
    )
    v = _propose(b(0, 0, 100, 100), lu).verdict
    assert (v.removed_m2, v.added_m2) == (pytest.approx(1600.0), pytest.approx(1000.0))
    assert v.n_cuts == 1 and v.method == "optimal"
    assert v.one_piece and v.new_holes == 0


def test_a_road_is_not_cut_into_the_zone():
    # a 10 m road running north into the zone from its south edge, and one running along its west edge
    from boundaries.conflicts import piece_classes
    from boundaries.proposal_candidates import removal_candidates
    from geo.landuse import measure_landuse

    zone = _zone(b(0, 0, 200, 200))
    lu = landuse_gdf(
        ("1004", b(95, 0, 105, 150)),
        ("1004", b(0, 0, 10, 200)),
        ("0701", b(120, 0, 200, 60)),
        ("0601", b(10, 60, 200, 200)),
    )
    areas = measure_landuse(zone, lu, table=TABLE, qa=QALog())
    pieces = piece_classes(areas)
    pieces["category"] = pieces["code"].map(areas.breakdown.drop_duplicates("code").set_index("code")["category"])
    cands = removal_candidates(pieces, "Z", zone.geometry.iloc[0], R1, PARAMS)
    kept = sorted(cands["area_m2"].round(6))
    assert kept == [
        2000.0,
        4800.0,
    ]  # the road along the edge (10 x 200) and the housing; not the 1500 m² road


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    areas=st.lists(st.integers(1, 60), min_size=1, max_size=7),
    kinds=st.lists(st.booleans(), min_size=7, max_size=7),
    industrial=st.integers(0, 200),
    others=st.integers(1, 300),
    forbidden=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=4),
)
def test_exact_selection_equals_brute_force(areas, kinds, industrial, others, forbidden):
    """CP-SAT with no-good cuts against enumeration of every subset, with an arbitrary 'shape' test."""
    from boundaries.proposal_solver import solve_exact

    n = len(areas)
    add = kinds[:n]  # True: industrial land taken in (+a, +a); False: other land left out (0, −a)
    d_ind = [a if k else 0 for a, k in zip(areas, add, strict=True)]
    d_den = [a if k else -a for a, k in zip(areas, add, strict=True)]
    den = industrial + others
    bad = [(i, j) for i, j in forbidden if i < n and j < n and i != j]

    def feasible(chosen):
        return not any(i in chosen and j in chosen for i, j in bad)

    best = None
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            ind = industrial + sum(d_ind[k] for k in combo)
            d = den + sum(d_den[k] for k in combo)
            if 5 * ind >= 3 * d and feasible(set(combo)):
                cost = sum(areas[k] for k in combo)
                best = cost if best is None else min(best, cost)
    sel = solve_exact(
        d_ind,
        d_den,
        [float(a) for a in areas],
        industrial_m2=industrial,
        denominator_m2=den,
        threshold=0.6,
        feasible=feasible,
        max_cuts=200,
        gap_m2=1e-4,
    )
    if best is None:
        assert sel is not None and not sel.reaches_target
    else:
        assert sel is not None and sel.reaches_target
        assert sum(areas[k] for k in sel.chosen) == best
