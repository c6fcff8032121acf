"""Land-use code tables: each code of each scheme mapped to a class.

One table per scheme, kept as data in ``geo/data/codes_<scheme>.csv`` (code, Chinese name, group,
construction, industrial, flag). A flag names a profile option that can change a code's class where the
rules are unsettled (``research_is_industrial``, ``new_industry_is_industrial``, ``vacant_is_construction``,
``agri_facility_is_construction``); all are off by default.

Schemes
-------
``sandiao``   三调 working classification (第三次全国国土调查工作分类), also 年度变更调查.
``gb21010``   GB/T 21010-2017 土地利用现状分类.
``ydyh``      国土空间调查、规划、用途管制用地用海分类指南 (2023).
``gb50137``   GB 50137-2011 城市用地分类与规划建设用地标准.
``osm``       OpenStreetMap ``landuse`` tag values (for tests on real foreign data).

>>> t = code_table("sandiao")
>>> t.classify("0601").industrial, t.classify(601).name, t.classify("0601 工业用地").code
(True, '工业用地', '0601')
>>> code_table("ydyh").classify("100102").name
'二类工业用地'
>>> code_table("sandiao").classify("9999") is None
True
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from geo.errors import ProfileError

__all__ = [
    "FLAGS",
    "GROUPS_CN",
    "SCHEMES",
    "CodeTable",
    "LandClass",
    "code_table",
    "normalize_code",
]

SCHEMES: dict[str, str] = {
    "sandiao": "三调工作分类（第三次全国国土调查，年度变更调查）",
    "gb21010": "GB/T 21010-2017 土地利用现状分类",
    "ydyh": "国土空间调查、规划、用途管制用地用海分类指南（2023）",
    "gb50137": "GB 50137-2011 城市用地分类与规划建设用地标准",
    "osm": "OpenStreetMap landuse 标签",
}

#: Profile options that can change a flagged code's class, with what they do when True.
FLAGS: dict[str, str] = {
    "research_is_industrial": "科研用地 (ydyh 0802, GB/T 21010 0804, GB 50137 A35) counts as 产业用地",
    "new_industry_is_industrial": "local 新型产业用地 M0 counts as 产业用地",
    "vacant_is_construction": "空闲地 (三调/GB/T 21010 1201, ydyh 2301) counts as 建设用地",
    "agri_facility_is_construction": "设施农用地 / 农业设施建设用地 (ydyh 06) counts as 建设用地",
}

GROUPS_CN: dict[str, str] = {
    "industrial": "工矿用地",
    "storage": "仓储用地",
    "commercial": "商业服务业用地",
    "residential": "住宅（居住）用地",
    "public": "公共管理与公共服务用地",
    "transport": "交通运输用地",
    "utility": "公用设施用地",
    "green": "绿地与广场用地",
    "special": "特殊用地",
    "reserved": "留白用地",
    "other_construction": "其他建设用地",
    "farmland": "耕地",
    "garden": "园地",
    "forest": "林地",
    "grassland": "草地",
    "wetland": "湿地",
    "water": "水域",
    "agri_facility": "设施农用地",
    "rural_road": "农村道路",
    "vacant": "空闲地",
    "other_land": "其他土地",
    "unknown": "未识别地类",
}

_LEADING = re.compile(r"^\s*([0-9A-Za-z]+)")


@dataclass(frozen=True)
class LandClass:
    """The class of one land-use code in one scheme."""

    code: str
    name: str
    group: str
    construction: bool
    industrial: bool
    flag: str | None = None

    @property
    def group_cn(self) -> str:
        """Return the group's Chinese name."""
        return GROUPS_CN.get(self.group, self.group)


def normalize_code(value: Any, scheme: str) -> str | None:
    """Return a code in its canonical text form, or None for an empty value.

    Tolerates integers that lost a leading zero (``601`` → ``'0601'``), trailing names
    (``'0601 工业用地'``), case (``'m1'`` → ``'M1'``) and floats from spreadsheets (``601.0``).
    OSM values are lower-cased words.

    >>> normalize_code(601, "sandiao"), normalize_code("05h1", "sandiao"), normalize_code(80101.0, "ydyh")
    ('0601', '05H1', '080101')
    >>> normalize_code("Industrial ", "osm")
    'industrial'
    """
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    if not text:
        return None
    if scheme == "osm":
        return text.lower()
    m = _LEADING.match(text)
    if not m:
        return text
    code = m.group(1).upper()
    digits = len(code) - len(code.lstrip("0123456789"))
    if code.isdigit() and len(code) % 2 == 1 and scheme != "gb50137":
        code = "0" + code
    elif 0 < digits < len(code) and digits % 2 == 1 and scheme != "gb50137":
        code = "0" + code  # '5H1' -> '05H1'
    return code


@dataclass(frozen=True)
class CodeTable:
    """All codes of one scheme, with the profile options applied."""

    scheme: str
    classes: dict[str, LandClass]
    options: tuple[tuple[str, bool], ...] = ()

    def classify(self, value: Any) -> LandClass | None:
        """Return the class of a raw code value, or None when the code is unknown or empty.

        A 6-digit 用地用海 code not in the table inherits from its 4-digit parent (the third level is a
        subdivision of the second); no other code is guessed.
        """
        code = normalize_code(value, self.scheme)
        if code is None:
            return None
        found = self.classes.get(code)
        if found is None and self.scheme == "ydyh" and len(code) == 6 and code.isdigit():
            parent = self.classes.get(code[:4])
            if parent is not None:
                found = replace(parent, code=code, name=f"{parent.name}（{code}）")
        return found

    def with_options(self, **options: bool) -> CodeTable:
        """Return the table with flagged codes changed by the profile options given."""
        unknown = set(options) - set(FLAGS)
        if unknown:
            msg = f"unknown code-table option(s) {sorted(unknown)}; known: {sorted(FLAGS)}"
            raise ProfileError(msg)
        classes = dict(self.classes)
        for code, cls in self.classes.items():
            if cls.flag and options.get(cls.flag):
                if cls.flag.endswith("_is_industrial"):
                    classes[code] = replace(cls, industrial=True, construction=True)
                else:
                    classes[code] = replace(cls, construction=True)
        return CodeTable(self.scheme, classes, tuple(sorted(options.items())))


@cache
def _load(scheme: str) -> CodeTable:
    text = resources.files("geo.data").joinpath(f"codes_{scheme}.csv").read_text(encoding="utf-8")
    classes: dict[str, LandClass] = {}
    for row in csv.DictReader(text.splitlines()):
        classes[row["code"]] = LandClass(
            code=row["code"],
            name=row["name"],
            group=row["group"],
            construction=row["construction"] == "1",
            industrial=row["industrial"] == "1",
            flag=row["flag"] or None,
        )
    return CodeTable(scheme, classes)


def code_table(scheme: str, **options: bool) -> CodeTable:
    """Return the code table of a scheme, with profile options applied.

    Raises
    ------
    ProfileError
        For an unknown scheme.
    """
    if scheme not in SCHEMES:
        msg = f"unknown land-use code scheme {scheme!r}; use one of {', '.join(SCHEMES)}"
        raise ProfileError(msg)
    table = _load(scheme)
    return table.with_options(**options) if options else table
