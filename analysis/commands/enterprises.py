"""``devzone enterprises``: A/B/C classes, the enterprise directory and 亩均税收 of each zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._supply_opts import mapping
from geo.layers import LayerSpec, load_zones
from geo.profile import load_profile
from geo.qa import QALog

#: Keys of ``devzone enterprises --json``, in order.
JSON_KEYS = ("enterprise_id", "name", "zone_id", "tax_per_mu_wan", "class", "reason", "rule_id", "as_of")


@cli.command("enterprises")
@click.argument("table", type=click.Path(exists=True, path_type=Path))
@click.option("--zones", type=click.Path(exists=True, path_type=Path), required=True, help="Zone layer.")
@click.option("--zones-layer", default=None, help="Layer of --zones.")
@click.option("--zone-id", default=None, help="Zone id field of --zones.")
@click.option("--zone-name", default=None, help="Zone name field of --zones.")
@click.option("--sheet", default=None, help="Sheet of TABLE (or its layer when TABLE is a GIS file).")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Map an enterprise-schema field to a column (tax_yuan=实缴税金 …); repeatable.",
)
@click.option(
    "--amount-unit",
    type=click.Choice(["元", "万元"]),
    default=None,
    help="Unit of the amount columns (unless the headers say it).",
)
@click.option(
    "--area-unit",
    type=click.Choice(["m2", "亩", "公顷"]),
    default="m2",
    show_default=True,
    help="Unit of the land-area column (unless the header says it).",
)
@click.option("--crs", default=None, help="Analysis CRS in metres (default: chosen and logged).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Judged-on date.")
@click.option("--profile", "profile_src", default="henan", show_default=True, help="Rule profile.")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per enterprise to stdout.")
@devzone_errors
def enterprises_cmd(
    table: Path,
    zones: Path,
    zones_layer: str | None,
    zone_id: str | None,
    zone_name: str | None,
    sheet: str | None,
    fields: tuple[str, ...],
    amount_unit: str | None,
    area_unit: str,
    crs: str | None,
    as_of: dt.datetime | None,
    profile_src: str,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
) -> None:
    """Class the enterprises of TABLE (A 优先发展 / B 鼓励提升 / C 倒逼转型), list them by zone and report
    each zone's 亩均税收 against the 15 万元/亩 target."""
    from analysis.enterprises import run_enterprises
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    profile = load_profile(profile_src)
    zspec = LayerSpec(zones, zones_layer, None, None, {})
    zgdf, acrs = load_zones(zspec, crs=crs, qa=qa, id_field=zone_id, name_field=zone_name)
    spec = LayerSpec(
        table,
        sheet,
        None,
        None,
        {"fields": mapping(fields), "amount_unit": amount_unit, "area_unit": area_unit},
    )
    day = as_of.date() if as_of else dt.date.today()
    res = run_enterprises(spec, zgdf, profile=profile, qa=qa, as_of=day)
    if out is not None:
        info = RunInfo(
            title="企业分类与亩均税收",
            as_of=day,
            analysis_crs=acrs,
            profile=profile,
            inputs=(("zones", zspec.label), ("enterprises", spec.label)),
        )
        paths = write_outputs(out, res.outputs(), info, qa, basemap=basemap, zones=zgdf)
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)
    for _, row in res.classified.iterrows():
        if as_json:
            echo_json({k: row.get(k) for k in JSON_KEYS})
        else:
            tpm = row["tax_per_mu_wan"]
            shown = "-" if tpm is None or tpm != tpm else f"{tpm:.2f} 万元/亩"
            click.echo(f"{row['enterprise_id']} {row['name']} [{row['zone_id']}]: {row['class']} — {shown}")
    for _, z in res.zone_table().iterrows():
        click.echo(f"zone {z['zone_id']}: 亩均税收 {z['reason']} → {z['verdict']}", err=as_json)
