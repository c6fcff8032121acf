"""``devzone evidence``: supply parcels against a land-cover raster and imagery (evidence, not verdicts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import geopandas as gpd

from analysis.cli import cli, devzone_errors, echo_json, out_options
from analysis.commands._supply_opts import supply_options, supply_spec
from geo.crs import choose_analysis_crs
from geo.layers import LayerSpec
from geo.profile import load_profile
from geo.qa import QALog

#: Keys of ``devzone evidence --json``, in order.
JSON_KEYS = (
    "parcel_id",
    "evidence",
    "recorded",
    "built_share",
    "valid_share",
    "ndvi_mean",
    "ndbi_mean",
    "caveat",
    "rule_id",
    "as_of",
)


@cli.command("evidence")
@click.argument("parcels", type=click.Path(exists=True, path_type=Path))
@supply_options
@click.option(
    "--landcover",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Land-cover raster (one class per pixel).",
)
@click.option(
    "--built-class",
    "built_classes",
    multiple=True,
    type=float,
    help="Class value that counts as built (repeatable; default: the profile's).",
)
@click.option(
    "--imagery",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Multiband imagery for NDVI (and NDBI with a SWIR band).",
)
@click.option("--red-band", type=int, default=None, help="Red band of --imagery (default: the profile's).")
@click.option("--nir-band", type=int, default=None, help="NIR band of --imagery.")
@click.option("--swir-band", type=int, default=None, help="SWIR band of --imagery (0: none).")
@click.option("--raster-date", default=None, help="Date of the image (YYYY-MM-DD), for the caveats.")
@click.option(
    "--assign-crs", default=None, help="Read the rasters in this CRS instead of their declared one."
)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Judged-on date.")
@click.option("--profile", "profile_src", default="henan", show_default=True, help="Rule profile.")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per evidence row to stdout.")
@devzone_errors
def evidence_cmd(
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
    landcover: Path | None,
    built_classes: tuple[float, ...],
    imagery: Path | None,
    red_band: int | None,
    nir_band: int | None,
    swir_band: int | None,
    raster_date: str | None,
    assign_crs: str | None,
    as_of: dt.datetime | None,
    profile_src: str,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
) -> None:
    """List parcels of PARCELS whose records and rasters disagree (built-up share by exact coverage).

    Evidence rows for a field check, never verdicts: recorded_built_looks_vacant and
    recorded_idle_looks_built.
    """
    from analysis.evidence_run import run_evidence
    from analysis.report import RunInfo, prepare_out_dir, write_outputs
    from geo.errors import ProfileError

    if landcover is None and imagery is None:
        msg = "give --landcover or --imagery (or both)"
        raise ProfileError(msg)
    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    profile = load_profile(profile_src)
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
    common = {"date": raster_date, "assign_crs": assign_crs}
    lc = (
        LayerSpec(
            landcover, options={**common, **({"built_classes": list(built_classes)} if built_classes else {})}
        )
        if landcover
        else None
    )
    bands = {
        k: v
        for k, v in (("red_band", red_band), ("nir_band", nir_band), ("swir_band", swir_band))
        if v is not None
    }
    img = LayerSpec(imagery, options={**common, **bands}) if imagery else None
    day = as_of.date() if as_of else dt.date.today()
    res = run_evidence(spec, profile=profile, qa=qa, as_of=day, landcover=lc, imagery=img)
    if out is not None:
        located = res.parcels[res.parcels.geometry.notna()]
        acrs = choose_analysis_crs(
            located if len(located) else gpd.GeoDataFrame(geometry=[], crs="EPSG:4526")
        )
        info = RunInfo(
            title="遥感证据",
            as_of=day,
            analysis_crs=acrs,
            profile=profile,
            inputs=tuple(
                (k, str(v))
                for k, v in (("supply", spec.label), ("landcover", landcover), ("imagery", imagery))
                if v
            ),
        )
        paths = write_outputs(out, res.outputs(), info, qa, basemap=basemap, zones=located)
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    for _, row in res.evidence.iterrows():
        if as_json:
            echo_json({k: row.get(k) for k in JSON_KEYS})
        else:
            share = row["built_share"]
            shown = "-" if share is None or share != share else f"{share:.1%}"
            click.echo(
                f"{row['parcel_id']}: {row['evidence']} — records: {row['recorded']}; built share {shown}"
                + (f"; {row['caveat']}" if row["caveat"] else "")
            )
