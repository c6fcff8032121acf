"""R4: idle land (闲置土地), judged parcel by parcel as of a date.

闲置土地处置办法 (国土资源部令第53号) Art. 2, 8 and 14, and seed 004 三(七). Each supplied parcel gets one
status:

``not_idle``
    Not started but less than ``idle_years`` past the agreed start; or started and not stopped; or
    stopped for less than ``stalled_years``; or stopped but developed ≥ 1/3 and invested ≥ 25%.
``idle_fee`` (R4.fee, Art. 14(一))
    Not started ``idle_years`` (1) or more, less than ``reclaim_years`` (2), after the agreed start: an
    idle-land fee of ``fee_share`` (20%) of the land price, the amount in 元.
``reclaim`` (R4.reclaim, Art. 14(二))
    Not started ``reclaim_years`` or more after the agreed start: the land-use right is to be taken back
    without compensation.
``stalled`` (R4.stalled, Art. 2 ¶2)
    Started, developed share < 1/3 or invested share < 25%, and stopped ``stalled_years`` or more.
``government_cause`` (R4.government, Art. 8)
    Would be idle, but the recorded delay cause is a government act or force majeure: reported as
    政府原因 idle land, no fee.
``cannot_decide``
    A field the decision needs is blank or inconsistent; ``missing`` names it.

Counting years. "满一年" is counted in calendar years: with agreed start D, the parcel is idle from the
same calendar day one year later (:func:`geo.values.add_years`), inclusive — agreed start 2021-03-05 is
idle as of 2022-03-05 and not idle as of 2022-03-04. An agreed start on 29 February reaches its
anniversary on 28 February in common years (民法典 Art. 202: no corresponding day → the month's last day).
A start date after the as-of date counts as not started as of that date.

``days_overdue`` counts days from the day the rule's clock starts to the as-of date: the agreed start for
unstarted parcels, the stop date for stopped ones; 0 when the clock has not started, None when the date
is missing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.errors import ProfileError
from geo.profile import RuleProfile
from geo.values import add_years, is_blank

__all__ = ["IDLE_LABELS", "JSON_KEYS", "STATUSES", "STATUS_COLOURS", "STATUS_ZH", "IdleRule", "IdleVerdict",
           "cause_kind", "judge_idle", "judge_parcel"]

log = logging.getLogger(__name__)

_ARTICLES = ("article_2", "article_8", "article_14_1", "article_14_2")

#: The statuses, in the order reports list them.
STATUSES = ("reclaim", "idle_fee", "stalled", "government_cause", "cannot_decide", "not_idle")
STATUS_ZH = {"not_idle": "未闲置", "idle_fee": "闲置满一年（征收土地闲置费）",
             "reclaim": "闲置满两年（无偿收回）", "stalled": "中止开发满一年（闲置土地）",
             "government_cause": "政府原因闲置（不征收闲置费）",
             "cannot_decide": "无法判定"}
STATUS_COLOURS = {"not_idle": "#1a9850", "idle_fee": "#fc8d59", "reclaim": "#d73027", "stalled": "#984ea3",
                  "government_cause": "#4575b4", "cannot_decide": "#bdbdbd"}
#: The keys of ``devzone idle --json``, in order.
JSON_KEYS = ("parcel_id", "status", "days_overdue", "fee_yuan", "rule_id")
#: Workbook headers: Chinese label of each verdict column.
IDLE_LABELS = {
    "parcel_id": "宗地编号", "zone_id": "开发区编号", "status": "认定结果代码", "status_zh": "认定结果",
    "days_overdue": "逾期天数", "fee_yuan": "土地闲置费(元)", "reason": "说明", "missing": "缺少字段",
    "agreed_start": "约定开工日期", "actual_start": "实际开工日期", "stopped_since": "停工日期",
    "idle_from": "满一年日期", "reclaim_from": "满两年日期", "developed_share": "已开发面积比例",
    "invested_share": "已投资比例", "land_price_yuan": "土地价款(元)", "delay_cause": "延迟原因",
    "cause_kind": "原因类别", "area_m2": "面积(㎡)", "as_of": "判定日期", "rule_id": "规则",
    "article": "依据条款",
}


def _fraction(value: Any, *, key: str, origin: str) -> float:
    try:
        return float(Fraction(str(value).strip()))
    except (ValueError, ZeroDivisionError) as exc:
        msg = f"profile {origin}: [rules.R4] {key} = {value!r} is not a number or fraction such as \"1/3\""
        raise ProfileError(msg) from exc


@dataclass(frozen=True)
class IdleRule:
    """The R4 parameters, from a profile's ``[rules.R4]`` table."""

    rule_id: str
    source: str
    idle_years: int
    reclaim_years: int
    fee_share: float
    developed_share_below: float
    invested_share_below: float
    stalled_years: int
    stalled_fee: bool
    blank_actual_start: str
    enterprise_cause_words: tuple[str, ...]
    government_cause_words: tuple[str, ...]
    articles: tuple[tuple[str, str], ...]

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R4") -> IdleRule:
        """Build the rule from a profile; raise :class:`ProfileError` for missing or bad values."""
        p = profile.rule(rule_id)
        o = profile.origin
        try:
            rule = cls(
                rule_id=str(p.get("id", rule_id)), source=str(p["source"]),
                idle_years=int(p["idle_years"]), reclaim_years=int(p["reclaim_years"]),
                fee_share=float(p["fee_share"]),
                developed_share_below=_fraction(p["developed_share_below"], key="developed_share_below",
                                                origin=o),
                invested_share_below=_fraction(p["invested_share_below"], key="invested_share_below",
                                               origin=o),
                stalled_years=int(p["stalled_years"]), stalled_fee=bool(p.get("stalled_fee", False)),
                blank_actual_start=str(p.get("blank_actual_start", "not_started")),
                enterprise_cause_words=tuple(p.get("enterprise_cause_words", ())),
                government_cause_words=tuple(p.get("government_cause_words", ())),
                articles=tuple((k, str(p[k])) for k in _ARTICLES),
            )
        except KeyError as exc:
            msg = f"profile {o}: [rules.{rule_id}] lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc
        if not 0 < rule.idle_years < rule.reclaim_years:
            msg = f"profile {o}: [rules.{rule_id}] needs 0 < idle_years < reclaim_years"
            raise ProfileError(msg)
        if rule.blank_actual_start not in ("not_started", "unknown"):
            msg = f"profile {o}: [rules.{rule_id}] blank_actual_start must be 'not_started' or 'unknown'"
            raise ProfileError(msg)
        return rule

    def article(self, key: str) -> str:
        """Return an article's text by key (one of ``_ARTICLES``)."""
        return dict(self.articles)[key]


@dataclass(frozen=True)
class IdleVerdict:
    """The R4 status of one parcel as of a date; dates as ISO text, money in 元, shares as fractions."""

    parcel_id: str
    status: str
    status_zh: str
    days_overdue: int | None
    fee_yuan: float | None
    rule_id: str
    article: str
    reason: str
    missing: tuple[str, ...]
    as_of: str
    agreed_start: str | None
    actual_start: str | None
    stopped_since: str | None
    idle_from: str | None
    reclaim_from: str | None
    developed_share: float | None
    invested_share: float | None
    land_price_yuan: float | None
    delay_cause: str | None
    cause_kind: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the ``--json`` object: exactly :data:`JSON_KEYS`."""
        d = asdict(self)
        return {k: d[k] for k in JSON_KEYS}

    def to_row(self) -> dict[str, Any]:
        """Return every field as a flat row (``missing`` joined with commas)."""
        d = asdict(self)
        d["missing"] = ", ".join(self.missing)
        return d


def cause_kind(text: str | None, rule: IdleRule) -> str | None:
    """Classify a recorded delay cause: ``enterprise``, ``government`` or ``other``; None when blank.

    Enterprise words are checked first, so "非政府原因" is not read as a government cause.
    """
    if text is None or is_blank(text):
        return None
    if any(w in text for w in rule.enterprise_cause_words):
        return "enterprise"
    if any(w in text for w in rule.government_cause_words):
        return "government"
    return "other"


def _date(value: Any) -> dt.date | None:
    if value is None or is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _num(value: Any) -> float | None:
    return None if value is None or is_blank(value) else float(value)


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


@dataclass(frozen=True)
class _Facts:
    pid: str
    agreed: dt.date | None
    actual: dt.date | None
    stopped: dt.date | None
    dev: float | None
    inv: float | None
    price: float | None
    cause: str | None
    kind: str | None


def _verdict(f: _Facts, rule: IdleRule, as_of: dt.date, status: str, rule_id: str, article: str,
             reason: str, *, days: int | None = None, fee: float | None = None,
             missing: tuple[str, ...] = ()) -> IdleVerdict:
    idle_from = add_years(f.agreed, rule.idle_years) if f.agreed else None
    reclaim_from = add_years(f.agreed, rule.reclaim_years) if f.agreed else None
    return IdleVerdict(
        parcel_id=f.pid, status=status, status_zh=STATUS_ZH[status], days_overdue=days, fee_yuan=fee,
        rule_id=rule_id, article=rule.article(article), reason=reason, missing=missing,
        as_of=as_of.isoformat(), agreed_start=_iso(f.agreed), actual_start=_iso(f.actual),
        stopped_since=_iso(f.stopped), idle_from=_iso(idle_from), reclaim_from=_iso(reclaim_from),
        developed_share=f.dev, invested_share=f.inv, land_price_yuan=f.price, delay_cause=f.cause,
        cause_kind=f.kind)


def _government(f: _Facts, rule: IdleRule, as_of: dt.date, days: int, what: str) -> IdleVerdict:
    return _verdict(f, rule, as_of, "government_cause", f"{rule.rule_id}.government", "article_8",
                    f"{what}; the recorded delay cause {f.cause!r} is a government act or force "
                    "majeure (Art. 8): 政府原因闲置, no idle-land fee; to be handled under Art. 12–13",
                    days=days)


def _unstarted(f: _Facts, rule: IdleRule, as_of: dt.date, note: str) -> IdleVerdict:
    rid = rule.rule_id
    if f.agreed is None:
        return _verdict(f, rule, as_of, "cannot_decide", rid, "article_2",
                        f"cannot decide, because agreed_start (约定开工日期) is blank or unreadable; {note}",
                        missing=("agreed_start",))
    days = max(0, (as_of - f.agreed).days)
    idle_from, reclaim_from = add_years(f.agreed, rule.idle_years), add_years(f.agreed, rule.reclaim_years)
    if as_of < idle_from:
        return _verdict(f, rule, as_of, "not_idle", rid, "article_2",
                        f"{note}; {days} days past the agreed start {f.agreed}, idle only from {idle_from} "
                        f"({rule.idle_years} year(s), Art. 2)", days=days)
    what = f"not started {days} days after the agreed start {f.agreed}"
    if f.kind == "government":
        return _government(f, rule, as_of, days, what)
    if as_of < reclaim_from:
        fee = None if f.price is None else f.price * rule.fee_share
        money = (f"fee {rule.fee_share:.0%} × land price {f.price:,.2f} 元 = {fee:,.2f} 元" if fee is not None
                 else "the fee cannot be computed, because land_price_yuan (土地价款) is blank")
        return _verdict(f, rule, as_of, "idle_fee", f"{rid}.fee", "article_14_1",
                        f"{what} (idle from {idle_from}, reclaim from {reclaim_from}); {money}; {note}",
                        days=days, fee=fee, missing=() if fee is not None else ("land_price_yuan",))
    return _verdict(f, rule, as_of, "reclaim", f"{rid}.reclaim", "article_14_2",
                    f"{what} (≥ {rule.reclaim_years} years since {reclaim_from}): the land-use right is "
                    f"to be taken back without compensation; {note}", days=days)


def _below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


def _started(f: _Facts, rule: IdleRule, as_of: dt.date) -> IdleVerdict:
    rid = rule.rule_id
    assert f.actual is not None
    late = ""
    if f.agreed is not None and f.actual >= add_years(f.agreed, rule.idle_years):
        late = (f" (started {(f.actual - f.agreed).days} days after the agreed start: it was unstarted ≥ "
                f"{rule.idle_years} year(s) until then; whether a fee was levied is not in the data)")
    if f.stopped is None or f.stopped > as_of:
        return _verdict(f, rule, as_of, "not_idle", rid, "article_2",
                        f"started on {f.actual}{late}; no stop recorded as of {as_of}", days=0)
    if f.stopped < f.actual:
        return _verdict(f, rule, as_of, "cannot_decide", rid, "article_2",
                        f"cannot decide, because stopped_since {f.stopped} is before actual_start {f.actual}",
                        missing=("stopped_since",))
    days = (as_of - f.stopped).days
    stalled_from = add_years(f.stopped, rule.stalled_years)
    if as_of < stalled_from:
        return _verdict(f, rule, as_of, "not_idle", rid, "article_2",
                        f"started on {f.actual}{late}; stopped on {f.stopped}, {days} days: idle only if "
                        f"still stopped on {stalled_from}", days=days)
    dev_low, inv_low = _below(f.dev, rule.developed_share_below), _below(f.inv, rule.invested_share_below)
    limits = (f"developed {_pct(f.dev)} (idle below {_pct(rule.developed_share_below)}), "
              f"invested {_pct(f.inv)} (idle below {_pct(rule.invested_share_below)}, land price excluded)")
    if dev_low or inv_low:
        what = f"started on {f.actual}, stopped since {f.stopped} ({days} days); {limits}"
        if f.kind == "government":
            return _government(f, rule, as_of, days, what)
        fee = f.price * rule.fee_share if (rule.stalled_fee and f.price is not None) else None
        money = (f"fee {rule.fee_share:.0%} of the land price = {fee:,.2f} 元" if fee is not None else
                 "no fee amount: Art. 14 words the fee for land 未动工开发 (profile stalled_fee = false)")
        return _verdict(f, rule, as_of, "stalled", f"{rid}.stalled", "article_2",
                        f"{what}: idle land under Art. 2 ¶2; {money}", days=days, fee=fee)
    missing = tuple(n for n, v in (("developed_share", f.dev), ("invested_share", f.inv)) if v is None)
    if missing:
        return _verdict(f, rule, as_of, "cannot_decide", rid, "article_2",
                        f"cannot decide, because {' and '.join(missing)} is blank; stopped since {f.stopped} "
                        f"({days} days); {limits}", days=days, missing=missing)
    return _verdict(f, rule, as_of, "not_idle", rid, "article_2",
                    f"stopped since {f.stopped} ({days} days) but {limits}: not idle under Art. 2", days=days)


def _pct(x: float | None) -> str:
    return "blank" if x is None else f"{x:.2%}"


def judge_parcel(record: Mapping[str, Any], *, as_of: dt.date, rule: IdleRule) -> IdleVerdict:
    """Judge one supply record (a mapping with the supply-schema fields) as of a date.

    Parameters
    ----------
    record : mapping
        ``parcel_id``, ``agreed_start``, ``actual_start``, ``stopped_since`` (dates, datetimes or blank),
        ``developed_share``, ``invested_share`` (fractions), ``land_price_yuan``, ``delay_cause``.
    as_of : date, keyword-only
        The date the parcel is judged on.
    rule : IdleRule, keyword-only

    Returns
    -------
    IdleVerdict

    Examples
    --------
    >>> from geo.profile import load_profile
    >>> rule = IdleRule.from_profile(load_profile("henan"))
    >>> rec = {"parcel_id": "A", "agreed_start": dt.date(2021, 3, 5), "land_price_yuan": 1_000_000.0}
    >>> v = judge_parcel(rec, as_of=dt.date(2022, 3, 5), rule=rule)
    >>> v.status, v.days_overdue, v.fee_yuan, v.rule_id
    ('idle_fee', 365, 200000.0, 'R4.fee')
    >>> judge_parcel(rec, as_of=dt.date(2022, 3, 4), rule=rule).status
    'not_idle'
    """
    cause = record.get("delay_cause")
    cause = None if cause is None or is_blank(cause) else str(cause).strip()
    f = _Facts(pid=str(record.get("parcel_id")), agreed=_date(record.get("agreed_start")),
               actual=_date(record.get("actual_start")), stopped=_date(record.get("stopped_since")),
               dev=_num(record.get("developed_share")), inv=_num(record.get("invested_share")),
               price=_num(record.get("land_price_yuan")), cause=cause, kind=cause_kind(cause, rule))
    if f.actual is None:
        if rule.blank_actual_start == "unknown":
            return _verdict(f, rule, as_of, "cannot_decide", rule.rule_id, "article_2",
                            "cannot decide, because actual_start (实际开工日期) is blank and the profile "
                            "says a blank start is unknown (blank_actual_start = 'unknown')",
                            missing=("actual_start",))
        return _unstarted(f, rule, as_of, "no actual start recorded: taken as not started "
                          "(profile blank_actual_start = 'not_started')")
    if f.actual > as_of:
        return _unstarted(f, rule, as_of, f"the recorded start {f.actual} is after the as-of date")
    return _started(f, rule, as_of)


def judge_idle(supply: gpd.GeoDataFrame, *, as_of: dt.date, rule: IdleRule) -> tuple[list[IdleVerdict],
                                                                                      gpd.GeoDataFrame]:
    """Judge every parcel of supply records (:func:`analysis.supply.supply_records`) as of a date.

    Returns
    -------
    (verdicts, parcels)
        One :class:`IdleVerdict` per parcel, and a GeoDataFrame on the input's index with the verdict
        columns, ``area_m2`` (the polygon's planar area, else the recorded area) and the geometry.
    """
    verdicts = [judge_parcel(rec, as_of=as_of, rule=rule) for rec in supply.to_dict("records")]
    rows = pd.DataFrame([v.to_row() for v in verdicts], index=supply.index)
    area = pd.Series(float("nan"), index=supply.index)
    if "map_area_m2" in supply.columns:
        area = supply["map_area_m2"].astype(float)
    if "area_m2" in supply.columns:
        area = area.where(area.notna(), supply["area_m2"])
    rows["area_m2"] = area.astype(float)
    gdf = gpd.GeoDataFrame(rows, geometry=supply.geometry.values, crs=supply.crs)
    for v in verdicts:
        log.debug("%s %s: %s", v.rule_id, v.parcel_id, v.status)
    return verdicts, gdf
