"""Supply records: value parsers, the schema mapping, the join and its QA rows."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from analysis.supply import SUPPLY_COLUMNS, read_supply, supply_records
from geo.errors import SchemaError
from geo.layers import LayerSpec
from geo.qa import QALog
from geo.values import ValueParseError, add_years, parse_amount_yuan, parse_date, parse_share

D = dt.date(2021, 3, 5)


@pytest.mark.parametrize("raw", [
    "2021年3月5日", "2021年03月05日", "2021.03.05", "2021.3.5", "2021/3/5", "2021-03-05", "20210305",
    20210305,
    "2021-03-05 00:00:00", 44260, 44260.0, "44260", dt.datetime(2021, 3, 5), pd.Timestamp("2021-03-05"),
    dt.date(2021, 3, 5), " 2021 年 3 月 5 日 ",
])
def test_parse_date_forms(raw):
    # Excel serial 44260: 1899-12-30 + 44260 days = 2021-03-05 (Excel shows 44260 as 2021/3/5).
    assert parse_date(raw) == D


def test_excel_serial_checked_against_an_independent_count():
    # Excel's 1900 system counts 1900-01-01 as 1 and has a fictitious 1900-02-29 (serial 60), so from
    # 1900-03-01 on, serial n is 1900-01-01 + (n - 2) days.
    for serial in (25569, 44260, 45351):  # 1970-01-01, 2021-03-05, 2024-02-29
        assert parse_date(serial) == dt.date(1900, 1, 1) + dt.timedelta(days=serial - 2)


@pytest.mark.parametrize("raw", ["2021-02-30", "2021年13月1日", "明年三月", "2021-03-05 08:30:00", 1,
                                 123456789, dt.datetime(2021, 3, 5, 8, 30)])
def test_parse_date_rejects(raw):
    with pytest.raises(ValueParseError):
        parse_date(raw)


@pytest.mark.parametrize("raw", [None, float("nan"), "", " ", "-", "无", pd.NaT])
def test_blank_dates_are_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(("raw", "share", "noted"), [
    ("45%", 0.45, False), ("45％", 0.45, False), (0.45, 0.45, False), ("0.45", 0.45, False), (45, 0.45, True),
    ("45", 0.45, True), (1, 1.0, False), (0, 0.0, False), ("100%", 1.0, False), (100, 1.0, True),
])
def test_parse_share(raw, share, noted):
    value, note = parse_share(raw)
    assert value == pytest.approx(share)
    assert (note is not None) is noted


@pytest.mark.parametrize("raw", ["-5%", 101, "abc", "120%"])
def test_parse_share_rejects(raw):
    with pytest.raises(ValueParseError):
        parse_share(raw)


@pytest.mark.parametrize(("raw", "unit", "yuan"), [
    (120, "万元", 1_200_000.0), ("1,200.5", "万元", 12_005_000.0), ("1200000", "元", 1_200_000.0),
    ("36万元", "元", 360_000.0), ("360000元", "万元", 360_000.0), (0.5, "万元", 5_000.0),
])
def test_parse_amount(raw, unit, yuan):
    assert parse_amount_yuan(raw, unit=unit) == pytest.approx(yuan)


def test_add_years_feb29():
    # 民法典 Art. 202: no corresponding day → the last day of the month.
    assert add_years(dt.date(2020, 2, 29), 1) == dt.date(2021, 2, 28)
    assert add_years(dt.date(2020, 2, 29), 2) == dt.date(2022, 2, 28)
    assert add_years(dt.date(2020, 2, 29), 4) == dt.date(2024, 2, 29)
    assert add_years(dt.date(2021, 2, 28), 1) == dt.date(2022, 2, 28)


def _layer():
    return gpd.GeoDataFrame({"ZDBH": ["P1", "P2", "P3"]},
                            geometry=[box(0, 0, 100, 100), box(100, 0, 300, 100), box(0, 100, 50, 140)],
                            crs=4526).set_axis([0, 1, 2])


def _table():
    return pd.DataFrame({
        "宗地编号": ["P1", "P2", "P9", None, "P1"],
        "约定开工日期": ["2021年3月5日", "2021.03.05", "2021/3/5", "2021-03-05", "2020-01-01"],
        "实际开工日期": [None, "不详", None, None, None],
        "成交价款": [120, "80.5", 10, 10, 10],
        "已投资比例": [45, "30%", 0.2, None, None],
    })


def test_join_maps_parses_and_reports_every_unjoined_row():
    qa = QALog()
    r = supply_records(_layer(), _table(), id_field="ZDBH", key="宗地编号", table_amount_unit="万元",
                       table_fields={"agreed_start": "约定开工日期", "actual_start": "实际开工日期",
                                     "land_price_yuan": "成交价款", "invested_share": "已投资比例"},
                       layer_label="parcels.gpkg:supply", table_label="records.xlsx", qa=qa)
    assert list(r.columns[: len(SUPPLY_COLUMNS)]) == list(SUPPLY_COLUMNS)
    assert sorted(r.index) == ["P1", "P2", "P3", "P9"]
    assert r.loc["P1", "land_price_yuan"] == pytest.approx(1_200_000.0)  # 120 万元
    assert r.loc["P2", "land_price_yuan"] == pytest.approx(805_000.0)
    assert r.loc["P1", "agreed_start"] == pd.Timestamp("2021-03-05")
    assert r.loc["P2", "agreed_start"] == pd.Timestamp("2021-03-05")
    assert r.loc["P1", "invested_share"] == pytest.approx(0.45)
    assert r.loc["P2", "invested_share"] == pytest.approx(0.30)
    assert r.loc["P1", "map_area_m2"] == pytest.approx(10_000.0)
    assert r.loc["P2", "map_area_m2"] == pytest.approx(20_000.0)
    assert r.loc["P3", "record_source"] == "layer only"
    assert r.loc["P9", "record_source"] == "table only"
    assert r.loc["P9"].geometry is None
    assert pd.isna(r.loc["P3", "agreed_start"])
    rows = qa.to_frame()
    # 实际开工日期 '不详' in row 3 (P2): unparseable, named with file, row, field and value.
    bad = rows[rows["check"] == "supply_parse"]
    assert len(bad) == 1
    assert bad.iloc[0]["layer"] == "records.xlsx"
    assert bad.iloc[0]["feature"] == "row 3"
    assert bad.iloc[0]["field"] == "实际开工日期"
    assert "'不详'" in bad.iloc[0]["message"]
    # P9 (row 4) has no parcel; row 5 has no key; row 6 repeats P1; P3 has no row.
    assert rows.loc[rows["check"] == "supply_unjoined", "feature"].tolist() == ["row 4"]
    assert rows.loc[rows["check"] == "supply_blank_key", "feature"].tolist() == ["row 5"]
    assert rows.loc[rows["check"] == "supply_duplicate", "feature"].tolist() == ["row 6"]
    assert rows.loc[rows["check"] == "supply_no_record", "feature"].tolist() == ["P3"]
    # 45 read as 45% is noted; 0.2 in a column of percentages is flagged as ambiguous.
    assert rows.loc[rows["check"] == "supply_share_percent", "feature"].tolist() == ["row 2"]
    assert rows.loc[rows["check"] == "supply_share_ambiguous", "feature"].tolist() == ["row 4"]


def test_amount_without_unit_is_an_error_naming_the_column():
    with pytest.raises(SchemaError, match=r"成交价款.*amount_unit"):
        supply_records(_layer(), _table(), key="宗地编号", table_fields={"land_price_yuan": "成交价款"},
                       qa=QALog())


def test_unit_in_header_and_usual_names_need_no_mapping():
    t = pd.DataFrame({"宗地编号": ["P1"], "约定开工日期": [44260], "土地价款（万元）": ["36"]})
    qa = QALog()
    r = supply_records(None, t, qa=qa)
    assert r.loc["P1", "land_price_yuan"] == pytest.approx(360_000.0)
    assert r.loc["P1", "agreed_start"] == pd.Timestamp("2021-03-05")
    assert qa.count("supply_field") == 3  # parcel_id, agreed_start, land_price_yuan found by usual names


def test_bad_mapping_lists_every_problem():
    with pytest.raises(SchemaError) as err:
        supply_records(None, _table(), table_fields={"agreed": "约定开工日期", "land_price_yuan": "价款"},
                       qa=QALog())
    text = str(err.value)
    assert "'agreed' is not a supply-schema field" in text
    assert "'价款': no such column" in text


def test_layer_in_package_schema_needs_no_mapping(tmp_path):
    gdf = gpd.GeoDataFrame({"parcel_id": ["A", "A", "B"], "agreed_start": ["2020-01-01", "2020-01-01", None],
                            "land_price_yuan": [1000.0, 1000.0, 2000.0], "area_m2": [None, None, 3.0]},
                           geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(0, 20, 5, 30)], crs=4526)
    path = tmp_path / "s.gpkg"
    gdf.to_file(path, layer="supply")
    qa = QALog()
    r = read_supply(LayerSpec(path, "supply", options={"area_unit": "亩"}), qa=qa)
    assert list(r.index) == ["A", "B"]
    assert r.loc["A", "map_area_m2"] == pytest.approx(200.0)  # two 10 × 10 parts unioned
    # the schema's own column is in m² whatever area_unit says
    assert r.loc["B", "area_m2"] == pytest.approx(3.0)
    assert r.loc["A", "land_price_yuan"] == pytest.approx(1000.0)
    assert qa.count("supply_parts") == 1


def test_read_supply_project_table(tmp_path):
    _layer().to_file(tmp_path / "p.gpkg", layer="parcels")
    t = _table().iloc[:2]
    t.to_excel(tmp_path / "r.xlsx", sheet_name="供地", index=False)
    spec = LayerSpec(tmp_path / "p.gpkg", "parcels", options={
        "id_field": "ZDBH",
        "table": {"path": tmp_path / "r.xlsx", "sheet": "供地", "key": "宗地编号", "amount_unit": "万元",
                  "fields": {"land_price_yuan": "成交价款"}}})
    qa = QALog()
    r = read_supply(spec, qa=qa)
    assert r.loc["P1", "land_price_yuan"] == pytest.approx(1_200_000.0)
    assert r.loc["P1", "agreed_start"] == pd.Timestamp("2021-03-05")  # a usual name, found without mapping
    assert r.loc["P3", "record_source"] == "layer only"


def test_mapping_key_without_unit_suffix_is_read_in_full_with_an_info_row():
    qa = QALog()
    r = supply_records(None, _table(), key="宗地编号", table_amount_unit="万元",
                       table_fields={"land_price": "成交价款"}, table_label="records.xlsx", qa=qa)
    assert r.loc["P1", "land_price_yuan"] == pytest.approx(1_200_000.0)  # 120 万元
    rows = qa.to_frame()
    short = rows[(rows["check"] == "supply_field") & (rows["field"] == "land_price")]
    assert len(short) == 1 and short.iloc[0]["severity"] == "info"
    assert "'land_price_yuan'" in short.iloc[0]["message"]


def test_short_and_full_name_for_one_field_is_an_error_not_a_silent_choice():
    with pytest.raises(SchemaError, match=r"'land_price', 'land_price_yuan' all name 'land_price_yuan'"):
        supply_records(None, _table(), key="宗地编号", table_amount_unit="万元",
                       table_fields={"land_price": "成交价款", "land_price_yuan": "约定开工日期"}, qa=QALog())
