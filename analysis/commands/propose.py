"""``devzone propose``: the smallest boundary change that makes a failing zone pass the 60% rule."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._boundary_opts import control_options, control_specs, load_cli_zones_from, zone_options
from geo.codes import SCHEMES
from geo.layers import LayerSpec
from geo.profile import load_profile


@cli.command("propose")
@click.argument("zones", type=click.Path(exists=True, path_type=Path))
@click.argument("landuse", type=click.Path(exists=True, path_type=Path))
@click.option("--landuse-layer", default=None, help="Layer of LANDUSE.")
@click.option("--code-field", default=None, help="Land-use code field (default: DLBM, GHDLBM, …).")
@click.option("--scheme", type=click.Choice(list(SCHEMES)), default=None, help="Code scheme (default: from the field).")
@control_options
@click.option("--zone-id", "only_zone", multiple=True, help="Only this zone (repeatable; default: every zone).")
@functools.partial(zone_options, id_option="--zone-id-field")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone to stdout.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 when a proposed boundary still fails R1 or R2.")
@devzone_errors
def propose_cmd(
    zones: Path,
    landuse: Path,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    fail_on_violation: bool,
    only_zone: tuple[str, ...],
    **kw: Any,
) -> None:
    """Propose, for each zone of ZONES failing the 60% rule, the smallest change of its boundary.

    Non-industrial land at the edge is left out and adjacent industrial land in LANDUSE taken in, never
    taking in 永久基本农田, 生态保护红线 or land outside 城镇开发边界; the zone stays one piece. The result is
    checked again with R1 and R2.
    """
    from analysis.constraints import load_controls
    from analysis.proposal import run_proposals
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    za = load_cli_zones_from(zones, kw)
    profile = load_profile(kw["profile_src"])
    specs = control_specs(kw, encoding=kw["encoding"], crs_in=kw["crs_in"])
    controls = load_controls(specs, za.zones, za.acrs, qa=za.qa)
    lspec = LayerSpec(
        landuse,
        kw["landuse_layer"],
        kw["encoding"],
        kw["crs_in"],
        {"code_field": kw["code_field"], "scheme": kw["scheme"]},
    )
    run = run_proposals(
        za.zones,
        lspec,
        controls,
        analysis_crs=za.acrs,
        profile=profile,
        qa=za.qa,
        zone_ids=only_zone,
        as_of=za.day,
    )
    if out is not None:
        inputs = (
            ("zones", za.spec.label),
            ("landuse", lspec.label),
            *((k, s.label) for k, s in specs.items() if s is not None),
        )
        info = RunInfo(title="开发区四至调整建议", as_of=za.day, analysis_crs=za.acrs, profile=profile, inputs=inputs)
        shown = za.zones.loc[list(only_zone)] if only_zone else za.zones  # the web map opens on them
        for kind, p in write_outputs(out, run.outputs(), info, za.qa, basemap=basemap, zones=shown).items():
            click.echo(f"{kind}: {p}", err=True)
    for r in run.results:
        v = r.verdict
        if as_json:
            echo_json(v.to_json())
        else:
            share = "" if v.share_after is None else f", share {v.share_before:.2%} → {v.share_after:.2%}"
            click.echo(
                f"{v.zone_id} {v.zone_name}: {v.status} {v.method} — changed {v.changed_m2:,.2f} m² "
                f"(in {v.added_m2:,.2f}, out {v.removed_m2:,.2f}){share}"
            )
    if fail_on_violation and any(
        r.verdict.status == "proposed" and not (r.verdict.passes_after and r.verdict.constraints_pass_after)
        for r in run.results
    ):
        sys.exit(3)
