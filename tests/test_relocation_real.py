"""Relocation on real Henan places (GeoNames, CC-BY 4.0, tests/data/real/henan_places_geonames.gpkg).

Real town points near Puyang and Zhengzhou stand in for villages and site centres; the zones, the 800 m
square sites, the planning area and the constraint layers around them are drawn here, and the village
populations are set here (GeoNames gives city totals or 0). Layers are written in EPSG:4326, so the run
chooses and announces the analysis CRS itself (CGCS2000 3° Gauss-Krüger zone 38, EPSG:4526), and every
straight-line distance it reports is checked against the ellipsoidal distance between the original
GeoNames coordinates (pyproj.Geod on GRS80, an independent computation). Gauss-Krüger distances near
115°E (1° from the central meridian) are longer than geodesic ones by about 1e-4; the tolerance is 5e-4.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod, Transformer

from analysis.relocation_run import RelocationInputs, run_relocation
from geo.layers import LayerSpec, load_zones
from geo.profile import load_profile
from geo.qa import QALog
from tests.conftest import REAL

PLACES = REAL / "henan_places_geonames.gpkg"
VILLAGES = {"9181182": 3000, "1911642": 2600, "8727297": 5200}  # Puyang, Zhongyuanlu, Jianshelu
SITES = ("1798422", "1797920", "1886776")  # Puyang Chengguanzhen, Qingfeng Chengguanzhen, Huaihelu

pytestmark = pytest.mark.skipif(
    not PLACES.exists(), reason="tests/data/real/henan_places_geonames.gpkg missing"
)


@pytest.fixture(scope="module")
def layers(tmp_path_factory):
    places = gpd.read_file(PLACES).set_index("geonameid")
    to_gk = Transformer.from_crs(4326, 4526, always_xy=True)
    squares = []
    for gid in SITES:
        p = places.loc[gid, "geometry"]
        x, y = to_gk.transform(p.x, p.y)
        squares.append(shapely.box(x - 400, y - 400, x + 400, y + 400))
    path = tmp_path_factory.mktemp("real") / "henan.gpkg"
    gpd.GeoDataFrame(
        {"ZONE_ID": ["PY", "ZZ"]},
        geometry=[shapely.box(114.99, 35.745, 115.08, 35.785), shapely.box(113.59, 34.74, 113.62, 34.765)],
        crs=4326,
    ).to_file(path, layer="zones")
    v = places.loc[list(VILLAGES)].reset_index()
    gpd.GeoDataFrame(
        {"village_id": v["asciiname"], "population": [VILLAGES[g] for g in v["geonameid"]]},
        geometry=v.geometry.values,
        crs=4326,
    ).to_file(path, layer="villages")
    gpd.GeoDataFrame(
        {"site_id": [places.loc[g, "asciiname"] for g in SITES]},
        geometry=gpd.GeoSeries(squares, crs=4526).to_crs(4326).values,
        crs=4326,
    ).to_file(path, layer="sites")
    for name, geom in (
        ("planning_area", shapely.box(113.0, 34.0, 116.0, 37.0)),
        ("farmland", shapely.box(114.30, 34.78, 114.31, 34.79)),
        ("redline", shapely.box(114.40, 34.78, 114.41, 34.79)),
    ):
        gpd.GeoDataFrame({"name": [name]}, geometry=[geom], crs=4326).to_file(path, layer=name)
    return path, places


def test_real_places_straight_line_against_geod(layers):
    path, places = layers
    qa = QALog()
    zones, acrs = load_zones(LayerSpec(path, "zones"), qa=qa)
    assert acrs.crs.to_epsg() == 4526
    inputs = RelocationInputs(
        villages=LayerSpec(path, "villages"),
        sites=LayerSpec(path, "sites"),
        planning_area=LayerSpec(path, "planning_area"),
        farmland=LayerSpec(path, "farmland"),
        redline=LayerSpec(path, "redline"),
    )
    run = run_relocation(
        zones, inputs, analysis_crs=acrs, profile=load_profile(), qa=qa, as_of=dt.date(2026, 1, 1)
    )
    assert run.sites["eligible"].tolist() == [True, True, True]
    a = run.assignments.set_index("village_id")
    # Puyang (3000) and Zhongyuanlu (2600) together reach the 5,000 minimum at the Puyang Chengguanzhen site;
    # Qingfeng (≈ 16 km away) is out of reach; Jianshelu (5200) goes to Huaihelu
    assert a["site_id"].to_dict() == {
        "Puyang": "Puyang Chengguanzhen",
        "Zhongyuanlu": "Puyang Chengguanzhen",
        "Jianshelu": "Huaihelu",
    }
    geod = Geod(ellps="GRS80")
    by_name = places.set_index("asciiname")
    for village, row in a.iterrows():
        pv, ps = by_name.loc[village, "geometry"], by_name.loc[row["site_id"], "geometry"]
        _, _, d = geod.inv(pv.x, pv.y, ps.x, ps.y)
        assert row["distance_m"] == pytest.approx(d, rel=5e-4), village
    assert run.sites.loc["Qingfeng Chengguanzhen", "population"] == 0
    _, _, far = geod.inv(
        by_name.loc["Puyang", "geometry"].x,
        by_name.loc["Puyang", "geometry"].y,
        by_name.loc["Qingfeng Chengguanzhen", "geometry"].x,
        by_name.loc["Qingfeng Chengguanzhen", "geometry"].y,
    )
    assert far > 10_000  # why Qingfeng is not used: beyond max_distance_m
