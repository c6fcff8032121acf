"""Cell values as Chinese land-administration tables hold them: dates, shares, amounts, numbers, keys.

Every parser takes one cell (text, number, date or datetime, blank) and returns the value in the
package's unit, or raises :class:`ValueParseError` whose message says why; the caller turns that into
a QA row naming the file, row and field. Blank cells (None, NaN, empty text, ``-``, ``/``, ``无``) are
``None``, never zero.

- Dates: ``2021年3月5日``, ``2021.03.05``, ``2021/3/5``, ``2021-03-05``, ``20210305``,
  ``2021-03-05 00:00:00``, Excel serial numbers (1900 date system, 1955–2119) and date or datetime cells.
- Shares: ``45%`` and ``45％`` → 0.45; a bare number in [0, 1] is a fraction; a bare number in (1, 100] is
  read as a percentage (with a note, because 45 could be a typing slip).
- Amounts: numbers or text with thousands separators, in 元 or 万元 as declared; a cell that names its
  own unit (``120万元``, ``1,200,000元``) is read in that unit.

>>> parse_date("2021年3月5日"), parse_date("20210305"), parse_date(44260)
(datetime.date(2021, 3, 5), datetime.date(2021, 3, 5), datetime.date(2021, 3, 5))
>>> parse_share("45%"), parse_share(0.45), parse_share(45)
((0.45, None), (0.45, None), (0.45, 'read as a percentage: 45 → 45%'))
>>> parse_amount_yuan("1,200.5", unit="万元")
12005000.0
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

__all__ = [
    "AMOUNT_UNITS",
    "ValueParseError",
    "add_years",
    "is_blank",
    "key_text",
    "parse_amount_yuan",
    "parse_date",
    "parse_number",
    "parse_share",
]

#: Amount units a table may declare, with their value in 元.
AMOUNT_UNITS: dict[str, float] = {"元": 1.0, "万元": 10_000.0, "亿元": 100_000_000.0}

_BLANKS = {"", "-", "--", "—", "/", "无", "空", "nan", "none", "null", "nat", "n/a", "#n/a"}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000  # 1954-10-03 … 2119-01-10
_YMD = re.compile(r"^\s*(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?"
                  r"\s*(?:0{1,2}:00(?::00)?)?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class ValueParseError(ValueError):
    """A cell cannot be read as the kind of value its field holds."""


def is_blank(value: Any) -> bool:
    """Return True for an empty cell: None, NaN/NaT, or text such as ``''``, ``-``, ``无``.

    >>> is_blank(None), is_blank(float("nan")), is_blank(" 无 "), is_blank(0)
    (True, True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if type(value).__name__ in ("NaTType", "NAType"):
        return True
    return isinstance(value, str) and value.strip().lower() in _BLANKS


def _as_number(value: Any) -> float | None:
    """Return a bare number (int/float or numeric text without units), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return _as_number(value.item())
        except (TypeError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if _NUMBER.match(text):
            return float(text)
    return None


def key_text(value: Any) -> str | None:
    """Return a join key as text: numbers lose a trailing ``.0``, text is stripped; blanks are None.

    >>> key_text(1001.0), key_text(" ZD-01 "), key_text(None)
    ('1001', 'ZD-01', None)
    """
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item") and not isinstance(value, str):
        return key_text(value.item())
    return str(value).strip()


def _date_of(y: int, m: int, d: int, raw: Any) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError as exc:
        msg = f"{raw!r} is not a calendar date ({exc})"
        raise ValueParseError(msg) from exc


def parse_date(value: Any) -> dt.date | None:
    """Read a date in the usual Chinese forms; None for a blank cell.

    Raises
    ------
    ValueParseError
        For text that is no date, a date with a time of day other than midnight, an impossible date
        (2021-02-30) or a number that is neither ``YYYYMMDD`` nor a plausible Excel serial.

    >>> parse_date("2021.03.05"), parse_date("2021/3/5"), parse_date("2021-03-05 00:00:00")
    (datetime.date(2021, 3, 5), datetime.date(2021, 3, 5), datetime.date(2021, 3, 5))
    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if value.time() != dt.time(0, 0):
            msg = f"{value!r} has a time of day; a date is expected"
            raise ValueParseError(msg)
        return value.date()
    if isinstance(value, dt.date):
        return value
    number = _as_number(value)
    if number is not None:
        if number.is_integer() and 19_000_101 <= number <= 21_991_231:
            n = int(number)
            return _date_of(n // 10_000, n // 100 % 100, n % 100, value)
        if number.is_integer() and _SERIAL_MIN <= number <= _SERIAL_MAX:
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        msg = (f"{value!r} is a number but neither YYYYMMDD nor an Excel date serial "
               f"({_SERIAL_MIN}–{_SERIAL_MAX}, i.e. 1954–2119)")
        raise ValueParseError(msg)
    if isinstance(value, str):
        text = value.strip().replace("．", ".").replace("／", "/").replace("－", "-")
        m = _YMD.match(text) or _COMPACT.match(text)
        if m:
            return _date_of(int(m.group(1)), int(m.group(2)), int(m.group(3)), value)
    msg = (f"{value!r} is not a date in a known form "
           "(2021年3月5日, 2021.03.05, 2021/3/5, 2021-03-05, 20210305)")
    raise ValueParseError(msg)


def parse_share(value: Any) -> tuple[float | None, str | None]:
    """Read a share as a fraction in [0, 1]; return ``(fraction, note)``.

    ``note`` is set when a bare number above 1 was read as a percentage.

    Raises
    ------
    ValueParseError
        For text that is no number, a negative share or one above 100%.

    >>> parse_share("45％"), parse_share("0.5"), parse_share(None)
    ((0.45, None), (0.5, None), (None, None))
    """
    if is_blank(value):
        return None, None
    note = None
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        number = _as_number(value.strip()[:-1])
        if number is None:
            msg = f"{value!r} is not a percentage"
            raise ValueParseError(msg)
        share = number / 100.0
    else:
        number = _as_number(value)
        if number is None:
            msg = f"{value!r} is not a share (use 0.45 or 45%)"
            raise ValueParseError(msg)
        share = number
        if 1.0 < number <= 100.0:
            share = number / 100.0
            note = f"read as a percentage: {_plain(number)} → {_plain(number)}%"
    if not 0.0 <= share <= 1.0:
        msg = f"{value!r} is outside 0–100%"
        raise ValueParseError(msg)
    return share, note


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_number(value: Any, *, minimum: float | None = 0.0) -> float | None:
    """Read a plain number (thousands separators allowed); None for a blank cell.

    Raises
    ------
    ValueParseError
        For text that is no number, or a number below ``minimum``.

    >>> parse_number("12,345.5"), parse_number(3)
    (12345.5, 3.0)
    """
    if is_blank(value):
        return None
    number = _as_number(value)
    if number is None or math.isnan(number) or math.isinf(number):
        msg = f"{value!r} is not a number"
        raise ValueParseError(msg)
    if minimum is not None and number < minimum:
        msg = f"{value!r} is below {minimum}"
        raise ValueParseError(msg)
    return number


def parse_amount_yuan(value: Any, *, unit: str) -> float | None:
    """Read an amount of money and return it in 元.

    Parameters
    ----------
    value : any
        The cell: a number, or text such as ``1,200``, ``120万元``, ``1200000元``.
    unit : str, keyword-only
        The unit the table declares for bare numbers: ``元``, ``万元`` or ``亿元``.

    Raises
    ------
    ValueParseError
        For text that is no amount, or a negative amount.

    >>> parse_amount_yuan(120, unit="万元"), parse_amount_yuan("36万元", unit="元")
    (1200000.0, 360000.0)
    """
    if unit not in AMOUNT_UNITS:
        msg = f"unknown amount unit {unit!r}; use one of {', '.join(AMOUNT_UNITS)}"
        raise ValueParseError(msg)
    if is_blank(value):
        return None
    factor = AMOUNT_UNITS[unit]
    if isinstance(value, str):
        text = value.strip()
        for name in sorted(AMOUNT_UNITS, key=len, reverse=True):
            if text.endswith(name):
                factor, value = AMOUNT_UNITS[name], text[: -len(name)]
                break
    number = parse_number(value, minimum=0.0)
    return None if number is None else number * factor


def add_years(day: dt.date, years: int) -> dt.date:
    """Return the same calendar day ``years`` later; 29 February becomes 28 February in other years.

    This follows 民法典 Art. 202: a period counted in years ends on the corresponding day of the last
    year, and where that month has no such day, on the last day of the month.

    >>> leap = dt.date(2020, 2, 29)
    >>> add_years(dt.date(2021, 3, 5), 1), add_years(leap, 1), add_years(leap, 4)
    (datetime.date(2022, 3, 5), datetime.date(2021, 2, 28), datetime.date(2024, 2, 29))
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)
