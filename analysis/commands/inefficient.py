"""``devzone inefficient``: each supplied industrial parcel against the control indicators (R5)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click
import geopandas as gpd

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._supply_opts import mapping, supply_options, supply_spec
from geo.crs import choose_analysis_crs
from geo.profile import RuleProfile, load_profile
from geo.qa import QALog

#: Keys of ``devzone inefficient --json``, in order.
JSON_KEYS = (
    "parcel_id",
    "zone_id",
    "verdict",
    "failing",
    "undecided",
    "flags",
    "far",
    "far_threshold",
    "building_coefficient",
    "investment",
    "tax_per_mu",
    "rule_id",
    "as_of",
)


def _buildings(
    path: Path | None,
    layer: str | None,
    fields: tuple[str, ...],
    crs: object,
    profile: RuleProfile,
    qa: QALog,
    datum: str | None = None,
) -> gpd.GeoDataFrame | None:
    from geo.buildings import prepare_buildings
    from geo.layers import LayerSpec, read_spec

    if path is None:
        return None
    raw = read_spec(LayerSpec(path, layer, options={"datum": datum}), qa=qa, what="buildings layer").to_crs(crs)
    rule = profile.rule("R5")
    return prepare_buildings(
        raw,
        fields=mapping(fields, option="--building-field"),
        tall_storey_m=float(rule["tall_storey_m"]),
        rule=str(rule["tall_storey_rule"]),
        layer=str(path),
        qa=qa,
    )


def _tax(path: Path | None, sheet: str | None, qa: QALog) -> dict[str, float] | None:
    from analysis.enterprise_table import read_enterprises

    if path is None:
        return None
    ents = read_enterprises(path, layer=sheet, qa=qa)
    known = ents[ents["parcel_id"].notna() & ents["tax_yuan"].notna()]
    return {
        str(k): float(v) for k, v in known["tax_yuan"].astype(float).groupby(known["parcel_id"]).sum().items()
    }


def _write(out: Path, res: Any, info: Any, qa: QALog, basemap: str) -> None:
    from analysis.report import write_outputs, write_workbook

    frame = res.frame()
    shown = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if len(shown) and shown.crs is not None:
        paths = write_outputs(out, res.outputs(), info, qa, basemap=basemap, zones=shown)
    else:
        paths = {
            "workbook": write_workbook(out / "report.xlsx", {**res.outputs().sheets, "QA": qa.to_frame()})
        }
    for kind, p in paths.items():
        click.echo(f"{kind}: {p}", err=True)


@cli.command("inefficient")
@click.argument("parcels", type=click.Path(exists=True, path_type=Path))
@supply_options
@click.option(
    "--buildings",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Building footprints (storeys and/or heights) for FAR and the building coefficient.",
)
@click.option("--buildings-layer", default=None, help="Layer of --buildings.")
@click.option(
    "--buildings-datum",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default=None,
    help="Web-map datum of --buildings (gcj02: AMap/Tencent, bd09: Baidu); converted to WGS 84 on reading.",
)
@click.option(
    "--building-field",
    "building_fields",
    multiple=True,
    metavar="ROLE=FIELD",
    help="storeys=, height_m=, kind= (building/structure/yard), use= (office/living); repeatable.",
)
@click.option(
    "--enterprises",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Enterprise table (CSV/XLSX) with parcel numbers and tax, for 亩均税收.",
)
@click.option("--enterprises-sheet", default=None, help="Sheet of --enterprises.")
@click.option(
    "--region-class",
    type=click.IntRange(1, 7),
    default=None,
    help="Region class (地区分类 1–7) for investment intensity (else the profile's).",
)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Judged-on date.")
@click.option("--profile", "profile_src", default="henan", show_default=True, help="Rule profile.")
@click.option("--crs", default=None, help="Analysis CRS in metres (default: chosen and logged).")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per parcel to stdout.")
@click.option("--fail-on-violation", is_flag=True, help="Exit 3 when a parcel is inefficient or undecided.")
@devzone_errors
def inefficient_cmd(
    parcels: Path,
    layer: str | None,
    id_field: str | None,
    table: Path | None,
    sheet: str | None,
    key: str | None,
    amount_unit: str | None,
    area_unit: str,
    fields: tuple[str, ...],
    encoding: str | None,
    buildings: Path | None,
    buildings_layer: str | None,
    buildings_datum: str | None,
    building_fields: tuple[str, ...],
    enterprises: Path | None,
    enterprises_sheet: str | None,
    region_class: int | None,
    as_of: dt.datetime | None,
    profile_src: str,
    crs: str | None,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
    fail_on_violation: bool,
) -> None:
    """Check each parcel of PARCELS against the 2008 industrial land-use control indicators (R5).

    Prints per parcel: parcel_id, verdict (inefficient, meets, cannot_decide, not_industrial), the failing
    indicators and the FAR and building coefficient.
    """
    import dataclasses

    from analysis.inefficient_run import run_inefficient
    from analysis.report import RunInfo, prepare_out_dir
    from analysis.supply import read_supply

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    profile = load_profile(profile_src)
    if region_class is not None:
        rules = {**profile.rules, "R5": {**profile.rule("R5"), "region_class": region_class}}
        profile = dataclasses.replace(profile, rules=rules)
    spec = supply_spec(
        parcels,
        layer=layer,
        id_field=id_field,
        table=table,
        sheet=sheet,
        key=key,
        amount_unit=amount_unit,
        area_unit=area_unit,
        fields=fields,
        encoding=encoding,
    )
    records = read_supply(spec, qa=qa)
    located = records[records.geometry.notna()]
    acrs = choose_analysis_crs(
        located
        if len(located) and located.crs is not None
        else gpd.GeoDataFrame(geometry=[], crs=crs or "EPSG:4526"),
        crs=crs,
    )
    if records.crs is not None and not records.crs.equals(acrs.crs):
        records = records.to_crs(acrs.crs)
    day = as_of.date() if as_of else dt.date.today()
    res = run_inefficient(
        records,
        profile=profile,
        qa=qa,
        as_of=day,
        buildings=_buildings(buildings, buildings_layer, building_fields, acrs.crs, profile, qa, buildings_datum),
        tax_yuan=_tax(enterprises, enterprises_sheet, qa),
    )
    frame = res.frame()
    if out is not None:
        inputs = tuple(
            (k, str(v))
            for k, v in (("supply", spec.label), ("buildings", buildings), ("enterprises", enterprises))
            if v
        )
        _write(
            out,
            res,
            RunInfo(title="低效用地核查", as_of=day, analysis_crs=acrs, profile=profile, inputs=inputs),
            qa,
            basemap,
        )
    for _, row in frame.iterrows():
        if as_json:
            echo_json({k: row.get(k) for k in JSON_KEYS})
        else:
            far = "-" if row["far"] is None or row["far"] != row["far"] else f"{row['far']:.3f}"
            bc = row["building_coefficient"]
            bc_s = "-" if bc is None or bc != bc else f"{bc:.1%}"
            click.echo(
                f"{row['parcel_id']}: {row['verdict']} — FAR {far}, building coefficient {bc_s}"
                + (f"; failing: {row['failing']}" if row["failing"] else "")
                + f" ({row['rule_id']})"
            )
    if fail_on_violation and (frame["verdict"].isin(["inefficient", "cannot_decide"])).any():
        sys.exit(3)
