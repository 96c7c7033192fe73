"""The ``previz`` command line: one module per command group, all registered on :data:`cli`."""

from __future__ import annotations

from previz.cli.app import cli

# Importing a command module registers its commands on ``cli``.
from previz.cli import scene  # noqa: F401  isort: skip
from previz.cli import export  # noqa: F401  isort: skip


def main() -> None:
    """Entry point of the ``previz`` console script."""
    cli()
