"""``devzone idle``: the R4 status of each supplied parcel as of a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._supply_opts import supply_options, supply_spec
from geo.crs import choose_analysis_crs
from geo.profile import load_profile
from geo.qa import QALog


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


@cli.command("idle")
@click.argument("parcels", type=click.Path(exists=True, path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="Judged-on date.")
@supply_options
@click.option("--profile", "profile_src", default="henan", show_default=True, help="Rule profile.")
@click.option("--crs", default=None, help="Analysis CRS in metres (default: chosen and logged).")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per parcel to stdout.")
@devzone_errors
def idle_cmd(parcels: Path, as_of: dt.datetime, layer: str | None, id_field: str | None, table: Path | None,
             sheet: str | None, key: str | None, amount_unit: str | None, area_unit: str,
             fields: tuple[str, ...], profile_src: str, crs: str | None, encoding: str | None,
             out_dir: Path | None, overwrite: bool,
             basemap: str, as_json: bool) -> None:
    """Judge each parcel of PARCELS for idle land (R4, 闲置土地处置办法) as of --as-of.

    Prints per parcel: parcel_id, status, days_overdue, fee_yuan, rule_id. Status is one of not_idle,
    idle_fee, reclaim, stalled, government_cause, cannot_decide.
    """
    from analysis.idle_run import run_idle
    from analysis.report import RunInfo, prepare_out_dir, write_outputs, write_workbook

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    profile = load_profile(profile_src)
    spec = supply_spec(parcels, layer=layer, id_field=id_field, table=table, sheet=sheet, key=key,
                       amount_unit=amount_unit, area_unit=area_unit, fields=fields, encoding=encoding)
    acrs = None
    if crs is not None:
        import geopandas as gpd

        acrs = choose_analysis_crs(gpd.GeoDataFrame(geometry=[], crs=crs), crs=crs)
    day = as_of.date()
    res = run_idle(spec, profile=profile, qa=qa, as_of=day, analysis_crs=acrs)
    if out is not None:
        located = res.parcels[res.parcels.geometry.notna()]
        if len(located) and located.crs is not None:
            info = RunInfo(title="闲置土地认定", as_of=day, profile=profile, inputs=(("supply", spec.label),),
                           analysis_crs=choose_analysis_crs(located, crs=crs))
            paths = write_outputs(out, res.outputs(), info, qa, basemap=basemap, zones=located)
        else:
            sheets = {**res.outputs().sheets, "QA": qa.to_frame()}
            paths = {"workbook": write_workbook(out / "report.xlsx", sheets)}
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)
    for v in res.verdicts:
        if as_json:
            echo_json(v.to_json())
        else:
            click.echo(", ".join(_fmt(x) for x in v.to_json().values()))
