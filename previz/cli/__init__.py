"""The ``previz`` command line: one module per command group, all registered on :data:`cli`.

:func:`main` first asks the stamp of an earlier identical ``previz build``
(:mod:`previz.cli.stamp`) whether there is anything to do, before the commands and the library
they use are imported; ``cli`` is imported when it is first used, and each command's module
when that command is looked up (:data:`previz.cli.app.COMMAND_MODULES`).
"""

from __future__ import annotations

import sys
import typing

from previz.cli import stamp

if typing.TYPE_CHECKING:
    from previz.cli.app import cli

__all__ = ["cli", "main"]


def _commands() -> typing.Any:
    from previz.cli.app import cli

    return cli


def main() -> None:
    """Entry point of the ``previz`` console script."""
    argv = sys.argv[1:]
    if argv[:1] == ["build"]:
        if stamp.replay(argv):
            return
        stamp.record(argv)
    try:
        _commands()()
    finally:
        stamp.stop()


def __getattr__(name: str) -> typing.Any:
    """``cli``: the command group; a command's module is imported when it is looked up."""
    if name == "cli":
        return _commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
