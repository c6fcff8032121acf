"""The main job: every check the project file has the layers for, in one run, into one folder.

Each analysis is registered as a :class:`Job` with the roles it needs. A job whose layers are missing is
not run, and the run says so ("cannot decide, because the project file has no [layers.farmland]").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from analysis.project import Project, load_project
from analysis.report import Outputs, RunInfo, prepare_out_dir, write_outputs
from geo.crs import AnalysisCRS
from geo.layers import load_zones
from geo.profile import RuleProfile, load_profile
from geo.qa import QALog
from geo.zones import zone_overlaps

__all__ = ["JOBS", "Context", "Job", "run_jobs", "run_project"]

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What every job receives."""

    project: Project
    zones: gpd.GeoDataFrame
    analysis_crs: AnalysisCRS
    profile: RuleProfile
    qa: QALog
    as_of: dt.date
    out_dir: Path
    results: dict[str, object]
    #: Run options from the caller (``zone_ids``: the zones whose files are written; ``documents``: TXT header
    #: values), for jobs that write per-zone files.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """One analysis of the pipeline."""

    name: str
    title: str
    needs: tuple[str, ...]
    run: Callable[[Context], Outputs]


def _industrial(ctx: Context) -> Outputs:
    from analysis.industrial import run_industrial

    res = run_industrial(ctx.zones, ctx.project.layers["landuse"], analysis_crs=ctx.analysis_crs,
                         profile=ctx.profile, qa=ctx.qa, as_of=ctx.as_of)
    ctx.results["industrial"] = res
    return res.outputs()


def _idle(ctx: Context) -> Outputs:
    from analysis.idle_run import run_idle

    res = run_idle(ctx.project.layers["supply"], profile=ctx.profile, qa=ctx.qa, as_of=ctx.as_of,
                   zones=ctx.zones, analysis_crs=ctx.analysis_crs)
    ctx.results["idle"] = res
    return res.outputs()


def _unsupplied(ctx: Context) -> Outputs:
    from analysis.idle_run import IdleRun, run_idle
    from analysis.unsupplied_run import run_unsupplied

    idle = ctx.results.get("idle")
    if not isinstance(idle, IdleRun):
        idle = run_idle(ctx.project.layers["supply"], profile=ctx.profile, qa=ctx.qa, as_of=ctx.as_of,
                        zones=ctx.zones, analysis_crs=ctx.analysis_crs)
    res = run_unsupplied(ctx.zones, idle, approved=ctx.project.layers["approved"],
                         planned=ctx.project.layers.get("planned"), analysis_crs=ctx.analysis_crs,
                         profile=ctx.profile, qa=ctx.qa, as_of=ctx.as_of)
    ctx.results["unsupplied"] = res
    return res.outputs()


def _relocation(ctx: Context) -> Outputs:
    from analysis.relocation_run import job_relocation

    return job_relocation(ctx)


def _enterprises(ctx: Context) -> Outputs:
    from analysis.land_jobs import job_enterprises

    return job_enterprises(ctx)


def _inefficient(ctx: Context) -> Outputs:
    from analysis.land_jobs import job_inefficient

    return job_inefficient(ctx)


def _evidence(ctx: Context) -> Outputs:
    from analysis.land_jobs import job_evidence

    return job_evidence(ctx)


def _intensity(ctx: Context) -> Outputs:
    from analysis.land_jobs import job_intensity

    return job_intensity(ctx)


def _boundary_docs(ctx: Context) -> Outputs:
    from analysis.boundary_docs import job_boundary_docs

    return job_boundary_docs(ctx)


def _printmaps(ctx: Context) -> Outputs:
    from analysis.printmaps import job_printmaps

    return job_printmaps(ctx)


def _constraints(ctx: Context) -> Outputs:
    from analysis.constraints import job_constraints

    return job_constraints(ctx)


def _conflicts(ctx: Context) -> Outputs:
    from analysis.conflicts import job_conflicts

    return job_conflicts(ctx)


def _geometry_qa(ctx: Context) -> Outputs:
    from analysis.boundary_qa import job_boundary_qa

    return job_boundary_qa(ctx)


def _proposal(ctx: Context) -> Outputs:
    from analysis.proposal import job_proposal

    return job_proposal(ctx)


#: The registered jobs, in run order.
JOBS: list[Job] = [
    Job("industrial", "R1 产业用地占比（60%规则）", ("landuse",), _industrial),
    Job("constraints", "R2 三区三线（永久基本农田、生态保护红线、城镇开发边界）", (), _constraints),
    Job("conflicts", "R3 开发区内住宅商业用地、工业用地转商住", ("landuse",), _conflicts),
    Job("geometry_qa", "开发区边界几何检查", (), _geometry_qa),
    Job("proposal", "R1 未达标开发区的四至调整建议", ("landuse",), _proposal),
    Job("idle", "R4 供地记录与闲置土地认定", ("supply",), _idle),
    Job("unsupplied", "R4 批而未供、闲置土地率与尚可供应年限", ("approved", "supply"), _unsupplied),
    Job("enterprises", "R5 企业分类（A/B/C）、企业名录与开发区亩均税收", ("enterprises",), _enterprises),
    Job("inefficient", "R5 低效用地（容积率、建筑系数、投资强度、亩均税收）", ("supply",), _inefficient),
    Job("evidence", "R5 遥感证据（建成比例、NDVI/NDBI，非认定结论）", ("supply", "landcover"), _evidence),
    Job("intensity", "R6 集约利用评价、排名、扩区资格与增调降退", ("landuse",), _intensity),
    Job("relocation", "R7 开发区内村庄搬迁安置社区（选址、评分、分配）", ("villages",), _relocation),
    Job("boundary_docs", "四至、界址点坐标成果表与坐标交换文件", (), _boundary_docs),
    # keep last: the print maps draw what the other jobs found
    Job("printmaps", "开发区出图（PNG、PDF）", (), _printmaps),
]


def run_project(
    project: Project | str | Path, out_dir: str | Path, *, overwrite: bool = False, basemap: str = "osm",
    only: tuple[str, ...] = (),
) -> tuple[dict[str, Path], Context]:
    """Run every job the project has layers for and write the outputs.

    Returns
    -------
    (paths, context)
        The written files by kind, and the run context (results by job name).
    """
    outputs, ctx, info = run_jobs(project, out_dir, overwrite=overwrite, only=only)
    paths = write_outputs(ctx.out_dir, outputs, info, ctx.qa, basemap=basemap, zones=ctx.zones)
    return paths, ctx


def run_jobs(
    project: Project | str | Path, out_dir: str | Path, *, overwrite: bool = False, only: tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> tuple[Outputs, Context, RunInfo]:
    """Run every job the project has layers for; return their outputs unwritten (jobs' own files are written).

    Returns
    -------
    (outputs, context, run info)
    """
    proj = project if isinstance(project, Project) else load_project(project)
    out = prepare_out_dir(out_dir, overwrite=overwrite)
    qa = QALog()
    profile = load_profile(proj.profile)
    zones, acrs = load_zones(proj.layers["zones"], crs=proj.crs, qa=qa)
    zone_overlaps(zones, layer=proj.layers["zones"].label, qa=qa)
    ctx = Context(proj, zones, acrs, profile, qa, proj.as_of, out, {}, dict(options or {}))
    outputs = Outputs()
    for job in JOBS:
        if only and job.name not in only:
            continue
        missing = proj.missing(*job.needs)
        if missing:
            qa.add("job_skipped", f"{job.title}: cannot decide, because the project file has no "
                   + ", ".join(f"[layers.{m}]" for m in missing), layer=str(proj.path), severity="warning")
            continue
        log.info("running %s", job.title)
        outputs.extend(job.run(ctx))
    inputs = tuple((role, spec.label) for role, spec in {**proj.layers, **proj.rasters}.items())
    info = RunInfo(title=proj.name, as_of=proj.as_of, analysis_crs=acrs, profile=profile, inputs=inputs)
    return outputs, ctx, info
