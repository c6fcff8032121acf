"""Parcel and zone analyses (R4 idle and unsupplied land, R5 inefficient land, enterprises and raster
evidence, R6 intensity, R7 relocation), the report writer, the project-file pipeline and the ``devzone``
CLI (:mod:`analysis.cli`). Builds on :mod:`geo` and :mod:`boundaries`."""

import logging

from analysis.enterprises import classify_enterprises, run_enterprises
from analysis.evidence_run import run_evidence
from analysis.idle import judge_idle, judge_parcel
from analysis.idle_run import run_idle
from analysis.industrial import IndustrialRun, run_industrial
from analysis.inefficient import judge_inefficient
from analysis.inefficient_run import run_inefficient
from analysis.intensity_run import run_intensity
from analysis.pipeline import JOBS, run_jobs, run_project
from analysis.project import Project, load_project
from analysis.relocation_assign import assign
from analysis.relocation_run import assign_villages, run_relocation
from analysis.report import Outputs, RunInfo, write_outputs, write_workbook
from analysis.siting import rank_sites
from analysis.supply import read_supply, supply_records
from analysis.unsupplied_run import run_unsupplied

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "JOBS",
    "IndustrialRun",
    "Outputs",
    "Project",
    "RunInfo",
    "assign",
    "assign_villages",
    "classify_enterprises",
    "judge_idle",
    "judge_inefficient",
    "judge_parcel",
    "load_project",
    "rank_sites",
    "read_supply",
    "run_enterprises",
    "run_evidence",
    "run_idle",
    "run_industrial",
    "run_inefficient",
    "run_intensity",
    "run_jobs",
    "run_project",
    "run_relocation",
    "run_unsupplied",
    "supply_records",
    "write_outputs",
    "write_workbook",
]
