"""R1, the 60% rule: threshold edges, denominators, cannot-decide, shortfall — all worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from boundaries.industrial import JSON_KEYS, IndustrialRule, judge_industrial_share
from geo.codes import code_table
from geo.errors import ProfileError
from geo.landuse import measure_landuse
from geo.profile import load_profile
from geo.qa import QALog
from geo.units import M2_PER_MU
from geo.zones import prepare_zones
from tests.conftest import b, landuse_gdf, zones_gdf

RULE = IndustrialRule.from_profile(load_profile("henan"))


def judge(zone, *items, rule=RULE, qa=None):
    qa = qa or QALog()
    z = prepare_zones(zones_gdf(("Z", zone)), qa=qa)
    areas = measure_landuse(z, landuse_gdf(*items), table=code_table("sandiao"), qa=qa)
    return judge_industrial_share(z, areas, rule=rule, as_of=dt.date(2026, 11, 21))[0]


def _split(ind_width: float):
    """Zone 100 x 100 m: industrial 0..w, residential w..100 (both construction)."""
    return judge(b(0, 0, 100, 100), ("0601", b(0, 0, ind_width, 100)), ("0701", b(ind_width, 0, 100, 100)))


@pytest.mark.parametrize(
    ("width", "passes"), [(60.0, True), (60.0001, True), (59.9999, False), (59.0, False)]
)
def test_threshold_is_inclusive(width, passes):
    v = _split(width)
    assert v.industrial_area_m2 == pytest.approx(width * 100)
    assert v.construction_area_m2 == pytest.approx(10_000.0)
    assert v.passes is passes
    assert v.verdict == ("pass" if passes else "fail")


def test_denominator_is_construction_land_by_default():
    # zone 100 x 100: 0601 30x100 (3000), 0701 20x100 (2000), 0101 farmland 50x100 (5000)
    v = judge(
        b(0, 0, 100, 100),
        ("0601", b(0, 0, 30, 100)),
        ("0701", b(30, 0, 50, 100)),
        ("0101", b(50, 0, 100, 100)),
    )
    assert (v.industrial_area_m2, v.construction_area_m2) == (pytest.approx(3000), pytest.approx(5000))
    assert v.share_of_construction == pytest.approx(0.6)
    assert v.share_of_zone == pytest.approx(0.3)
    assert v.passes is True and v.basis == "construction"
    zone_rule = IndustrialRule(**{**RULE.__dict__, "denominator": "zone"})
    vz = judge(
        b(0, 0, 100, 100),
        ("0601", b(0, 0, 30, 100)),
        ("0701", b(30, 0, 50, 100)),
        ("0101", b(50, 0, 100, 100)),
        rule=zone_rule,
    )
    assert vz.passes is False and vz.basis == "zone"
    # shortfall on the zone basis: add (0.6*10000-3000)/0.4 = 7500 m², or remove 10000 - 3000/0.6 = 5000 m²
    assert vz.shortfall_add_m2 == pytest.approx(7500.0)
    assert vz.shortfall_remove_m2 == pytest.approx(5000.0)


def test_rural_road_and_vacant_land_are_not_construction():
    v = judge(
        b(0, 0, 100, 100),
        ("0601", b(0, 0, 50, 100)),
        ("1006", b(50, 0, 60, 100)),
        ("1201", b(60, 0, 100, 100)),
    )
    assert v.construction_area_m2 == pytest.approx(5000.0)
    assert v.share_of_construction == pytest.approx(1.0)


def test_shortfall_by_hand():
    # I = 4000, C = 10000: add (6000-4000)/0.4 = 5000 m² (= 7.5 亩); or remove 10000 - 4000/0.6 = 3333.33 m²
    v = _split(40.0)
    assert v.shortfall_add_m2 == pytest.approx(5000.0)
    assert v.shortfall_remove_m2 == pytest.approx(10_000 - 4000 / 0.6)
    row = v.to_row()
    assert row["shortfall_add_mu"] == pytest.approx(5000.0 / M2_PER_MU) == pytest.approx(7.5)
    assert row["shortfall_add_ha"] == pytest.approx(0.5)
    # check: adding 5000 m² of industrial land gives exactly 60%
    assert pytest.approx(0.6) == (4000 + 5000) / (10_000 + 5000)


def test_passing_zone_has_no_shortfall():
    v = _split(75.0)
    assert v.shortfall_add_m2 == 0.0 and v.shortfall_remove_m2 == 0.0


def test_unknown_code_that_could_flip_the_verdict_cannot_decide():
    qa = QALog()
    # industrial 58 x 100, residential 40 x 100, unknown code 2 x 100: share between 58% and 60%
    v = judge(
        b(0, 0, 100, 100),
        ("0601", b(0, 0, 58, 100)),
        ("0701", b(58, 0, 98, 100)),
        ("9999", b(98, 0, 100, 100)),
        qa=qa,
    )
    assert v.passes is None and v.verdict == "cannot decide"
    assert v.reason.startswith("cannot decide, because 200.00 m²")
    assert v.share_low == pytest.approx(0.58) and v.share_high == pytest.approx(0.60)
    assert v.unknown_area_m2 == pytest.approx(200.0)
    assert qa.count("unknown_code") == 1


def test_unknown_code_that_cannot_flip_the_verdict_still_decides():
    v = judge(
        b(0, 0, 100, 100), ("0601", b(0, 0, 80, 100)), ("0701", b(80, 0, 98, 100)), ("", b(98, 0, 100, 100))
    )
    assert v.passes is True  # worst case 8000/10000 = 80%
    v2 = judge(
        b(0, 0, 100, 100), ("0601", b(0, 0, 20, 100)), ("0701", b(20, 0, 98, 100)), ("", b(98, 0, 100, 100))
    )
    assert v2.passes is False  # best case 2200/10000 = 22%


def test_gap_in_the_land_use_layer_cannot_decide_near_threshold():
    v = judge(b(0, 0, 100, 100), ("0601", b(0, 0, 59, 100)), ("0701", b(59, 0, 99, 100)))  # 1 x 100 uncovered
    assert v.uncovered_area_m2 == pytest.approx(100.0)
    assert v.passes is None


def test_no_construction_land_cannot_decide():
    v = judge(b(0, 0, 100, 100), ("0101", b(0, 0, 100, 100)))
    assert v.passes is None
    assert "no construction land" in v.reason
    assert v.share_of_construction is None


def test_json_has_exactly_the_issue_keys():
    d = _split(60.0).to_json()
    assert tuple(d) == JSON_KEYS
    assert isinstance(d["passes"], bool) and isinstance(d["zone_area_m2"], float)


def test_ellipsoidal_area_is_reported_beside_the_planar():
    from pyproj import Geod, Transformer

    v = _split(60.0)
    tr = Transformer.from_crs(4526, 4490, always_xy=True)
    ring = [tr.transform(x, y) for x, y in b(0, 0, 100, 100).exterior.coords]
    truth = abs(Geod(ellps="GRS80").polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])[0])
    assert v.zone_area_ellipsoidal_m2 == pytest.approx(truth, rel=1e-9)
    assert v.zone_area_ellipsoidal_m2 != pytest.approx(v.zone_area_m2, rel=1e-6)  # GK scale is not 1 at 115°E


def test_profile_errors_are_clear(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[profile]\nname = "x"\nextends = "henan"\n[rules.R1]\nthreshold = 60\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"threshold 60\.0 must be a fraction"):
        IndustrialRule.from_profile(load_profile(p))
    p.write_text(
        '[profile]\nname = "x"\nextends = "henan"\n[rules.R1]\ndenominator = "all"\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="use 'construction' or 'zone'"):
        IndustrialRule.from_profile(load_profile(p))
    p.write_text('[profile]\nname = "x"\nextends = "henan"\n[rules.R1]\nthreshold = 0.65\n', encoding="utf-8")
    assert IndustrialRule.from_profile(load_profile(p)).threshold == 0.65
