"""Options shared by the subcommands that read supply parcels (idle, inefficient, evidence)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from geo.errors import SchemaError
from geo.layers import LayerSpec

__all__ = ["mapping", "supply_options", "supply_spec"]


def mapping(pairs: tuple[str, ...], *, option: str = "--field") -> dict[str, str]:
    """Parse ``NAME=COLUMN`` pairs.

    Raises
    ------
    SchemaError
        For a pair without ``=``.
    """
    out = {}
    for pair in pairs:
        name, sep, col = pair.partition("=")
        if not sep or not name.strip() or not col.strip():
            msg = f"{option} {pair!r}: write schema_name=column, e.g. {option} storeys=CS"
            raise SchemaError(msg)
        out[name.strip()] = col.strip()
    return out


def supply_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options that describe PARCELS and its records table (as ``devzone idle`` has them)."""
    for opt in reversed(
        [
            click.option(
                "--layer", default=None, help="Layer of PARCELS (or the sheet, when PARCELS is a table)."
            ),
            click.option(
                "--id-field", default=None, help="Parcel-number field (default: parcel_id, 宗地编号)."
            ),
            click.option(
                "--table",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                default=None,
                help="CSV/XLSX of supply records joined to PARCELS by parcel number.",
            ),
            click.option("--sheet", default=None, help="Sheet of --table (default: the first)."),
            click.option("--key", default=None, help="Parcel-number column of --table."),
            click.option(
                "--amount-unit",
                type=click.Choice(["元", "万元"]),
                default=None,
                help="Unit of the amount columns (required unless the headers say it).",
            ),
            click.option(
                "--area-unit",
                type=click.Choice(["m2", "亩", "公顷"]),
                default="m2",
                show_default=True,
                help="Unit of the recorded parcel area.",
            ),
            click.option(
                "--field",
                "fields",
                multiple=True,
                metavar="NAME=COLUMN",
                help="Map a supply-schema field to a column (of --table, else of PARCELS); repeatable.",
            ),
            click.option(
                "--encoding", default=None, help="Attribute encoding of a Shapefile (default: detected)."
            ),
        ]
    ):
        fn = opt(fn)
    return fn


def supply_spec(
    parcels: Path,
    *,
    layer: str | None,
    id_field: str | None,
    table: Path | None,
    sheet: str | None,
    key: str | None,
    amount_unit: str | None,
    area_unit: str,
    fields: tuple[str, ...],
    encoding: str | None,
) -> LayerSpec:
    """Return the LayerSpec :func:`analysis.supply.read_supply` reads."""
    fmap = mapping(fields)
    opts: dict[str, object] = {"id_field": id_field, "area_unit": area_unit}
    if table is not None:
        opts["table"] = {
            "path": table,
            "sheet": sheet,
            "key": key,
            "amount_unit": amount_unit,
            "area_unit": area_unit,
            "fields": fmap,
        }
    else:
        opts.update({"fields": fmap, "amount_unit": amount_unit, "key": key})
    return LayerSpec(parcels, layer, encoding, None, opts)
