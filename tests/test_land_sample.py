"""Raster evidence and storey equivalents on the bundled synthetic Puyang sample, against the truths its
generator designed and wrote into tests/data/sample/README.md (read here, so a regenerated sample is
checked against its own README)."""

from __future__ import annotations

import re

import pytest

from analysis.land_jobs import run_named_jobs
from tests.conftest import SAMPLE

README = SAMPLE / "README.md"
PROJECT = SAMPLE / "project.toml"


@pytest.fixture(scope="module")
def sample():
    if not (README.exists() and PROJECT.exists()):
        pytest.skip("the bundled sample is missing (tests/data/sample)")
    text = README.read_text(encoding="utf-8")
    _, ctx = run_named_jobs(PROJECT, run=("idle", "evidence"), write=())
    return text, ctx


def _designed(text: str, pattern: str) -> set[str]:
    return set(re.findall(r"^\s*- (PY-[\w-]+): " + pattern, text, flags=re.MULTILINE))


def test_evidence_rows_are_the_designed_ones(sample):
    text, ctx = sample
    vacant = _designed(text, r"recorded as built/started .* shows bare land")
    built = _designed(text, r"recorded as unstarted but shows built-up")
    assert vacant and built, "the README lists no designed raster cases"
    ev = ctx.results["evidence"].evidence
    assert set(ev.loc[ev["evidence"] == "recorded_built_looks_vacant", "parcel_id"]) == vacant
    assert set(ev.loc[ev["evidence"] == "recorded_idle_looks_built", "parcel_id"]) == built


def test_cloud_parcel_nodata_coverage(sample):
    text, ctx = sample
    m = re.search(r"- (PY-[\w-]+): partly under a nodata 'cloud' ellipse .*nodata pixels (\d+)\)", text)
    assert m, "the README names no cloud parcel"
    row = ctx.results["evidence"].stats.set_index("parcel_id").loc[m.group(1)]
    # nodata coverage (exact fractions) against the generator's pixel count: within 5%
    assert row["parcel_pixels"] - row["valid_pixels"] == pytest.approx(int(m.group(2)), rel=0.05)
    assert row["built_share"] > 0.95  # the valid part is built


def test_tall_single_storey_buildings_count_twice(sample):
    text, ctx = sample
    m = re.search(r"(\d+) buildings \((\d+) single-storey buildings higher than 8 m", text)
    assert m, "the README gives no building counts"
    b = ctx.results["buildings"]
    assert len(b) == int(m.group(1))
    tall_single = (b["storeys"] == 1) & (b["height_m"] > 8)
    assert int(tall_single.sum()) == int(m.group(2))
    assert (b.loc[tall_single, "storey_equiv"] == 2).all()
