"""Every reader that takes a LayerSpec honours a declared web-map ``datum`` (GCJ-02/BD-09) with a QA row.

Each fixture is built in WGS 84 near Puyang, shifted into GCJ-02 (or BD-09) with :mod:`geo.datum`'s forward
transform and written to a temporary file; read back with ``datum`` declared, its position must be within
1 m of the WGS 84 truth (distance by pyproj.Geod on WGS 84); without the declaration it stays the ≈ 500 m
GCJ-02 shift away, so each test can fail.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely import box

from analysis.boundary_qa import read_raw_zones
from analysis.commands.inefficient import _buildings
from analysis.enterprise_table import read_enterprises
from analysis.enterprises import run_enterprises
from analysis.supply import read_supply
from geo.crs import choose_analysis_crs
from geo.datum import to_datum
from geo.errors import SchemaError
from geo.layers import LayerSpec, load_zones, read_spec
from geo.profile import load_profile
from geo.qa import QALog

GEOD = Geod(ellps="WGS84")
LON, LAT = 115.03, 35.76  # near Puyang
# A 20 m × 20 m parcel (1° of longitude ≈ 90.3 km, of latitude ≈ 110.9 km here).
PARCEL = box(LON, LAT, LON + 20 / 90_300, LAT + 20 / 110_900)


def _shift(geom: shapely.Geometry, datum: str = "gcj02") -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_datum(xy[:, 0], xy[:, 1], datum)))


def _off_m(geom: shapely.Geometry, truth: shapely.Geometry) -> float:
    """Geod distance in metres between the centroids of two longitude/latitude geometries."""
    a, b = geom.centroid, truth.centroid
    return float(GEOD.inv(a.x, a.y, b.x, b.y)[2])


def _lonlat(gdf: gpd.GeoDataFrame) -> shapely.Geometry:
    return gdf.to_crs(4326).geometry.iloc[0]


def _write(tmp_path, name: str, geom: shapely.Geometry, **attrs) -> LayerSpec:
    path = tmp_path / f"{name}.gpkg"
    gpd.GeoDataFrame({k: [v] for k, v in attrs.items()}, geometry=[geom], crs=4326).to_file(path, layer=name)
    return LayerSpec(path, name)


def _declared(spec: LayerSpec, datum: str = "gcj02") -> LayerSpec:
    return LayerSpec(spec.path, spec.layer, options={**spec.options, "datum": datum})


def test_the_fixture_shift_is_about_500_m():
    assert 400 < _off_m(_shift(PARCEL), PARCEL) < 700
    assert 900 < _off_m(_shift(PARCEL, "bd09"), PARCEL) < 1500  # Baidu adds ≈ 0.0065°/0.006° on top


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_read_spec(tmp_path, datum):
    spec = _write(tmp_path, "web", _shift(PARCEL, datum), label="a")
    qa = QALog()
    assert _off_m(_lonlat(read_spec(_declared(spec, datum), qa=qa, what="test layer")), PARCEL) < 1.0
    assert qa.count("datum") == 1
    qa_plain = QALog()
    assert _off_m(_lonlat(read_spec(spec, qa=qa_plain, what="test layer")), PARCEL) > 400
    assert qa_plain.count("datum") == 0


def test_supply_layer_read_without_zones(tmp_path):
    spec = _write(tmp_path, "supply", _shift(PARCEL), parcel_id="P1")
    qa = QALog()
    r = read_supply(_declared(spec), qa=qa)
    assert r.crs.is_projected  # brought into metres after the shift was undone
    assert _off_m(_lonlat(r), PARCEL) < 1.0
    assert qa.count("datum") == 1
    assert _off_m(_lonlat(read_supply(spec, qa=QALog())), PARCEL) > 400


def test_boundary_qa_reads_zones_with_their_datum(tmp_path):
    spec = _write(tmp_path, "zones", _shift(PARCEL), zone_id="Z1")
    acrs = choose_analysis_crs(gpd.GeoDataFrame(geometry=[PARCEL], crs=4326))
    qa = QALog()
    assert _off_m(_lonlat(read_raw_zones(_declared(spec), acrs, qa=qa)), PARCEL) < 1.0
    assert qa.count("datum") == 1
    assert _off_m(_lonlat(read_raw_zones(spec, acrs, qa=QALog())), PARCEL) > 400


def test_inefficient_command_buildings(tmp_path):
    spec = _write(tmp_path, "buildings", _shift(PARCEL), storeys=2)
    profile = load_profile("henan")
    qa = QALog()
    b = _buildings(spec.path, spec.layer, (), "EPSG:4526", profile, qa, "gcj02")
    assert _off_m(_lonlat(b), PARCEL) < 1.0
    assert qa.count("datum") == 1
    assert _off_m(_lonlat(_buildings(spec.path, spec.layer, (), "EPSG:4526", profile, QALog())), PARCEL) > 400


@pytest.mark.parametrize(
    ("names", "xy_fields"), [(("lon", "lat"), None), (("经度", "纬度"), None), (("E", "N"), ("E", "N"))]
)
def test_enterprise_table_coordinates(tmp_path, names, xy_fields):
    truth = PARCEL.centroid
    web = _shift(truth)
    path = tmp_path / "ents.csv"
    pd.DataFrame({"企业名称": ["甲", "乙"], names[0]: [web.x, None], names[1]: [web.y, None]}).to_csv(
        path, index=False
    )
    crs = "EPSG:4326" if xy_fields else None  # E/N are not longitude/latitude names: the CRS is declared
    qa = QALog()
    e = read_enterprises(path, crs=crs, datum="gcj02", xy_fields=xy_fields, qa=qa)
    assert _off_m(e.geometry.iloc[0], truth) < 1.0
    assert e.geometry.iloc[1] is None  # no coordinates: no location, nothing invented
    assert e.crs.to_epsg() == 4326
    assert qa.count("datum") == 1
    plain = read_enterprises(path, crs=crs, xy_fields=xy_fields, qa=QALog())
    assert _off_m(plain.geometry.iloc[0], truth) > 400


def test_enterprise_table_bad_coordinates(tmp_path):
    path = tmp_path / "ents.csv"
    pd.DataFrame({"企业名称": ["甲"], "lon": ["东经115"], "lat": [LAT]}).to_csv(path, index=False)
    qa = QALog()
    e = read_enterprises(path, datum="gcj02", qa=qa)
    assert e.geometry.iloc[0] is None
    assert qa.count("enterprise_parse") == 1
    assert qa.count("datum") == 0  # nothing located, nothing shifted
    with pytest.raises(SchemaError, match="xy_fields"):
        read_enterprises(path, xy_fields=("lon", "纬度"), qa=QALog())


def test_enterprise_layer(tmp_path):
    truth = PARCEL.centroid
    spec = _write(tmp_path, "ents", _shift(truth), 企业名称="甲")
    qa = QALog()
    e = read_enterprises(spec.path, layer=spec.layer, datum="gcj02", qa=qa)
    assert _off_m(e.geometry.iloc[0], truth) < 1.0
    assert qa.count("datum") == 1
    assert _off_m(read_enterprises(spec.path, layer=spec.layer, qa=QALog()).geometry.iloc[0], truth) > 400


def test_run_enterprises_places_an_amap_geocoded_enterprise_in_its_zone(tmp_path):
    """A zone 100 m across around the true location: the unconverted GCJ-02 point (≈ 500 m off) misses it."""
    zone = PARCEL.centroid.buffer(50 / 90_300)
    qa = QALog()
    zones, _ = load_zones(_write(tmp_path, "zones", zone, zone_id="Z1"), qa=qa, id_field="zone_id")
    web = _shift(PARCEL.centroid)
    path = tmp_path / "ents.xlsx"
    pd.DataFrame({"企业名称": ["甲"], "lon": [web.x], "lat": [web.y]}).to_excel(path, index=False)
    profile = load_profile("henan")
    day = dt.date(2026, 1, 1)
    spec = LayerSpec(path, options={"datum": "gcj02"})
    run = run_enterprises(spec, zones, profile=profile, qa=qa, as_of=day)
    assert run.classified["zone_id"].tolist() == ["Z1"]
    assert qa.count("datum") == 1
    plain = run_enterprises(LayerSpec(path), zones, profile=profile, qa=QALog(), as_of=day)
    assert plain.classified["zone_id"].isna().all()
