"""Reading: formats, GBK shapefiles without .cpg, layer and field errors that list what exists."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely import box

from geo.errors import EncodingError, InputError, SchemaError
from geo.io import detect_encoding, find_field, inspect_layer, read_layer
from tests.conftest import CRS, b


@pytest.fixture
def chinese_layer():
    return gpd.GeoDataFrame(
        {
            "DLBM": ["0601", "0701"],
            "DLMC": ["工业用地", "城镇住宅用地"],
            "QSDWMC": ["濮阳县城关镇", "清丰县马庄桥镇"],
        },
        geometry=[b(0, 0, 10, 10), b(10, 0, 20, 10)],
        crs=CRS,
    )


def _shp(gdf, folder: Path, encoding: str, keep_cpg: bool) -> Path:
    p = folder / "dltb.shp"
    pyogrio.write_dataframe(gdf, p, encoding=encoding)
    if not keep_cpg:
        p.with_suffix(".cpg").unlink(missing_ok=True)
    return p


def test_gbk_shapefile_without_cpg_is_detected(tmp_path, chinese_layer):
    p = _shp(chinese_layer, tmp_path, "cp936", keep_cpg=False)
    assert not p.with_suffix(".cpg").exists()
    assert detect_encoding(p) == "GB18030"
    g = read_layer(p)
    assert g["DLMC"].tolist() == ["工业用地", "城镇住宅用地"]
    assert g["QSDWMC"].iloc[1] == "清丰县马庄桥镇"
    assert inspect_layer(p).encoding == "GB18030"


def test_utf8_shapefile_without_cpg(tmp_path, chinese_layer):
    p = _shp(chinese_layer, tmp_path, "UTF-8", keep_cpg=False)
    assert detect_encoding(p) == "UTF-8"
    assert read_layer(p)["DLMC"].tolist() == ["工业用地", "城镇住宅用地"]


def test_wrong_cpg_is_an_error(tmp_path, chinese_layer):
    p = _shp(chinese_layer, tmp_path, "cp936", keep_cpg=False)
    p.with_suffix(".cpg").write_text("UTF-8")
    with pytest.raises(EncodingError, match=r"the \.cpg says 'UTF-8'.*--encoding GB18030"):
        detect_encoding(p)
    assert read_layer(p, encoding="GB18030")["DLMC"].iloc[0] == "工业用地"


def test_formats_round_trip(tmp_path, chinese_layer):
    expected = chinese_layer.geometry.area.sum()
    for name, kwargs in {"a.gpkg": {"layer": "x"}, "a.geojson": {}, "a.fgb": {}}.items():
        p = tmp_path / name
        chinese_layer.to_file(p, **kwargs)
        g = read_layer(p)
        assert sorted(g["DLMC"]) == sorted(["工业用地", "城镇住宅用地"]), (
            name
        )  # FlatGeobuf reorders by its index
        assert g.to_crs(CRS).area.sum() == pytest.approx(expected), name
    pq = tmp_path / "a.parquet"
    chinese_layer.to_parquet(pq)
    g = read_layer(pq, mask=b(0, 0, 5, 5))
    assert g["DLBM"].tolist() == ["0601"]
    assert inspect_layer(pq).crs.to_epsg() == 4526
    pq2 = tmp_path / "covered.parquet"
    chinese_layer.to_parquet(pq2, write_covering_bbox=True)
    assert read_layer(pq2, mask=b(12, 1, 13, 2))["DLBM"].tolist() == ["0701"]


def test_filegdb_read(tmp_path, chinese_layer):
    p = tmp_path / "a.gdb"
    pyogrio.write_dataframe(chinese_layer, p, layer="dltb", driver="OpenFileGDB")
    g = read_layer(p, "dltb")
    assert g["DLMC"].tolist() == ["工业用地", "城镇住宅用地"]


def test_mask_reads_only_nearby_features(tmp_path, chinese_layer):
    p = tmp_path / "a.gpkg"
    chinese_layer.to_file(p, layer="x")
    assert len(read_layer(p, mask=b(1, 1, 2, 2))) == 1
    assert len(read_layer(p, mask=b(1, 1, 15, 2))) == 2


def test_missing_file_and_layer(tmp_path, chinese_layer):
    with pytest.raises(InputError, match="no such file"):
        read_layer(tmp_path / "nope.gpkg")
    p = tmp_path / "two.gpkg"
    chinese_layer.to_file(p, layer="dltb")
    chinese_layer.to_file(p, layer="zones")
    with pytest.raises(InputError, match=r"has 2 layers \(dltb, zones\)"):
        read_layer(p)
    with pytest.raises(InputError, match=r"no layer 'dltbb'; its layers are: dltb, zones"):
        read_layer(p, "dltbb")
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    with pytest.raises(InputError, match="cannot be opened"):
        read_layer(bad)


def test_find_field_lists_fields():
    assert (
        find_field(["BSM", "dlbm"], None, ["DLBM"], what="code", option="--code-field", source="x") == "dlbm"
    )
    with pytest.raises(
        SchemaError, match=r"x: no field 'DLBMM' for the land-use code; the fields are: BSM, DLBM"
    ):
        find_field(["BSM", "DLBM"], "DLBMM", [], what="land-use code", option="--code-field", source="x")
    with pytest.raises(SchemaError, match=r"looked for DLBM.*name one with --code-field"):
        find_field(["BSM"], None, ["DLBM"], what="land-use code", option="--code-field", source="x")


def test_osm_pbf_multipolygons_default_layer():
    pbf = Path(__file__).parent / "data" / "real" / "osm_finland_kotka_test.osm.pbf"
    if not pbf.exists():
        pytest.skip("tests/data/real/osm_finland_kotka_test.osm.pbf not committed yet")
    g = read_layer(pbf, columns=["landuse"])
    assert "landuse" in g.columns
    assert (g["landuse"] == "industrial").sum() >= 9
    assert box(*g.total_bounds).intersects(box(26.93, 60.52, 26.97, 60.54))
