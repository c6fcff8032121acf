"""Options and zone loading shared by the boundary subcommands (constraints, conflicts, qa, propose)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import geopandas as gpd

from geo.crs import AnalysisCRS
from geo.layers import LayerSpec, load_zones
from geo.qa import QALog
from geo.zones import zone_overlaps

__all__ = ["ZoneArgs", "control_options", "control_specs", "load_cli_zones", "load_cli_zones_from", "zone_options"]


def zone_options(fn: Callable[..., Any], *, id_option: str = "--zone-id") -> Callable[..., Any]:
    """Options reading the ZONES argument and choosing the analysis CRS, profile and date.

    The zone-id field option is ``--zone-id`` (as in ``devzone industrial``) unless a command needs that
    name for something else (``devzone propose --zone-id ID`` picks a zone; its field is ``--zone-id-field``).
    """
    for opt in reversed(
        [
            click.option("--zones-layer", default=None, help="Layer of ZONES (when it has several)."),
            click.option(id_option, "zone_id_field", default=None, help="Zone id field (default: ZONE_ID, KFQDM, …)."),
            click.option("--zone-name", default=None, help="Zone name field."),
            click.option(
                "--crs",
                default=None,
                help="Analysis CRS in metres, e.g. EPSG:4526 (default: chosen and logged).",
            ),
            click.option("--crs-in", default=None, help="CRS to assign to inputs that declare none."),
            click.option(
                "--profile",
                "profile_src",
                default="henan",
                show_default=True,
                help="Rule profile: built-in name or TOML.",
            ),
            click.option(
                "--encoding", default=None, help="Attribute encoding of Shapefile inputs (default: detected)."
            ),
            click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Judged-on date."),
        ]
    ):
        fn = opt(fn)
    return fn


def control_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The three 三区三线 layers, each optional (a missing one makes its check "cannot decide")."""
    path = click.Path(exists=True, path_type=Path)
    for opt in reversed(
        [
            click.option("--farmland", type=path, default=None, help="永久基本农田 layer."),
            click.option("--farmland-layer", default=None, help="Layer of --farmland."),
            click.option("--redline", type=path, default=None, help="生态保护红线 layer."),
            click.option("--redline-layer", default=None, help="Layer of --redline."),
            click.option("--urban-boundary", type=path, default=None, help="城镇开发边界 layer."),
            click.option("--urban-boundary-layer", default=None, help="Layer of --urban-boundary."),
        ]
    ):
        fn = opt(fn)
    return fn


class ZoneArgs:
    """The zones as loaded from the command line, with the run's QA log and date."""

    def __init__(self, zones: gpd.GeoDataFrame, acrs: AnalysisCRS, spec: LayerSpec, qa: QALog, day: dt.date) -> None:
        self.zones, self.acrs, self.spec, self.qa, self.day = zones, acrs, spec, qa, day


def load_cli_zones(
    path: Path,
    *,
    zones_layer: str | None,
    zone_id_field: str | None,
    zone_name: str | None,
    crs: str | None,
    crs_in: str | None,
    encoding: str | None,
    as_of: dt.datetime | None,
) -> ZoneArgs:
    """Read and prepare the zones named on the command line (overlaps between zones become QA rows)."""
    qa = QALog()
    spec = LayerSpec(path, zones_layer, encoding, crs_in, {})
    zones, acrs = load_zones(spec, crs=crs, qa=qa, id_field=zone_id_field, name_field=zone_name)
    zone_overlaps(zones, layer=spec.label, qa=qa)
    return ZoneArgs(zones, acrs, spec, qa, as_of.date() if as_of else dt.date.today())


def control_specs(kw: dict[str, Any], *, encoding: str | None, crs_in: str | None) -> dict[str, LayerSpec | None]:
    """Return the control-layer specs by check (``farmland``, ``redline``, ``urban``) from the options."""
    out: dict[str, LayerSpec | None] = {}
    for kind, opt in (("farmland", "farmland"), ("redline", "redline"), ("urban", "urban_boundary")):
        p = kw.get(opt)
        out[kind] = None if p is None else LayerSpec(p, kw.get(f"{opt}_layer"), encoding, crs_in, {})
    return out


def load_cli_zones_from(path: Path, kw: dict[str, Any]) -> ZoneArgs:
    """Call :func:`load_cli_zones` with the options :func:`zone_options` put into a command's ``**kw``."""
    keys = ("zones_layer", "zone_id_field", "zone_name", "crs", "crs_in", "encoding", "as_of")
    return load_cli_zones(path, **{k: kw[k] for k in keys})
