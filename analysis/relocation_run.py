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
from analysis.relocation_quality import SiteQuality, facility_table, site_quality
from analysis.relocation_sites import (
    Constraints,
    SiteCheck,
    check_sites,
    free_land,
    generate_sites,
    water_from_landuse,
)
from geo.codes import code_table
from geo.crs import AnalysisCRS
from geo.errors import DataError
from geo.geometry import repair_polygons
from geo.io import find_field
from geo.kernel import area_by_class
from geo.landuse import CODE_FIELDS
from geo.layers import LayerSpec, load_near
from geo.network import STRAIGHT, RoadNetwork, distance_matrix
from geo.profile import RuleProfile
from geo.qa import QALog

__all__ = ["SITE_ID_FIELDS", "RelocationInputs", "RelocationRun", "job_relocation", "run_relocation"]

log = logging.getLogger(__name__)

SITE_ID_FIELDS = ("site_id", "SITE_ID", "DKBH", "DKDM", "ID", "BSM", "CODE")
SITE_NAME_FIELDS = ("site_name", "SITE_NAME", "DKMC", "name", "NAME", "MC", "名称")


@dataclass(frozen=True)
class RelocationInputs:
    """Where the layers of a relocation run are; None when not given."""

    villages: LayerSpec
    sites: LayerSpec | None = None
    planning_area: LayerSpec | None = None
    farmland: LayerSpec | None = None
    redline: LayerSpec | None = None
    roads: LayerSpec | None = None
    facilities: LayerSpec | None = None
    landuse: LayerSpec | None = None
    dem: LayerSpec | None = None

    def labels(self) -> tuple[tuple[str, str], ...]:
        """Return (role, source) for every layer given."""
        return tuple((k, v.label) for k, v in self.__dict__.items() if v is not None)


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


def _read(
    spec: LayerSpec, zones: gpd.GeoDataFrame, acrs: AnalysisCRS, qa: QALog, what: str, pad_m: float
) -> gpd.GeoDataFrame:
    return load_near(spec, zones, acrs, qa=qa, what=what, pad_m=pad_m)


def _polygons(
    spec: LayerSpec | None, zones: gpd.GeoDataFrame, acrs: AnalysisCRS, qa: QALog, what: str, pad_m: float
) -> gpd.GeoDataFrame | None:
    if spec is None:
        return None
    return repair_polygons(_read(spec, zones, acrs, qa, what, pad_m), layer=spec.label, qa=qa)


def _site_frame(raw: gpd.GeoDataFrame, spec: LayerSpec, qa: QALog) -> gpd.GeoDataFrame:
    cols = [c for c in raw.columns if c != raw.geometry.name]
    idf = (
        find_field(
            cols, spec.get("id_field"), SITE_ID_FIELDS, what="site id", option="--site-id", source=spec.label
        )
        if spec.get("id_field") or any(c.lower() in {f.lower() for f in SITE_ID_FIELDS} for c in cols)
        else None
    )
    nf = spec.get("name_field") if spec.get("name_field") in cols else None
    nf = nf or next((c for c in cols if c.lower() in {f.lower() for f in SITE_NAME_FIELDS}), None)
    polys = repair_polygons(raw, layer=spec.label, qa=qa)
    ids = (
        polys[idf].astype(str).str.strip() if idf else pd.Series([f"S{i}" for i in polys.index], polys.index)
    )
    if ids.duplicated().any():
        dup = sorted(set(ids[ids.duplicated()]))[:20]
        msg = f"{spec.label}: site ids in {idf!r} repeat: {dup}; make them unique"
        raise DataError(msg)
    out = gpd.GeoDataFrame(
        {
            "site_id": ids.to_numpy(),
            "site_name": (polys[nf].astype(str) if nf else ids).to_numpy(),
            "origin": f"given ({spec.label})",
        },
        geometry=polys.geometry.to_numpy(),
        crs=polys.crs,
    )
    out.index = pd.Index(out["site_id"].to_numpy(), name="site")
    return out


def _landuse(
    spec: LayerSpec, zones: gpd.GeoDataFrame, acrs: AnalysisCRS, qa: QALog, profile: RuleProfile, pad_m: float
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Return (water polygons, industrial land inside the zones, code field) from a land-use layer."""
    from analysis.industrial import guess_scheme

    lu = _polygons(spec, zones, acrs, qa, "land-use layer", pad_m)
    assert lu is not None
    cols = [c for c in lu.columns if c != lu.geometry.name]
    code_field = find_field(
        cols,
        spec.get("code_field"),
        CODE_FIELDS,
        what="land-use code",
        option="--code-field",
        source=spec.label,
    )
    table = code_table(spec.get("scheme") or guess_scheme(code_field), **profile.codes)
    water = water_from_landuse(lu, table=table, code_field=code_field)
    ind = lu[lu[code_field].map(lambda v: bool(getattr(table.classify(v), "industrial", False)))]
    ind = gpd.GeoDataFrame({"k": ["industrial"] * len(ind)}, geometry=ind.geometry.to_numpy(), crs=lu.crs)
    pieces = area_by_class(zones.geometry, ind, class_column="k").pieces if len(ind) else None
    return water, (pieces if pieces is not None else ind.iloc[:0]), code_field


ROAD_KIND_FIELDS = ("KIND", "kind", "TYPE", "type", "fclass", "DLLX")


def _road_lines(
    roads: gpd.GeoDataFrame, spec: LayerSpec, rule: RelocationRule, qa: QALog
) -> gpd.GeoDataFrame:
    """Drop features whose kind is not a road (railways …: ``road_exclude_kinds``), with a QA row."""
    field = spec.get("kind_field") or next((f for f in ROAD_KIND_FIELDS if f in roads.columns), None)
    if field is None or not rule.road_exclude_kinds:
        return roads
    drop = roads[field].astype(str).str.strip().str.lower().isin(rule.road_exclude_kinds)
    if drop.any():
        kinds = sorted(set(roads.loc[drop, field].astype(str)))
        qa.add(
            "road_kind",
            f"{int(drop.sum())} feature(s) with {field} in {kinds} are not roads; left out of the network",
            layer=spec.label,
            field=field,
            action="excluded",
        )
    return roads[~drop]


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
        _read(v, zones, analysis_crs, qa, "village layer", 50.0),
        layer=v.label,
        qa=qa,
        id_field=v.get("id_field"),
        name_field=v.get("name_field"),
        population_field=v.get("population_field"),
    )
    movers = villages_to_move(zones, villages, rule=rule, qa=qa, layer=v.label)
    water, industrial, jobs_label = None, None, "zone (开发区边界)"
    if inputs.landuse is not None:
        water, industrial, _ = _landuse(inputs.landuse, zones, analysis_crs, qa, profile, pad)
        if len(industrial):
            jobs_label = "industrial land (产业用地) inside a zone"
    cons = Constraints(
        zones=zones,
        planning_area=_polygons(inputs.planning_area, zones, analysis_crs, qa, "planning area", pad),
        farmland=_polygons(inputs.farmland, zones, analysis_crs, qa, "永久基本农田 layer", pad),
        redline=_polygons(inputs.redline, zones, analysis_crs, qa, "生态保护红线 layer", pad),
        water=water,
        labels=inputs.labels(),
    )
    free_ex = None
    if inputs.sites is not None:
        sites = _site_frame(_read(inputs.sites, zones, analysis_crs, qa, "site layer", pad), inputs.sites, qa)
    else:
        free, free_ex = free_land(cons, rule=rule, qa=qa)
        sites, small = generate_sites(free, rule=rule, crs=zones.crs)
        free_ex = pd.concat([free_ex, small], ignore_index=True)
    check = check_sites(sites, cons, rule=rule, qa=qa)
    network = None
    if inputs.roads is not None:
        roads = _road_lines(
            _read(inputs.roads, zones, analysis_crs, qa, "road layer", pad), inputs.roads, rule, qa
        )
        network = RoadNetwork.from_lines(roads, noding=rule.noding, join_m=rule.road_join_m)
        if rule.road_keep == "largest":
            network, dropped = network.largest_part()
            if dropped:
                qa.add(
                    "road_islands",
                    f"{dropped} road segment(s) not connected to the main road network are "
                    "left out (road_keep = 'largest'); points near them snap to the main network",
                    layer=inputs.roads.label,
                    action="excluded",
                )
    fac = None
    if inputs.facilities is not None:
        f = inputs.facilities
        fac = facility_table(
            _read(f, zones, analysis_crs, qa, "facility layer", pad),
            rule=rule,
            layer=f.label,
            qa=qa,
            kind_field=f.get("kind_field") or f.get("type_field"),
            name_field=f.get("name_field"),
        )
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
    cost, how = _costs(go, sites[usable], network, rule)
    res = None
    if len(go):
        res = assign(
            go["population_to_house"].astype(int).tolist(),
            sites.loc[usable, "capacity"].tolist(),
            cost,
            min_site_population=rule.min_site_population,
            allow_split=rule.allow_split,
            max_cost=rule.max_distance_m,
            time_limit_s=rule.solver_time_limit_s,
            site_names=list(sites.index[usable]),
        )
    table = _assignment_table(go, sites[usable], res, cost, how)
    undecided = movers[movers["population_to_house"].map(lambda p: p is None or pd.isna(p))]
    if len(undecided):
        table = pd.concat(
            [_assignment_table(undecided, sites[usable], None, cost, how), table], ignore_index=True
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
