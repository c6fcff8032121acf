"""``devzone site-project``: rank the idle and 批而未供 land of a project file for a new project."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from geo.errors import DevzoneError
from geo.qa import QALog
from geo.units import mu_to_m2


@cli.command("site-project")
@click.argument("project_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--need-mu", type=click.FloatRange(min=0, min_open=True), default=None, help="Land need in 亩.")
@click.option("--need-m2", type=click.FloatRange(min=0, min_open=True), default=None, help="Land need in m².")
@click.option("--industry", required=True, help="The project's 2002 GB/T 4754 division or class, e.g. 26.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Options to print.")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per option to stdout.")
@devzone_errors
def site_project_cmd(project_file: Path, need_mu: float | None, need_m2: float | None, industry: str,
                     top: int, out_dir: Path | None, overwrite: bool, basemap: str, as_json: bool) -> None:
    """Rank idle land and 批而未供 land of PROJECT_FILE for a project of --need-mu 亩 in --industry.

    Seed 003 二(三)2: new projects use 批而未供 and idle land first. Ranking: area fits, clear of
    永久基本农田/生态保护红线, planned industrial, the zone's leading industry, availability, least waste.
    """
    from analysis.project import load_project
    from analysis.report import RunInfo, prepare_out_dir, write_outputs
    from analysis.siting_run import site_project

    if (need_mu is None) == (need_m2 is None):
        msg = "give the land need once: --need-mu (亩) or --need-m2 (m²)"
        raise click.UsageError(msg)
    need = mu_to_m2(need_mu) if need_mu is not None else float(need_m2)  # type: ignore[arg-type]
    if not industry.strip().isdigit():
        msg = f"--industry {industry!r}: give a 2002 GB/T 4754 code such as 26 or 2614"
        raise DevzoneError(msg)
    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    project = load_project(project_file)
    run = site_project(project, need_m2=need, industry_code=industry.strip(), qa=qa)
    if out is not None and len(run.sites):
        from geo.crs import AnalysisCRS
        from geo.profile import load_profile

        info = RunInfo(title="新上项目选址", as_of=project.as_of, profile=load_profile(project.profile),
                       analysis_crs=AnalysisCRS(run.sites.crs, "the project's analysis CRS"),
                       inputs=tuple((r, s.label) for r, s in project.layers.items()))
        paths = write_outputs(out, run.outputs(), info, qa, basemap=basemap, zones=run.sites)
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)
    if not run.options:
        click.echo("no idle or 批而未供 land found (see the log)", err=True)
    for o in run.options[:top]:
        if as_json:
            echo_json(o.to_json())
        else:
            click.echo(f"{o.rank}. {o.option_id} ({o.zone_id}): {o.area_m2:,.0f} m² = {o.area_mu:,.1f} 亩 — "
                       f"{o.reasons}")
