"""Geometry QA of zone boundaries: a crafted geometry per check, figures worked by hand; --fix logged."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

import analysis.commands  # noqa: F401  registers the subcommands
from analysis.cli import cli
from boundaries.geometry_fix import fix_zone_geometry
from boundaries.geometry_qa import GeometryRule, check_zone_geometry
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import CRS, X0, Y0, b

RULE = GeometryRule.from_profile(load_profile("henan"))


def poly(*xy):
    """A polygon from local coordinates."""
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])


def _zones(*items):
    return gpd.GeoDataFrame({"ZONE_ID": [i for i, _ in items]}, geometry=[g for _, g in items], crs=CRS)


def _check(*items, rule=RULE, qa=None):
    return check_zone_geometry(_zones(*items), rule=rule, qa=qa)


def test_clean_neighbours_sharing_an_edge_have_no_rows():
    assert _check(("A", b(0, 0, 100, 100)), ("B", b(100, 0, 200, 100))).empty


def test_invalid_ring_with_geos_reason_and_location():
    bow = poly((0, 0), (10, 10), (10, 0), (0, 10), (0, 0))
    rows = _check(("A", bow))
    inv = rows[rows["check"] == "invalid"]
    assert len(inv) == 1
    assert "Self-intersection" in inv["message"].iloc[0]
    loc = inv.geometry.iloc[0]
    assert (loc.x - X0, loc.y - Y0) == (pytest.approx(5.0), pytest.approx(5.0))  # where the edges cross


def test_overlap_between_zones():
    rows = _check(("A", b(0, 0, 100, 100)), ("B", b(90, 0, 190, 100)))
    ov = rows[rows["check"] == "overlap"]
    assert len(ov) == 1 and ov["other"].iloc[0] == "B"
    assert ov["area_m2"].iloc[0] == pytest.approx(1000.0)  # 10 x 100
    assert ov.geometry.iloc[0].symmetric_difference(b(90, 0, 100, 100)).area == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("gap_m", "check", "area"), [(2.0, "gap", 200.0), (0.5, "sliver", 50.0), (6.0, None, 0.0)])
def test_gap_and_sliver_between_adjacent_zones(gap_m, check, area):
    rows = _check(("A", b(0, 0, 100, 100)), ("B", b(100 + gap_m, 0, 200, 100)))
    if check is None:  # 6 m apart: beyond the 5 m adjacency distance, not neighbours
        assert rows.empty
        return
    assert rows["check"].tolist() == [check]
    assert rows["area_m2"].iloc[0] == pytest.approx(area, rel=1e-9)
    # width ≈ 2·area/perimeter = 2·(100 g)/(200 + 2 g)
    assert rows["width_m"].iloc[0] == pytest.approx(2 * area / (200 + 2 * gap_m))
    gap = rows.geometry.iloc[0]
    assert gap.symmetric_difference(b(100, 0, 100 + gap_m, 100)).area == pytest.approx(0.0, abs=1e-6)


def test_gap_with_offset_neighbour_is_only_the_space_between():
    # B is shifted 50 m north: the facing edges overlap over y 50..100 only; the gap is 2 x 50 = 100 m²
    rows = _check(("A", b(0, 0, 100, 100)), ("B", b(102, 50, 200, 150)))
    assert rows["check"].tolist() == ["gap"]
    assert rows["area_m2"].iloc[0] == pytest.approx(100.0, rel=1e-9)


def test_duplicate_and_spike_vertices():
    # box 100 x 100 with a repeated corner and, on the top edge, a spike 20 m high and 0.1 m wide at its base
    zone = poly((0, 0), (100, 0), (100, 0), (100, 100), (50.1, 100), (50, 120), (50, 100), (0, 100), (0, 0))
    rows = _check(("A", zone))
    dup = rows[rows["check"] == "duplicate"]
    spike = rows[rows["check"] == "spike"]
    assert dup["vertex"].tolist() == [2]
    assert spike["vertex"].tolist() == [5]
    assert spike["angle_deg"].iloc[0] == pytest.approx(math.degrees(math.atan2(0.1, 20)))  # 0.2865°
    loc = spike.geometry.iloc[0]
    assert (loc.x - X0, loc.y - Y0) == (pytest.approx(50.0), pytest.approx(120.0))
    # a 10° corner is sharp but above the 5° threshold
    assert _check(("A", poly((0, 0), (100, 0), (0, 100 * math.tan(math.radians(10))), (0, 0))))["check"].tolist() == []


def test_tiny_part_and_tiny_hole():
    hole_small = b(10, 10, 15, 15).exterior.coords  # 25 m²
    hole_big = b(50, 50, 70, 70).exterior.coords  # 400 m²: not reported
    main = shapely.Polygon(b(0, 0, 100, 100).exterior.coords, [hole_small, hole_big])
    zone = shapely.MultiPolygon([main, b(200, 0, 205, 5)])  # a 25 m² island
    rows = _check(("A", zone))
    assert sorted(rows["check"]) == ["tiny_hole", "tiny_part"]
    assert rows.set_index("check")["area_m2"].to_dict() == {
        "tiny_hole": pytest.approx(25.0),
        "tiny_part": pytest.approx(25.0),
    }


def test_rows_go_to_the_qa_log():
    qa = QALog()
    _check(("A", b(0, 0, 100, 100)), ("B", b(90, 0, 190, 100)), qa=qa)
    assert qa.count("boundary_overlap") == 1
    assert qa.rows[0].geometry is not None


def test_fix_repairs_and_logs_each_change():
    spiky = poly((0, 0), (100, 0), (100, 0), (100, 100), (50.1, 100), (50, 120), (50, 100), (0, 100), (0, 0))
    holed = shapely.MultiPolygon(
        [
            shapely.Polygon(b(300, 0, 400, 100).exterior.coords, [b(310, 10, 315, 15).exterior.coords]),
            b(500, 0, 505, 5),
        ]
    )
    bow = poly((700, 0), (710, 10), (710, 0), (700, 10), (700, 0))
    zones = _zones(("A", spiky), ("B", holed), ("C", bow), ("D", b(95, 200, 195, 300)), ("E", b(0, 200, 100, 300)))
    rows = check_zone_geometry(zones, rule=RULE)
    qa = QALog()
    fixed, log = fix_zone_geometry(zones, rows, rule=RULE, qa=qa)
    by = log.set_index("zone_id")
    # A: the spike triangle (base 0.1 m, height 20 m: 1 m²) is removed; the duplicate changes nothing
    assert by.loc["A", "area_before_m2"] - by.loc["A", "area_after_m2"] == pytest.approx(1.0, rel=1e-6)
    assert "removed 1 duplicate" in by.loc["A", "action"] and "removed 1 spike" in by.loc["A", "action"]
    # B: the 25 m² hole is filled and the 25 m² island dropped: 10 000 − 25 + 25 − 25 → 10 000
    assert by.loc["B", "area_after_m2"] == pytest.approx(10_000.0)
    assert "filled hole 1" in by.loc["B", "action"] and "dropped 1 part" in by.loc["B", "action"]
    # C: the bow-tie becomes its two 25 m² triangles
    assert by.loc["C", "area_after_m2"] == pytest.approx(50.0)
    # D and E overlap (5 x 100 m): logged, not repaired
    assert by.loc[["D"], "action"].str.startswith("not repaired").all()
    assert fixed.geometry.loc[3].equals(zones.geometry.loc[3])
    # after the repair only the overlap is left, and C's two triangles, each below 100 m²: a zone's last
    # parts are never dropped
    assert sorted(check_zone_geometry(fixed, rule=RULE)["check"]) == ["overlap", "tiny_part", "tiny_part"]
    assert qa.count("boundary_fix") == len(log)


def test_cli_qa_json_and_fix(tmp_path):
    p = tmp_path / "z.gpkg"
    spiky = poly((0, 0), (100, 0), (100, 100), (50.1, 100), (50, 120), (50, 100), (0, 100), (0, 0))
    _zones(("A", spiky), ("B", b(101, 0, 200, 100))).to_file(p, layer="zones")
    r = CliRunner().invoke(cli, ["qa", str(p), "--json"])
    assert r.exit_code == 0, r.output
    docs = [json.loads(x) for x in r.stdout.splitlines()]
    assert sorted(d["check"] for d in docs) == ["sliver", "spike"]
    spike = next(d for d in docs if d["check"] == "spike")
    assert spike["x_easting_m"] == pytest.approx(X0 + 50) and spike["y_northing_m"] == pytest.approx(Y0 + 120)
    out = tmp_path / "o"
    r = CliRunner().invoke(cli, ["qa", str(p), "--fix", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    fixes = [json.loads(x) for x in r.stdout.splitlines() if '"fix"' in x]
    assert len(fixes) == 2 and fixes[0]["action"].startswith("repaired")
    fixed = gpd.read_file(out / "findings.gpkg", layer="zones_fixed")
    assert fixed.area.iloc[0] == pytest.approx(10_000.0, rel=1e-9)
