"""``devzone import-txt``: a boundary-coordinate exchange TXT back to polygons in a GeoPackage."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json
from geo.errors import InputError


@cli.command("import-txt")
@click.argument("txt_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GeoPackage to write (layers 'zones' and 'parcels').",
)
@click.option("--zone-id", default=None, help="Zone id of the parcels (default: the file's name).")
@click.option("--zone-name", default=None, help="Zone name (default: the first parcel's name).")
@click.option("--crs", default=None, help="CRS of the coordinates (default: from 坐标系, 几度分带, 带号, Y's prefix).")
@click.option("--encoding", default=None, help="Text encoding (default: UTF-8, else GB18030).")
@click.option(
    "--strict-axes",
    is_flag=True,
    help="Reject a file with Y before X instead of swapping the columns back (with a QA warning).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option("--json", "as_json", is_flag=True, help="Print the parcels as JSON.")
@devzone_errors
def import_txt_cmd(
    txt_file: Path,
    out_path: Path,
    zone_id: str | None,
    zone_name: str | None,
    crs: str | None,
    encoding: str | None,
    strict_axes: bool,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Read TXT_FILE (the 勘测定界/用地报批 coordinate exchange format) into polygons.

    The X/Y order is checked against the coordinates' magnitudes (northing 7 digits, easting 8 with the zone
    number or 6); rings are nested into polygons with holes; declared areas and point counts are checked.
    """
    from boundaries.coordinate_txt import dissolve_parcels, read_boundary_txt
    from geo.crs import crs_label
    from geo.io import write_layer
    from geo.qa import QALog

    if out_path.suffix.lower() != ".gpkg":
        msg = f"--out {out_path}: write a GeoPackage (.gpkg)"
        raise InputError(msg)
    if out_path.exists() and not overwrite:
        msg = f"{out_path} exists; choose another --out or pass --overwrite"
        raise InputError(msg)
    qa = QALog()
    parcels = read_boundary_txt(
        txt_file,
        encoding=encoding,
        crs=crs,
        swapped="error" if strict_axes else "repair",
        zone_id=zone_id,
        qa=qa,
    )
    zones = dissolve_parcels(parcels, zone_name=zone_name)
    if out_path.exists():
        out_path.unlink()
    write_layer(zones, out_path, "zones")
    write_layer(parcels, out_path, "parcels")
    if as_json:
        echo_json(
            {
                "crs": crs_label(parcels.crs),
                "axes_swapped": bool(parcels.attrs["axes_swapped"]),
                "qa": [r.message for r in qa.rows],
                "parcels": parcels.drop(columns="geometry").to_dict("records"),
            }
        )
        return
    for z in zones.itertuples(index=False):
        click.echo(
            f"{z.zone_id} {z.zone_name}: {z.parcels} parcel(s), {z.area_m2:,.2f} m² = {z.area_ha:,.4f} 公顷 "
            f"= {z.area_mu:,.2f} 亩, {crs_label(parcels.crs)}"
            + ("; X/Y were swapped back" if parcels.attrs["axes_swapped"] else "")
        )
    for r in qa.rows:
        click.echo(f"QA {r.check}: {r.message}", err=True)
    click.echo(f"wrote {out_path} (layers zones, parcels)", err=True)
