"""``devzone datum-check``: is LAYER really GCJ-02 (AMap/Tencent) or BD-09 (Baidu)? A warning, never a fix."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json
from geo.datum_check import DatumCheckRule, suspect_gcj02
from geo.io import read_layer
from geo.profile import load_profile


@cli.command("datum-check")
@click.argument("layer_path", metavar="LAYER", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--reference",
    "reference_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Trusted positions of the same features (Tianditu, CGCS2000 survey data).",
)
@click.option("--layer", "layer_name", default=None, help="Layer of LAYER (when it has several).")
@click.option("--reference-layer", default=None, help="Layer of the reference.")
@click.option(
    "--match-field", default=None, help="Key field matching features (default: a common field, else overlap)."
)
@click.option("--reference-field", default=None, help="Key field in the reference (default: --match-field).")
@click.option("--crs-in", default=None, help="CRS to assign to inputs that declare none.")
@click.option("--profile", "profile_src", default="henan", show_default=True, help='Rule profile ([rules."QA.datum"]).')
@click.option("--json", "as_json", is_flag=True, help="Print the finding as JSON.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 unless the layer agrees with the reference.")
@devzone_errors
def datum_check_cmd(
    layer_path: Path,
    reference_path: Path,
    layer_name: str | None,
    reference_layer: str | None,
    match_field: str | None,
    reference_field: str | None,
    crs_in: str | None,
    profile_src: str,
    as_json: bool,
    fail_on_violation: bool,
) -> None:
    """Compare LAYER with --reference and say whether its offset is the GCJ-02 or BD-09 shift there."""
    rule = DatumCheckRule.from_profile(load_profile(profile_src))
    gdf = read_layer(layer_path, layer_name, crs=crs_in, what=f"layer {layer_path}")
    ref = read_layer(reference_path, reference_layer, crs=crs_in, what=f"reference {reference_path}")
    label = f"{layer_path}:{layer_name}" if layer_name else str(layer_path)
    ref_label = f"{reference_path}:{reference_layer}" if reference_layer else str(reference_path)
    check = suspect_gcj02(
        gdf,
        ref,
        rule=rule,
        match_field=match_field,
        reference_field=reference_field,
        layer=label,
        reference_label=ref_label,
    )
    if as_json:
        echo_json(check.to_json())
    else:
        level = {"none": "OK", "gcj02": "WARNING", "bd09": "WARNING", "unclear": "WARNING"}.get(check.finding, "NOTE")
        click.echo(f"{level} ({check.rule_id}, {check.finding}): {check.message}")
    if fail_on_violation and check.finding != "none":
        sys.exit(3)
