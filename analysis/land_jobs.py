"""Pipeline jobs for enterprises (R5.enterprises), inefficient land (R5), raster evidence (R5.raster) and
zone intensity (R6).

Each job takes what earlier jobs left in ``ctx.results`` (the supply records and R4 statuses of the idle
job, the land use measured by R1, the rates of R4.rates, the R2 verdicts) and reads only what is missing;
layers read here are kept in ``ctx.results`` for the next job (``supply_records``, ``buildings``).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from analysis.report import Outputs

if TYPE_CHECKING:
    from analysis.pipeline import Context

__all__ = ["job_enterprises", "job_evidence", "job_inefficient", "job_intensity"]

log = logging.getLogger(__name__)


def supply_records(ctx: Context) -> gpd.GeoDataFrame:
    """Return the supply records with ``zone_id`` (from the idle job when it ran, else read once)."""
    from analysis.idle_run import IdleRun
    from analysis.supply import read_supply, zone_of

    if "supply_records" in ctx.results:
        return ctx.results["supply_records"]  # type: ignore[return-value]
    idle = ctx.results.get("idle")
    if isinstance(idle, IdleRun):
        records = idle.supply.copy()
        records["zone_id"] = idle.parcels["zone_id"].to_numpy()
    else:
        records = read_supply(
            ctx.project.layers["supply"], qa=ctx.qa, zones=ctx.zones, analysis_crs=ctx.analysis_crs
        )
        records["zone_id"] = zone_of(records, ctx.zones)
    records.attrs["source"] = ctx.project.layers["supply"].label
    ctx.results["supply_records"] = records
    return records


def buildings(ctx: Context) -> gpd.GeoDataFrame | None:
    """Return the prepared buildings of the project (None without ``[layers.buildings]``)."""
    from analysis.inefficient_run import load_buildings

    if "buildings" not in ctx.project.layers:
        return None
    if "buildings" not in ctx.results:
        ctx.results["buildings"] = load_buildings(
            ctx.project.layers["buildings"], ctx.zones, ctx.analysis_crs, profile=ctx.profile, qa=ctx.qa
        )
    return ctx.results["buildings"]  # type: ignore[return-value]


def _enterprise_run(ctx: Context) -> Any:
    from analysis.enterprises import EnterpriseRun, run_enterprises

    run = ctx.results.get("enterprises")
    if isinstance(run, EnterpriseRun) or "enterprises" not in ctx.project.layers:
        return run
    parcels = supply_records(ctx) if "supply" in ctx.project.layers else None
    run = run_enterprises(
        ctx.project.layers["enterprises"],
        ctx.zones,
        profile=ctx.profile,
        qa=ctx.qa,
        as_of=ctx.as_of,
        parcels=parcels,
    )
    ctx.results["enterprises"] = run
    return run


def job_enterprises(ctx: Context) -> Outputs:
    """Enterprise classes, directory and 亩均税收 per zone."""
    return _enterprise_run(ctx).outputs()  # type: ignore[no-any-return]


def _tax_by_parcel(run: Any) -> dict[str, float] | None:
    if run is None:
        return None
    c = run.classified
    known = c[c["parcel_id"].notna() & pd.to_numeric(c["tax_yuan"], errors="coerce").notna()]
    return {
        str(k): float(v)
        for k, v in pd.to_numeric(known["tax_yuan"]).groupby(known["parcel_id"]).sum().items()
    }


def job_inefficient(ctx: Context) -> Outputs:
    """R5 per parcel, with buildings and enterprise tax when the project has them."""
    from analysis.inefficient_run import run_inefficient

    res = run_inefficient(
        supply_records(ctx),
        profile=ctx.profile,
        qa=ctx.qa,
        as_of=ctx.as_of,
        zones=ctx.zones,
        analysis_crs=ctx.analysis_crs,
        buildings=buildings(ctx),
        tax_yuan=_tax_by_parcel(_enterprise_run(ctx)),
    )
    ctx.results["inefficient"] = res
    return res.outputs()


def job_evidence(ctx: Context) -> Outputs:
    """Raster evidence on the supply parcels (land cover; imagery when ``[rasters.imagery]`` is given)."""
    from analysis.evidence_run import run_evidence
    from analysis.idle_run import IdleRun

    idle = ctx.results.get("idle")
    status = idle.parcels["status"] if isinstance(idle, IdleRun) else None
    res = run_evidence(
        supply_records(ctx),
        profile=ctx.profile,
        qa=ctx.qa,
        as_of=ctx.as_of,
        landcover=ctx.project.rasters.get("landcover"),
        imagery=ctx.project.rasters.get("imagery"),
        zones=ctx.zones,
        analysis_crs=ctx.analysis_crs,
        idle_status=status,
        buildings=buildings(ctx),
    )
    ctx.results["evidence"] = res
    return res.outputs()


def _landuse(ctx: Context, inputs: dict[str, str]) -> Any:
    from analysis.industrial import IndustrialRun
    from analysis.measure import measure_spec

    ind = ctx.results.get("industrial")
    spec = ctx.project.layers["landuse"]
    inputs["landuse"] = spec.label
    if isinstance(ind, IndustrialRun):
        return ind.areas
    return measure_spec(spec, ctx.zones, ctx.analysis_crs, profile=ctx.profile, qa=ctx.qa).areas


def _rates(ctx: Context, inputs: dict[str, str]) -> Any:
    from analysis.idle_run import IdleRun
    from analysis.unsupplied import RatesRule, measure_supply
    from analysis.unsupplied_run import UnsuppliedRun

    uns = ctx.results.get("unsupplied")
    if isinstance(uns, UnsuppliedRun):
        inputs["supply rates"] = "R4.rates (批而未供 job)"
        return uns.result.zones
    if "supply" not in ctx.project.layers:
        return None
    idle = ctx.results.get("idle")
    status = idle.parcels["status"] if isinstance(idle, IdleRun) else None
    inputs["supply rates"] = "R4.rates measured without an approved-land layer"
    return measure_supply(
        ctx.zones,
        supply_records(ctx),
        approved=None,
        statuses=status,
        as_of=ctx.as_of,
        rule=RatesRule.from_profile(ctx.profile),
        qa=ctx.qa,
    ).zones


def job_intensity(ctx: Context) -> Outputs:
    """R6: TD/T 1029 indicators, ranking, eligibility and 增/调/降/退 of the zones."""
    from analysis.intensity_run import planning_conflicts, run_intensity

    inputs: dict[str, str] = {}
    landuse = _landuse(ctx, inputs)
    rates = _rates(ctx, inputs)
    supply = supply_records(ctx) if "supply" in ctx.project.layers else None
    ent = _enterprise_run(ctx)
    bld = buildings(ctx)
    for role, present in (
        ("supply", supply is not None),
        ("buildings", bld is not None),
        ("enterprises", ent is not None),
    ):
        inputs[role] = ctx.project.layers[role].label if present else "(not in the project file)"
    cons = ctx.results.get("constraints")
    conflicts = (
        planning_conflicts(cons.result.verdicts) if cons is not None and hasattr(cons, "result") else None
    )
    inputs["planning conflicts"] = "R2 verdicts" if conflicts is not None else "(R2 not run)"
    res = run_intensity(
        ctx.zones,
        profile=ctx.profile,
        as_of=ctx.as_of,
        landuse=landuse,
        supply_rates=rates,
        supply=supply,
        buildings=bld,
        enterprises=ent.classified if ent is not None else None,
        conflicts=conflicts,
        inputs=inputs,
    )
    ctx.results["intensity"] = res
    return res.outputs()


def run_named_jobs(
    project: Any,
    *,
    run: tuple[str, ...],
    write: tuple[str, ...],
    out_dir: Any = None,
    overwrite: bool = False,
    basemap: str = "osm",
) -> tuple[dict[str, Any], Context]:
    """Run some pipeline jobs of a project file (those its layers allow) and write only some outputs.

    The subcommands ``devzone intensity`` and ``devzone enterprises --project`` use it: the R6 evaluation
    needs what earlier jobs measure (R1 land use, R2 verdicts, R4 statuses and rates), but its folder holds
    only its own sheets and layers.

    Returns
    -------
    (paths, context)
        The written files (empty without ``out_dir``) and the run context (results by job name).
    """
    from analysis.pipeline import JOBS, Context
    from analysis.project import Project, load_project
    from analysis.report import RunInfo, prepare_out_dir, write_outputs
    from geo.layers import load_zones
    from geo.profile import load_profile
    from geo.qa import QALog

    proj = project if isinstance(project, Project) else load_project(project)
    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir is not None else None
    qa = QALog()
    profile = load_profile(proj.profile)
    zones, acrs = load_zones(proj.layers["zones"], crs=proj.crs, qa=qa)
    ctx = Context(
        project=proj,
        zones=zones,
        analysis_crs=acrs,
        profile=profile,
        qa=qa,
        as_of=proj.as_of,
        out_dir=out or Path(tempfile.mkdtemp(prefix="devzone-")),  # files jobs write land in a scratch folder
        results={},
    )
    outputs = Outputs()
    for job in JOBS:
        if job.name not in run:
            continue
        missing = proj.missing(*job.needs)
        if missing:
            qa.add(
                "job_skipped",
                f"{job.title}: cannot decide, because the project file has no "
                + ", ".join(f"[layers.{m}]" for m in missing),
                layer=str(proj.path),
                severity="warning",
            )
            continue
        produced = job.run(ctx)
        if job.name in write:
            outputs.extend(produced)
    paths: dict[str, Any] = {}
    if out is not None:
        inputs = tuple((role, spec.label) for role, spec in {**proj.layers, **proj.rasters}.items())
        info = RunInfo(title=proj.name, as_of=proj.as_of, analysis_crs=acrs, profile=profile, inputs=inputs)
        paths = write_outputs(out, outputs, info, qa, basemap=basemap, zones=zones)
    return paths, ctx
