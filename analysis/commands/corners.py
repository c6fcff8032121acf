"""``devzone corners``: the 四至 of each zone — extreme points and the named feature beyond each side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._boundary_opts import load_cli_zones_from, zone_options
from geo.errors import InputError
from geo.layers import LayerSpec
from geo.profile import load_profile


def split_path_layer(text: str) -> tuple[Path, str | None]:
    """Split ``PATH`` or ``PATH:LAYER`` (the layer after the last colon, when PATH exists without it).

    Raises
    ------
    InputError
        When neither the whole text nor the part before the last colon is an existing path.
    """
    if Path(text).exists():
        return Path(text), None
    head, sep, layer = text.rpartition(":")
    if sep and head and Path(head).exists():
        return Path(head), layer
    msg = f"{text}: no such file (give PATH or PATH:LAYER)"
    raise InputError(msg)


def name_specs(names: tuple[str, ...], *, encoding: str | None, crs_in: str | None) -> dict[str, LayerSpec]:
    """Return the ``--names`` layers as specs keyed ``names1``, ``names2`` …"""
    out = {}
    for i, text in enumerate(names, start=1):
        path, layer = split_path_layer(text)
        out[f"names{i}"] = LayerSpec(path, layer, encoding, crs_in, {})
    return out


@cli.command("corners")
@click.argument("zones", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--names",
    multiple=True,
    metavar="PATH[:LAYER]",
    help="Roads, rivers or place names whose named features may name a side (repeatable).",
)
@click.option(
    "--name-field", default=None, help="Name field of the --names layers (default: name:zh, 名称, MC, NAME…)."
)
@click.option(
    "--search-m",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="How far beyond each side to look, in metres (default: the profile's DOC.sizhi search_m).",
)
@zone_options
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone to stdout.")
@devzone_errors
def corners_cmd(
    zones: Path,
    names: tuple[str, ...],
    name_field: str | None,
    search_m: float | None,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    **kw: Any,
) -> None:
    """Describe the four sides (四至) of each zone of ZONES: 东至…、西至…、南至…、北至….

    Each side is named by the nearest named road, river or place within --search-m metres beyond it (a
    feature that runs through the zone never names the sides it crosses); the extreme points are given by
    their boundary-point number (J1 is the north-west corner, numbered clockwise).
    """
    from analysis.boundary_docs import DocOptions, load_named_features, run_boundary_docs
    from analysis.report import Outputs, RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    za = load_cli_zones_from(zones, kw)
    profile = load_profile(kw["profile_src"])
    opts = DocOptions.from_profile(profile, as_of=za.day, search_m=search_m)
    specs = name_specs(names, encoding=kw["encoding"], crs_in=kw["crs_in"])
    gdf, data = load_named_features(specs, za.zones, za.acrs, search_m=opts.search_m, qa=za.qa, name_field=name_field)
    run = run_boundary_docs(za.zones, options=opts, qa=za.qa, names=gdf, names_data=data, zones_data=za.spec.label)
    if out is not None:
        full = run.outputs()
        part = Outputs(sheets={"四至": full.sheets["四至"]}, layers=dict(full.layers), map_layers=full.map_layers)
        info = RunInfo(
            title="开发区四至",
            as_of=za.day,
            analysis_crs=za.acrs,
            profile=profile,
            inputs=(("zones", za.spec.label), *((r, s.label) for r, s in specs.items())),
        )
        for k, p in write_outputs(out, part, info, za.qa, basemap=basemap, zones=za.zones).items():
            click.echo(f"{k}: {p}", err=True)
    for r in run.sides:
        if as_json:
            echo_json(r.to_json())
            continue
        click.echo(f"{r.zone_id} {r.zone_name}: {r.text}")
        for e in r.extremes:
            click.echo(f"    {e.side:5s} extreme point {e.point}: X {e.northing_m:.3f}  Y {e.easting_m:.3f}")
