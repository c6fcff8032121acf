"""``devzone industrial``: the 60% industrial-land check of ZONES against LANDUSE."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json, echo_qa_summary, out_options
from geo.codes import SCHEMES
from geo.layers import LayerSpec, load_zones
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import zone_overlaps


@cli.command("industrial")
@click.argument("zones", type=click.Path(path_type=Path))
@click.argument("landuse", type=click.Path(path_type=Path))
@click.option("--zones-layer", default=None, help="Layer of ZONES (when it has several).")
@click.option("--landuse-layer", default=None, help="Layer of LANDUSE (OSM PBF: multipolygons).")
@click.option("--zone-id", default=None, help="Zone id field (default: ZONE_ID, KFQDM, … if present).")
@click.option("--zone-name", default=None, help="Zone name field.")
@click.option("--code-field", default=None, help="Land-use code field (default: DLBM, GHDLBM, landuse, …).")
@click.option(
    "--scheme",
    type=click.Choice(list(SCHEMES)),
    default=None,
    help="Code scheme (default: from the field name; DLBM → sandiao).",
)
@click.option(
    "--basis",
    type=click.Choice(["现状", "规划"]),
    default="现状",
    show_default=True,
    help="Current survey (现状) or planned use (规划).",
)
@click.option(
    "--crs", default=None, help="Analysis CRS in metres, e.g. EPSG:4526 (default: chosen and logged)."
)
@click.option("--crs-in", default=None, help="CRS to assign to inputs that declare none.")
@click.option(
    "--profile",
    "profile_src",
    default="henan",
    show_default=True,
    help="Rule profile: built-in name or TOML.",
)
@click.option("--encoding", default=None, help="Attribute encoding of Shapefile inputs (default: detected).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Judged-on date.")
@click.option("--data-date", default="", help="Date of the land-use data (recorded in outputs).")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone to stdout.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 when a zone fails or cannot be decided.")
@devzone_errors
def industrial_cmd(
    zones: Path,
    landuse: Path,
    zones_layer: str | None,
    landuse_layer: str | None,
    zone_id: str | None,
    zone_name: str | None,
    code_field: str | None,
    scheme: str | None,
    basis: str,
    crs: str | None,
    crs_in: str | None,
    profile_src: str,
    encoding: str | None,
    as_of: dt.datetime | None,
    data_date: str,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    fail_on_violation: bool,
) -> None:
    """Check each zone of ZONES against the 60% industrial-land rule (R1) with the land use in LANDUSE."""
    from analysis.industrial import run_industrial
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    profile = load_profile(profile_src)
    zspec = LayerSpec(zones, zones_layer, encoding, crs_in, {})
    zgdf, acrs = load_zones(zspec, crs=crs, qa=qa, id_field=zone_id, name_field=zone_name)
    zone_overlaps(zgdf, layer=zspec.label, qa=qa)
    lspec = LayerSpec(
        landuse,
        landuse_layer,
        encoding,
        crs_in,
        {"code_field": code_field, "scheme": scheme, "basis": basis, "date": data_date},
    )
    day = as_of.date() if as_of else dt.date.today()
    res = run_industrial(zgdf, lspec, analysis_crs=acrs, profile=profile, qa=qa, as_of=day)
    if out is not None:
        info = RunInfo(
            title="开发区产业用地占比核查",
            as_of=day,
            analysis_crs=acrs,
            profile=profile,
            inputs=(("zones", zspec.label), ("landuse", lspec.label)),
        )
        paths = write_outputs(out, res.outputs(), info, qa, basemap=basemap, zones=zgdf)
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)
    echo_qa_summary(qa)
    if as_json:
        for v in res.verdicts:
            echo_json(v.to_json())
    else:
        for v in res.verdicts:
            share = "n/a" if v.share_of_construction is None else f"{v.share_of_construction:.2%}"
            click.echo(
                f"{v.zone_id} {v.zone_name}: {v.verdict} — industrial {v.industrial_area_m2:,.0f} m², "
                f"construction {v.construction_area_m2:,.0f} m², share of construction {share}, "
                f"share of zone {v.share_of_zone:.2%} ({v.rule_id})"
            )
    if fail_on_violation and any(v.passes is not True for v in res.verdicts):
        sys.exit(3)
