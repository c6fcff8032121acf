"""The ``devzone`` command line: one click group, thin subcommands over the library.

Conventions (after rasterio's ``rio``): logs go to stderr (``-v`` more, ``-q`` less); ``--json`` prints
machine-readable results to stdout; outputs are never overwritten without ``--overwrite``; a devzone
error is one line on stderr and exit code 1; usage errors exit 2; ``--fail-on-violation`` makes a failed
rule exit 3.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from geo.errors import DevzoneError
from geo.maps import BASEMAPS

__all__ = ["main"]

log = logging.getLogger("devzone")


def _configure_logging(verbosity: int) -> None:
    level = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-2, min(verbosity, 2)), logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("fiona", "pyogrio", "rasterio", "matplotlib", "PIL", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # QA rows go to the workbook's QA sheet; by default the terminal gets a summary (echo_qa_summary)
    logging.getLogger("geo.qa").setLevel(logging.DEBUG if verbosity >= 1 else logging.ERROR)


def echo_qa_summary(qa: Any) -> None:
    """Print one line per QA check with its count to stderr (the rows are in the QA sheet)."""
    counts: dict[tuple[str, str], int] = {}
    for row in qa.rows:
        if row.severity in ("warning", "error"):
            counts[(row.severity, row.check)] = counts.get((row.severity, row.check), 0) + 1
    if counts:
        parts = ", ".join(f"{n} {check}" for (_sev, check), n in sorted(counts.items()))
        click.echo(f"QA: {parts} (details: the QA sheet of report.xlsx, or -v)", err=True)


def devzone_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`DevzoneError` into a one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DevzoneError as exc:
            click.echo(f"devzone: error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, (dt.date, Path)):
        return str(o)
    raise TypeError(type(o).__name__)


def echo_json(obj: Any) -> None:
    """Print one JSON document to stdout (UTF-8, Chinese unescaped)."""
    click.echo(json.dumps(obj, ensure_ascii=False, default=_json_default))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less log output (repeatable).")
@click.version_option(package_name="devzone")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """devzone: development-zone boundary and land-use checks (开发区四至、60%产业用地、闲置低效用地、安置社区)."""
    _configure_logging(verbose - quiet)
    ctx.ensure_object(dict)


def out_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by subcommands that write an output folder."""
    fn = click.option("--overwrite", is_flag=True, help="Write into a non-empty --out folder.")(fn)
    fn = click.option("--basemap", type=click.Choice(BASEMAPS), default="osm", show_default=True,
                      help="Web-map basemap (tianditu reads TIANDITU_KEY).")(fn)
    fn = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                      help="Folder for report.xlsx, findings.gpkg, map.html.")(fn)
    return fn


@cli.command("run")
@click.argument("project_file", type=click.Path(dir_okay=False, path_type=Path))
@out_options
@click.option("--only", multiple=True, help="Run only these jobs (repeatable), e.g. --only industrial.")
@click.option("--json", "as_json", is_flag=True, help="Print the written files and verdicts as JSON.")
@devzone_errors
def run_cmd(project_file: Path, out_dir: Path | None, overwrite: bool, basemap: str, only: tuple[str, ...],
            as_json: bool) -> None:
    """Run every check the PROJECT_FILE has layers for; write the application folder."""
    from analysis.pipeline import run_project

    out = out_dir or Path("out") / project_file.stem
    paths, ctx = run_project(project_file, out, overwrite=overwrite, basemap=basemap, only=only)
    echo_qa_summary(ctx.qa)
    if as_json:
        ind = ctx.results.get("industrial")
        echo_json({"files": {k: str(v) for k, v in paths.items()},
                   "industrial": [v.to_json() for v in ind.verdicts] if ind is not None else None})
    else:
        for kind, p in paths.items():
            click.echo(f"{kind}: {p}", err=True)


def main() -> None:
    """Console-script entry point."""
    from analysis import commands  # noqa: F401  registers the subcommands

    cli(obj={})
