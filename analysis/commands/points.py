"""``devzone points``: the boundary-point table J1…Jn of each zone, as XLSX and (``--txt``) exchange TXT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from analysis.cli import cli, devzone_errors, echo_json
from analysis.commands._boundary_opts import load_cli_zones_from, zone_options
from geo.profile import load_profile


@cli.command("points")
@click.argument("zones", type=click.Path(exists=True, path_type=Path))
@click.option("--txt", "write_txt", is_flag=True, help="Also write the coordinate exchange TXT of each zone.")
@click.option(
    "--txt-encoding",
    type=click.Choice(["gbk", "utf-8"]),
    default=None,
    help="Encoding of the TXT (default: the profile's, gbk).",
)
@click.option("--producer", default=None, help="数据产生单位 in the TXT header.")
@click.option("--precision", default=None, help="精度 (survey precision) in the TXT header; empty unless given.")
@click.option(
    "--doc-crs",
    default=None,
    help="Gauss-Krüger CRS of the documents, e.g. EPSG:4526 (default: the zones' own when it is one).",
)
@zone_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for each zone's 界址点坐标表 (XLSX) and TXT (one sub-folder per zone).",
)
@click.option("--overwrite", is_flag=True, help="Write into a non-empty --out folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone (with its points).")
@devzone_errors
def points_cmd(
    zones: Path,
    write_txt: bool,
    txt_encoding: str | None,
    producer: str | None,
    precision: str | None,
    doc_crs: str | None,
    out_dir: Path | None,
    overwrite: bool,
    as_json: bool,
    **kw: Any,
) -> None:
    """List the boundary points J1…Jn of each zone of ZONES (clockwise from the north-west corner).

    X is the northing and Y the easting (with the zone number when the CRS carries it); each ring is closed
    on its first point; parts are separate parcels (地块) and holes are rings 2, 3 ….
    """
    from analysis.boundary_docs import DocOptions, run_boundary_docs
    from analysis.report import prepare_out_dir

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    za = load_cli_zones_from(zones, kw)
    opts = DocOptions.from_profile(
        load_profile(kw["profile_src"]),
        as_of=za.day,
        encoding=txt_encoding,
        producer=producer,
        precision=precision,
        crs=doc_crs,
    )
    run = run_boundary_docs(
        za.zones, options=opts, qa=za.qa, zones_data=za.spec.label, out_dir=out, write_txt=write_txt
    )
    if write_txt and out is None:
        click.echo("devzone: note: --txt writes files only with --out DIR", err=True)
    for row in run.summary.itertuples(index=False):
        pts = run.points[run.points["zone_id"] == row.zone_id]
        if as_json:
            echo_json(
                {
                    **row._asdict(),
                    "document_crs": str(run.doc_crs.to_epsg() or run.doc_crs.name),
                    "points": pts.drop(columns=["geometry", "zone_id", "zone_name"]).to_dict("records"),
                }
            )
            continue
        click.echo(
            f"{row.zone_id} {row.zone_name}: {row.points} points, {row.parcels} parcel(s), "
            f"{row.rings} ring(s), "
            f"{row.area_m2:,.2f} m² = {row.area_ha:,.4f} 公顷 = {row.area_mu:,.2f} 亩 ({row.crs})"
        )
        if out is None:
            for p in pts.itertuples(index=False):
                click.echo(f"    {p.point:>5s} 地块{p.parcel} 圈{p.ring}  X {p.northing_m:.3f}  Y {p.easting_m:.3f}")
    for k, p in run.files.items():
        click.echo(f"{k}: {p}", err=True)
