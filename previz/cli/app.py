"""The ``previz`` command group and the one place errors become exit statuses.

Each command module decorates a function with ``@cli.command()``; commands parse their
arguments, call one library function, and print. A :class:`~previz.errors.PrevizError` becomes
one readable message on stderr and exit status 2 — never a traceback.

A command's module is imported when the command is looked up (:data:`COMMAND_MODULES`), so
``previz build`` loads the build and what it uses, not the conform reader or the review
boards; ``previz --help`` looks every command up, and lists them all with their help.
"""

from __future__ import annotations

import importlib
import sys

import click
from rich.console import Console
from rich.text import Text

from previz.errors import PrevizError

console = Console()
err_console = Console(stderr=True)

COMMAND_MODULES = {
    "backends": "generate", "build": "generate", "cache": "generate", "cost": "generate",
    "log": "generate", "select": "generate",
    "boards": "review", "notes": "review", "review": "review", "shotlist": "review",
    "conform": "conform",
    "export": "export",
    "server": "server_commands",
    "import": "scene", "init": "scene", "prompts": "scene", "schema": "scene",
    "validate": "scene",
}  # fmt: skip
"""Each command and the module of :mod:`previz.cli` that registers it."""


def load_command(name: str) -> None:
    """Import the module that registers the command ``name``, if there is one."""
    if name in COMMAND_MODULES:
        importlib.import_module(f"previz.cli.{COMMAND_MODULES[name]}")


class _PrevizGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

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
