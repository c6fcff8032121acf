"""The exchange TXT: the exact layout, GBK, round trips to the millimetre, swapped axes, zone checks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import MultiPolygon, Polygon

from boundaries.boundary_points import boundary_points
from boundaries.coordinate_txt import TxtHeader, dissolve_parcels, read_boundary_txt, write_boundary_txt
from geo.errors import CRSError, DataError, EncodingError
from geo.qa import QALog
from tests.conftest import X0, Y0, b

HEADER = TxtHeader(producer="濮阳市自然资源和规划局", date="2026-11-21")


def zone(geom, crs="EPSG:4526", zid="Z1", name="测试开发区"):
    return gpd.GeoDataFrame({"zone_id": [zid], "zone_name": [name]}, geometry=[geom], crs=crs)


def holed_multipart():
    outer = [(X0, Y0), (X0 + 200, Y0), (X0 + 200, Y0 + 100), (X0, Y0 + 100)]
    hole = [(X0 + 50, Y0 + 20), (X0 + 80, Y0 + 20), (X0 + 80, Y0 + 60), (X0 + 50, Y0 + 60)]
    return MultiPolygon([Polygon(outer, [hole]), b(300, 0, 350, 40)])


def test_layout_of_a_box_zone_line_by_line(tmp_path):
    p = write_boundary_txt(zone(b(0, 0, 100, 100)), tmp_path / "z.txt", header=HEADER)
    raw = p.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF line ends
    assert raw.decode("gbk").splitlines() == [
        "[属性描述]",
        "格式版本号=1.01",
        "数据产生单位=濮阳市自然资源和规划局",
        "数据产生日期=2026-11-21",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=38",
        "精度=",
        "转换参数=,,,,,,",
        "[地块坐标]",
        "5,1.0000,Z1,测试开发区,面,,,,@",
        "J1,1,3958100.000,38590000.000",
        "J2,1,3958100.000,38590100.000",
        "J3,1,3958000.000,38590100.000",
        "J4,1,3958000.000,38590000.000",
        "J1,1,3958100.000,38590000.000",
    ]
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # GBK by default, not UTF-8


def test_utf8_on_request_and_parcel_fields(tmp_path):
    p = write_boundary_txt(
        zone(b(0, 0, 100, 100)),
        tmp_path / "z.txt",
        header=HEADER,
        encoding="utf-8",
        use="工业用地",
        land_code="0601",
        sheet="J50G012034",
    )
    line = p.read_text(encoding="utf-8").splitlines()[12]
    assert line == "5,1.0000,Z1,测试开发区,面,J50G012034,工业用地,0601,@"


def test_zone_without_prefix_writes_the_zone_number_in_the_header(tmp_path):
    g = shapely.transform(b(0, 0, 100, 100), lambda xy: xy - [38_000_000, 0])
    p = write_boundary_txt(zone(g, crs="EPSG:4547"), tmp_path / "z.txt", header=HEADER)
    lines = p.read_text(encoding="gbk").splitlines()
    assert "带号=38" in lines
    assert lines[13] == f"J1,1,{Y0 + 100:.3f},{X0 - 38e6:.3f}"
    back = read_boundary_txt(p)
    assert back.crs.to_epsg() == 4547


def round_trip(tmp_path, z, **kw):
    p = write_boundary_txt(z, tmp_path / "rt.txt", header=HEADER, **kw)
    parcels = read_boundary_txt(p, zone_id="Z1")
    return parcels, dissolve_parcels(parcels)


def test_round_trip_multipart_with_hole_to_the_millimetre(tmp_path):
    z = zone(holed_multipart())
    parcels, back = round_trip(tmp_path, z)
    assert back.crs.to_epsg() == 4526
    assert parcels["parcel_id"].tolist() == ["Z1-1", "Z1-2"]
    assert parcels["parcel_name"].tolist() == ["测试开发区区块一", "测试开发区区块二"]
    assert parcels["rings"].tolist() == [2, 1]
    assert parcels["area_m2"].tolist() == pytest.approx([18_800, 2_000])
    assert back["zone_name"].iloc[0] == "测试开发区"
    assert back.geometry.iloc[0].area == pytest.approx(20_800)
    assert back.geometry.iloc[0].symmetric_difference(z.geometry.iloc[0]).area < 1e-6
    t0 = boundary_points(z)
    t1 = boundary_points(back)
    assert t1["point"].tolist() == t0["point"].tolist()
    assert (
        np.abs(t1[["northing_m", "easting_m"]].to_numpy() - t0[["northing_m", "easting_m"]].to_numpy()).max()
        < 1e-3
    )


def test_round_trip_of_irregular_coordinates_is_within_half_a_millimetre(tmp_path):
    rng = np.random.default_rng(7)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 40))
    rad = rng.uniform(300, 500, 40)
    g = Polygon(np.column_stack([X0 + rad * np.cos(ang), Y0 + rad * np.sin(ang)]))
    assert g.is_valid
    z = zone(g)
    _, back = round_trip(tmp_path, z)
    t0, t1 = boundary_points(z, decimals=6), boundary_points(back, decimals=6)
    diff = np.abs(t1[["northing_m", "easting_m"]].to_numpy() - t0[["northing_m", "easting_m"]].to_numpy())
    assert diff.max() <= 0.0005 + 1e-9
    # area changes by at most perimeter × 0.5 mm
    assert abs(back.area.iloc[0] - g.area) <= g.length * 0.0005


def swap_columns(text: str) -> str:
    out = []
    for line in text.splitlines():
        f = line.split(",")
        if len(f) == 4 and f[0].startswith("J"):
            f[2], f[3] = f[3], f[2]
        out.append(",".join(f))
    return "\r\n".join(out) + "\r\n"


def test_swapped_axes_are_detected_and_repaired_or_rejected(tmp_path):
    z = zone(holed_multipart())
    p = write_boundary_txt(z, tmp_path / "ok.txt", header=HEADER)
    bad = tmp_path / "swapped.txt"
    bad.write_bytes(swap_columns(p.read_text(encoding="gbk")).encode("gbk"))
    qa = QALog()
    back = read_boundary_txt(bad, qa=qa)
    assert back.attrs["axes_swapped"] is True
    assert qa.count("txt_axes_swapped") == 1
    assert dissolve_parcels(back).geometry.iloc[0].symmetric_difference(z.geometry.iloc[0]).area < 1e-6
    with pytest.raises(DataError, match="before X"):
        read_boundary_txt(bad, swapped="error")
    assert read_boundary_txt(p).attrs["axes_swapped"] is False


def test_mixed_axis_order_is_rejected_naming_the_lines(tmp_path):
    p = write_boundary_txt(zone(b(0, 0, 100, 100)), tmp_path / "ok.txt", header=HEADER)
    lines = p.read_text(encoding="gbk").splitlines()
    f = lines[14].split(",")
    lines[14] = ",".join([f[0], f[1], f[3], f[2]])
    (tmp_path / "mixed.txt").write_text("\n".join(lines), encoding="gbk")
    with pytest.raises(DataError, match=r"differs between rows.*lines 15"):
        read_boundary_txt(tmp_path / "mixed.txt")


def test_zone_number_in_header_must_match_the_prefix(tmp_path):
    p = write_boundary_txt(zone(b(0, 0, 100, 100)), tmp_path / "ok.txt", header=HEADER)
    (tmp_path / "bad.txt").write_text(
        p.read_text(encoding="gbk").replace("带号=38", "带号=39"), encoding="gbk"
    )
    with pytest.raises(DataError, match=r"带号=39.*zone number 38"):
        read_boundary_txt(tmp_path / "bad.txt")


def test_no_prefix_and_no_zone_number_needs_a_crs(tmp_path):
    g = shapely.transform(b(0, 0, 100, 100), lambda xy: xy - [38_000_000, 0])
    p = write_boundary_txt(zone(g, crs="EPSG:4547"), tmp_path / "ok.txt", header=HEADER)
    (tmp_path / "nozone.txt").write_text(
        p.read_text(encoding="gbk").replace("带号=38", "带号="), encoding="gbk"
    )
    with pytest.raises(CRSError, match="no 带号"):
        read_boundary_txt(tmp_path / "nozone.txt")
    assert read_boundary_txt(tmp_path / "nozone.txt", crs="EPSG:4547").crs.to_epsg() == 4547
    with pytest.raises(CRSError, match="expects the zone number"):
        read_boundary_txt(tmp_path / "nozone.txt", crs="EPSG:4526")


WILD = """\ufeff【属性描述】
格式版本号=1.0
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=38
精度=0.05
转换参数=,,,,,,
【地块坐标】
10,1.5,01,一号地块,面,,工业,,@
1,1,3958100.000,38590000.000
2,1,3958100.000,38590200.000
3,1,3958000.000,38590200.000
4,1,3958000.000,38590000.000
5,2,3958060.000,38590050.000
6,2,3958060.000,38590080.000
7,2,3958020.000,38590080.000
8,2,3958020.000,38590050.000
5,2,3958060.000,38590050.000
"""


def test_reads_a_file_from_another_tool(tmp_path):
    # UTF-8 with BOM, full-width brackets, numbers without J, ring 1 left open, a wrong declared area
    p = tmp_path / "wild.txt"
    p.write_text(WILD, encoding="utf-8")
    qa = QALog()
    g = read_boundary_txt(p, qa=qa)
    r = g.iloc[0]
    assert (r.parcel_id, r.parcel_name, r.use, r.rings) == ("01", "一号地块", "工业", 2)
    assert r.area_m2 == pytest.approx(200 * 100 - 30 * 40)  # 18 800 m² = 1.88 公顷, declared 1.5
    assert qa.count("txt_ring_open") == 1
    assert qa.count("txt_area") == 1
    assert g.attrs["header"]["精度"] == "0.05"


def test_rings_are_nested_by_geometry_not_by_number(tmp_path):
    # a file that lists a second block as ring 2 of the same parcel: it lies outside ring 1, so it is a part
    text = (
        WILD.replace("5,2,3958060.000,38590050.000", "5,2,3958040.000,38590300.000")
        .replace("6,2,3958060.000,38590080.000", "6,2,3958040.000,38590350.000")
        .replace("7,2,3958020.000,38590080.000", "7,2,3958000.000,38590350.000")
        .replace("8,2,3958020.000,38590050.000", "8,2,3958000.000,38590300.000")
    )
    p = tmp_path / "parts.txt"
    p.write_text(text, encoding="utf-8")
    g = read_boundary_txt(p).geometry.iloc[0]
    assert g.geom_type == "MultiPolygon" and g.area == pytest.approx(20_000 + 2_000)


def test_names_with_separators_are_replaced_and_logged(tmp_path):
    qa = QALog()
    p = write_boundary_txt(zone(b(0, 0, 100, 100), name="甲,乙@区"), tmp_path / "z.txt", header=HEADER, qa=qa)
    assert "5,1.0000,Z1,甲，乙＠区,面,,,,@" in p.read_text(encoding="gbk")
    assert qa.count("txt_field") == 1


def test_write_refuses_a_non_gauss_kruger_crs_and_unencodable_names(tmp_path):
    with pytest.raises(CRSError, match="Gauss-Krüger"):
        write_boundary_txt(zone(b(0, 0, 100, 100)).to_crs(3857), tmp_path / "z.txt")
    with pytest.raises(EncodingError, match="utf-8"):
        write_boundary_txt(zone(b(0, 0, 100, 100), name="区\U0001f600"), tmp_path / "z.txt")


def test_not_a_coordinate_file(tmp_path):
    (tmp_path / "x.txt").write_text("hello\n", encoding="utf-8")
    with pytest.raises(DataError, match="before the"):
        read_boundary_txt(tmp_path / "x.txt")
    (tmp_path / "y.txt").write_text("[地块坐标]\n4,1,Z,名,面,,,,@\nJ1,1,abc,38590000\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3"):
        read_boundary_txt(tmp_path / "y.txt")


def test_the_datum_and_zone_width_come_from_the_header(tmp_path):
    # 1980西安坐标系, 3° zone 38 with the prefix → EPSG:2362; a missing 坐标系 is read as CGCS2000 with a QA row
    p = tmp_path / "xian.txt"
    p.write_text(WILD.lstrip("\ufeff").replace("2000国家大地坐标系", "1980西安坐标系"), encoding="gbk")
    assert read_boundary_txt(p).crs.to_epsg() == 2362
    p.write_text(WILD.lstrip("\ufeff").replace("坐标系=2000国家大地坐标系\n", ""), encoding="gbk")
    qa = QALog()
    assert read_boundary_txt(p, qa=qa).crs.to_epsg() == 4526
    assert qa.count("txt_datum") == 1
