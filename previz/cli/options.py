"""Parameters several commands share: the scene argument and ``-o BACKEND.OPTION=VALUE``."""

from __future__ import annotations

from pathlib import Path

import click

from previz.backends.options import parse_cli_options

SCENE = click.Path(path_type=Path, dir_okay=False)
"""A scene file: YAML, a Python scene script or a screenplay."""

OPTION = click.option(
    "--option",
    "-o",
    "option_pairs",
    multiple=True,
    metavar="BACKEND.OPTION=VALUE",
    help="Set a backend option, e.g. -o luma.resolution=1080p (repeat; see backends --options).",
)

__all__ = ["OPTION", "SCENE", "parse_cli_options"]
