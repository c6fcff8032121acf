"""How good each site is (R7): services within the life-circle radii, jobs within reach, slope, a score.

Every distance is measured from a point on the site's surface (``point_on_surface``), over the road
network when one is given (:class:`geo.network.RoadNetwork`), straight-line otherwise; the method is
named in every output.

- **Services** (GB 50180-2018): for each kind (kindergarten, school, clinic, shop, bus stop), the
  distance to the nearest facility of that kind and whether it lies within the kind's radius
  (``[rules."R7.radius"]``). Facility kinds are read from the layer's kind field through
  ``[rules."R7.kinds"]``; values matching no kind are QA rows and are not used.
- **Jobs**: distance to the nearest zone (its edge; over roads: where a road enters it), or to the
  zones' industrial land when a land-use layer is given.
- **Slope**: mean and maximum over the site from a DEM (:func:`geo.terrain.slope_by_polygon`).
- **Score** 0–100 = 100 × Σ weight × component ÷ Σ weight over the components measured
  (``[rules."R7.score"]``): a service kind scores 1 within its radius, falling linearly to 0 at
  ``service_zero_factor`` × radius (0 when none is reachable); jobs 1 up to ``jobs_full_m``, 0 from
  ``jobs_zero_m``; slope 1 up to ``slope_full_deg``, 0 from ``slope_zero_deg``. Components without
  data (no facility layer, no DEM, a site outside the DEM) are left out and named in ``score_basis``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.relocation import KINDS, RelocationRule
from geo.io import find_field
from geo.network import RoadNetwork, distance_matrix, distance_to_polygons
from geo.qa import QALog
from geo.terrain import slope_by_polygon

__all__ = ["KIND_FIELDS", "SiteQuality", "facility_table", "ramp", "score_sites", "site_quality"]

log = logging.getLogger(__name__)

KIND_FIELDS = ("kind", "KIND", "type", "TYPE", "category", "amenity", "LX", "SSLX", "类型", "设施类型")
_FAC_ID_FIELDS = ("facility_id", "FACILITY_ID", "ID", "BSM", "CODE")
_FAC_NAME_FIELDS = ("name", "NAME", "MC", "名称", "设施名称")


def ramp(value: float, full: float, zero: float) -> float:
    """Return 1 up to ``full``, 0 from ``zero``, linear between (NaN and inf give 0).

    >>> ramp(300, 300, 600), ramp(450, 300, 600), ramp(float("inf"), 300, 600)
    (1.0, 0.5, 0.0)
    """
    if value is None or not np.isfinite(value):
        return 0.0
    if value <= full:
        return 1.0
    if value >= zero:
        return 0.0
    return float((zero - value) / (zero - full))


def facility_table(
    facilities: gpd.GeoDataFrame,
    *,
    rule: RelocationRule,
    layer: str,
    qa: QALog,
    kind_field: str | None = None,
    name_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Return facilities with ``facility_id``, ``facility_name``, ``kind`` (one of KINDS), ``raw_kind``.

    Values of the kind field matching no kind of ``[rules."R7.kinds"]`` are dropped with one QA row per
    value (with the feature count).

    Raises
    ------
    SchemaError
        When no kind field is found.
    """
    cols = [c for c in facilities.columns if c != facilities.geometry.name]
    kf = find_field(cols, kind_field, KIND_FIELDS, what="facility kind", option="--kind-field", source=layer)
    idf = next((c for c in _FAC_ID_FIELDS if c in cols), None)
    nf = name_field if name_field in cols else next((c for c in _FAC_NAME_FIELDS if c in cols), None)
    lookup = {alias: kind for kind, aliases in rule.kinds.items() for alias in aliases}
    raw = facilities[kf].astype(str).str.strip()
    kind = raw.str.lower().map(lookup)
    for value, n in raw[kind.isna()].value_counts().items():
        qa.add(
            "facility_kind",
            f"kind {value!r} ({n} feature(s)) matches none of {', '.join(KINDS)}; not used "
            '(map it in [rules."R7.kinds"])',
            layer=layer,
            field=kf,
            action="not used",
        )
    ids = (
        facilities[idf].astype(str)
        if idf
        else pd.Series([f"F{i}" for i in facilities.index], facilities.index)
    )
    out = gpd.GeoDataFrame(
        {
            "facility_id": ids.to_numpy(),
            "facility_name": (facilities[nf].astype(str) if nf else ids).to_numpy(),
            "kind": kind.to_numpy(),
            "raw_kind": raw.to_numpy(),
        },
        geometry=facilities.geometry.to_numpy(),
        crs=facilities.crs,
    )
    return out[out["kind"].notna()].reset_index(drop=True)


@dataclass(frozen=True)
class SiteQuality:
    """Per-site figures (``table`` on the sites' index) and how they were measured."""

    table: pd.DataFrame
    methods: tuple[tuple[str, str], ...]


def _services(
    sites: gpd.GeoDataFrame,
    fac: gpd.GeoDataFrame,
    rule: RelocationRule,
    network: RoadNetwork | None,
    qa: QALog,
) -> tuple[pd.DataFrame, str]:
    out = pd.DataFrame(index=sites.index)
    how = ""
    for kind in KINDS:
        sub = fac[fac["kind"] == kind]
        if len(sub) == 0:
            qa.add(
                "facility_kind",
                f"no {kind} in the facility layer: every site scores 0 for it",
                layer="facilities",
            )
            out[f"{kind}_m"], out[f"{kind}_nearest"] = np.inf, None
        else:
            d, how = distance_matrix(sites.geometry, sub.geometry, network=network)
            j = np.argmin(d, axis=1)
            out[f"{kind}_m"] = d[np.arange(len(sites)), j]
            out[f"{kind}_nearest"] = np.where(
                np.isfinite(out[f"{kind}_m"]), sub["facility_name"].to_numpy()[j], None
            )
        out[f"{kind}_radius_m"] = rule.radius_m[kind]
        out[f"{kind}_within"] = out[f"{kind}_m"] <= rule.radius_m[kind]
    return out, how


def score_sites(quality: pd.DataFrame, *, rule: RelocationRule, services: bool) -> pd.DataFrame:
    """Return ``score`` (0–100) and ``score_basis`` per site (see the module notes)."""
    sc, w = rule.score, rule.weights
    scores, bases = [], []
    for _, q in quality.iterrows():
        parts: dict[str, float] = {}
        if services:
            for k in KINDS:
                parts[k] = ramp(q[f"{k}_m"], rule.radius_m[k], sc["service_zero_factor"] * rule.radius_m[k])
        if "jobs_m" in q:
            parts["jobs"] = ramp(q["jobs_m"], sc["jobs_full_m"], sc["jobs_zero_m"])
        if "mean_slope_deg" in q and np.isfinite(q["mean_slope_deg"]):
            parts["slope"] = ramp(q["mean_slope_deg"], sc["slope_full_deg"], sc["slope_zero_deg"])
        total = sum(w[k] for k in parts)
        scores.append(
            round(100.0 * sum(w[k] * v for k, v in parts.items()) / total, 2) if total > 0 else None
        )
        bases.append(", ".join(f"{k} {v:.2f}×{w[k]:g}" for k, v in parts.items()))
    return pd.DataFrame({"score": scores, "score_basis": bases}, index=quality.index)


def site_quality(
    sites: gpd.GeoDataFrame,
    *,
    rule: RelocationRule,
    qa: QALog,
    jobs: gpd.GeoSeries,
    jobs_label: str,
    facilities: gpd.GeoDataFrame | None = None,
    network: RoadNetwork | None = None,
    dem: str | None = None,
) -> SiteQuality:
    """Measure services, jobs and slope for each site and score it.

    Parameters
    ----------
    sites : GeoDataFrame
        Site polygons in the analysis CRS, indexed by site id.
    rule : RelocationRule, keyword-only
    qa : QALog, keyword-only
    jobs : GeoSeries, keyword-only
        Polygons where the jobs are (the zones, or their industrial land).
    jobs_label : str, keyword-only
        What ``jobs`` is, for the outputs.
    facilities : GeoDataFrame, optional, keyword-only
        From :func:`facility_table`.
    network : RoadNetwork, optional, keyword-only
        Roads; straight-line distances without.
    dem : str, optional, keyword-only
        Path of a DEM raster.

    Returns
    -------
    SiteQuality
    """
    methods: list[tuple[str, str]] = []
    table = pd.DataFrame(index=sites.index)
    if facilities is not None:
        serv, how = _services(sites, facilities, rule, network, qa)
        table = table.join(serv)
        methods.append(
            (
                "services",
                f"{how or 'n/a'} distance from a point on each site's surface to the nearest "
                f"facility of each kind; radii: {rule.radius_source}",
            )
        )
    else:
        methods.append(
            ("services", "cannot decide, because no facility layer was given: services not scored")
        )
    d, how = distance_to_polygons(sites.geometry, jobs, network=network)
    table["jobs_m"] = d
    methods.append(("jobs", f"{how} distance to the nearest {jobs_label}"))
    if dem is not None:
        slope, how = slope_by_polygon(sites.geometry, dem)
        table = table.join(slope)
        for s in slope.index[slope["mean_slope_deg"].isna()]:
            qa.add("slope", "the DEM has no slope under this site: slope not scored", layer="dem", feature=s)
        methods.append(("slope", how))
    else:
        methods.append(("slope", "cannot decide, because no DEM was given: slope not scored"))
    table = table.join(score_sites(table, rule=rule, services=facilities is not None))
    methods.append(("score", f"0–100, weights {rule.weights}; {rule.score_source}"))
    return SiteQuality(table, tuple(methods))
