"""``devzone review``: every check of a project and, per zone, the folder for the expansion application."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json
from geo.maps import BASEMAPS


@cli.command("review")
@click.argument("project_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The package folder (one sub-folder per zone).",
)
@click.option("--overwrite", is_flag=True, help="Write into a non-empty --out folder.")
@click.option(
    "--basemap",
    type=click.Choice(BASEMAPS),
    default="osm",
    show_default=True,
    help="Web-map basemap (tianditu reads TIANDITU_KEY; none for intranets).",
)
@click.option("--zone", "zone_ids", multiple=True, help="Package only this zone (repeatable; default all).")
@click.option("--producer", default=None, help="数据产生单位 in the coordinate TXT header.")
@click.option("--precision", default=None, help="精度 (survey precision) in the TXT header; empty unless given.")
@click.option(
    "--txt-encoding",
    type=click.Choice(["gbk", "utf-8"]),
    default=None,
    help="Encoding of the coordinate TXT (default: the profile's, gbk).",
)
@click.option("--only", multiple=True, help="Run only these jobs (repeatable), e.g. --only boundary_docs.")
@click.option("--json", "as_json", is_flag=True, help="Print the written files per zone as JSON.")
@devzone_errors
def review_cmd(
    project_file: Path,
    out_dir: Path,
    overwrite: bool,
    basemap: str,
    zone_ids: tuple[str, ...],
    producer: str | None,
    precision: str | None,
    txt_encoding: str | None,
    only: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run every check of PROJECT_FILE and write the application package into --out.

    The folder holds the whole run (report.xlsx, findings.gpkg, map.html), an index (清单.txt, index.html)
    and, per zone, its own report, GeoPackage, web map, print maps (PNG, PDF), boundary-point table (XLSX)
    and coordinate exchange file (TXT).
    """
    from analysis.review import build_review_package

    docs = {
        k: v for k, v in (("producer", producer), ("precision", precision), ("encoding", txt_encoding)) if v is not None
    }
    pkg = build_review_package(
        project_file,
        out_dir,
        overwrite=overwrite,
        basemap=basemap,
        zone_ids=zone_ids,
        documents=docs,
        only=only,
    )
    if as_json:
        echo_json(pkg.to_json())
        return
    click.echo(f"index: {pkg.index['清单']}", err=True)
    for zid, folder in pkg.zone_dirs.items():
        click.echo(f"{zid}: {folder} ({sum(1 for p in folder.iterdir() if p.is_file())} files)")
