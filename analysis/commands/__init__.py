"""The ``devzone`` subcommands, one module each; importing this package registers them."""

from analysis.commands import constraints, industrial, inspect

__all__ = ["constraints", "industrial", "inspect"]
