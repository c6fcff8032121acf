"""Land for new projects: rank the idle and 批而未供 land that could take a project (R4.siting).

Seed 003 二(三)2: "引导新上项目优先选址利用批而未供、闲置土地". Given a project's land need and industry
(2002 GB/T 4754 division, e.g. ``26`` chemicals), every candidate — each contiguous part of 批而未供 land
and each idle parcel whose status the profile lists (reclaim, stalled, idle_fee) — is described by:

- **area fit**: area ≥ need, and the waste (area − need) in m² and as a share of the area;
- **leading industry**: whether the project's division is among the zone's leading industries (a field of
  codes, or Chinese words mapped to divisions by the profile's ``industry_words``); unknown without it;
- **planned use**: the share of the candidate in planned industrial land (工矿/仓储), from the planned
  land-use layer measured with the kernel; industrial when ≥ ``planned_industrial_min_share``;
- **constraints**: overlap with 永久基本农田 and 生态保护红线 (kernel areas; below the tolerance is a sliver);
  "not checked" when a layer is missing;
- **availability**: 批而未供 can be supplied directly; reclaim land once taken back; stalled and idle_fee
  land only with the holder (协议收回 or its own development).

Ranking is lexicographic, so every place can be explained: fits first; then constraint-free (yes, not
checked, no); planned industrial (yes, unknown, no); industry match (yes, unknown, no); availability in
the profile's order (for a combination, its least available member); least waste; fewest parcels.

Combinations (only when no single candidate fits): candidates of one zone closer than ``adjacent_gap_m``
are adjacent; every connected set of 2 … ``max_combination`` candidates is enumerated (breadth-first
growth from each candidate, each set once), and a set is kept when its area covers the need and no
connected set inside it already does (so no member is surplus).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.kernel import area_by_class
from geo.landuse import LanduseAreas
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.units import m2_to_mu

__all__ = ["JSON_KEYS", "SiteOption", "SitingRule", "candidates", "industry_codes", "rank_sites"]

log = logging.getLogger(__name__)

#: Keys of ``devzone site-project --json``, in order.
JSON_KEYS = (
    "rank",
    "option_id",
    "parcels",
    "zone_id",
    "area_m2",
    "area_mu",
    "need_m2",
    "fits",
    "waste_m2",
    "availability",
    "industry_match",
    "planned_industrial",
    "constraint_free",
    "reasons",
)
_AVAIL_TEXT = {
    "unsupplied": "批而未供：可直接供应",
    "reclaim": "闲置满两年：依法无偿收回后可供应",
    "stalled": "中止开发闲置：需与使用权人协商（协议收回或限期开发）",
    "idle_fee": "闲置满一年：使用权人仍持有，需协议收回",
    "government_cause": "政府原因闲置：先按第十二、十三条处置",
}
_MAX_SETS = 20_000


@dataclass(frozen=True)
class SitingRule:
    """Parameters from ``[rules."R4.siting"]``."""

    rule_id: str
    source: str
    candidate_statuses: tuple[str, ...]
    availability_order: tuple[str, ...]
    adjacent_gap_m: float
    max_combination: int
    constraint_tolerance_m2: float
    planned_industrial_min_share: float
    industry_words: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R4.siting") -> SitingRule:
        """Build the rule from a profile."""
        p = profile.rule(rule_id)
        words = tuple((str(k), tuple(str(c) for c in v)) for k, v in p.get("industry_words", {}).items())
        return cls(
            rule_id=str(p.get("id", rule_id)),
            source=str(p["source"]),
            candidate_statuses=tuple(p["candidate_statuses"]),
            availability_order=tuple(p["availability_order"]),
            adjacent_gap_m=float(p["adjacent_gap_m"]),
            max_combination=int(p["max_combination"]),
            constraint_tolerance_m2=float(p["constraint_tolerance_m2"]),
            planned_industrial_min_share=float(p["planned_industrial_min_share"]),
            industry_words=words,
        )


@dataclass(frozen=True)
class SiteOption:
    """One ranked site: a candidate or a combination of adjacent candidates. Areas in m²."""

    rank: int
    option_id: str
    parcels: tuple[str, ...]
    kinds: tuple[str, ...]
    zone_id: str | None
    area_m2: float
    area_mu: float
    need_m2: float
    fits: bool
    waste_m2: float | None
    waste_share: float | None
    availability: str
    industry_code: str
    zone_industries: str | None
    industry_match: bool | None
    planned_industrial_share: float | None
    planned_industrial: bool | None
    farmland_overlap_m2: float | None
    redline_overlap_m2: float | None
    constraint_free: bool | None
    reasons: str
    as_of: str
    rule_id: str
    source: str

    def to_json(self) -> dict[str, Any]:
        """Return the ``--json`` object: exactly :data:`JSON_KEYS`."""
        d = asdict(self)
        d["parcels"] = list(self.parcels)
        return {k: d[k] for k in JSON_KEYS}

    def to_row(self) -> dict[str, Any]:
        """Return a flat row (tuples joined with commas)."""
        d = asdict(self)
        d["parcels"], d["kinds"] = ",".join(self.parcels), ",".join(self.kinds)
        return d


def industry_codes(text: Any, rule: SitingRule) -> tuple[str, ...] | None:
    """Return the 2002 divisions a zone's leading-industry text names; None when nothing is recognised.

    >>> from geo.profile import load_profile
    >>> r = SitingRule.from_profile(load_profile("henan"))
    >>> industry_codes("石油化工、精细化工、装备制造", r), industry_codes("26,2710", r), industry_codes("", r)
    (('25', '26', '35', '36'), ('26', '2710'), None)
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
        return None
    raw = str(text)
    for sep in ("，", "、", ";", "；", " "):
        raw = raw.replace(sep, ",")
    codes = {t.strip() for t in raw.split(",") if t.strip().isdigit()}
    for word, divisions in rule.industry_words:
        if word in raw:
            codes.update(divisions)
    return tuple(sorted(codes)) or None


def _matches(code: str, zone_codes: tuple[str, ...] | None) -> bool | None:
    if zone_codes is None:
        return None
    return any(code.startswith(z) or z.startswith(code) for z in zone_codes)


def candidates(
    idle_parcels: gpd.GeoDataFrame, unsupplied: gpd.GeoDataFrame | None, *, rule: SitingRule
) -> gpd.GeoDataFrame:
    """Collect the candidate land: 批而未供 parts and idle parcels of the listed statuses.

    Returns
    -------
    GeoDataFrame
        Indexed by ``candidate_id`` (the 批而未供 id or the parcel id): ``kind`` (``unsupplied`` or the
        idle status), ``zone_id``, ``area_m2`` and the geometry.
    """
    frames = []
    if unsupplied is not None and len(unsupplied):
        frames.append(
            pd.DataFrame(
                {
                    "candidate_id": unsupplied["unsupplied_id"].astype(str),
                    "kind": "unsupplied",
                    "zone_id": unsupplied["zone_id"],
                    "geometry": unsupplied.geometry.values,
                }
            )
        )
    p = idle_parcels[idle_parcels["status"].isin(rule.candidate_statuses) & idle_parcels.geometry.notna()]
    if len(p):
        frames.append(
            pd.DataFrame(
                {
                    "candidate_id": p["parcel_id"].astype(str),
                    "kind": p["status"],
                    "zone_id": p["zone_id"],
                    "geometry": p.geometry.values,
                }
            )
        )
    crs = idle_parcels.crs if idle_parcels.crs is not None else getattr(unsupplied, "crs", None)
    if not frames:
        return gpd.GeoDataFrame({"kind": [], "zone_id": [], "area_m2": []}, geometry=[], crs=crs)
    df = pd.concat(frames, ignore_index=True)
    gdf = gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=df["geometry"].values, crs=crs)
    gdf = gdf.set_index("candidate_id")
    gdf["area_m2"] = gdf.geometry.area
    return gdf


def _overlap(cands: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None) -> pd.Series | None:
    if layer is None:
        return None
    work = gpd.GeoDataFrame({"_c": ["x"] * len(layer)}, geometry=layer.geometry.values, crs=layer.crs)
    k = area_by_class(cands.geometry, work, class_column="_c", keep_pieces=False)
    return k.covered_m2.reindex(cands.index).astype(float)


def _planned_share(cands: gpd.GeoDataFrame, planned: LanduseAreas | None) -> pd.Series | None:
    if planned is None:
        return None
    ind = pd.Series({c: planned.total(c, "industrial") for c in cands.index}, dtype=float)
    return ind / cands["area_m2"]


def _tri(value: bool | None) -> int:
    return 0 if value is True else (1 if value is None else 2)


@dataclass(frozen=True)
class _Facts:
    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    zone: str | None
    area: float
    farmland: float | None
    redline: float | None
    planned: float | None
    geom: Any


def _combine(members: list[_Facts]) -> _Facts:
    def total(vals: list[float | None]) -> float | None:
        return None if any(v is None for v in vals) else float(sum(v for v in vals if v is not None))

    area = sum(m.area for m in members)
    planned = total([None if m.planned is None else m.planned * m.area for m in members])
    return _Facts(
        ids=tuple(i for m in members for i in m.ids),
        kinds=tuple(k for m in members for k in m.kinds),
        zone=members[0].zone,
        area=area,
        farmland=total([m.farmland for m in members]),
        redline=total([m.redline for m in members]),
        planned=None if planned is None else planned / area,
        geom=shapely.union_all([m.geom for m in members]),
    )


def _connected_sets(facts: list[_Facts], rule: SitingRule, need_m2: float, qa: QALog) -> list[list[int]]:
    """Minimal connected sets of 2 … max_combination candidates of one zone whose area covers the need."""
    geoms = np.array([f.geom for f in facts], dtype=object)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=rule.adjacent_gap_m)
    adj: dict[int, set[int]] = {i: set() for i in range(len(facts))}
    for i, j in zip(a, b, strict=True):
        if i != j and facts[i].zone == facts[j].zone:
            adj[int(i)].add(int(j))
    seen: set[frozenset[int]] = set()
    frontier = [frozenset([i]) for i in range(len(facts))]
    fitting: list[frozenset[int]] = []
    for _size in range(2, rule.max_combination + 1):
        grown: set[frozenset[int]] = set()
        for s in frontier:
            for n in set().union(*(adj[i] for i in s)) - s:
                t = s | {n}
                if t not in seen:
                    seen.add(t)
                    grown.add(t)
        if len(seen) > _MAX_SETS:
            qa.add(
                "siting_combinations",
                f"more than {_MAX_SETS} connected sets: enumeration stopped at {_size} parcels",
                layer="siting",
                severity="warning",
            )
            break
        fits = [t for t in grown if sum(facts[i].area for i in t) >= need_m2]
        fitting += [t for t in fits if not any(f < t for f in fitting)]
        frontier = [t for t in grown if t not in fits]  # a set that fits is not grown further (minimal)
    return [sorted(t) for t in fitting]


def _reasons(
    f: _Facts,
    need_m2: float,
    code: str,
    zone_ind: str | None,
    match: bool | None,
    rule: SitingRule,
    have: dict[str, bool],
) -> str:
    waste = f.area - need_m2
    fit = (
        f"≥ need {need_m2:,.0f} m², waste {waste:,.0f} m² ({waste / f.area:.1%})"
        if waste >= 0
        else f"< need {need_m2:,.0f} m² (short {-waste:,.0f} m²)"
    )
    out = [f"area {f.area:,.0f} m² ({m2_to_mu(f.area):,.1f} 亩) {fit}"]
    if len(f.ids) > 1:
        out.append(f"combination of {len(f.ids)} adjacent parcels ({', '.join(f.ids)})")
    out.append(
        "leading industry unknown (no 主导产业 for the zone)"
        if match is None
        else f"project industry {code} {'matches' if match else 'is not among'} the zone's leading "
        f"industries ({zone_ind})"
    )
    out.append(
        "planned use not checked (no planned land-use layer)"
        if f.planned is None
        else f"planned industrial (工矿仓储) {f.planned:.1%} of the area"
    )
    for name, label, v in (("farmland", "永久基本农田", f.farmland), ("redline", "生态保护红线", f.redline)):
        if not have[name]:
            out.append(f"{label} not checked (no layer)")
        elif v is not None and v > rule.constraint_tolerance_m2:
            out.append(f"overlaps {label} by {v:,.2f} m²: not usable unless the line is adjusted")
        else:
            out.append(f"clear of {label}")
    out.append("; ".join(dict.fromkeys(_AVAIL_TEXT.get(k, k) for k in f.kinds)))
    return "; ".join(out)


def _free(f: _Facts, have: dict[str, bool], rule: SitingRule) -> bool | None:
    """False when a checked layer overlaps beyond the tolerance; True when both were checked; else None."""
    checked = [v or 0.0 for v, h in ((f.farmland, have["farmland"]), (f.redline, have["redline"])) if h]
    if any(v > rule.constraint_tolerance_m2 for v in checked):
        return False
    return True if all(have.values()) else None


def rank_sites(
    cands: gpd.GeoDataFrame,
    *,
    need_m2: float,
    industry_code: str,
    zone_industries: pd.Series | None = None,
    planned: LanduseAreas | None = None,
    farmland: gpd.GeoDataFrame | None = None,
    redline: gpd.GeoDataFrame | None = None,
    rule: SitingRule,
    qa: QALog,
    as_of: dt.date,
) -> tuple[list[SiteOption], gpd.GeoDataFrame]:
    """Rank candidates (and, when no single one fits, combinations) for a project's need.

    Parameters
    ----------
    cands : GeoDataFrame
        From :func:`candidates`, in the analysis CRS.
    need_m2 : float, keyword-only
        The project's land need in m² (1 亩 = 10 000/15 m²).
    industry_code : str, keyword-only
        The project's 2002 GB/T 4754 division or class, e.g. ``"26"`` or ``"2614"``.
    zone_industries : Series, optional, keyword-only
        Each zone's leading-industry text or codes, indexed by zone id.
    planned : LanduseAreas, optional, keyword-only
        The planned land use measured over the candidates (candidates as zones).
    farmland, redline : GeoDataFrame, optional, keyword-only
        永久基本农田 and 生态保护红线 in the same CRS.
    rule : SitingRule, keyword-only
    qa : QALog, keyword-only
    as_of : date, keyword-only

    Returns
    -------
    (options, sites)
        The ranked :class:`SiteOption` list (rank 1 first) and the same as a GeoDataFrame.
    """
    farm, red, plan = _overlap(cands, farmland), _overlap(cands, redline), _planned_share(cands, planned)
    facts = [
        _Facts(
            ids=(str(i),),
            kinds=(str(r.kind),),
            zone=None if pd.isna(r.zone_id) else str(r.zone_id),
            area=float(r.area_m2),
            farmland=None if farm is None else float(farm[i]),
            redline=None if red is None else float(red[i]),
            planned=None if plan is None else float(plan[i]),
            geom=r.geometry,
        )
        for i, r in cands.iterrows()
    ]
    options = list(facts)
    if facts and not any(f.area >= need_m2 for f in facts):
        sets = _connected_sets(facts, rule, need_m2, qa)
        options += [_combine([facts[i] for i in s]) for s in sets]
        log.info("no single candidate covers %.0f m²: %d combinations", need_m2, len(sets))
    have = {"farmland": farmland is not None, "redline": redline is not None}
    order = {k: i for i, k in enumerate(rule.availability_order)}
    rows = []
    for f in options:
        zone_text = None if zone_industries is None or f.zone is None else zone_industries.get(f.zone)
        match = _matches(industry_code, industry_codes(zone_text, rule))
        free = _free(f, have, rule)
        planned_ok = None if f.planned is None else f.planned >= rule.planned_industrial_min_share - 1e-9
        avail = max((order.get(k, len(order)) for k in f.kinds), default=len(order))
        fits = f.area >= need_m2
        key = (
            not fits,
            _tri(free),
            _tri(planned_ok),
            _tri(match),
            avail,
            (f.area - need_m2) if fits else need_m2 - f.area,
            len(f.ids),
            f.ids,
        )
        rows.append((key, f, zone_text, match, free, planned_ok))
    rows.sort(key=lambda r: r[0])
    out = []
    for rank, (_key, f, zone_text, match, free, planned_ok) in enumerate(rows, start=1):
        fits = f.area >= need_m2
        avail_kind = max(f.kinds, key=lambda k: order.get(k, len(order)))
        out.append(
            SiteOption(
                rank=rank,
                option_id="+".join(f.ids),
                parcels=f.ids,
                kinds=f.kinds,
                zone_id=f.zone,
                area_m2=f.area,
                area_mu=m2_to_mu(f.area),
                need_m2=float(need_m2),
                fits=fits,
                waste_m2=(f.area - need_m2) if fits else None,
                waste_share=(f.area - need_m2) / f.area if fits else None,
                availability=avail_kind,
                industry_code=industry_code,
                zone_industries=None if zone_text is None else str(zone_text),
                industry_match=match,
                planned_industrial_share=f.planned,
                planned_industrial=planned_ok,
                farmland_overlap_m2=f.farmland,
                redline_overlap_m2=f.redline,
                constraint_free=free,
                reasons=_reasons(f, need_m2, industry_code, zone_text, match, rule, have),
                as_of=as_of.isoformat(),
                rule_id=rule.rule_id,
                source=rule.source,
            )
        )
    crs = cands.crs
    sites = gpd.GeoDataFrame(
        pd.DataFrame([o.to_row() for o in out]), crs=crs, geometry=[r[1].geom for r in rows] if rows else []
    )
    return out, sites
