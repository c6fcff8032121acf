"""``devzone conflicts``: R3 — real estate inside ZONES, and industrial land converted between two surveys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._boundary_opts import load_cli_zones_from, zone_options
from geo.codes import SCHEMES
from geo.layers import LayerSpec
from geo.profile import load_profile


@cli.command("conflicts")
@click.argument("zones", type=click.Path(exists=True, path_type=Path))
@click.argument("landuse", type=click.Path(exists=True, path_type=Path))
@click.option("--landuse-layer", default=None, help="Layer of LANDUSE.")
@click.option(
    "--previous",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="An earlier survey vintage, to find industrial land converted to commercial or housing.",
)
@click.option("--previous-layer", default=None, help="Layer of --previous.")
@click.option("--code-field", default=None, help="Land-use code field of both vintages (default: DLBM, …).")
@click.option("--parcel-field", default=None, help="Parcel number field of LANDUSE (e.g. BSM, TBBH).")
@click.option("--scheme", type=click.Choice(list(SCHEMES)), default=None, help="Code scheme (default: from the field).")
@zone_options
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone to stdout.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 when a zone fails or cannot be decided.")
@devzone_errors
def conflicts_cmd(
    zones: Path,
    landuse: Path,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    fail_on_violation: bool,
    **kw: Any,
) -> None:
    """List residential and commercial land inside each zone of ZONES (R3), from LANDUSE.

    With --previous, also the land that was 工矿仓储 in the earlier survey and is commercial or housing now.
    """
    from analysis.conflicts import run_conflicts
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    za = load_cli_zones_from(zones, kw)
    profile = load_profile(kw["profile_src"])
    opts = {"code_field": kw["code_field"], "scheme": kw["scheme"], "id_field": kw["parcel_field"]}
    cur = LayerSpec(landuse, kw["landuse_layer"], kw["encoding"], kw["crs_in"], opts)
    prev = (
        None
        if kw["previous"] is None
        else LayerSpec(kw["previous"], kw["previous_layer"], kw["encoding"], kw["crs_in"], {**opts, "id_field": None})
    )
    run = run_conflicts(za.zones, cur, previous=prev, analysis_crs=za.acrs, profile=profile, qa=za.qa, as_of=za.day)
    if out is not None:
        inputs = (
            ("zones", za.spec.label),
            ("landuse", cur.label),
            *((("landuse_previous", prev.label),) if prev else ()),
        )
        info = RunInfo(title="开发区冲突用地核查", as_of=za.day, analysis_crs=za.acrs, profile=profile, inputs=inputs)
        for kind, p in write_outputs(out, run.outputs(), info, za.qa, basemap=basemap, zones=za.zones).items():
            click.echo(f"{kind}: {p}", err=True)
    for v in run.verdicts:
        if as_json:
            echo_json(v.to_json())
        else:
            conv = "no earlier survey" if v.converted_m2 is None else f"{v.converted_m2:,.2f} m²"
            click.echo(
                f"{v.zone_id} {v.zone_name}: {v.verdict} — 住宅 {v.residential_m2:,.2f} m², "
                f"商业 {v.commercial_m2:,.2f} m², 工矿仓储转商住 {conv} ({', '.join(v.rule_ids)})"
            )
    if fail_on_violation and any(v.passes is not True for v in run.verdicts):
        sys.exit(3)
