"""The walkthrough notebooks run from top to bottom (executed here, as a user would)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path: Path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    code_cells = [c.source for c in nb.cells if c.cell_type == "code"]
    assert not any(src.lstrip().startswith(("def ", "class ")) for src in code_cells), "notebooks stay thin"


def test_there_is_a_notebook_per_walkthrough():
    assert "01_industrial_share.ipynb" in {p.name for p in NOTEBOOKS}
