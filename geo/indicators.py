"""Versioned indicator tables of the industrial land-use control indicators (工业项目建设用地控制指标).

The 2008 table (国土资发〔2008〕24号) ships as ``geo/data/indicators_2008.csv``; a later revision, or a
city's own table, is a CSV of the same columns passed by path. Columns:

``indicator``
    ``far`` (minimum FAR by industry), ``investment`` (minimum investment intensity, 万元/公顷, by industry
    and region class), ``building_coefficient``, ``office_living_share``, ``green_ratio``,
    ``tall_storey_height``, ``region_class`` (the grouping of 土地等别, documentation only).
``industry_codes``
    2002 industry codes (GB/T 4754-2002, two digits): ``13-16``, ``34-37;39`` or ``*``.
``region_class``
    ``1`` … ``7`` or ``*``.
``comparison``, ``value``, ``unit``
    ``min`` / ``max`` and the value; blank when not known.
``status``
    ``confirmed`` or ``unconfirmed``: an unconfirmed value is never used silently; a blank one cannot be
    used at all, and the check says "cannot decide, because …".
``source``, ``note``
    The article and how the value was checked.

Industry codes of the 2011/2017 editions are translated to 2002 codes through
``geo/data/industry_gbt4754_2017_to_2002.csv`` (two-digit level; ``29`` needs its third digit).

>>> t = load_indicator_table("2008")
>>> t.far_min("26").value, t.far_min("27").value, t.scalar("building_coefficient").value
(0.6, 0.7, 0.3)
>>> [industry_2002(c, edition="2017")[0] for c in ("C2614", "292", "3811")]
['26', '30', '39']
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from geo.errors import ProfileError

__all__ = ["EDITIONS", "IndicatorTable", "Threshold", "industry_2002", "load_indicator_table"]

EDITIONS = ("2002", "2011", "2017")
_COLUMNS = ("indicator", "industry_codes", "region_class", "comparison", "value", "unit", "status", "source")
_DIGITS = re.compile(r"(\d{2,4})")


@dataclass(frozen=True)
class Threshold:
    """One control value, where it comes from and whether it is confirmed."""

    value: float | None
    comparison: str
    unit: str
    status: str
    source: str

    @property
    def usable(self) -> bool:
        """A threshold can decide when it has a value (confirmed or set by the user)."""
        return self.value is not None


def _codes(spec: str) -> set[str] | None:
    spec = spec.strip()
    if spec in ("", "*"):
        return None
    out: set[str] = set()
    for part in spec.split(";"):
        a, _, b = part.strip().partition("-")
        out.update(f"{c:02d}" for c in range(int(a), int(b or a) + 1))
    return out


@dataclass(frozen=True)
class IndicatorTable:
    """A loaded indicator table."""

    version: str
    origin: str
    rows: pd.DataFrame

    def _pick(
        self, indicator: str, code: str | None = None, region_class: int | None = None
    ) -> Threshold | None:
        t = self.rows[self.rows["indicator"] == indicator]
        best: tuple[int, pd.Series] | None = None
        for _, r in t.iterrows():
            codes = _codes(str(r["industry_codes"]))
            if codes is not None and (code is None or code not in codes):
                continue
            rc = str(r["region_class"]).strip()
            if rc not in ("", "*") and (region_class is None or rc != str(region_class)):
                continue
            score = (codes is not None) * 2 + (rc not in ("", "*"))
            if best is None or score > best[0]:
                best = (score, r)
        if best is None:
            return None
        r = best[1]
        raw = str(r["value"]).strip()
        return Threshold(
            value=float(raw) if raw else None,
            comparison=str(r["comparison"]),
            unit=str(r["unit"]),
            status=str(r["status"]),
            source=str(r["source"]),
        )

    def far_min(self, code_2002: str | None) -> Threshold | None:
        """Return the minimum FAR of a 2002 industry code (None when the table has no row for it)."""
        return self._pick("far", code_2002) if code_2002 else None

    def investment_min(self, code_2002: str | None, region_class: int | None) -> Threshold | None:
        """Return the minimum investment intensity (万元/公顷) of an industry in a region class."""
        return self._pick("investment", code_2002, region_class) if code_2002 else None

    def scalar(self, indicator: str) -> Threshold | None:
        """Return an indicator that applies to every industry (building coefficient, office share …)."""
        return self._pick(indicator)


def load_indicator_table(source: str | Path = "2008") -> IndicatorTable:
    """Load a built-in table by version (``"2008"``) or a CSV file.

    Raises
    ------
    ProfileError
        For a missing file or missing columns.
    """
    if str(source).isdigit():
        name = f"indicators_{source}.csv"
        try:
            text = resources.files("geo.data").joinpath(name).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            msg = f"no built-in indicator table {source!r} (geo/data/{name}); give a CSV path instead"
            raise ProfileError(msg) from exc
        origin, version = f"geo/data/{name}", str(source)
    else:
        p = Path(source)
        if not p.exists():
            msg = f"indicator table {p}: no such file (use a built-in version such as '2008' or a CSV path)"
            raise ProfileError(msg)
        text, origin, version = p.read_text(encoding="utf-8-sig"), str(p), p.stem
    rows = pd.DataFrame(list(csv.DictReader(text.splitlines()))).fillna("")
    missing = [c for c in _COLUMNS if c not in rows.columns]
    if missing:
        msg = f"indicator table {origin}: missing column(s) {missing}; it has {list(rows.columns)}"
        raise ProfileError(msg)
    return IndicatorTable(version=version, origin=origin, rows=rows)


@functools.cache
def _crosswalk() -> dict[str, tuple[str, str]]:
    text = (
        resources.files("geo.data").joinpath("industry_gbt4754_2017_to_2002.csv").read_text(encoding="utf-8")
    )
    return {r["code_2017"]: (r["code_2002"], r["note"]) for r in csv.DictReader(text.splitlines())}


def industry_2002(raw: object, *, edition: str = "2002") -> tuple[str | None, str]:
    """Return the two-digit 2002 industry code of a raw code, and a note when it cannot be given.

    ``C2614``, ``2614`` and ``26`` all read as industry 26. With ``edition`` 2011 or 2017 the code is
    translated to the 2002 classification the 2008 table uses.
    """
    if edition not in EDITIONS:
        msg = f"industry_code_edition {edition!r}: use one of {', '.join(EDITIONS)}"
        raise ProfileError(msg)
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None, "no industry code"
    m = _DIGITS.search(str(raw))
    if not m:
        return None, f"industry code {raw!r} has no digits"
    digits = m.group(1)
    if edition == "2002":
        return digits[:2], ""
    xw = _crosswalk()
    for key in (digits[:3], digits[:2]):
        if key in xw:
            code, note = xw[key]
            return (code or None), (note if not code else "")
    return None, f"industry code {raw!r} ({edition}) is not a manufacturing code in the crosswalk"
