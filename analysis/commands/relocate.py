"""``devzone relocate``: villages out of the zones, relocation sites judged, scored and assigned (R7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options
from geo.errors import InputError
from geo.layers import LayerSpec, load_zones
from geo.profile import load_profile
from geo.qa import QALog
from geo.zones import zone_overlaps


def layer_spec(
    value: str | None, *, what: str, crs_in: str | None = None, encoding: str | None = None, **options: object
) -> LayerSpec | None:
    """Parse ``PATH`` or ``PATH:LAYER`` into a layer spec (a path that exists wins over a colon in it).

    Raises
    ------
    InputError
        When neither the value nor the part before its last colon is an existing path.
    """
    if value is None:
        return None
    opts = {k: v for k, v in options.items() if v is not None}
    if Path(value).exists():
        return LayerSpec(Path(value), None, encoding, crs_in, opts)
    head, _, layer = value.rpartition(":")
    if head and Path(head).exists():
        return LayerSpec(Path(head), layer, encoding, crs_in, opts)
    msg = f"{what} {value!r}: no such file (give PATH or PATH:LAYER, e.g. sample.gpkg:villages)"
    raise InputError(msg)


@cli.command("relocate")
@click.argument("zones")
@click.option(
    "--villages", required=True, help="Villages (points or polygons with population): PATH[:LAYER]."
)
@click.option(
    "--sites", default=None, help="Candidate sites (polygons); without it, generated from free land."
)
@click.option("--farmland", default=None, help="永久基本农田 polygons.")
@click.option("--redline", default=None, help="生态保护红线 polygons.")
@click.option("--planning-area", default=None, help="城市规划区 polygons (urban planning area).")
@click.option("--roads", default=None, help="Road lines: network distances (straight-line without).")
@click.option(
    "--facilities", default=None, help="Schools, kindergartens, clinics, shops, bus stops (points)."
)
@click.option(
    "--dem", default=None, type=click.Path(exists=True, dir_okay=False), help="DEM raster for slope."
)
@click.option("--landuse", default=None, help="Land use: water (水域) to exclude, industrial land for jobs.")
@click.option("--zones-layer", default=None, help="Layer of ZONES (when it has several).")
@click.option("--zone-id", default=None, help="Zone id field.")
@click.option(
    "--village-id", default=None, help="Village id field (default: village_id, CJDM, … if present)."
)
@click.option(
    "--population-field", default=None, help="Village population field (default: population, RK, …)."
)
@click.option("--site-id", default=None, help="Site id field.")
@click.option("--kind-field", default=None, help="Facility kind field (default: kind, type, 类型, …).")
@click.option("--code-field", default=None, help="Land-use code field (default: DLBM, GHDLBM, …).")
@click.option(
    "--allow-split/--keep-whole", default=None, help="Allow a village's people to go to several sites."
)
@click.option(
    "--max-distance", type=click.FloatRange(min=0), default=None, help="Farthest village→site distance (m)."
)
@click.option(
    "--apportion",
    type=click.Choice(["area_share", "whole"]),
    default=None,
    help="Population of villages partly inside a zone: by area share, or whole village above a share.",
)
@click.option("--crs", default=None, help="Analysis CRS in metres (default: chosen and logged).")
@click.option("--crs-in", default=None, help="CRS to assign to inputs that declare none.")
@click.option(
    "--profile", "profile_src", default="henan", show_default=True, help="Rule profile: built-in or TOML."
)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Judged-on date.")
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print assignments and sites as one JSON object.")
@devzone_errors
def relocate_cmd(
    zones: str,
    villages: str,
    sites: str | None,
    farmland: str | None,
    redline: str | None,
    planning_area: str | None,
    roads: str | None,
    facilities: str | None,
    dem: str | None,
    landuse: str | None,
    zones_layer: str | None,
    zone_id: str | None,
    village_id: str | None,
    population_field: str | None,
    site_id: str | None,
    kind_field: str | None,
    code_field: str | None,
    allow_split: bool | None,
    max_distance: float | None,
    apportion: str | None,
    crs: str | None,
    crs_in: str | None,
    profile_src: str,
    as_of: dt.datetime | None,
    out_dir: Path | None,
    overwrite: bool,
    basemap: str,
    as_json: bool,
) -> None:
    """Find the villages inside ZONES, judge and score relocation sites, and assign villages to sites (R7).

    Layers are PATH or PATH:LAYER. JSON (--json) prints {"assignments": [{village_id, population, site_id}],
    "sites": [{site_id, eligible, reasons, capacity, population, score}]}; why a village has no site
    (site_id null) is printed to stderr and written to the workbook.
    """
    from analysis.relocation_report import relocation_outputs
    from analysis.relocation_run import RelocationInputs, run_relocation
    from analysis.report import RunInfo, prepare_out_dir, write_outputs

    out = prepare_out_dir(out_dir, overwrite=overwrite) if out_dir else None
    qa = QALog()
    profile = load_profile(profile_src)
    zspec = layer_spec(zones, what="ZONES", crs_in=crs_in)
    assert zspec is not None
    if zones_layer:
        zspec = LayerSpec(zspec.path, zones_layer, zspec.encoding, crs_in, {})
    zgdf, acrs = load_zones(zspec, crs=crs, qa=qa, id_field=zone_id)
    zone_overlaps(zgdf, layer=zspec.label, qa=qa)
    spec = {"crs_in": crs_in}
    inputs = RelocationInputs(
        villages=layer_spec(
            villages, what="--villages", id_field=village_id, population_field=population_field, **spec
        ),  # type: ignore[arg-type]
        sites=layer_spec(sites, what="--sites", id_field=site_id, **spec),
        planning_area=layer_spec(planning_area, what="--planning-area", **spec),
        farmland=layer_spec(farmland, what="--farmland", **spec),
        redline=layer_spec(redline, what="--redline", **spec),
        roads=layer_spec(roads, what="--roads", **spec),
        facilities=layer_spec(facilities, what="--facilities", kind_field=kind_field, **spec),
        landuse=layer_spec(landuse, what="--landuse", code_field=code_field, **spec),
        dem=LayerSpec(Path(dem)) if dem else None,
    )
    overrides = {
        k: v
        for k, v in (("allow_split", allow_split), ("max_distance_m", max_distance), ("apportion", apportion))
        if v is not None
    }
    day = as_of.date() if as_of else dt.date.today()
    run = run_relocation(zgdf, inputs, analysis_crs=acrs, profile=profile, qa=qa, as_of=day, **overrides)
    if out is not None:
        info = RunInfo(
            title="开发区村庄搬迁安置社区",
            as_of=day,
            analysis_crs=acrs,
            profile=profile,
            inputs=(("zones", zspec.label), *run.inputs),
        )
        paths = write_outputs(
            out, relocation_outputs(run, out_dir=out, qa=qa), info, qa, basemap=basemap, zones=zgdf
        )
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)
    for r in run.assignments.itertuples():
        if r.site_id is None or r.site_id != r.site_id:
            click.echo(f"village {r.village_id}: no site for {r.population} people: {r.reason}", err=True)
    if as_json:
        echo_json(run.to_json())
        return
    for r in run.assignments.dropna(subset=["site_id"]).itertuples():
        click.echo(
            f"{r.village_id} → {r.site_id}: {int(r.population):,} people, {r.distance_m:,.0f} m "
            f"({r.distance_method})"
        )
    for s, r in run.sites.iterrows():
        state = {True: "eligible", False: "not eligible", None: "cannot decide"}[r["eligible"]]
        click.echo(
            f"site {s}: {state}, capacity {int(r['capacity']):,}, assigned {int(r['population']):,}, "
            f"score {r['score']}" + (f" — {r['reasons']}" if r["reasons"] else "")
        )
