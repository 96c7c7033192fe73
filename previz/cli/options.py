"""The ``-o BACKEND.OPTION=VALUE`` flag, shared by every command that plans or compiles shots."""

from __future__ import annotations

import click

from previz.backends.options import parse_cli_options

OPTION = click.option(
    "--option",
    "-o",
    "option_pairs",
    multiple=True,
    metavar="BACKEND.OPTION=VALUE",
    help="Set a backend option, e.g. -o luma.resolution=1080p (repeat; see backends --options).",
)

__all__ = ["OPTION", "parse_cli_options"]
