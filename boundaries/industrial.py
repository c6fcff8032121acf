"""R1: the industrial-land share of a zone (产业用地占比, the 60% rule).

Seed 003 (2022 work points, 二(二)1): zone boundaries are delineated "按照产业用地不得低于60%的标准".
产业用地 = 工矿 + 仓储 land (the code tables' ``industrial`` flag). The denominator is construction land
inside the zone by default (``denominator = "construction"``) or the whole zone (``"zone"``); both shares
are always reported and the basis is named in every output.

Verdict
-------
Unknown codes and area not covered by the land-use layer are not guessed. With ``U`` such m², the share
can lie anywhere between the worst case (all of U is non-industrial construction land) and the best
case (all of U is industrial). The zone passes when even the worst case reaches the threshold, fails
when even the best case falls short, and otherwise the verdict is "cannot decide", with the reason and
the bounds (a profile may declare ``uncovered = "non_construction"`` for data such as OpenStreetMap, where
untagged land is not built; the default treats gaps as missing data). The threshold is inclusive
(≥ 60% passes); the comparison allows 1e-9 relative rounding.

Shortfall: to reach threshold ``t`` from industrial area ``I`` over denominator ``D``, either take in
``(t·D − I)/(1 − t)`` m² of industrial land, or leave out ``D − I/t`` m² of non-industrial land.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd

from geo.crs import ellipsoidal_area_m2
from geo.errors import ProfileError
from geo.landuse import LanduseAreas
from geo.profile import RuleProfile
from geo.units import m2_to_ha, m2_to_mu

__all__ = ["JSON_KEYS", "IndustrialRule", "ShareVerdict", "judge_industrial_share"]

#: The keys of ``devzone industrial --json``, in order.
JSON_KEYS = (
    "zone_id",
    "zone_area_m2",
    "industrial_area_m2",
    "construction_area_m2",
    "share_of_zone",
    "share_of_construction",
    "passes",
    "basis",
    "rule_id",
)

_REL_EPS = 1e-9


@dataclass(frozen=True)
class IndustrialRule:
    """Parameters of the 60% rule, from a profile's ``[rules.R1]`` table."""

    rule_id: str
    title: str
    source: str
    threshold: float
    inclusive: bool
    denominator: str
    overlap_precedence: tuple[str, ...]
    uncovered: str = "unknown"

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R1") -> IndustrialRule:
        """Build the rule from a profile; raise :class:`ProfileError` for bad values."""
        p = profile.rule(rule_id)
        try:
            rule = cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                threshold=float(p["threshold"]),
                inclusive=bool(p.get("inclusive", True)),
                denominator=str(p.get("denominator", "construction")),
                overlap_precedence=tuple(
                    p.get(
                        "overlap_precedence",
                        ("other_construction", "non_construction", "unknown", "industrial"),
                    )
                ),
                uncovered=str(p.get("uncovered", "unknown")),
            )
        except KeyError as exc:
            msg = f"profile {profile.origin}: [rules.{rule_id}] lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc
        if not 0.0 < rule.threshold < 1.0:
            msg = f"profile {profile.origin}: [rules.{rule_id}] threshold {rule.threshold} must be a fraction in (0, 1)"
            raise ProfileError(msg)
        if rule.denominator not in ("construction", "zone"):
            msg = (
                f"profile {profile.origin}: [rules.{rule_id}] denominator {rule.denominator!r}: "
                "use 'construction' or 'zone'"
            )
            raise ProfileError(msg)
        if rule.uncovered not in ("unknown", "non_construction"):
            msg = (
                f"profile {profile.origin}: [rules.{rule_id}] uncovered {rule.uncovered!r}: use 'unknown' "
                "(a complete survey: gaps are missing data) or 'non_construction' (e.g. OSM, where untagged "
                "land is not built)"
            )
            raise ProfileError(msg)
        return rule


@dataclass(frozen=True)
class ShareVerdict:
    """The 60% verdict for one zone. Areas in m² (planar in the analysis CRS unless named ellipsoidal)."""

    zone_id: str
    zone_name: str
    zone_area_m2: float
    zone_area_ellipsoidal_m2: float
    industrial_area_m2: float
    construction_area_m2: float
    unknown_area_m2: float
    uncovered_area_m2: float
    share_of_zone: float
    share_of_construction: float | None
    share_low: float | None
    share_high: float | None
    threshold: float
    passes: bool | None
    verdict: str
    reason: str
    basis: str
    shortfall_add_m2: float
    shortfall_remove_m2: float
    rule_id: str
    source: str
    landuse_basis: str
    data: str
    data_date: str
    as_of: str

    @property
    def industrial_area_ellipsoidal_m2(self) -> float:
        """Industrial area on the ellipsoid: planar × the zone's ellipsoidal/planar ratio (see docs)."""
        return self.industrial_area_m2 * self._ratio

    @property
    def construction_area_ellipsoidal_m2(self) -> float:
        """Construction area on the ellipsoid, as above."""
        return self.construction_area_m2 * self._ratio

    @property
    def _ratio(self) -> float:
        return self.zone_area_ellipsoidal_m2 / self.zone_area_m2 if self.zone_area_m2 else 1.0

    def to_json(self) -> dict[str, Any]:
        """Return the ``--json`` object: exactly :data:`JSON_KEYS`."""
        d = asdict(self)
        return {k: d[k] for k in JSON_KEYS}

    def to_row(self) -> dict[str, Any]:
        """Return every figure as a flat row for tables, with 公顷 and 亩 columns."""
        d = asdict(self)
        for k in ("zone_area", "industrial_area", "construction_area", "shortfall_add", "shortfall_remove"):
            d[f"{k}_ha"] = m2_to_ha(d[f"{k}_m2"])
            d[f"{k}_mu"] = m2_to_mu(d[f"{k}_m2"])
        d["industrial_area_ellipsoidal_m2"] = self.industrial_area_ellipsoidal_m2
        d["construction_area_ellipsoidal_m2"] = self.construction_area_ellipsoidal_m2
        return d


def _decide(
    ind: float, den: float, unk: float, t: float, basis: str
) -> tuple[bool | None, str, float | None, float | None]:
    """Return (passes, reason, low, high) from the known areas and the undecided area ``unk``."""
    if basis == "construction":
        low_den, high_num, high_den = den + unk, ind + unk, den + unk
    else:
        low_den, high_num, high_den = den, ind + unk, den
    if high_den <= 0:
        return (
            None,
            "cannot decide, because the zone holds no construction land (建设用地) to compare with",
            None,
            None,
        )
    low = ind / low_den
    high = high_num / high_den
    eps = _REL_EPS * max(high_den, 1.0)
    if ind >= t * low_den - eps:
        return True, f"share {low:.4%} ≥ {t:.0%}", low, high
    if high_num < t * high_den - eps:
        return False, f"share {ind / den if den else 0:.4%} < {t:.0%}", low, high
    return (
        None,
        (
            f"cannot decide, because {unk:.2f} m² of the zone has an unknown land-use code or is not covered "
            f"by the land-use layer; the share lies between {low:.4%} and {high:.4%}, around the {t:.0%} "
            "threshold: fix the codes or complete the layer (see the QA sheet)"
        ),
        low,
        high,
    )


def judge_industrial_share(
    zones: gpd.GeoDataFrame,
    areas: LanduseAreas,
    *,
    rule: IndustrialRule,
    landuse_basis: str = "现状",
    data: str = "",
    data_date: str = "",
    as_of: dt.date | None = None,
) -> list[ShareVerdict]:
    """Judge each zone against the 60% rule.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (``zone_id``, ``zone_name``), in the analysis CRS.
    areas : LanduseAreas
        Land use measured inside the zones (:func:`geo.landuse.measure_landuse`).
    rule : IndustrialRule, keyword-only
    landuse_basis : str, keyword-only
        ``现状`` (land survey) or ``规划`` (planned use): named in every output.
    data, data_date : str, keyword-only
        The land-use data and its date, named in every output.
    as_of : date, optional, keyword-only
        The run date recorded with the verdicts (default today).

    Returns
    -------
    list of ShareVerdict, in zone order

    Examples
    --------
    >>> from shapely import box
    >>> from geo.codes import code_table
    >>> from geo.landuse import measure_landuse
    >>> from geo.profile import load_profile
    >>> from geo.qa import QALog
    >>> z = gpd.GeoDataFrame({"zone_id": ["Z"], "zone_name": ["Z"]}, geometry=[box(0, 0, 100, 100)],
    ...                      index=["Z"], crs=4526)
    >>> lu = gpd.GeoDataFrame({"DLBM": ["0601", "0701", "0101"]},
    ...     geometry=[box(0, 0, 60, 100), box(60, 0, 100, 100), box(100, 0, 200, 100)], crs=4526)
    >>> a = measure_landuse(z, lu, table=code_table("sandiao"), qa=QALog())
    >>> v = judge_industrial_share(z, a, rule=IndustrialRule.from_profile(load_profile()))[0]
    >>> v.industrial_area_m2, v.construction_area_m2, v.share_of_construction, v.passes
    (6000.0, 10000.0, 0.6, True)
    """
    as_of = as_of or dt.date.today()
    ell = ellipsoidal_area_m2(zones.geometry)
    out = []
    t = rule.threshold
    for (zid, z), zell in zip(zones.iterrows(), ell, strict=True):
        zone_area = float(areas.kernel.zone_area_m2.loc[zid])
        ind = areas.total(zid, "industrial")
        con = ind + areas.total(zid, "other_construction")
        unk = areas.total(zid, "unknown")
        gap = max(areas.total(zid, "uncovered"), 0.0)
        den = con if rule.denominator == "construction" else zone_area
        undecided = unk + (gap if rule.uncovered == "unknown" else 0.0)
        passes, reason, low, high = _decide(ind, den, undecided, t, rule.denominator)
        if passes is True or den <= 0:
            add = remove = 0.0
        else:
            add = max(0.0, (t * den - ind) / (1.0 - t))
            remove = max(0.0, den - ind / t)
        verdict = {True: "pass", False: "fail", None: "cannot decide"}[passes]
        out.append(
            ShareVerdict(
                zone_id=str(zid),
                zone_name=str(z["zone_name"]),
                zone_area_m2=zone_area,
                zone_area_ellipsoidal_m2=float(zell),
                industrial_area_m2=ind,
                construction_area_m2=con,
                unknown_area_m2=unk,
                uncovered_area_m2=gap,
                share_of_zone=ind / zone_area if zone_area else 0.0,
                share_of_construction=ind / con if con > 0 else None,
                share_low=None if low is None else float(low),
                share_high=None if high is None else float(high),
                threshold=t,
                passes=passes,
                verdict=verdict,
                reason=reason,
                basis=rule.denominator,
                shortfall_add_m2=float(add),
                shortfall_remove_m2=float(remove),
                rule_id=rule.rule_id,
                source=rule.source,
                landuse_basis=landuse_basis,
                data=data,
                data_date=data_date,
                as_of=as_of.isoformat(),
            )
        )
    return out
