"""``devzone intensity``: the R6 evaluation of the zones of a project file (indicators, ranking, 增调降退)."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.cli import cli, devzone_errors, echo_json, out_options

#: Keys of ``devzone intensity --json``, in order.
JSON_KEYS = (
    "zone_id",
    "zone_type",
    "composite_low",
    "composite_high",
    "rank_best",
    "rank_worst",
    "n_zones",
    "eligible_to_expand",
    "suggestion",
    "suggestion_zh",
    "rule_id",
    "as_of",
)
#: Jobs whose results the evaluation uses, in pipeline order.
PREREQUISITES = ("industrial", "constraints", "idle", "unsupplied", "enterprises", "intensity")


@cli.command("intensity")
@click.argument("project_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@out_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per zone to stdout.")
@devzone_errors
def intensity_cmd(
    project_file: Path, out_dir: Path | None, overwrite: bool, basemap: str, as_json: bool
) -> None:
    """Evaluate the zones of PROJECT_FILE (TD/T 1029 indicators, ranking, bottom third, 增/调/降/退; R6).

    Uses the layers the project file names: landuse (required); supply, approved, buildings, enterprises and
    the 三区三线 layers when present. Each indicator without its inputs says "cannot decide, because …".
    """
    from analysis.land_jobs import run_named_jobs

    paths, ctx = run_named_jobs(
        project_file,
        run=PREREQUISITES,
        write=("intensity",),
        out_dir=out_dir,
        overwrite=overwrite,
        basemap=basemap,
    )
    for kind, p in paths.items():
        click.echo(f"{kind}: {p}", err=True)
    res = ctx.results.get("intensity")
    if res is None:
        click.echo(
            "devzone: error: the project file has no [layers.landuse]; the evaluation needs it", err=True
        )
        raise SystemExit(1)
    for r in res.results:  # type: ignore[attr-defined]
        row = r.to_row()
        if as_json:
            echo_json({k: row.get(k) for k in JSON_KEYS})
        else:
            rank = f"{r.rank_best}" if r.rank_best == r.rank_worst else f"{r.rank_best}–{r.rank_worst}"
            elig = {True: "may expand", False: "may not expand", None: "cannot decide"}[r.eligible_to_expand]
            click.echo(
                f"{r.zone_id} {r.zone_name}: {r.zone_type}, rank {rank} of {r.n_zones}, {elig}, "
                f"suggestion {r.suggestion_zh} ({r.rule_id})"
            )
