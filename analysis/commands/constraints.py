"""``devzone constraints``: 三区三线 (R2) — ZONES against 永久基本农田, 生态保护红线 and 城镇开发边界."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._boundary_opts import control_options, control_specs, load_cli_zones_from, zone_options
from geo.profile import load_profile


def _fmt(v: float | None) -> str:
    return "no layer" if v is None else f"{v:,.2f} m²"


@cli.command("constraints")
@click.argument("zones", type=click.Path(exists=True, path_type=Path))
@control_options
@zone_options
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone to stdout.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 when a zone fails or cannot be decided.")
@devzone_errors
def constraints_cmd(
    zones: Path,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    fail_on_violation: bool,
    **kw: Any,
) -> None:
    """Check each zone of ZONES against 三区三线 (R2): 永久基本农田, 生态保护红线, 城镇开发边界.

    A layer not given makes its check "cannot decide"; a check that fails decides the zone anyway.
    """
    from analysis.constraints import load_controls, run_constraints
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    za = load_cli_zones_from(zones, kw)
    profile = load_profile(kw["profile_src"])
    specs = control_specs(kw, encoding=kw["encoding"], crs_in=kw["crs_in"])
    controls = load_controls(specs, za.zones, za.acrs, qa=za.qa)
    run = run_constraints(za.zones, controls, profile=profile, as_of=za.day)
    if out is not None:
        inputs = (("zones", za.spec.label), *((k, s.label) for k, s in specs.items() if s is not None))
        info = RunInfo(title="开发区三区三线核查", as_of=za.day, analysis_crs=za.acrs, profile=profile, inputs=inputs)
        for kind, p in write_outputs(out, run.outputs(), info, za.qa, basemap=basemap, zones=za.zones).items():
            click.echo(f"{kind}: {p}", err=True)
    for v in run.result.verdicts:
        if as_json:
            echo_json(v.to_json())
        else:
            click.echo(
                f"{v.zone_id} {v.zone_name}: {v.verdict} — 永久基本农田 {_fmt(v.farmland_overlap_m2)}, "
                f"生态保护红线 {_fmt(v.redline_overlap_m2)}, "
                f"城镇开发边界外 {_fmt(v.outside_urban_boundary_m2)} "
                f"({', '.join(v.rule_ids)})"
            )
    if fail_on_violation and any(v.passes is not True for v in run.result.verdicts):
        sys.exit(3)
