"""The relocation analysis (R7) as one run: read, find who moves, judge and score sites, assign, describe.

:func:`run_relocation` is what ``devzone relocate`` and the project pipeline call. Context layers (sites,
planning area, 永久基本农田, 生态保护红线, roads, facilities, land use) are read only within
``max_distance_m`` plus twice the largest service radius of the zones (a site farther away is out of
reach); villages only near the zones. Everything is transformed into the analysis CRS (logged).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.relocation import RelocationRule, village_table, villages_to_move
from analysis.relocation_assign import AssignResult, assign
from analysis.relocation_inputs import (
    SITE_ID_FIELDS,
    RelocationInputs,
    constraint_layers,
    facilities_layer,
    landuse_layers,
    read,
    road_network,
    site_frame,
)
from analysis.relocation_quality import SiteQuality, site_quality
from analysis.relocation_sites import Constraints, SiteCheck, check_sites, free_land, generate_sites
from geo.crs import AnalysisCRS
from geo.errors import DataError
from geo.network import STRAIGHT, RoadNetwork, distance_matrix
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = [
    "SITE_ID_FIELDS",
    "RelocationInputs",
    "RelocationRun",
    "assign_villages",
    "job_relocation",
    "run_relocation",
]

log = logging.getLogger(__name__)


@dataclass
class RelocationRun:
    """Everything one relocation run produced."""

    rule: RelocationRule
    zones: gpd.GeoDataFrame
    movers: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    check: SiteCheck
    free_excluded: gpd.GeoDataFrame | None
    quality: SiteQuality
    result: AssignResult | None
    assignments: pd.DataFrame
    distance_method: str
    methods: list[tuple[str, str]]
    analysis_crs: AnalysisCRS
    as_of: dt.date
    inputs: tuple[tuple[str, str], ...]
    facilities: gpd.GeoDataFrame | None = None
    constraints: Constraints | None = None
    roads: gpd.GeoSeries | None = None

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        """Return ``{"assignments": [...], "sites": [...]}`` with exactly the documented keys."""
        rows = [
            {
                "village_id": str(r.village_id),
                "population": None if pd.isna(r.population) else int(r.population),
                "site_id": None if pd.isna(r.site_id) else str(r.site_id),
            }
            for r in self.assignments.itertuples()
        ]
        sites = [
            {
                "site_id": str(s),
                "eligible": None if r.eligible is None else bool(r.eligible),
                "reasons": self.check.reasons(str(s)),
                "capacity": int(r.capacity),
                "population": int(r.population),
                "score": None if pd.isna(r.score) else float(r.score),
            }
            for s, r in self.sites.iterrows()
        ]
        return {"assignments": rows, "sites": sites}

    def outputs(self) -> Any:
        """Return the sheets, GeoPackage layers and map layers (see :mod:`analysis.relocation_report`)."""
        from analysis.relocation_report import relocation_outputs

        return relocation_outputs(self)


def _costs(
    movers: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, network: RoadNetwork | None, rule: RelocationRule
) -> tuple[np.ndarray, str]:
    if len(movers) == 0 or len(sites) == 0:
        return np.zeros((len(movers), len(sites))), STRAIGHT if network is None else "network"
    if network is not None and len(sites) < len(movers):
        d, how = distance_matrix(
            sites.geometry, movers.geometry, network=network, limit_m=rule.max_distance_m
        )
        return d.T, how
    return distance_matrix(movers.geometry, sites.geometry, network=network, limit_m=rule.max_distance_m)


def _assignment_table(
    movers: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, res: AssignResult | None, cost: np.ndarray, how: str
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    vids = list(movers.index)
    for v, r in movers.iterrows():
        if r["population_to_house"] is None or pd.isna(r["population_to_house"]):
            rows.append({"village_id": v, "population": None, "site_id": None, "reason": r["reason"]})
    if res is not None:
        for i, j, p in res.flows:
            rows.append(
                {
                    "village_id": vids[i],
                    "population": p,
                    "site_id": sites.index[j],
                    "distance_m": float(cost[i, j]),
                    "reason": None,
                }
            )
        for i, (left, why) in enumerate(zip(res.unhoused, res.reasons, strict=True)):
            if left > 0:
                rows.append({"village_id": vids[i], "population": left, "site_id": None, "reason": why})
    t = pd.DataFrame(rows, columns=["village_id", "population", "site_id", "distance_m", "reason"])
    t["person_m"] = t["population"].astype(float) * t["distance_m"].astype(float)
    t["distance_method"] = how
    return t


def assign_villages(
    villages: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    rule: RelocationRule,
    network: RoadNetwork | None = None,
) -> tuple[AssignResult | None, pd.DataFrame, str]:
    """Assign villages to sites (the GeoDataFrame adapter of :func:`analysis.relocation_assign.assign`).

    Parameters
    ----------
    villages : GeoDataFrame
        Points or polygons indexed by village id, with ``population_to_house`` (whole persons).
    sites : GeoDataFrame
        The usable sites, polygons indexed by site id, with ``capacity``.
    rule : RelocationRule, keyword-only
        Minimum community, splitting, maximum distance and solver time limit.
    network : RoadNetwork, optional, keyword-only
        Roads for network distances; straight-line distances without.

    Returns
    -------
    (AssignResult or None, DataFrame, str)
        The solver's result (None when there is no village), one row per village and site used
        (``village_id``, ``population``, ``site_id`` — None for people left without a site —,
        ``distance_m``, ``reason``, ``person_m``, ``distance_method``), and the distance method.
    """
    cost, how = _costs(villages, sites, network, rule)
    res = None
    if len(villages):
        res = assign(
            villages["population_to_house"].astype(int).tolist(),
            sites["capacity"].tolist(),
            cost,
            min_site_population=rule.min_site_population,
            allow_split=rule.allow_split,
            max_cost=rule.max_distance_m,
            time_limit_s=rule.solver_time_limit_s,
            site_names=[str(i) for i in sites.index],
        )
    return res, _assignment_table(villages, sites, res, cost, how), how


def run_relocation(
    zones: gpd.GeoDataFrame,
    inputs: RelocationInputs,
    *,
    analysis_crs: AnalysisCRS,
    profile: RuleProfile,
    qa: QALog,
    as_of: dt.date | None = None,
    **overrides: Any,
) -> RelocationRun:
    """Run the relocation analysis for prepared zones.

    Parameters
    ----------
    zones : GeoDataFrame
        From :func:`geo.layers.load_zones`.
    inputs : RelocationInputs
        The layers; ``villages`` and one of ``sites`` or ``planning_area`` are needed.
    analysis_crs, profile, qa, as_of : keyword-only
    **overrides
        R7 parameters that replace the profile's (``allow_split=True``, ``max_distance_m=8000`` …).

    Returns
    -------
    RelocationRun

    Raises
    ------
    DataError
        When neither sites nor a planning area is given.
    """
    rule = RelocationRule.from_profile(profile, **overrides)
    day = as_of or dt.date.today()
    if inputs.sites is None and inputs.planning_area is None:
        msg = "relocation needs candidate sites (--sites), or an urban planning area (--planning-area)"
        msg += " to generate them from free land"
        raise DataError(msg)
    pad = rule.max_distance_m + 2 * rule.score["service_zero_factor"] * max(rule.radius_m.values())
    v = inputs.villages
    villages = village_table(
        read(v, zones, acrs=analysis_crs, qa=qa, what="village layer", pad_m=50.0),
        layer=v.label,
        qa=qa,
        id_field=v.get("id_field"),
        name_field=v.get("name_field"),
        population_field=v.get("population_field"),
    )
    movers = villages_to_move(zones, villages, rule=rule, qa=qa, layer=v.label)
    water, industrial, jobs_label = None, None, "zone (开发区边界)"
    if inputs.landuse is not None:
        water, industrial, _ = landuse_layers(
            inputs.landuse, zones, acrs=analysis_crs, qa=qa, profile=profile, pad_m=pad
        )
        if len(industrial):
            jobs_label = "industrial land (产业用地) inside a zone"
    cons = constraint_layers(inputs, zones, water, acrs=analysis_crs, qa=qa, pad_m=pad)
    free_ex = None
    if inputs.sites is not None:
        sites = site_frame(
            read(inputs.sites, zones, acrs=analysis_crs, qa=qa, what="site layer", pad_m=pad),
            inputs.sites,
            qa=qa,
        )
    else:
        free, free_ex = free_land(cons, rule=rule, qa=qa)
        sites, small = generate_sites(free, rule=rule, crs=zones.crs)
        free_ex = pd.concat([free_ex, small], ignore_index=True)
    check = check_sites(sites, cons, rule=rule, qa=qa)
    network = road_network(inputs.roads, zones, acrs=analysis_crs, qa=qa, rule=rule, pad_m=pad)
    fac = facilities_layer(inputs.facilities, zones, acrs=analysis_crs, qa=qa, rule=rule, pad_m=pad)
    jobs = industrial.geometry if industrial is not None and len(industrial) else zones.geometry
    quality = site_quality(
        check.sites,
        rule=rule,
        qa=qa,
        jobs=jobs,
        jobs_label=jobs_label,
        facilities=fac,
        network=network,
        dem=str(inputs.dem.path) if inputs.dem is not None else None,
    )
    if network is not None:
        _snap_qa(network, movers, check.sites, rule, qa)
    run = _finish(rule, zones, movers, check, free_ex, quality, network, fac, analysis_crs, day, inputs, qa)
    run.constraints = cons
    if network is not None:
        run.roads = gpd.GeoSeries(network.seg_geoms, crs=zones.crs)
    return run


def _snap_qa(
    network: RoadNetwork, movers: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, rule: RelocationRule, qa: QALog
) -> None:
    for what, g in (("villages", movers), ("sites", sites)):
        if len(g) == 0:
            continue
        snap = network.snap(g.geometry)
        for key, acc in zip(g.index, snap.access_m, strict=True):
            if acc > rule.max_snap_m:
                qa.add(
                    "road_snap",
                    f"{acc:,.0f} m from the nearest road (more than {rule.max_snap_m:,.0f} m); the "
                    "straight access leg is counted in its network distances",
                    layer=what,
                    feature=key,
                )


def _finish(
    rule: RelocationRule,
    zones: gpd.GeoDataFrame,
    movers: gpd.GeoDataFrame,
    check: SiteCheck,
    free_ex: gpd.GeoDataFrame | None,
    quality: SiteQuality,
    network: RoadNetwork | None,
    fac: gpd.GeoDataFrame | None,
    acrs: AnalysisCRS,
    day: dt.date,
    inputs: RelocationInputs,
    qa: QALog,
) -> RelocationRun:
    sites = check.sites.join(quality.table)
    usable = (
        sites["eligible"].map(lambda e: e is True or (e is None and rule.use_undecided_sites)).astype(bool)
    )
    go = movers[movers["population_to_house"].map(lambda p: p is not None and not pd.isna(p) and p > 0)]
    res, table, how = assign_villages(go, sites[usable], rule=rule, network=network)
    undecided = movers[movers["population_to_house"].map(lambda p: p is None or pd.isna(p))]
    if len(undecided):
        table = pd.concat(
            [
                _assignment_table(
                    undecided, sites[usable], None, np.zeros((len(undecided), int(usable.sum()))), how
                ),
                table,
            ],
            ignore_index=True,
        )
    pop = table.dropna(subset=["site_id"]).groupby("site_id")["population"].sum()
    sites["population"] = pop.reindex(sites.index, fill_value=0).astype(int)
    sites["used"] = sites["population"] > 0
    sites["usable"] = usable
    methods = [
        (
            "distance",
            network.method
            if network is not None
            else f"{STRAIGHT}: planar distance in {acrs.label} between points on the features' surfaces "
            "(no road layer given)",
        ),
        ("apportion", rule.apportion_text()),
        (
            "water",
            "water (水域) from the land-use layer's water group"
            if any(k == "landuse" for k, _ in inputs.labels())
            else "water not checked: no land-use layer was given",
        ),
        *quality.methods,
    ]
    if res is not None:
        methods += [("solver", f"{res.notes[0]}; status {res.status}"), ("housed", res.notes[1])]
    elif len(movers) == 0:
        methods.append(("solver", "no village inside a zone: nothing to assign"))
    return RelocationRun(
        rule=rule,
        zones=zones,
        movers=movers,
        sites=sites,
        check=check,
        free_excluded=free_ex,
        quality=quality,
        result=res,
        assignments=table,
        distance_method=how,
        methods=methods,
        analysis_crs=acrs,
        as_of=day,
        inputs=inputs.labels(),
        facilities=fac,
    )


def job_relocation(ctx: Any) -> Any:
    """Pipeline job: R7 relocation with the project's layers (villages and sites or planning_area needed).

    Roles: ``villages``; ``sites`` or ``planning_area`` (sites are then generated from free land); optional
    ``farmland``, ``redline``, ``roads``, ``facilities``, ``landuse`` and the raster ``dem``. A project with
    neither sites nor a planning area gets a "cannot decide" QA row and no relocation outputs.
    """
    from analysis.relocation_report import relocation_outputs
    from analysis.report import Outputs

    layers = ctx.project.layers
    if "sites" not in layers and "planning_area" not in layers:
        ctx.qa.add(
            "job_skipped",
            "R7 安置社区: cannot decide, because the project file has neither [layers.sites] "
            "nor [layers.planning_area] (where relocation sites may go)",
            layer=str(ctx.project.path),
        )
        return Outputs()
    inputs = RelocationInputs(
        villages=layers["villages"],
        sites=layers.get("sites"),
        planning_area=layers.get("planning_area"),
        farmland=layers.get("farmland"),
        redline=layers.get("redline"),
        roads=layers.get("roads"),
        facilities=layers.get("facilities"),
        landuse=layers.get("landuse"),
        dem=ctx.project.rasters.get("dem"),
    )
    run = run_relocation(
        ctx.zones, inputs, analysis_crs=ctx.analysis_crs, profile=ctx.profile, qa=ctx.qa, as_of=ctx.as_of
    )
    ctx.results["relocation"] = run
    return relocation_outputs(run, out_dir=ctx.out_dir, qa=ctx.qa)
