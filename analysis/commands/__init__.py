"""The ``devzone`` subcommands, one module each; importing this package registers them."""

from analysis.commands import industrial, inspect

__all__ = ["industrial", "inspect"]
