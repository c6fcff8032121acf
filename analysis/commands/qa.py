"""``devzone qa``: geometry QA of zone boundaries — invalid rings, overlaps, gaps, spikes … (``--fix``)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._boundary_opts import zone_options
from geo.crs import choose_analysis_crs, require_crs
from geo.io import read_layer
from geo.layers import LayerSpec
from geo.profile import load_profile
from geo.qa import QALog


@cli.command("qa")
@click.argument("zones", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--fix",
    is_flag=True,
    help="Repair invalid rings, duplicate and spike vertices, tiny holes and parts "
    "(each logged); overlaps and gaps are reported, never repaired. Needs --out to keep the result.",
)
@zone_options
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per problem (and per repair) to stdout.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 when any problem is found.")
@devzone_errors
def qa_cmd(
    zones: Path,
    fix: bool,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    fail_on_violation: bool,
    **kw: Any,
) -> None:
    """Check the geometry of the zone boundaries in ZONES; each problem with its location."""
    from analysis.boundary_qa import run_boundary_qa
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    spec = LayerSpec(zones, kw["zones_layer"], kw["encoding"], kw["crs_in"], {})
    raw = read_layer(spec.path, spec.layer, encoding=spec.encoding, crs=spec.crs, what=f"zone layer {spec.label}")
    require_crs(raw, what=f"zone layer {spec.label}")
    acrs = choose_analysis_crs(raw, crs=kw["crs"], what=f"zone layer {spec.label}")
    if not raw.crs.equals(acrs.crs):
        qa.add(
            "transform",
            f"transformed to {acrs.label}",
            layer=spec.label,
            severity="info",
            action="transformed",
        )
        raw = raw.to_crs(acrs.crs)
    profile = load_profile(kw["profile_src"])
    run = run_boundary_qa(raw, profile=profile, qa=qa, id_field=kw["zone_id_field"], layer=spec.label, fix=fix)
    if out is not None:
        day = kw["as_of"].date() if kw["as_of"] else dt.date.today()
        info = RunInfo(
            title="开发区边界几何检查",
            as_of=day,
            analysis_crs=acrs,
            profile=profile,
            inputs=(("zones", spec.label),),
        )
        for kind, p in write_outputs(out, run.outputs(), info, qa, basemap=basemap, zones=raw).items():
            click.echo(f"{kind}: {p}", err=True)
    table = run.table()
    for rec in table.to_dict(orient="records"):
        rec = {k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
        if as_json:
            echo_json(rec)
        else:
            click.echo(f"{rec['check']} zone {rec['zone_id']} feature {rec['feature']}: {rec['message']}")
    if run.log is not None:
        for rec in run.log.to_dict(orient="records"):
            rec = {k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
            if as_json:
                echo_json({"check": "fix", **rec})
            else:
                click.echo(f"fix zone {rec['zone_id']} feature {rec['feature']}: {rec['action']}")
    if fail_on_violation and len(table):
        sys.exit(3)
