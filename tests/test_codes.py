"""Code tables: every code of every scheme checked against the class lists written out from rules.md R1
(independently of the CSV files), plus format tolerance and profile options."""

from __future__ import annotations

import re

import pytest

from geo.codes import FLAGS, SCHEMES, code_table, normalize_code
from geo.errors import ProfileError

# --- R1, written out by hand from the rules brief (not read from the CSV tables) ---
SANDIAO_INDUSTRIAL = {"0601", "0602", "0603", "0508"}
SANDIAO_CONSTRUCTION = {
    "05H1",
    "0508",
    "0601",
    "0602",
    "0603",
    "0701",
    "0702",
    "08H1",
    "08H2",
    "08H2A",
    "0809",
    "0810",
    "0810A",
    "09",
    "1001",
    "1002",
    "1003",
    "1004",
    "1005",
    "1007",
    "1008",
    "1009",
    "1109",
}
GB21010_INDUSTRIAL = {"06", "0601", "0602", "0603", "0604"}
YDYH_INDUSTRIAL_PREFIXES = ("10", "11")  # 1001 工业 (100101-100103), 1002, 1003, 1101 (110101-110103), 1102
YDYH_CONSTRUCTION_FIRST_LEVELS = {f"{n:02d}" for n in range(7, 17)}  # 07-16
GB50137_INDUSTRIAL = {"M", "M1", "M2", "M3", "W", "W1", "W2", "W3", "H5"}
OSM_INDUSTRIAL = {"industrial", "quarry", "salt_pond"}


def _rows(scheme):
    return sorted(code_table(scheme).classes.items())


@pytest.mark.parametrize(("code", "cls"), _rows("sandiao"), ids=lambda v: getattr(v, "code", v))
def test_sandiao_class(code, cls):
    assert cls.industrial == (code in SANDIAO_INDUSTRIAL)
    assert cls.construction == (code in SANDIAO_CONSTRUCTION)


@pytest.mark.parametrize(("code", "cls"), _rows("gb21010"), ids=lambda v: getattr(v, "code", v))
def test_gb21010_class(code, cls):
    assert cls.industrial == (code in GB21010_INDUSTRIAL)
    if code[:2] in {"05", "06", "07", "08", "09", "10"}:
        assert cls.construction == (code != "1006"), code  # 农村道路 is not construction land
    elif code == "1109":
        assert cls.construction
    else:
        assert not cls.construction, code


@pytest.mark.parametrize(("code", "cls"), _rows("ydyh"), ids=lambda v: getattr(v, "code", v))
def test_ydyh_class(code, cls):
    assert cls.industrial == code.startswith(YDYH_INDUSTRIAL_PREFIXES)
    assert cls.construction == (code[:2] in YDYH_CONSTRUCTION_FIRST_LEVELS)


@pytest.mark.parametrize(("code", "cls"), _rows("gb50137"), ids=lambda v: getattr(v, "code", v))
def test_gb50137_class(code, cls):
    assert cls.industrial == (code in GB50137_INDUSTRIAL)
    assert cls.construction == (not code.startswith("E"))


@pytest.mark.parametrize(("code", "cls"), _rows("osm"), ids=lambda v: getattr(v, "code", v))
def test_osm_class(code, cls):
    assert cls.industrial == (code in OSM_INDUSTRIAL)
    assert re.fullmatch(r"[a-z_]+", code)


@pytest.mark.parametrize(
    ("raw", "scheme", "code"),
    [
        ("0601", "sandiao", "0601"),
        (601, "sandiao", "0601"),
        (601.0, "sandiao", "0601"),
        ("0601 工业用地", "sandiao", "0601"),
        ("  0601", "sandiao", "0601"),
        ("05h1", "sandiao", "05H1"),
        ("5H1", "sandiao", "05H1"),
        ("100101", "ydyh", "100101"),
        (80101, "ydyh", "080101"),
        ("m1", "gb50137", "M1"),
        ("Quarry", "osm", "quarry"),
        ("1104A", "sandiao", "1104A"),
    ],
)
def test_normalize_code(raw, scheme, code):
    assert normalize_code(raw, scheme) == code
    assert code_table(scheme).classify(raw) is not None


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
def test_empty_codes_are_none(raw):
    assert normalize_code(raw, "sandiao") is None
    assert code_table("sandiao").classify(raw) is None


def test_unknown_codes_are_not_guessed():
    t = code_table("sandiao")
    assert t.classify("0699") is None  # not a 三调 code, although 06 is
    assert t.classify("06O1") is None  # letter O typed for zero
    assert (
        code_table("ydyh").classify("100199").name.startswith("工业用地")
    )  # 6-digit ydyh inherits from 1001


def test_flags_are_off_by_default_and_switch():
    assert not code_table("ydyh").classify("0802").industrial
    assert code_table("ydyh", research_is_industrial=True).classify("0802").industrial
    assert not code_table("sandiao").classify("1201").construction
    assert code_table("sandiao", vacant_is_construction=True).classify("1201").construction
    assert code_table("ydyh", agri_facility_is_construction=True).classify("0602").construction
    assert code_table("gb50137", new_industry_is_industrial=True).classify("M0").industrial
    assert set(FLAGS) == {
        "research_is_industrial",
        "new_industry_is_industrial",
        "vacant_is_construction",
        "agri_facility_is_construction",
    }


def test_unknown_scheme_and_option():
    with pytest.raises(ProfileError, match="unknown land-use code scheme"):
        code_table("dlbm")
    with pytest.raises(ProfileError, match="unknown code-table option"):
        code_table("sandiao", count_everything=True)
    assert set(SCHEMES) == {"sandiao", "gb21010", "ydyh", "gb50137", "osm"}
