"""The ``devzone`` subcommands, one module each; importing this package registers them."""

from analysis.commands import (
    conflicts,
    constraints,
    idle,
    industrial,
    inspect,
    propose,
    qa,
    relocate,
    site_project,
)

__all__ = [
    "conflicts",
    "constraints",
    "idle",
    "industrial",
    "inspect",
    "propose",
    "qa",
    "relocate",
    "site_project",
]
