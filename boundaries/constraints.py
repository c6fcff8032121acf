"""R2: 三区三线 — overlap of each zone with 永久基本农田 and 生态保护红线, and area outside 城镇开发边界.

Seed 003 (2022 work points, 二(二)1): boundaries "精准衔接国土空间规划，落实'三区三线'划定成果"; seed
004 一(二): expansions only "在避开基本农田的前提下". Each zone must not overlap 永久基本农田
(``R2.farmland``) nor 生态保护红线 (``R2.redline``); area outside 城镇开发边界 (``R2.urban``) is reported
with its geometry and, by default, fails the zone (practice expects 0; the profile can make it a report
only).

Method (like QGIS *Overlap analysis*)
------------------------------------
1. Each control layer is repaired and **dissolved** (union of all its polygons, exploded into disjoint
   parts), so control polygons that overlap each other never count twice; the doubled area is a QA row.
2. The dissolved layer is a one-class layer for the kernel (:func:`geo.kernel.area_by_class`), which
   measures its area inside each zone and returns the overlap pieces.
3. Outside the urban boundary = zone area − the kernel's area inside it; the geometry is the zone minus
   the kernel's pieces.
4. Each overlap is split into its connected parts. A part of ``tolerance_m2`` or less (default 1 m²) is a
   digitising sliver — a shared edge drawn twice — and is not a finding; slivers are still listed
   (``finding = False``) and summed in ``*_sliver_m2``. A part counts as a sliver when its area is at most
   ``tolerance_m2 + 1e-6`` m² (float noise at Gauss-Krüger coordinate magnitudes). The reported area is
   the kernel's figure less the slivers, and exactly 0 when no part is a finding.

A missing layer gives ``passes = None`` for its check and "cannot decide, because …"; a check that fails
decides the zone even when another layer is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import ellipsoidal_area_m2
from geo.errors import ProfileError
from geo.geometry import repair_polygons
from geo.kernel import area_by_class, polygonal
from geo.profile import RuleProfile
from geo.qa import QALog
from geo.units import m2_to_ha, m2_to_mu

__all__ = [
    "JSON_KEYS",
    "KINDS",
    "ConstraintResult",
    "ConstraintRule",
    "ConstraintVerdict",
    "ControlLayers",
    "check_constraints",
    "dissolve_control",
]

#: The keys of ``devzone constraints --json``, in order.
JSON_KEYS = (
    "zone_id",
    "farmland_overlap_m2",
    "redline_overlap_m2",
    "outside_urban_boundary_m2",
    "passes",
    "rule_ids",
)

#: The three checks: key → (profile sub-rule, Chinese name of the layer, Chinese name of the finding).
KINDS: dict[str, tuple[str, str, str]] = {
    "farmland": ("R2.farmland", "永久基本农田", "占用永久基本农田"),
    "redline": ("R2.redline", "生态保护红线", "占用生态保护红线"),
    "urban": ("R2.urban", "城镇开发边界", "位于城镇开发边界外"),
}

_FLOAT_M2 = 1e-6


@dataclass(frozen=True)
class ConstraintRule:
    """Parameters of R2, from the profile's ``[rules.R2]`` and ``[rules."R2.<check>"]`` tables."""

    rule_id: str
    title: str
    source: str
    tolerance_m2: float
    outside_urban_fails: bool
    ids: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_profile(cls, profile: RuleProfile, rule_id: str = "R2") -> ConstraintRule:
        """Build the rule from a profile; raise :class:`ProfileError` for missing or bad values."""
        p = profile.rule(rule_id)
        try:
            subs = {k: profile.rule(sub) for k, (sub, _, _) in KINDS.items()}
            rule = cls(
                rule_id=str(p.get("id", rule_id)),
                title=str(p["title"]),
                source=str(p["source"]),
                tolerance_m2=float(p.get("tolerance_m2", 1.0)),
                outside_urban_fails=bool(p.get("outside_urban_boundary_fails", True)),
                ids={k: str(s.get("id", KINDS[k][0])) for k, s in subs.items()},
                sources={k: str(s["source"]) for k, s in subs.items()},
                titles={k: str(s["title"]) for k, s in subs.items()},
            )
        except KeyError as exc:
            msg = f"profile {profile.origin}: an R2 table lacks {exc.args[0]!r}"
            raise ProfileError(msg) from exc
        if rule.tolerance_m2 < 0:
            msg = f"profile {profile.origin}: [rules.{rule_id}] tolerance_m2 {rule.tolerance_m2} must be ≥ 0"
            raise ProfileError(msg)
        return rule


def dissolve_control(layer: gpd.GeoDataFrame, *, kind: str, label: str, qa: QALog) -> gpd.GeoDataFrame:
    """Repair and dissolve a control layer into disjoint polygon parts of one class.

    Parameters
    ----------
    layer : GeoDataFrame
        The control polygons (永久基本农田, 生态保护红线 or 城镇开发边界) in the analysis CRS.
    kind : str, keyword-only
        ``farmland``, ``redline`` or ``urban``; the class label of every part.
    label : str, keyword-only
        The layer's name for QA rows.
    qa : QALog, keyword-only

    Returns
    -------
    GeoDataFrame
        Columns ``class`` and geometry: the union of the layer, one row per disjoint part.

    Examples
    --------
    >>> from shapely import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(5, 0, 15, 10)], crs=4526)
    >>> d = dissolve_control(g, kind="farmland", label="f", qa=QALog())
    >>> len(d), float(d.area.sum())
    (1, 150.0)
    """
    valid = repair_polygons(layer, layer=label, qa=qa)
    geoms = np.asarray(valid.geometry.values, dtype=object)
    merged = polygonal(np.array([shapely.union_all(geoms)], dtype=object))[0] if len(geoms) else shapely.Polygon()
    parts = shapely.get_parts(merged)
    parts = parts[shapely.area(parts) > 0]
    doubled = float(shapely.area(geoms).sum() - shapely.area(merged)) if len(geoms) else 0.0
    if doubled > _FLOAT_M2:
        qa.add(
            "control_overlap",
            f"polygons of the {KINDS[kind][1]} layer overlap each other by {doubled:.2f} m² "
            "in total; the layer is dissolved first, so that area counts once",
            layer=label,
            severity="info",
            area_m2=doubled,
            action="dissolved",
        )
    return gpd.GeoDataFrame({"class": [kind] * len(parts)}, geometry=list(parts), crs=layer.crs)


@dataclass(frozen=True)
class ControlLayers:
    """The dissolved 三区三线 layers (None when not given), with the data each came from."""

    farmland: gpd.GeoDataFrame | None = None
    redline: gpd.GeoDataFrame | None = None
    urban: gpd.GeoDataFrame | None = None
    data: dict[str, str] = field(default_factory=dict)

    @classmethod
    def prepare(
        cls,
        *,
        farmland: gpd.GeoDataFrame | None = None,
        redline: gpd.GeoDataFrame | None = None,
        urban: gpd.GeoDataFrame | None = None,
        data: Mapping[str, str] | None = None,
        qa: QALog,
    ) -> ControlLayers:
        """Dissolve each layer given (:func:`dissolve_control`); ``data`` names its source and date."""
        names = dict(data or {})
        raw = {"farmland": farmland, "redline": redline, "urban": urban}
        done = {
            k: None if g is None else dissolve_control(g, kind=k, label=names.get(k, KINDS[k][1]), qa=qa)
            for k, g in raw.items()
        }
        return cls(
            farmland=done["farmland"],
            redline=done["redline"],
            urban=done["urban"],
            data={k: names.get(k, KINDS[k][1]) for k in KINDS if raw[k] is not None},
        )

    def get(self, kind: str) -> gpd.GeoDataFrame | None:
        """Return the dissolved layer of a check (``farmland``, ``redline``, ``urban``)."""
        return {"farmland": self.farmland, "redline": self.redline, "urban": self.urban}[kind]


@dataclass(frozen=True)
class ConstraintVerdict:
    """The 三区三线 verdict for one zone. Areas in m², planar in the analysis CRS.

    ``*_overlap_m2`` / ``outside_urban_boundary_m2`` exclude slivers (parts ≤ the tolerance), which are
    in ``*_sliver_m2``; None when the layer was not given.
    """

    zone_id: str
    zone_name: str
    zone_area_m2: float
    farmland_overlap_m2: float | None
    farmland_sliver_m2: float | None
    farmland_parts: int | None
    redline_overlap_m2: float | None
    redline_sliver_m2: float | None
    redline_parts: int | None
    outside_urban_boundary_m2: float | None
    outside_urban_sliver_m2: float | None
    outside_urban_parts: int | None
    farmland_passes: bool | None
    redline_passes: bool | None
    urban_passes: bool | None
    passes: bool | None
    verdict: str
    reason: str
    rule_ids: tuple[str, ...]
    source: str
    tolerance_m2: float
    data: str
    as_of: str

    def to_json(self) -> dict[str, Any]:
        """Return the ``--json`` object: exactly :data:`JSON_KEYS` (``rule_ids`` as a list)."""
        d = asdict(self)
        d["rule_ids"] = list(self.rule_ids)
        return {k: d[k] for k in JSON_KEYS}

    def to_row(self) -> dict[str, Any]:
        """Return every figure as a flat row, with 公顷, 亩 and shares of the zone."""
        d = asdict(self)
        d["rule_ids"] = ", ".join(self.rule_ids)
        for k in ("farmland_overlap", "redline_overlap", "outside_urban_boundary"):
            v = d[f"{k}_m2"]
            d[f"{k}_ha"] = None if v is None else m2_to_ha(v)
            d[f"{k}_mu"] = None if v is None else m2_to_mu(v)
            d[f"{k}_share"] = None if v is None or not self.zone_area_m2 else v / self.zone_area_m2
        return d


@dataclass(frozen=True)
class ConstraintResult:
    """Everything one R2 check produced: a verdict per zone and every overlap part with its geometry."""

    verdicts: list[ConstraintVerdict]
    parts: gpd.GeoDataFrame
    rule: ConstraintRule


def _parts_of(geom_by_zone: Mapping[object, Any], kind: str, tol: float) -> list[dict[str, Any]]:
    rows = []
    for zid, g in geom_by_zone.items():
        parts = shapely.get_parts(polygonal(np.array([g], dtype=object))[0])
        for i, part in enumerate(parts[shapely.area(parts) > 0], start=1):
            area = float(shapely.area(part))
            rows.append(
                {
                    "zone_id": str(zid),
                    "kind": kind,
                    "part": i,
                    "area_m2": area,
                    "finding": bool(area > tol + _FLOAT_M2),
                    "geometry": part,
                }
            )
    return rows


def _measure(
    zones: gpd.GeoDataFrame, control: gpd.GeoDataFrame, kind: str, tol: float
) -> tuple[dict[object, float], list[dict[str, Any]]]:
    """Return the kernel's area of the control layer inside each zone and the finding geometries' parts."""
    k = area_by_class(zones.geometry, control, class_column="class")
    inside = {z: float(k.covered_m2.loc[z]) for z in zones.index}
    pieces = k.pieces if k.pieces is not None else gpd.GeoDataFrame(geometry=[], crs=zones.crs)
    merged = (
        {
            z: shapely.union_all(np.asarray(pieces.geometry.values[(pieces["zone"] == z).to_numpy()], dtype=object))
            for z in zones.index
        }
        if len(pieces)
        else {z: shapely.Polygon() for z in zones.index}
    )
    if kind == "urban":
        geoms = {z: shapely.difference(g, merged[z]) for z, g in zip(zones.index, zones.geometry.values, strict=True)}
        return inside, _parts_of(geoms, kind, tol)
    return inside, _parts_of(merged, kind, tol)


def _check_status(kind: str, m2: float | None, rule: ConstraintRule) -> tuple[bool | None, str]:
    name = KINDS[kind][1]
    rid = rule.ids[kind]
    if m2 is None:
        return None, f"{rid}: cannot decide, because no {name} layer was given"
    if m2 > 0:
        what = "lies outside the" if kind == "urban" else "overlaps"
        verdict = kind == "urban" and not rule.outside_urban_fails
        note = " (reported only: the profile does not fail zones for it)" if verdict else ""
        return verdict, f"{rid}: {m2:,.2f} m² {what} {name}{note}"
    what = "area outside" if kind == "urban" else "overlap with"
    return True, f"{rid}: no {what} {name} above {rule.tolerance_m2:g} m²"


def check_constraints(
    zones: gpd.GeoDataFrame,
    controls: ControlLayers,
    *,
    rule: ConstraintRule,
    as_of: dt.date | None = None,
) -> ConstraintResult:
    """Judge each zone against 三区三线 (R2).

    Parameters
    ----------
    zones : GeoDataFrame
        Prepared zones (``zone_id``, ``zone_name``) in the analysis CRS, indexed by zone id.
    controls : ControlLayers
        The dissolved control layers (:meth:`ControlLayers.prepare`), in the same CRS.
    rule : ConstraintRule, keyword-only
    as_of : date, optional, keyword-only
        The judged-on date recorded in every output (default today).

    Returns
    -------
    ConstraintResult
        Verdicts in zone order and a GeoDataFrame of every overlap part (``kind`` farmland, redline or
        urban — the part outside the boundary), with ``finding`` False for slivers.

    Examples
    --------
    >>> from shapely import box
    >>> from geo.profile import load_profile
    >>> z = gpd.GeoDataFrame({"zone_id": ["Z"], "zone_name": ["Z"]}, geometry=[box(0, 0, 100, 100)],
    ...                      index=["Z"], crs=4526)
    >>> f = gpd.GeoDataFrame(geometry=[box(90, 0, 120, 50), box(95, 0, 130, 50)], crs=4526)
    >>> c = ControlLayers.prepare(farmland=f, qa=QALog())
    >>> v = check_constraints(z, c, rule=ConstraintRule.from_profile(load_profile())).verdicts[0]
    >>> v.farmland_overlap_m2, v.redline_overlap_m2, v.passes
    (500.0, None, False)
    """
    day = (as_of or dt.date.today()).isoformat()
    tol = rule.tolerance_m2
    zarea = {z: float(a) for z, a in zip(zones.index, shapely.area(np.asarray(zones.geometry.values)), strict=True)}
    rows: list[dict[str, Any]] = []
    found: dict[str, dict[object, tuple[float, float, int]]] = {}
    for kind in KINDS:
        layer = controls.get(kind)
        if layer is None:
            continue
        inside, parts = _measure(zones, layer, kind, tol)
        rows += parts
        per: dict[object, tuple[float, float, int]] = {}
        for z in zones.index:
            mine = [p for p in parts if p["zone_id"] == str(z)]
            sliver = sum(p["area_m2"] for p in mine if not p["finding"])
            total = zarea[z] - inside[z] if kind == "urban" else inside[z]
            n = sum(1 for p in mine if p["finding"])
            # the kernel's figure less the slivers; exactly 0 when no part is a finding (float residue)
            per[z] = (max(total - sliver, 0.0) if n else 0.0, sliver, n)
        found[kind] = per
    verdicts = [_verdict(z, str(zones.loc[z, "zone_name"]), zarea[z], found, controls, rule, day) for z in zones.index]
    return ConstraintResult(verdicts=verdicts, parts=_parts_frame(rows, zones, controls, rule, day), rule=rule)


def _verdict(
    z: object,
    name: str,
    area: float,
    found: dict[str, dict[object, tuple[float, float, int]]],
    controls: ControlLayers,
    rule: ConstraintRule,
    day: str,
) -> ConstraintVerdict:
    vals: dict[str, tuple[float | None, float | None, int | None]] = {
        k: found[k][z] if k in found else (None, None, None) for k in KINDS
    }
    status = {k: _check_status(k, vals[k][0], rule) for k in KINDS}
    decisive = [k for k in KINDS if k != "urban" or rule.outside_urban_fails]
    outcomes = [status[k][0] for k in decisive]
    passes = False if False in outcomes else (None if None in outcomes else True)
    verdict = {True: "pass", False: "fail", None: "cannot decide"}[passes]
    return ConstraintVerdict(
        zone_id=str(z),
        zone_name=name,
        zone_area_m2=area,
        farmland_overlap_m2=vals["farmland"][0],
        farmland_sliver_m2=vals["farmland"][1],
        farmland_parts=vals["farmland"][2],
        redline_overlap_m2=vals["redline"][0],
        redline_sliver_m2=vals["redline"][1],
        redline_parts=vals["redline"][2],
        outside_urban_boundary_m2=vals["urban"][0],
        outside_urban_sliver_m2=vals["urban"][1],
        outside_urban_parts=vals["urban"][2],
        farmland_passes=status["farmland"][0],
        redline_passes=status["redline"][0],
        urban_passes=status["urban"][0],
        passes=passes,
        verdict=verdict,
        reason="; ".join(status[k][1] for k in KINDS),
        rule_ids=tuple(rule.ids[k] for k in KINDS),
        source=rule.source,
        tolerance_m2=rule.tolerance_m2,
        data="; ".join(f"{KINDS[k][1]}: {v}" for k, v in controls.data.items()),
        as_of=day,
    )


def _parts_frame(
    rows: list[dict[str, Any]],
    zones: gpd.GeoDataFrame,
    controls: ControlLayers,
    rule: ConstraintRule,
    day: str,
) -> gpd.GeoDataFrame:
    cols = [
        "zone_id",
        "zone_name",
        "kind",
        "kind_cn",
        "part",
        "area_m2",
        "area_ha",
        "area_mu",
        "area_ellipsoidal_m2",
        "share_of_zone",
        "finding",
        "rule_id",
        "source",
        "data",
        "as_of",
    ]
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=zones.crs)
    g = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=zones.crs)
    zarea = zones.geometry.area
    zarea.index = zarea.index.astype(str)
    g["zone_name"] = g["zone_id"].map(zones.set_index(zones.index.astype(str))["zone_name"])
    g["kind_cn"] = g["kind"].map({k: v[2] for k, v in KINDS.items()})
    g["area_ha"] = g["area_m2"].map(m2_to_ha)
    g["area_mu"] = g["area_m2"].map(m2_to_mu)
    g["area_ellipsoidal_m2"] = ellipsoidal_area_m2(g.geometry)
    g["share_of_zone"] = g["area_m2"] / g["zone_id"].map(zarea)
    g["rule_id"] = g["kind"].map(rule.ids)
    g["source"] = g["kind"].map(rule.sources)
    g["data"] = g["kind"].map(controls.data)
    g["as_of"] = day
    return g[[*cols, "geometry"]]
