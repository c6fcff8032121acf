"""R3: conflicting uses inside zones — real estate, and industrial land converted to commercial or housing.

Seed 004 一(一): no 房地产开发 inside a zone (worker housing, training and necessary service facilities
excepted). :func:`find_conflicting_uses` lists every residential and commercial piece inside each zone
(groups from the code tables, :mod:`geo.codes`) with its parcel and area. Village land (农村宅基地) is
residential in the tables but is not real-estate development: it is listed with ``kind = "village"``
and is not a finding (the villages are R7's business). Whether a residential parcel is permitted worker
housing cannot be told from a land-use code: every finding says so.

Seed 004 三(八): strictly limit converting industrial land in a zone to commercial land. With two survey
vintages, :func:`find_conversions` intersects, inside each zone, the earlier vintage's 工矿仓储 pieces
with the later vintage's commercial and residential pieces, through the kernel
(:func:`geo.kernel.area_by_class`: each earlier industrial piece is a "zone", the later pieces its
classes), and reports each changed part with both parcels, both codes and the changed area. Parts of
``tolerance_m2`` or less are slivers from re-digitising, listed but not findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ProfileError
from geo.kernel import area_by_class
from geo.landuse import LanduseAreas
from geo.profile import RuleProfile
from geo.units import m2_to_ha, m2_to_mu

__all__ = [
    "JSON_KEYS",
    "PARCEL_ID_FIELDS",
    "ConflictRule",
    "ConflictVerdict",
    "ConversionRule",
    "find_conflicting_uses",
    "find_conversions",
    "parcel_lookup",
    "piece_classes",
    "summarise_conflicts",
]

#: Usual parcel-number fields of land-use layers (三调 标识码 BSM, 图斑编号 TBBH …).
PARCEL_ID_FIELDS = ("BSM", "TBBH", "TBYBH", "ZDBH", "DKBH", "PARCEL_ID")

_FLOAT_M2 = 1e-6
_HOUSING_NOTE = "职工公寓、培训及必要生产生活服务设施除外：请逐宗核实用途"


@dataclass(frozen=True)
class ConflictRule:
    """Parameters of R3 (``[rules.R3]``)."""

    rule_id: str
    title: str
    source: str
    groups: tuple[str, ...]
    village_codes: dict[str, tuple[str, ...]]
    tolerance_m2: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R3") -> ConflictRule:
        """Build the rule from a profile; raise :class:`ProfileError` for missing values."""
        p = profile.rule(rule_id)
        try:
            return cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                groups=tuple(p.get("groups", ("residential", "commercial"))),
                village_codes={
                    k.removeprefix("village_codes_"): tuple(map(str, v))
                    for k, v in p.items()
                    if k.startswith("village_codes_")
                },
                tolerance_m2=float(p.get("tolerance_m2", 1.0)),
            )
        except KeyError as exc:
            msg = f"profile {profile.origin}: [rules.{rule_id}] lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc


@dataclass(frozen=True)
class ConversionRule:
    """Parameters of R3's conversion check (``[rules."R3.conversion"]``)."""

    rule_id: str
    title: str
    source: str
    from_groups: tuple[str, ...]
    to_groups: tuple[str, ...]
    tolerance_m2: float

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R3.conversion") -> ConversionRule:
        """Build the rule from a profile; raise :class:`ProfileError` for missing values."""
        p = profile.rule(rule_id)
        try:
            return cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                from_groups=tuple(p.get("from_groups", ("industrial", "storage"))),
                to_groups=tuple(p.get("to_groups", ("commercial", "residential"))),
                tolerance_m2=float(p.get("tolerance_m2", 1.0)),
            )
        except KeyError as exc:
            msg = f"profile {profile.origin}: [rules.{rule_id}] lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc


def piece_classes(areas: LanduseAreas) -> gpd.GeoDataFrame:
    """Return the kernel's pieces of a land-use measurement with each code's name and group.

    Columns: ``zone``, ``code``, ``name``, ``group``, ``source`` (the parcel's feature id; ``a,b`` where
    overlapping parcels of one code were merged), ``area_m2``, geometry.
    """
    pieces = areas.kernel.pieces
    if pieces is None:
        msg = "the land-use measurement kept no pieces; measure with keep_pieces=True"
        raise ProfileError(msg)
    meta = areas.breakdown.drop_duplicates("code").set_index("code")
    p = pieces.rename(columns={"class": "code"}).copy()
    p["name"] = p["code"].map(meta["name"])
    p["group"] = p["code"].map(meta["group"])
    return p


def parcel_lookup(landuse: gpd.GeoDataFrame, id_field: str | None = None) -> dict[str, str] | None:
    """Return feature id → parcel number from ``id_field`` or the first usual field present, or None.

    >>> parcel_lookup(gpd.GeoDataFrame({"BSM": ["4109001"]}, geometry=[None]))
    {'0': '4109001'}
    """
    cols = {c.lower(): c for c in landuse.columns if c != landuse.geometry.name}
    field = id_field or next((cols[c.lower()] for c in PARCEL_ID_FIELDS if c.lower() in cols), None)
    if field is None:
        return None
    return {str(k): str(v) for k, v in landuse[field].items()}


def _named(pieces: gpd.GeoDataFrame, lookup: Mapping[str, str] | None) -> gpd.GeoDataFrame:
    if lookup is not None:
        pieces = pieces.assign(
            source=pieces["source"].map(lambda s: ",".join(lookup.get(x, x) for x in str(s).split(",")))
        )
    return pieces


def _parcel_ids(sources: pd.Series, landuse: gpd.GeoDataFrame | None, id_field: str | None) -> pd.Series:
    lookup = None if landuse is None else parcel_lookup(landuse, id_field)
    if lookup is None:
        return sources
    return sources.map(lambda s: ",".join(lookup.get(x, x) for x in str(s).split(",")))


def find_conflicting_uses(
    zones: gpd.GeoDataFrame,
    areas: LanduseAreas,
    *,
    rule: ConflictRule,
    landuse: gpd.GeoDataFrame | None = None,
    id_field: str | None = None,
    data: str = "",
    data_date: str = "",
    as_of: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """List residential and commercial land inside each zone, by parcel and area (R3).

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (``zone_id``, ``zone_name``), indexed by zone id.
    areas : LanduseAreas
        Land use measured in the zones with pieces (:func:`geo.landuse.measure_landuse`).
    rule : ConflictRule, keyword-only
    landuse, id_field : keyword-only
        The land-use layer as measured and its parcel-number field, to name parcels by number; without
        ``id_field`` the first usual field present (:data:`PARCEL_ID_FIELDS`: ``BSM``, ``TBBH`` …) is used,
        else the feature id.
    data, data_date : str, keyword-only
        The land-use data and its date, named in every row.
    as_of : date, optional, keyword-only

    Returns
    -------
    GeoDataFrame
        One row per piece: ``zone_id``, ``zone_name``, ``parcel``, ``code``, ``name``, ``group``, ``kind``
        (``commercial``, ``residential``, ``village``), ``area_m2``, ``area_ha``, ``area_mu``,
        ``share_of_zone``, ``finding``, ``note``, ``rule_id``, ``source``, ``data``, ``data_date``, ``as_of``.
    """
    p = piece_classes(areas)
    p = p[p["group"].isin(rule.groups)].copy()
    villages = set(rule.village_codes.get(areas.scheme, ()))
    p["kind"] = np.where(p["code"].isin(villages), "village", p["group"])
    p["finding"] = (p["kind"] != "village") & (p["area_m2"] > rule.tolerance_m2 + _FLOAT_M2)
    p["note"] = np.where(
        p["kind"] == "village",
        "农村宅基地：不属房地产开发，见 R7 村庄迁并",
        np.where(p["finding"], _HOUSING_NOTE, f"碎片（≤{rule.tolerance_m2:g} m²），不计"),
    )
    return _finish(
        p,
        zones,
        areas.kernel.zone_area_m2,
        landuse,
        id_field,
        rule.rule_id,
        rule.source,
        {"data": data, "data_date": data_date, "as_of": (as_of or dt.date.today()).isoformat()},
    )


def _finish(
    p: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    zone_area: pd.Series,
    landuse: gpd.GeoDataFrame | None,
    id_field: str | None,
    rule_id: str,
    source: str,
    extra: dict[str, Any],
) -> gpd.GeoDataFrame:
    out = p.rename(columns={"zone": "zone_id"})
    out["zone_id"] = out["zone_id"].astype(str)
    out.insert(1, "zone_name", out["zone_id"].map(zones.set_index(zones.index.astype(str))["zone_name"]))
    out["parcel"] = _parcel_ids(out.pop("source"), landuse, id_field)
    out["area_ha"] = out["area_m2"].map(m2_to_ha)
    out["area_mu"] = out["area_m2"].map(m2_to_mu)
    za = zone_area.copy()
    za.index = za.index.astype(str)
    out["share_of_zone"] = out["area_m2"] / out["zone_id"].map(za)
    out["rule_id"] = rule_id
    out["source"] = source
    for k, v in extra.items():
        out[k] = v
    cols = [
        "zone_id",
        "zone_name",
        "parcel",
        "code",
        "name",
        "group",
        "kind",
        "area_m2",
        "area_ha",
        "area_mu",
        "share_of_zone",
        "finding",
        "note",
        "rule_id",
        "source",
        *extra,
    ]
    return (
        out[[c for c in cols if c in out.columns] + ["geometry"]]
        .sort_values(["zone_id", "area_m2"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)
    )


def find_conversions(
    zones: gpd.GeoDataFrame,
    current: LanduseAreas,
    previous: LanduseAreas,
    *,
    rule: ConversionRule,
    data: tuple[str, str] = ("", ""),
    data_date: tuple[str, str] = ("", ""),
    parcel_ids: tuple[Mapping[str, str] | None, Mapping[str, str] | None] = (None, None),
    as_of: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """Find zone land that was 工矿仓储 in ``previous`` and is commercial or housing in ``current``.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones, indexed by zone id.
    current, previous : LanduseAreas
        The two vintages measured in the same zones, with pieces.
    rule : ConversionRule, keyword-only
    data, data_date : (previous, current), keyword-only
        Each vintage's data and date.
    parcel_ids : (previous, current), keyword-only
        Feature id → parcel number of each vintage (e.g. from ``BSM``); feature ids when None.
    as_of : date, optional, keyword-only

    Returns
    -------
    GeoDataFrame
        One row per changed part: ``zone_id``, ``parcel_previous``, ``code_previous``, ``name_previous``,
        ``parcel_current``, ``code_current``, ``name_current``, ``group_current``, ``change``, ``area_m2``,
        ``area_ha``, ``area_mu``, ``finding``, ``rule_id``, ``source``, the data and dates, geometry.
    """
    prev = _named(piece_classes(previous), parcel_ids[0])
    prev = prev[prev["group"].isin(rule.from_groups)]
    cur = _named(piece_classes(current), parcel_ids[1])
    cur = cur[cur["group"].isin(rule.to_groups)]
    rows = [_changes_in_zone(z, prev[prev["zone"] == z], cur[cur["zone"] == z], rule) for z in zones.index]
    rows = [r for r in rows if len(r)]
    cols = [
        "zone_id",
        "zone_name",
        "parcel_previous",
        "code_previous",
        "name_previous",
        "parcel_current",
        "code_current",
        "name_current",
        "group_current",
        "change",
        "area_m2",
        "area_ha",
        "area_mu",
        "finding",
        "rule_id",
        "source",
        "data_previous",
        "data_date_previous",
        "data_current",
        "data_date_current",
        "as_of",
    ]
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=zones.crs)
    out = gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), geometry="geometry", crs=zones.crs)
    out["zone_name"] = out["zone_id"].map(zones.set_index(zones.index.astype(str))["zone_name"])
    out["area_ha"] = out["area_m2"].map(m2_to_ha)
    out["area_mu"] = out["area_m2"].map(m2_to_mu)
    out["rule_id"], out["source"] = rule.rule_id, rule.source
    out["data_previous"], out["data_current"] = data
    out["data_date_previous"], out["data_date_current"] = data_date
    out["as_of"] = (as_of or dt.date.today()).isoformat()
    return out[[*cols, "geometry"]]


def _changes_in_zone(zone: object, prev: gpd.GeoDataFrame, cur: gpd.GeoDataFrame, rule: ConversionRule) -> pd.DataFrame:
    if prev.empty or cur.empty:
        return pd.DataFrame()
    keys = pd.Index([f"p{i}" for i in range(len(prev))])
    before = gpd.GeoSeries(prev.geometry.to_numpy(), index=keys, crs=prev.crs)
    after = gpd.GeoDataFrame(
        {"code": cur["code"].to_numpy()},
        geometry=cur.geometry.to_numpy(),
        index=pd.Index([f"c{i}" for i in range(len(cur))]),
        crs=cur.crs,
    )
    k = area_by_class(before, after, class_column="code")
    pieces = k.pieces
    if pieces is None or pieces.empty:
        return pd.DataFrame()
    pi = pieces["zone"].map(lambda s: int(str(s)[1:]))
    ci = pieces["source"].map(lambda s: [int(x[1:]) for x in str(s).split(",")])
    pr, cr = prev.reset_index(drop=True), cur.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "zone_id": str(zone),
            "parcel_previous": pr.loc[pi, "source"].to_numpy(),
            "code_previous": pr.loc[pi, "code"].to_numpy(),
            "name_previous": pr.loc[pi, "name"].to_numpy(),
            "parcel_current": [",".join(str(cr.loc[i, "source"]) for i in ids) for ids in ci],
            "code_current": pieces["class"].to_numpy(),
            "name_current": [cr.loc[ids[0], "name"] for ids in ci],
            "group_current": [cr.loc[ids[0], "group"] for ids in ci],
            "area_m2": pieces["area_m2"].to_numpy(),
            "geometry": pieces.geometry.to_numpy(),
        }
    )
    out["change"] = out["name_previous"] + " → " + out["name_current"]
    out["finding"] = out["area_m2"] > rule.tolerance_m2 + _FLOAT_M2
    return out


#: The keys of ``devzone conflicts --json``, in order.
JSON_KEYS = ("zone_id", "residential_m2", "commercial_m2", "village_m2", "converted_m2", "passes", "rule_ids")


@dataclass(frozen=True)
class ConflictVerdict:
    """R3 for one zone: real estate found, and (with two vintages) industrial land converted. Areas in m²."""

    zone_id: str
    zone_name: str
    residential_m2: float
    commercial_m2: float
    village_m2: float
    residential_parcels: int
    commercial_parcels: int
    converted_m2: float | None
    converted_parts: int | None
    passes: bool | None
    verdict: str
    reason: str
    rule_ids: tuple[str, ...]
    source: str
    data: str
    as_of: str

    def to_json(self) -> dict[str, Any]:
        """Return the ``--json`` object: exactly :data:`JSON_KEYS`."""
        d = {k: getattr(self, k) for k in JSON_KEYS}
        d["rule_ids"] = list(self.rule_ids)
        return d

    def to_row(self) -> dict[str, Any]:
        """Return every figure as a flat row, with 公顷 and 亩."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["rule_ids"] = ", ".join(self.rule_ids)
        for k in ("residential", "commercial", "village", "converted"):
            v = d[f"{k}_m2"]
            d[f"{k}_ha"] = None if v is None else m2_to_ha(v)
            d[f"{k}_mu"] = None if v is None else m2_to_mu(v)
        return d


def summarise_conflicts(
    zones: gpd.GeoDataFrame,
    uses: gpd.GeoDataFrame,
    conversions: gpd.GeoDataFrame | None,
    *,
    rule: ConflictRule,
    conversion_rule: ConversionRule,
    data: str = "",
    as_of: dt.date | None = None,
) -> list[ConflictVerdict]:
    """Return one R3 verdict per zone from :func:`find_conflicting_uses` and :func:`find_conversions`.

    A zone fails when it holds real estate (residential or commercial findings) or converted industrial
    land; with no earlier vintage (``conversions`` None) a zone without real estate "cannot decide" the
    conversion check, and says so.
    """
    out = []
    for zid, z in zones.iterrows():
        mine = uses[(uses["zone_id"] == str(zid)) & uses["finding"]]
        res = mine[mine["kind"] == "residential"]
        com = mine[mine["kind"] == "commercial"]
        vil = uses[(uses["zone_id"] == str(zid)) & (uses["kind"] == "village")]
        conv = (
            None if conversions is None else conversions[(conversions["zone_id"] == str(zid)) & conversions["finding"]]
        )
        reasons = [
            f"{rule.rule_id}: 住宅 {res['area_m2'].sum():,.2f} m² ({len(res)} 宗), 商业 "
            f"{com['area_m2'].sum():,.2f} m² ({len(com)} 宗)" + (f"; {_HOUSING_NOTE}" if len(mine) else "")
        ]
        if conv is None:
            reasons.append(f"{conversion_rule.rule_id}: cannot decide, because no earlier survey vintage was given")
        else:
            reasons.append(
                f"{conversion_rule.rule_id}: 工矿仓储转为商住 {conv['area_m2'].sum():,.2f} m² ({len(conv)} 处)"
            )
        failed = len(mine) > 0 or (conv is not None and len(conv) > 0)
        passes = False if failed else (None if conv is None else True)
        out.append(
            ConflictVerdict(
                zone_id=str(zid),
                zone_name=str(z["zone_name"]),
                residential_m2=float(res["area_m2"].sum()),
                commercial_m2=float(com["area_m2"].sum()),
                village_m2=float(vil["area_m2"].sum()),
                residential_parcels=len(res),
                commercial_parcels=len(com),
                converted_m2=None if conv is None else float(conv["area_m2"].sum()),
                converted_parts=None if conv is None else len(conv),
                passes=passes,
                verdict={True: "pass", False: "fail", None: "cannot decide"}[passes],
                reason="; ".join(reasons),
                rule_ids=(rule.rule_id, conversion_rule.rule_id),
                source=f"{rule.source}; {conversion_rule.source}",
                data=data,
                as_of=(as_of or dt.date.today()).isoformat(),
            )
        )
    return out
