"""``devzone inspect``: what a data source holds, read with fiona without reading the features."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json
from geo.crs import crs_label
from geo.io import inspect_layer, list_layers


@cli.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--layer", default=None, help="One layer (default: all).")
@click.option("--encoding", default=None, help="Attribute encoding (Shapefiles; detected when not given).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@devzone_errors
def inspect_cmd(path: Path, layer: str | None, encoding: str | None, as_json: bool) -> None:
    """List the layers of PATH with geometry type, CRS, feature count, encoding and fields."""
    names = [layer] if layer else list_layers(path)
    infos = [inspect_layer(path, n, encoding=encoding) for n in names]
    if as_json:
        echo_json(
            [
                {
                    "layer": i.layer,
                    "geometry_type": i.geometry_type,
                    "crs": crs_label(i.crs),
                    "count": i.count,
                    "encoding": i.encoding,
                    "fields": i.fields,
                }
                for i in infos
            ]
        )
        return
    for i in infos:
        click.echo(
            f"{i.layer}: {i.geometry_type}, {i.count} features, CRS {crs_label(i.crs)}"
            + (f", encoding {i.encoding}" if i.encoding else "")
        )
        for name, kind in i.fields.items():
            click.echo(f"    {name}: {kind}")
