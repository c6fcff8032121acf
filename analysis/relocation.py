"""Relocation communities (R7): the rule's parameters, and who moves.

Seed 004 九(二十四) and seed 000 二(三)1: villages inside a development zone move to concentrated
communities outside the zone, inside the urban planning area, each of at least 5,000 residents.

:func:`villages_to_move` finds the villages (points or polygons with a population) inside each zone:

- a point village is inside when a zone covers it, and then moves whole;
- for a polygon village the area inside the zones is measured with the shared kernel
  (:func:`geo.kernel.area_by_class`, the village as the "zone" and the zones as the classes, so zones that
  overlap count once), giving its share inside. The population to house is apportioned by the profile's
  ``apportion``: ``area_share`` moves population × share (uniform density assumed, rounded up to whole
  persons); ``whole`` moves the whole village when the share is at least ``whole_village_min_share``
  and nobody otherwise. A village with ``sliver_m2`` or less inside is outside; one with ``sliver_m2`` or
  less outside is wholly inside (digitising slivers).

The sites (:mod:`analysis.relocation_sites`), their quality (:mod:`analysis.relocation_quality`) and the
assignment (:mod:`analysis.relocation_assign`) follow; :mod:`analysis.relocation_run` runs them all.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import DataError, ProfileError, SchemaError
from geo.geometry import repair_polygons
from geo.io import find_field
from geo.kernel import area_by_class
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = [
    "KINDS",
    "POPULATION_FIELDS",
    "VILLAGE_ID_FIELDS",
    "VILLAGE_NAME_FIELDS",
    "RelocationRule",
    "village_table",
    "villages_to_move",
]

log = logging.getLogger(__name__)

#: The facility kinds scored against the life-circle radii.
KINDS = ("kindergarten", "school", "clinic", "shop", "bus_stop")
VILLAGE_ID_FIELDS = ("village_id", "VILLAGE_ID", "CJDM", "ZLDWDM", "XZQDM", "CODE", "ID", "BSM")
VILLAGE_NAME_FIELDS = (
    "village_name",
    "VILLAGE_NAME",
    "CJMC",
    "ZLDWMC",
    "XZQMC",
    "NAME",
    "name",
    "名称",
    "村名",
)
POPULATION_FIELDS = (
    "population",
    "POPULATION",
    "POP",
    "RK",
    "HJRK",
    "CZRK",
    "RKS",
    "人口",
    "户籍人口",
    "常住人口",
)


@dataclass(frozen=True)
class RelocationRule:
    """R7 parameters from the tables R7, "R7.radius", "R7.kinds" and "R7.score" of a profile."""

    rule_id: str
    title: str
    source: str
    min_site_population: int
    land_m2_per_person: float
    land_source: str
    apportion: str
    whole_village_min_share: float
    sliver_m2: float
    allow_split: bool
    max_distance_m: float
    use_undecided_sites: bool
    site_method: str
    grid_m: float
    noding: str
    max_snap_m: float
    solver_time_limit_s: float
    road_join_m: float = 0.0
    road_exclude_kinds: tuple[str, ...] = ()
    road_keep: str = "largest"
    radius_m: dict[str, float] = field(default_factory=dict)
    radius_source: str = ""
    kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    score: dict[str, float] = field(default_factory=dict)
    score_source: str = ""

    @classmethod
    def from_profile(cls, profile: RuleProfile, **overrides: Any) -> RelocationRule:
        """Read the R7 tables of a profile; keyword overrides (e.g. ``allow_split=True``) win.

        Raises
        ------
        ProfileError
            For a missing table or key, or an unknown ``apportion``, ``site_method`` or ``noding``.
        """
        r, rad, kinds, sc = (profile.rule(k) for k in ("R7", "R7.radius", "R7.kinds", "R7.score"))
        try:
            rule = cls(
                rule_id=str(r["id"]),
                title=str(r["title"]),
                source=str(r["source"]),
                min_site_population=int(r["min_site_population"]),
                land_m2_per_person=float(r["land_m2_per_person"]),
                land_source=str(r.get("land_source", "")),
                apportion=str(r["apportion"]),
                whole_village_min_share=float(r["whole_village_min_share"]),
                sliver_m2=float(r["sliver_m2"]),
                allow_split=bool(r["allow_split"]),
                max_distance_m=float(r["max_distance_m"]),
                use_undecided_sites=bool(r["use_undecided_sites"]),
                site_method=str(r["site_method"]),
                grid_m=float(r["grid_m"]),
                noding=str(r["noding"]),
                max_snap_m=float(r["max_snap_m"]),
                solver_time_limit_s=float(r["solver_time_limit_s"]),
                road_join_m=float(r.get("road_join_m", 0.0)),
                road_exclude_kinds=tuple(str(k).lower() for k in r.get("road_exclude_kinds", [])),
                road_keep=str(r.get("road_keep", "largest")),
                radius_m={k: float(rad[f"{k}_m"]) for k in KINDS},
                radius_source=str(rad["source"]),
                kinds={k: tuple(str(v).lower() for v in kinds.get(k, [k])) for k in KINDS},
                weights={k: float(sc[k]) for k in (*KINDS, "jobs", "slope")},
                score={
                    k: float(sc[k])
                    for k in (
                        "service_zero_factor",
                        "jobs_full_m",
                        "jobs_zero_m",
                        "slope_full_deg",
                        "slope_zero_deg",
                    )
                },
                score_source=str(sc["source"]),
            )
        except KeyError as exc:
            msg = f"profile {profile.name} ({profile.origin}): the R7 tables lack {exc.args[0]!r}"
            raise ProfileError(msg) from exc
        rule = cls(**{**rule.__dict__, **overrides})
        for key, allowed in (
            ("apportion", ("area_share", "whole")),
            ("site_method", ("grid", "parts")),
            ("noding", ("intersections", "endpoints")),
            ("road_keep", ("largest", "all")),
        ):
            if getattr(rule, key) not in allowed:
                msg = f"[rules.R7] {key} = {getattr(rule, key)!r}; use one of {', '.join(allowed)}"
                raise ProfileError(msg)
        return rule

    def capacity(self, area_m2: float) -> int:
        """Return the residents a site of ``area_m2`` can house at the per-person land standard.

        >>> from geo.profile import load_profile
        >>> RelocationRule.from_profile(load_profile()).capacity(500_000.0)
        5000
        """
        return math.floor(float(area_m2) / self.land_m2_per_person + 1e-9)

    def apportion_text(self) -> str:
        """Describe how the population of a village partly inside a zone is apportioned."""
        if self.apportion == "whole":
            return (
                f"whole village moves when at least {self.whole_village_min_share:.0%} of its area is inside "
                "the zones, nobody otherwise"
            )
        return "population × share of the village's area inside the zones (uniform density), rounded up"


def _optional_field(
    cols: list[str], requested: str | None, candidates: tuple[str, ...], **kw: str
) -> str | None:
    """Return the requested field (an error when absent) or the first usual name present, else None."""
    if requested is not None:
        return find_field(cols, requested, candidates, **kw)
    try:
        return find_field(cols, None, candidates, **kw)
    except SchemaError:
        return None


def village_table(
    villages: gpd.GeoDataFrame,
    *,
    layer: str,
    qa: QALog,
    id_field: str | None = None,
    name_field: str | None = None,
    population_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Return villages indexed by id: ``village_id``, ``village_name``, ``population`` (float; NaN = missing).

    Raises
    ------
    SchemaError
        When no population field is found (the fields present are listed).
    DataError
        For populations that are not numbers or are negative (every such feature listed), duplicate
        ids, or geometries that are neither points nor polygons.
    """
    cols = [c for c in villages.columns if c != villages.geometry.name]
    pfield = find_field(
        cols,
        population_field,
        POPULATION_FIELDS,
        what="village population",
        option="--population-field",
        source=layer,
    )
    ifield = _optional_field(
        cols, id_field, VILLAGE_ID_FIELDS, what="village id", option="--village-id", source=layer
    )
    nfield = _optional_field(
        cols, name_field, VILLAGE_NAME_FIELDS, what="village name", option="--village-name", source=layer
    )
    ids = (
        villages[ifield].astype(str).str.strip()
        if ifield
        else pd.Series([f"V{i}" for i in villages.index], index=villages.index)
    )
    raw = villages[pfield]
    pop = pd.to_numeric(raw, errors="coerce")
    bad = (pop.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | (pop < 0)
    if bad.any():
        shown = "; ".join(f"feature {ids[i]}: {raw[i]!r}" for i in villages.index[bad.to_numpy()][:20])
        msg = (
            f"{layer}: field {pfield!r} must hold a non-negative number of residents; {int(bad.sum())} "
            f"feature(s) do not ({shown}); correct the values and retry"
        )
        raise DataError(msg)
    if ids.duplicated().any():
        dup = sorted(set(ids[ids.duplicated()]))[:20]
        msg = f"{layer}: village ids in {ifield!r} repeat: {dup}; make them unique"
        raise DataError(msg)
    types = set(villages.geometry.geom_type.dropna())
    if types - {"Point", "MultiPoint", "Polygon", "MultiPolygon"}:
        msg = f"{layer}: villages must be points or polygons; the layer has {sorted(types)}"
        raise DataError(msg)
    for i in villages.index[raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()]:
        qa.add(
            "village_population",
            "no population: cannot decide how many people to house",
            layer=layer,
            feature=ids[i],
            field=pfield,
        )
    names = villages[nfield].astype(str) if nfield else ids
    out = gpd.GeoDataFrame(
        {
            "village_id": ids.to_numpy(),
            "village_name": names.to_numpy(),
            "population": pop.to_numpy(dtype=float),
        },
        geometry=villages.geometry.to_numpy(),
        crs=villages.crs,
    )
    out.index = pd.Index(out["village_id"].to_numpy(), name="village")
    return out


def _polygon_shares(zones: gpd.GeoDataFrame, polys: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area of each village polygon inside the zones (kernel), per zone and in all (overlaps once)."""
    z = gpd.GeoDataFrame(
        {"zone_id": zones["zone_id"].to_numpy()}, geometry=zones.geometry.to_numpy(), crs=zones.crs
    )
    res = area_by_class(polys.geometry, z, class_column="zone_id", keep_pieces=False)
    by_zone = res.table.rename(columns={"zone": "village", "class": "zone_id"})
    top = by_zone.sort_values(["village", "area_m2"], ascending=[True, False]).drop_duplicates("village")
    zones_text = by_zone.groupby("village").apply(
        lambda t: "; ".join(f"{z} {a:,.0f} m²" for z, a in zip(t["zone_id"], t["area_m2"], strict=True)),
        include_groups=False,
    )
    return pd.DataFrame(
        {
            "area_m2": res.zone_area_m2,
            "inside_m2": res.covered_m2,
            "zone_id": top.set_index("village")["zone_id"].reindex(polys.index),
            "zones": zones_text.reindex(polys.index),
        }
    )


def _point_zones(zones: gpd.GeoDataFrame, pts: gpd.GeoDataFrame) -> pd.DataFrame:
    g = np.asarray(pts.geometry.values, dtype=object)
    tree = shapely.STRtree(np.asarray(zones.geometry.values, dtype=object))
    pi, zi = tree.query(g, predicate="covered_by")
    zid = zones["zone_id"].to_numpy()
    first = pd.Series(zid[zi], index=pts.index[pi]).groupby(level=0).agg(lambda s: "; ".join(s))
    inside = pts.index.isin(first.index)
    return pd.DataFrame(
        {
            "area_m2": np.nan,
            "inside_m2": np.nan,
            "zone_id": first.str.split("; ").str[0].reindex(pts.index),
            "zones": first.reindex(pts.index),
            "share": inside.astype(float),
        },
        index=pts.index,
    )


def villages_to_move(
    zones: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    rule: RelocationRule,
    qa: QALog,
    layer: str = "villages",
) -> gpd.GeoDataFrame:
    """Return the villages inside or partly inside the zones, with the population to house.

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (:func:`geo.zones.prepare_zones`) in the analysis CRS.
    villages : GeoDataFrame
        From :func:`village_table`, in the same CRS: points or polygons with ``population``.
    rule : RelocationRule, keyword-only
    qa : QALog, keyword-only
    layer : str, keyword-only
        The village layer's name for QA rows.

    Returns
    -------
    GeoDataFrame
        On the village index, one row per village touching a zone: ``village_id``, ``village_name``,
        ``zone_id`` (the zone holding most of it), ``zones``, ``population``, ``area_m2``, ``inside_m2``,
        ``share_inside``, ``population_to_house`` (int, or None when the population is missing),
        ``moves``, ``basis`` (how the population was apportioned), ``reason``, ``rule_id``, ``source``;
        the villages' geometry.
    """
    is_poly = villages.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    parts = []
    if is_poly.any():
        polys = repair_polygons(villages.loc[is_poly], layer=layer, qa=qa)
        sh = _polygon_shares(zones, polys)
        sh["share"] = np.where(sh["area_m2"] > 0, sh["inside_m2"] / sh["area_m2"], 0.0)
        sh.loc[sh["inside_m2"] <= rule.sliver_m2, "share"] = 0.0  # a sliver inside: the village is outside
        sh.loc[sh["area_m2"] - sh["inside_m2"] <= rule.sliver_m2, "share"] = 1.0  # a sliver outside: inside
        parts.append(sh)
    if (~is_poly).any():
        parts.append(_point_zones(zones, villages.loc[~is_poly]))
    if not parts:
        return gpd.GeoDataFrame(columns=["village_id", "geometry"], geometry="geometry", crs=villages.crs)
    info = pd.concat(parts)
    info = info[info["share"] > 0]
    out = villages.loc[info.index].copy()
    for c in ("zone_id", "zones", "area_m2", "inside_m2"):
        out[c] = info[c]
    out["share_inside"] = info["share"].astype(float)
    rows = [_to_house(r.population, r.share_inside, rule) for r in out.itertuples()]
    out["population_to_house"] = [r[0] for r in rows]
    out["moves"] = [r[1] for r in rows]
    out["reason"] = [r[2] for r in rows]
    out["basis"] = np.where(
        np.isnan(out["area_m2"].astype(float)), "point inside a zone: whole village", rule.apportion_text()
    )
    out["rule_id"], out["source"] = rule.rule_id, rule.source
    n_out = len(villages) - len(out)
    qa.add(
        "villages_outside",
        f"{len(out)} village(s) touch a zone; {n_out} lie outside every zone",
        layer=layer,
        severity="info",
    )
    cols = [
        "village_id",
        "village_name",
        "zone_id",
        "zones",
        "population",
        "area_m2",
        "inside_m2",
        "share_inside",
        "population_to_house",
        "moves",
        "basis",
        "reason",
        "rule_id",
        "source",
    ]
    return out[[*cols, out.geometry.name]]


def _to_house(population: float, share: float, rule: RelocationRule) -> tuple[int | None, bool, str]:
    """Return (people to house, moves, reason) for one village."""
    if population is None or np.isnan(population):
        return None, False, "cannot decide, because the village has no population"
    if share >= 1.0 - 1e-12:
        return round(float(population)), True, "inside the zone"
    pct = f"{share:.1%} of its area inside the zones"
    if rule.apportion == "whole":
        if share >= rule.whole_village_min_share:
            return (
                round(float(population)),
                True,
                f"{pct} (≥ {rule.whole_village_min_share:.0%}): whole village moves",
            )
        return 0, False, f"{pct} (< {rule.whole_village_min_share:.0%}): the village stays; reported"
    people = math.ceil(float(population) * float(share) - 1e-9)
    return people, people > 0, f"{pct}: {people:,} of {round(float(population)):,} residents move"
