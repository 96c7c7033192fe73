"""The ``previz`` command line: one module per command group, all registered on :data:`cli`."""

from __future__ import annotations

from previz.cli import (  # noqa: F401  (importing registers commands)
    conform,
    export,
    generate,
    review,
    scene,
)
from previz.cli.app import cli


def main() -> None:
    """Entry point of the ``previz`` console script."""
    cli()
