"""The ``previz`` command group and the one place errors become exit statuses.

Each command module decorates a function with ``@cli.command()``; commands parse their
arguments, call one library function, and print. A :class:`~previz.errors.PrevizError` becomes
one readable message on stderr and exit status 2 — never a traceback.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.text import Text

from previz.errors import PrevizError

console = Console()
err_console = Console(stderr=True)


class _PrevizGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PrevizError as error:
            err_console.print(
                Text("error: ", style="bold red") + Text(str(error)),
                soft_wrap=True,
                highlight=False,
            )
            sys.exit(2)
        except KeyboardInterrupt:
            err_console.print("interrupted; run the same command again to resume")
            sys.exit(130)


@click.group(cls=_PrevizGroup)
@click.version_option(package_name="previz")
def cli() -> None:
    """previz — shot list in, editable previz cut out."""
