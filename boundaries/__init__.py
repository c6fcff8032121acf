"""Zone-boundary checks: R1 the 60% rule, R2 三区三线, R3 conflicting uses, geometry QA, 四至,
boundary-point tables and exchange TXT, and boundary proposals. Builds on :mod:`geo`."""

import logging

from boundaries.boundary_points import boundary_points, write_points_xlsx
from boundaries.conflicts import ConflictVerdict, find_conflicting_uses, find_conversions
from boundaries.constraints import ConstraintRule, ConstraintVerdict, check_constraints, dissolve_control
from boundaries.coordinate_txt import read_boundary_txt, write_boundary_txt
from boundaries.corners import FourSides, describe_four_sides
from boundaries.geometry_fix import fix_zone_geometry
from boundaries.geometry_qa import GeometryRule, check_zone_geometry
from boundaries.industrial import IndustrialRule, ShareVerdict, judge_industrial_share
from boundaries.proposal import ProposalResult, ProposalVerdict, propose_boundary

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ConflictVerdict",
    "ConstraintRule",
    "ConstraintVerdict",
    "FourSides",
    "GeometryRule",
    "IndustrialRule",
    "ProposalResult",
    "ProposalVerdict",
    "ShareVerdict",
    "boundary_points",
    "check_constraints",
    "check_zone_geometry",
    "describe_four_sides",
    "dissolve_control",
    "find_conflicting_uses",
    "find_conversions",
    "fix_zone_geometry",
    "judge_industrial_share",
    "propose_boundary",
    "read_boundary_txt",
    "write_boundary_txt",
    "write_points_xlsx",
]
