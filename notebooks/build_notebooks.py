"""Build the walkthrough notebooks from their cell sources and execute them (``make notebooks``).

The notebooks stay thin: every function they call lives in the package. Run from the repository root:
``.venv/bin/python notebooks/build_notebooks.py``. The test suite executes the committed notebooks again.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent

NB01 = [
    ("md", """# 01 — The 60% industrial-land rule (产业用地占比) on the bundled Puyang sample

Seed 003 (2022 work points, 二(二)1): development-zone boundaries are delineated "按照产业用地不得低于60%的标准".
This notebook runs the check step by step on the **synthetic** Puyang sample (`tests/data/sample/`, 合成数据):
read the zones and the 三调 land survey, measure each land-use code inside each zone with devzone's kernel,
judge each zone, and write the workbook, GeoPackage and web map. `devzone run tests/data/sample/project.toml`
does all of this in one command."""),
    ("code", """import logging
import tempfile
from pathlib import Path

from analysis.industrial import run_industrial
from analysis.project import load_project
from analysis.report import RunInfo, write_outputs
from geo.layers import load_zones
from geo.profile import load_profile
from geo.qa import QALog

logging.getLogger("geo.qa").setLevel(logging.ERROR)  # QA rows are shown as a table below
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
project = load_project(ROOT / "tests/data/sample/project.toml")
profile = load_profile(project.profile)
qa = QALog()
zones, analysis_crs = load_zones(project.layers["zones"], crs=project.crs, qa=qa)
print(analysis_crs.label, "—", analysis_crs.reason)
zones[["zone_id", "zone_name"]]"""),
    ("md", "## Measure and judge\nThe land survey is read only near the zones, repaired where invalid (each repair is a QA row), "
           "and measured per code; overlapping polygons count once."),
    ("code", """run = run_industrial(zones, project.layers["landuse"], analysis_crs=analysis_crs, profile=profile,
                     qa=qa, as_of=project.as_of)
summary = run.summary()
summary[["zone_id", "zone_name", "verdict", "share_of_construction", "share_of_zone", "industrial_area_m2",
         "construction_area_m2", "shortfall_add_mu", "shortfall_remove_mu", "rule_id"]]"""),
    ("md", "## Why each zone got its verdict\nThe reason names the figures; a zone whose verdict depends on unknown codes "
           "or gaps says *cannot decide* and why."),
    ("code", """for v in run.verdicts:
    print(f"{v.zone_id} {v.zone_name}: {v.verdict} — {v.reason}")"""),
    ("md", "## Land use inside one zone (like ArcGIS Tabulate Intersection)"),
    ("code", """bd = run.areas.breakdown
bd[bd["zone"] == zones.index[0]][["code", "name", "category", "area_m2", "area_mu", "pct_of_zone"]]"""),
    ("md", "## The QA log: every repair, overlap and unknown code"),
    ("code", """qa.to_frame()[["check", "severity", "feature", "zone", "area_m2", "message"]].head(20)"""),
    ("md", "## Write the workbook, GeoPackage and map"),
    ("code", """out = Path(tempfile.mkdtemp(prefix="devzone-nb01-"))
info = RunInfo(title=project.name, as_of=project.as_of, analysis_crs=analysis_crs, profile=profile)
paths = write_outputs(out, run.outputs(), info, qa, basemap="none", zones=zones)
sorted(p.name for p in out.iterdir())"""),
]


def build(name: str, cells: list[tuple[str, str]]) -> Path:
    """Write and execute one notebook; return its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    path = HERE / name
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    print(build("01_industrial_share.ipynb", NB01))
