"""GCJ-02 / BD-09 (geo.datum, geo.datum_check, the ``datum`` layer option, ``devzone datum-check``).

Independent checks:
- forward GCJ-02 and BD-09 values from a different implementation (PyPI ``coordtransform`` 0.2.1, run
  outside the project; recorded below) to 1e-9 degrees;
- every distance with pyproj.Geod on WGS 84 (round trips < 1 mm, the shift near Zhengzhou);
- the relative area change against a bound worked out by hand from the formula's derivatives;
- on the real fetched data (AMap counties in GCJ-02, Tianditu counties in CGCS2000) offsets computed here
  with shapely centroids and Geod, not with geo.datum_check.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from shapely import box

from analysis import commands  # noqa: F401  (registers the subcommands)
from analysis.cli import cli
from analysis.project import load_project
from geo.crs import ellipsoidal_area_m2
from geo.datum import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert_gdf,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    shift_m,
    to_wgs84_on_read,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.datum_check import DatumCheckRule, datum_offsets, suspect_gcj02
from geo.errors import CRSError, ProfileError
from geo.layers import LayerSpec, load_near, load_zones
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import FETCHED

GEOD = Geod(ellps="WGS84")
RULE = DatumCheckRule.from_profile(load_profile())

# (lon, lat) WGS 84 → GCJ-02 → BD-09 by coordtransform 0.2.1 (PyPI; a = 6378245 m, as here).
ORACLE = [
    ((113.65, 34.76), (113.65607871414844, 34.75886646042519), (113.66249329239682, 34.76508868327935)),
    ((115.03, 35.76), (115.03589270227941, 35.75999745821219), (115.04246493059436, 35.765765098046295)),
    ((114.07, 32.13), (114.07588216903869, 32.128042074866634), (114.08242795304588, 32.133806121772224)),
    ((112.45, 34.62), (112.45626060180203, 34.61898271469223), (112.46269318495845, 34.625205329767006)),
    ((110.9, 33.5), (110.9053176227117, 33.498190577552656), (110.91180883137761, 33.504276046462635)),
]


def henan_grid(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Points over Henan's extent (110.3-116.7 E, 31.3-36.4 N)."""
    x, y = np.meshgrid(np.linspace(110.3, 116.7, n), np.linspace(31.3, 36.4, n))
    return x.ravel(), y.ravel()


def geod_m(x1, y1, x2, y2) -> np.ndarray:
    return np.asarray(GEOD.inv(np.ravel(x1), np.ravel(y1), np.ravel(x2), np.ravel(y2))[2])


# ---- conversions ----


@pytest.mark.parametrize(("wgs", "gcj", "bd"), ORACLE)
def test_forward_matches_an_independent_implementation(wgs, gcj, bd):
    gx, gy = wgs84_to_gcj02(*wgs)
    assert (float(gx), float(gy)) == pytest.approx(gcj, abs=1e-9)
    bx, by = gcj02_to_bd09(*gcj)
    assert (float(bx), float(by)) == pytest.approx(bd, abs=1e-9)
    assert np.allclose(wgs84_to_bd09(*wgs), bd, atol=1e-9, rtol=0)


def test_round_trip_gcj02_below_a_millimetre_across_henan():
    x, y = henan_grid()
    gx, gy = wgs84_to_gcj02(x, y)
    assert geod_m(x, y, gx, gy).min() > 100  # every point really moved
    wx, wy = gcj02_to_wgs84(gx, gy)
    assert geod_m(x, y, wx, wy).max() < 1e-3
    # the public one-step reverse is off by metres: the iteration is what gets below 1 mm
    nx, ny = 2 * gx - wgs84_to_gcj02(gx, gy)[0], 2 * gy - wgs84_to_gcj02(gx, gy)[1]
    assert geod_m(x, y, nx, ny).max() > 1.0


@given(st.floats(73.0, 135.0), st.floats(18.0, 54.0))
def test_round_trip_anywhere_in_china(lon, lat):
    w = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert geod_m(lon, lat, *w)[0] < 1e-3
    w = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert geod_m(lon, lat, *w)[0] < 1e-3


def test_round_trip_bd09_below_a_millimetre():
    x, y = henan_grid(25)
    bx, by = gcj02_to_bd09(x, y)
    gx, gy = bd09_to_gcj02(bx, by)
    assert geod_m(x, y, gx, gy).max() < 1e-3
    wx, wy = bd09_to_wgs84(*wgs84_to_bd09(x, y))
    assert geod_m(x, y, wx, wy).max() < 1e-3


def test_shift_near_zhengzhou_is_about_half_a_kilometre_east():
    gx, gy = wgs84_to_gcj02(113.65, 34.76)
    az, _, dist = GEOD.inv(113.65, 34.76, float(gx), float(gy))
    assert 400 < dist < 700
    assert 60 < az < 120  # mostly east (azimuth from north)
    east, north = dist * np.sin(np.radians(az)), dist * np.cos(np.radians(az))
    assert east > 3 * abs(north)
    assert shift_m(113.65, 34.76)[0] == pytest.approx(east, abs=1e-6)
    assert shift_m(113.65, 34.76)[1] == pytest.approx(north, abs=1e-6)


@pytest.mark.parametrize(
    ("lon", "lat"), [(2.3522, 48.8566), (139.6917, 35.6895), (151.2093, -33.8688), (-74.006, 40.7128)]
)
def test_no_shift_outside_china(lon, lat):
    assert not in_china(lon, lat)
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, bd09_to_wgs84, wgs84_to_bd09):
        x, y = fn(lon, lat)
        assert (float(x), float(y)) == (lon, lat)


def test_bounding_rectangle_edges():
    # 72.004 < lon < 137.8347 and 0.8293 < lat < 55.8271, strictly
    assert in_china([72.0041, 137.8346, 100.0], [30.0, 30.0, 55.827]).all()
    assert not in_china([72.004, 137.8347, 100.0, 100.0], [30.0, 30.0, 0.8293, 55.8271]).any()


def test_arrays_keep_their_shape_and_nan_passes_through():
    x, y = np.full((3, 4), 113.65), np.full((3, 4), 34.76)
    gx, gy = wgs84_to_gcj02(x, y)
    assert gx.shape == gy.shape == (3, 4) and np.all(gx == gx[0, 0])
    nx, ny = gcj02_to_wgs84([np.nan, 113.65], [np.nan, 34.76])
    assert np.isnan(nx[0]) and np.isnan(ny[0]) and np.isfinite(nx[1])


# ---- GeoDataFrames ----


def square(lon: float, lat: float, size_deg: float = 0.002):
    return box(lon, lat, lon + size_deg, lat + size_deg)


def test_convert_gdf_moves_every_vertex_and_labels_wgs84():
    poly = shapely.Polygon(
        [(113.60, 34.70), (113.62, 34.70), (113.62, 34.72), (113.60, 34.72)],
        holes=[[(113.605, 34.705), (113.606, 34.705), (113.606, 34.706)]],
    )
    g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[poly], crs=4490)
    out = convert_gdf(g, source="wgs84", target="gcj02")
    assert out.crs.to_epsg() == 4326 and out["k"].tolist() == ["a"]
    got = shapely.get_coordinates(out.geometry.iloc[0])
    want = np.column_stack(wgs84_to_gcj02(*shapely.get_coordinates(poly).T))
    assert np.array_equal(got, want)
    assert len(out.geometry.iloc[0].interiors) == 1
    projected = g.to_crs(4547)
    with pytest.raises(CRSError, match="not longitude/latitude"):
        convert_gdf(projected, source="gcj02")


def test_conversion_on_read_is_never_silent():
    g = gpd.GeoDataFrame(geometry=[square(113.65, 34.76)], crs=4326)
    qa = QALog()
    assert to_wgs84_on_read(g, None, layer="x", qa=qa) is g
    assert to_wgs84_on_read(g, "wgs84", layer="x", qa=qa) is g
    assert qa.rows == []
    out = to_wgs84_on_read(g, "GCJ-02", layer="x", qa=qa)
    (row,) = qa.rows
    assert row.check == "datum" and row.action == "converted"
    # the mean shift in the message is the Geod distance of the vertices
    before = shapely.get_coordinates(g.geometry.iloc[0])
    after = shapely.get_coordinates(out.geometry.iloc[0])
    mean = geod_m(before[:, 0], before[:, 1], after[:, 0], after[:, 1]).mean()
    assert "converted from GCJ-02 (AMap/Tencent) to WGS 84: mean shift " in row.message
    assert f"mean shift {mean:.1f} m" in row.message
    with pytest.raises(ProfileError, match="'wgs-72' is not a known datum"):
        to_wgs84_on_read(g, "wgs-72", layer="x", qa=qa)


def test_area_change_is_bounded_by_the_formula_derivatives():
    """The shift is not a translation: its high-frequency terms stretch areas by up to ~0.6 %.

    Bound by hand, Henan (x = λ−105 in 5.3…11.7, y = φ−35 in −3.7…1.4): ∂east/∂λ ≤ ⅔π(120+40+20+13.3+12.5+10)
    + 1 + 0.2·11.7 + 0.1·1.4 + 0.05/√5.3 ≈ 455.8 m per degree, over 95.1 km per degree of longitude at 31.3°N
    → 4.79e-3; ∂north/∂φ ≤ ⅔π(20+13.3+13.3+10.7) + 3 + 0.4·3.7 + 0.1·11.7 ≈ 125.7 m per degree over 110.9 km
    → 1.13e-3; the sum, 5.9e-3, bounds the relative area change. Its dominant term (amplitude 2.6e-3 from
    ⅔·20 sin 6πx) makes the typical change well above 1e-3 (median |cos| = 0.71).
    """
    x, y = henan_grid(60)
    boxes = gpd.GeoDataFrame(geometry=[box(a, b, a + 0.01, b + 0.01) for a, b in zip(x, y, strict=True)], crs=4326)
    moved = convert_gdf(boxes, source="wgs84", target="gcj02")
    rel = np.abs(ellipsoidal_area_m2(moved.geometry) / ellipsoidal_area_m2(boxes.geometry) - 1)
    assert rel.max() < 5.9e-3
    assert np.median(rel) > 1e-3


# ---- reading: the `datum` layer option ----


@pytest.fixture
def gcj_files(tmp_path: Path):
    """A zone and a parcel inside it, true positions in WGS 84, written in GCJ-02 labelled EPSG:4326.

    The zone is ~180 m across and the shift ~570 m: the GCJ-02 parcel lies outside the zone's read filter
    unless the filter is shifted too.
    """
    zone = square(113.650, 34.760)
    parcel = square(113.6505, 34.7605, 0.0008)
    truth = {
        "zones": gpd.GeoDataFrame({"ZONE_ID": ["Z1"]}, geometry=[zone], crs=4326),
        "parcels": gpd.GeoDataFrame({"DLBM": ["0601"]}, geometry=[parcel], crs=4326),
    }
    p = tmp_path / "web.gpkg"
    for name, gdf in truth.items():
        convert_gdf(gdf, source="wgs84", target="gcj02").to_file(p, layer=name)
    return p, truth


def test_load_zones_converts_before_anything_else(gcj_files):
    p, truth = gcj_files
    qa = QALog()
    zones, acrs = load_zones(LayerSpec(p, "zones", options={"datum": "gcj02"}), qa=qa, id_field="ZONE_ID")
    assert qa.rows[0].check == "datum"  # the first step
    tr = Transformer.from_crs(4326, acrs.crs, always_xy=True)
    want = np.column_stack(tr.transform(*shapely.get_coordinates(truth["zones"].geometry.iloc[0]).T))
    got = shapely.get_coordinates(zones.geometry.iloc[0])
    # same corners (the ring may start elsewhere after repair): each true corner within 1 mm of one read
    d = np.hypot(want[:, None, 0] - got[None, :, 0], want[:, None, 1] - got[None, :, 1]).min(axis=1)
    assert d.max() < 1e-3
    plain, _ = load_zones(LayerSpec(p, "zones"), crs=acrs.crs, qa=QALog(), id_field="ZONE_ID")
    off = plain.geometry.iloc[0].centroid.distance(zones.geometry.iloc[0].centroid)
    assert 500 < off < 650


def test_load_near_reads_the_shifted_features_and_converts_them(gcj_files):
    p, truth = gcj_files
    zones, acrs = load_zones(LayerSpec(p, "zones", options={"datum": "gcj02"}), qa=QALog(), id_field="ZONE_ID")
    none = load_near(LayerSpec(p, "parcels"), zones, acrs, qa=QALog(), what="land-use layer")
    assert len(none) == 0  # undeclared, the GCJ-02 parcel is ~570 m away: not even read
    qa = QALog()
    got = load_near(LayerSpec(p, "parcels", options={"datum": "gcj02"}), zones, acrs, qa=qa, what="land-use layer")
    assert len(got) == 1
    assert [r.check for r in qa.rows if r.check == "datum"] == ["datum"]
    want = truth["parcels"].to_crs(acrs.crs).geometry.iloc[0]
    assert got.geometry.iloc[0].symmetric_difference(want).area < 1e-4  # m², of a ~6,500 m² parcel
    assert got.geometry.iloc[0].area == pytest.approx(want.area, rel=1e-9)


def test_project_file_key_datum(gcj_files, tmp_path):
    p, _ = gcj_files
    toml = tmp_path / "project.toml"
    toml.write_text(
        f'[project]\nas_of = "2026-01-01"\n[layers.zones]\npath = "{p.name}"\nlayer = "zones"\n'
        'id_field = "ZONE_ID"\ndatum = "gcj02"\n',
        encoding="utf-8",
    )
    proj = load_project(toml)
    assert proj.layers["zones"].get("datum") == "gcj02"
    qa = QALog()
    load_zones(proj.layers["zones"], qa=qa)
    assert any(r.check == "datum" and "GCJ-02" in r.message for r in qa.rows)


def test_datum_on_a_projected_layer_is_an_error(tmp_path):
    p = tmp_path / "gk.gpkg"
    gpd.GeoDataFrame({"ZONE_ID": ["Z"]}, geometry=[square(113.65, 34.76)], crs=4326).to_crs(4547).to_file(p)
    with pytest.raises(CRSError, match=r"GCJ-02.*EPSG:4547.*Remove `datum =`"):
        load_zones(LayerSpec(p, options={"datum": "gcj02"}), qa=QALog())


# ---- detection ----


def grid_layer(lon0: float = 113.5, lat0: float = 34.6, n: int = 3, size_deg: float = 0.05):
    cells = [(i, j) for i in range(n) for j in range(n)]
    geoms = [square(lon0 + i * size_deg, lat0 + j * size_deg, size_deg) for i, j in cells]
    return gpd.GeoDataFrame({"code": [f"C{i}{j}" for i, j in cells]}, geometry=geoms, crs=4326)


@pytest.mark.parametrize(("target", "finding"), [("gcj02", "gcj02"), ("bd09", "bd09"), ("wgs84", "none")])
def test_suspect_recognises_each_datum(target, finding):
    ref = grid_layer()
    lay = convert_gdf(ref, source="wgs84", target=target)
    check = suspect_gcj02(lay, ref.to_crs(4490), rule=RULE, match_field="code")
    assert check.finding == finding
    assert check.suspect is (finding != "none")
    assert check.n_matched == 9 and check.method == "matched by field code"
    if target == "gcj02":
        # each 5 km cell moved by the point shift at its centre (to the shift's curvature over 2.5 km, < 5 m)
        cells = ref.to_crs(4547).centroid.to_crs(4326)
        e, n = shift_m(cells.x.to_numpy(), cells.y.to_numpy())
        off = datum_offsets(lay, ref, match_field="code")
        assert np.abs(off["offset_east_m"].to_numpy() - e).max() < 5
        assert np.abs(off["offset_north_m"].to_numpy() - n).max() < 5
        assert check.offset_east_m == pytest.approx(float(np.median(off["offset_east_m"])))
        assert 'set `datum = "gcj02"`' in check.message


def test_suspect_matches_by_overlap_and_says_cannot_decide():
    ref = grid_layer()
    lay = convert_gdf(ref, source="wgs84", target="gcj02")[["geometry"]]
    check = suspect_gcj02(lay, ref[["geometry"]], rule=RULE)
    assert check.method.startswith("matched by largest overlap") and check.finding == "gcj02"
    far = lay.translate(xoff=1.0)
    check = suspect_gcj02(gpd.GeoDataFrame(geometry=far, crs=4326), ref[["geometry"]], rule=RULE)
    assert check.finding == "cannot_decide" and check.suspect is None
    assert check.message.startswith("cannot decide, because only 0 features")
    assert json.dumps(check.to_json())  # no NaN in the JSON


def test_an_unexplained_offset_is_unclear():
    ref = grid_layer()
    lay = ref.copy()
    lay.geometry = ref.geometry.translate(yoff=0.005)  # ~555 m north: no datum does that here
    check = suspect_gcj02(lay, ref, rule=RULE, match_field="code")
    assert check.finding == "unclear" and check.suspect is None
    assert check.offset_north_m == pytest.approx(GEOD.inv(113.5, 34.6, 113.5, 34.605)[2], abs=1)


def test_cli_datum_check(tmp_path):
    ref = grid_layer()
    p = tmp_path / "d.gpkg"
    ref.to_file(p, layer="ref")
    convert_gdf(ref, source="wgs84", target="gcj02").to_file(p, layer="web")
    run = CliRunner().invoke
    args = ["datum-check", str(p), "--layer", "web", "--reference", str(p), "--reference-layer", "ref"]
    r = run(cli, args, catch_exceptions=False)
    assert r.exit_code == 0 and r.output.startswith("WARNING (QA.datum, gcj02)")
    assert "matched by the common field code" in r.output
    r = run(cli, [*args, "--json", "--match-field", "code", "--fail-on-violation"], catch_exceptions=False)
    assert r.exit_code == 3 and json.loads(r.output)["finding"] == "gcj02"
    r = run(cli, ["datum-check", str(p), "--layer", "ref", "--reference", str(p), "--reference-layer", "ref"])
    assert r.exit_code == 0 and r.output.startswith("OK (QA.datum, none)")
    r = run(cli, [*args, "--match-field", "nope"])
    assert r.exit_code == 1 and "no field 'nope'" in r.output


# ---- real data: AMap (GCJ-02) and Tianditu (CGCS2000) counties of Henan, fetched ----

AMAP = FETCHED / "henan_admin_amap_gcj02.gpkg"
TIANDITU = FETCHED / "henan_admin_tianditu_cgcs2000.gpkg"


@pytest.fixture(scope="module")
def counties():
    missing = [p.name for p in (AMAP, TIANDITU) if not p.exists()]
    if missing:
        pytest.skip(f"fetched data missing ({', '.join(missing)}): run `make data` (scripts/fetch_data.py)")
    amap = gpd.read_file(AMAP, layer="county")
    tdt = gpd.read_file(TIANDITU, layer="county")
    assert amap.crs.to_epsg() == 4326 and set(amap["coord_sys"]) == {"GCJ-02"}
    amap = amap.set_index("adcode")
    tdt = tdt.set_index("adcode").loc[amap.index]  # the same 157 adcodes
    return amap, tdt


def centroid_offsets(layer: gpd.GeoDataFrame, ref: gpd.GeoDataFrame):
    """East and north offsets (m) of each centroid, layer − reference: shapely in EPSG:4547, Geod."""
    back = Transformer.from_crs(4547, 4326, always_xy=True)
    a = np.array(back.transform(*np.array([[c.x, c.y] for c in layer.to_crs(4547).centroid]).T))
    b = np.array(back.transform(*np.array([[c.x, c.y] for c in ref.to_crs(4547).centroid]).T))
    az, _, d = GEOD.inv(b[0], b[1], a[0], a[1])
    return d * np.sin(np.radians(az)), d * np.cos(np.radians(az)), np.asarray(d), b


def test_real_amap_counties_match_tianditu_after_conversion(counties):
    amap, tdt = counties
    e0, n0, d0, where = centroid_offsets(amap, tdt)
    ge, gn = wgs84_to_gcj02(where[0], where[1])
    exp_e, exp_n, _, _ = centroid_offsets(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(ge, gn), crs=4326),
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(*where), crs=4326),
    )
    # before: ~0.5 km, mostly east, and what the formula predicts at those places (within 30 m)
    assert 400 < np.hypot(np.median(e0), np.median(n0)) < 700
    assert np.median(e0) > 3 * abs(np.median(n0))
    assert np.hypot(np.median(e0) - np.median(exp_e), np.median(n0) - np.median(exp_n)) < 30
    e1, n1, d1, _ = centroid_offsets(convert_gdf(amap, source="gcj02"), tdt)
    assert np.hypot(np.median(e1), np.median(n1)) < 50  # the systematic offset is gone
    # single centroids still differ by ~100 m: the sources differ in generalisation (AMap has ~6x the
    # vertices) and some boundaries were redrawn; the median distance still drops more than 3-fold
    assert np.median(d1) < np.median(d0) / 3
    assert (d1 < d0).mean() > 0.9


def test_real_suspect_flags_amap_not_tianditu(counties):
    amap, tdt = counties
    amap, tdt = amap.reset_index(), tdt.reset_index()
    check = suspect_gcj02(amap, tdt, rule=RULE, match_field="adcode")
    assert (check.finding, check.suspect, check.n_matched) == ("gcj02", True, 157)
    converted = convert_gdf(amap, source="gcj02")
    assert suspect_gcj02(converted, tdt, rule=RULE, match_field="adcode").finding == "none"
    # Tianditu judged against the converted AMap layer agrees; against the raw one it is the reverse shift
    assert suspect_gcj02(tdt, converted, rule=RULE, match_field="adcode").finding == "none"
    rev = suspect_gcj02(tdt, amap, rule=RULE, match_field="adcode")
    assert rev.finding == "unclear" and "the reference itself looks GCJ-02" in rev.message
    off = datum_offsets(amap, tdt, match_field="adcode")
    assert len(off) == 157 and set(off.geometry.geom_type) == {"LineString"}


def test_real_areas_barely_change_while_overlays_are_wrong(counties):
    amap, tdt = counties
    converted = convert_gdf(amap, source="gcj02")
    rel = np.abs(ellipsoidal_area_m2(converted.geometry) / ellipsoidal_area_m2(amap.geometry) - 1)
    assert rel.max() < 5.9e-3  # the bound of test_area_change_is_bounded_by_the_formula_derivatives
    ref = tdt.to_crs(4547).geometry
    before = amap.to_crs(4547).geometry.symmetric_difference(ref, align=True).area.sum() / ref.area.sum()
    after = converted.to_crs(4547).geometry.symmetric_difference(ref, align=True).area.sum() / ref.area.sum()
    # the overlay error from the shift dwarfs the area change: Tianditu itself shifted to GCJ-02 …
    shifted = convert_gdf(tdt, source="wgs84", target="gcj02").to_crs(4547).geometry
    own = shifted.symmetric_difference(ref, align=True).area / ref.area
    moved_area = np.abs(ellipsoidal_area_m2(shifted.to_crs(4326)) / ellipsoidal_area_m2(tdt.geometry) - 1)
    assert own.min() > 0.02 and (own / moved_area).min() > 10
    # … and the real AMap layer overlays the reference much worse before conversion than after
    assert before > 1.5 * after


# ---- end to end: a zone digitised on AMap (GCJ-02) against a survey layer in CGCS2000 GK ----


def test_pipeline_r1_with_a_gcj02_zone(tmp_path):
    """Zone 500 m × 500 m; industrial land (0601) fills its west half, 0701 its east half and 600 m beyond.

    By hand: industrial 125,000 m² of 250,000 m² construction land → 50 %. Read undeclared, the zone lands
    ~560 m east (almost wholly on 0701) and the share collapses.
    """
    from analysis.pipeline import run_jobs
    from tests.conftest import b

    zone_gk = gpd.GeoDataFrame({"ZONE_ID": ["Z1"]}, geometry=[b(0, 0, 500, 500)], crs="EPSG:4526")
    gk = gpd.GeoDataFrame(
        {"DLBM": ["0601", "0701", "0701"]},
        geometry=[b(-300, -300, 250, 800), b(250, -300, 1500, 800), b(-1500, -300, -300, 800)],
        crs="EPSG:4526",
    )
    p = tmp_path / "in.gpkg"
    gk.to_file(p, layer="dltb")
    # the zone as AMap would show it: WGS 84 lon/lat (straight edges kept by 5 m vertices) shifted to GCJ-02
    dense = zone_gk.copy()
    dense.geometry = dense.geometry.segmentize(5.0)
    convert_gdf(dense.to_crs(4326), source="wgs84", target="gcj02").to_file(p, layer="zones")
    shares = {}
    for datum in ("gcj02", None):
        extra = f'datum = "{datum}"\n' if datum else ""
        toml = tmp_path / f"p_{datum}.toml"
        toml.write_text(
            '[project]\nas_of = "2026-01-01"\ncrs = "EPSG:4526"\n'
            f'[layers.zones]\npath = "in.gpkg"\nlayer = "zones"\nid_field = "ZONE_ID"\n{extra}'
            '[layers.landuse]\npath = "in.gpkg"\nlayer = "dltb"\ncode_field = "DLBM"\nscheme = "sandiao"\n',
            encoding="utf-8",
        )
        _, ctx, _ = run_jobs(toml, tmp_path / f"out_{datum}", only=("industrial", "geometry_qa"))
        (v,) = ctx.results["industrial"].verdicts
        shares[datum] = (v.industrial_area_m2, v.share_of_construction)
        qa_datum = [r for r in ctx.qa.rows if r.check == "datum"]
        assert len(qa_datum) == (1 if datum else 0)  # both reads of the zones give the same row, kept once
        as_stored = ctx.results["geometry_qa"].raw.geometry.iloc[0]  # geometry QA re-reads the zones
        moved = as_stored.symmetric_difference(zone_gk.geometry.iloc[0]).area
        assert moved < 1.0 if datum else moved > 400_000
    assert shares["gcj02"][0] == pytest.approx(125_000, rel=1e-6)
    assert shares["gcj02"][1] == pytest.approx(0.5, rel=1e-6)
    assert shares[None][1] < 0.1
