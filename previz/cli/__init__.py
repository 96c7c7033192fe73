"""The ``previz`` command line: one module per command group, all registered on :data:`cli`.

:func:`main` first asks the stamp of an earlier identical ``previz build``
(:mod:`previz.cli.stamp`) whether there is anything to do, before the commands and the library
they use are imported; ``cli`` is imported when it is first used, and each command's module
when that command is looked up (:data:`previz.cli.app.COMMAND_MODULES`).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import typing

from previz import collector
from previz.cli import stamp

KEEPS_CODE = frozenset({"build", "export", "review", "boards", "conform"})
"""The commands whose dataclass code is kept between runs (:mod:`previz.dataclass_code`)."""

if typing.TYPE_CHECKING:
    from previz.cli.app import cli

__all__ = ["cli", "main", "run", "run_here"]


def _commands() -> typing.Any:
    from previz.cli.app import cli

    return cli


def run() -> None:
    """Entry point of the ``previz`` console script and of ``python -m previz``: :func:`main`,
    then the process ends with every object the command made left frozen (:func:`gc.freeze`)
    and, when this is the program's last act, without tearing the interpreter down
    (:func:`previz.cli.ending.end`).

    The interpreter's last collections, as the process exits, scan every object the cycle
    collector tracks — the imported command and the whole build: ~0.15 s of CPU after a
    one-shot build of 200 shots returned, to free memory the operating system takes back
    whole anyway. Frozen, they are not scanned. Called by the program's top level, the
    process then ends as the interpreter would end it, less the teardown: the ``atexit``
    handlers run, the standard streams are flushed, the exit status is ``sys.exit``'s. (A
    file is never left to the interpreter to close: previz writes each one in a ``with``
    block or in one call.) Called by anything else, the interpreter ends it as always, and
    :func:`main` itself leaves the collector as it found it, for a program that calls it.

    An unchanged build is answered by its stamp, and a command may run in the build server
    (:mod:`previz.cli.serving`) instead of this process: then this process exits with its
    status."""
    caller = sys._getframe(1)
    argv = sys.argv[1:]
    stop: SystemExit | None = None
    try:
        if not _answered(argv):
            run_here(argv, replay=False)
    except SystemExit as exit:
        stop = exit
    finally:
        gc.freeze()
    from previz.cli import ending

    exit_status = 0 if stop is None else ending.status(stop.code)
    if exit_status is not None and ending.is_process_entry(caller):
        ending.end(exit_status)
    if stop is not None:
        raise stop


def main() -> None:
    """The ``previz`` command line, run with :data:`sys.argv` (exits on an error)."""
    run_here(sys.argv[1:])


def _answered(argv: list[str]) -> bool:
    """Whether the command was answered without running here: by an earlier build's stamp, or
    by the build server (then its exit status is raised, as :class:`SystemExit`)."""
    if argv[:1] == ["build"] and stamp.replay(argv):
        return True
    from previz.cli import serving  # the standard library only

    served = serving.delegate(argv)
    if served is None:
        return False
    raise SystemExit(served)


def run_here(argv: list[str], *, replay: bool = True, keep_code: bool = True) -> None:
    """Run the command line ``argv`` in this process (exits on an error); an unchanged build
    answered by its stamp when ``replay``; the dataclass code kept between runs when
    ``keep_code`` (not in a build server's command, whose every module is imported already)."""
    if replay and argv[:1] == ["build"] and stamp.replay(argv):
        return
    from previz import dataclass_code  # not before: an answered build imports no more
    from previz.products import products_dir

    # The kept code is read before the stamp notes reads and written after it stops: like
    # bytecode, it follows from the modules' sources, which the stamp holds by identity.
    # Only for the commands that build or write (a help or a listing leaves no file behind).
    keeping = (
        dataclass_code.kept(products_dir() / dataclass_code.FOLDER)
        if keep_code and argv[:1] and argv[0] in KEEPS_CODE
        else contextlib.nullcontext()
    )
    with keeping:
        if argv[:1] == ["build"]:
            stamp.record(argv)
        thawed = gc.get_freeze_count() == 0
        try:
            group = _load(argv)
            with collector.spaced():
                group()
        finally:
            stamp.stop()
            if thawed:  # as it was, for a program (a test) that called main() itself
                gc.unfreeze()


def _load(argv: list[str]) -> typing.Any:
    """The command group, with the invoked command's module imported and frozen.

    Importing a command brings ~100,000 objects that live as long as the process (modules,
    classes, functions, schemas); the cycle collector scanned them again and again as they
    piled up and after (~50 ms of a ``previz build``). They are imported with the collector
    paused, then frozen (:func:`gc.freeze`): later collections look only at what the command
    allocates. Only :func:`main` does this, and thaws them when the command returns; a
    program using :data:`cli` keeps its collector as it was.
    """
    with collector.paused():
        group = _commands()
        if argv:
            from previz.cli.app import COMMAND_MODULES, load_command

            if argv[0] in COMMAND_MODULES:  # a command: its models are built as it is imported
                from previz import entry_points

                entry_points.no_pydantic_plugins()
            load_command(argv[0])
        gc.freeze()
    return group


def __getattr__(name: str) -> typing.Any:
    """``cli``: the command group; a command's module is imported when it is looked up."""
    if name == "cli":
        return _commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
