"""The ``devzone`` subcommands, one module each; importing this package registers them."""

from analysis.commands import (
    conflicts,
    constraints,
    enterprises,
    evidence,
    idle,
    industrial,
    inefficient,
    inspect,
    intensity,
    propose,
    qa,
    relocate,
    site_project,
)

__all__ = [
    "conflicts",
    "constraints",
    "enterprises",
    "evidence",
    "idle",
    "industrial",
    "inefficient",
    "inspect",
    "intensity",
    "propose",
    "qa",
    "relocate",
    "site_project",
]
