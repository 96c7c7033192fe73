"""``previz server start|stop|status``: the build server of this interpreter
(:mod:`previz.cli.serving`)."""

from __future__ import annotations

import contextlib
import datetime
import socket
from pathlib import Path
from typing import Any

import click

from previz.cli import server_place, server_wire, serving
from previz.cli.app import cli, console
from previz.errors import PrevizError


@cli.group(name="server")
def server_group() -> None:
    """The build server: a warm process each command is forked from, so it starts at once.

    Used at a terminal by default; PREVIZ_SERVER=on uses it everywhere, PREVIZ_SERVER=off never.
    It ends after PREVIZ_SERVER_IDLE seconds without a command (default 900), or when previz or a
    library it imported is updated."""


@server_group.command(name="start")
def start_command() -> None:
    """Start this interpreter's build server (if none runs) and wait until it is ready."""
    path = _path()
    connection = server_place.connect(path, start=True, retry=True)
    if connection is None:
        said = ""
        with contextlib.suppress(OSError):
            said = server_place.log_path(path).read_text(errors="replace").strip()[-2000:]
        raise PrevizError(
            f"the build server could not start at {path}" + (f":\n{said}" if said else "")
        )
    _show(_asked(connection, "status"), path)


@server_group.command(name="stop")
@click.option("--all", "every", is_flag=True, help="Stop every build server of yours here.")
def stop_command(every: bool) -> None:
    """Stop this interpreter's build server (the commands it runs finish first)."""
    path = _path()
    stopped = [found for found in (_others(path) if every else [path]) if _ask(found, "stop")]
    for found in stopped:
        console.print(f"stopped the build server at {found}")
    if not stopped:
        console.print("no build server runs")


@server_group.command(name="status")
def status_command() -> None:
    """Say whether this interpreter's build server runs, since when and what it did; and
    which other servers of yours run (another interpreter, variables, limits)."""
    path = _path()
    answer = _ask(path, "status")
    if answer is None:
        console.print(f"no build server runs (it would listen at {path}; {serving.SERVER_ENV}="
                      f"{serving.mode()})")  # fmt: skip
    else:
        _show(answer, path)
    for other in _others(path):
        if other != path and (elsewhere := _ask(other, "status")) is not None:
            console.print(
                f"also: build server {elsewhere['pid']} at {other} (another interpreter or "
                "settings; `previz server stop --all` stops it)"
            )


def _others(path: Path) -> list[Path]:
    return sorted(path.parent.glob("server-*.sock"))


def _path() -> Path:
    path = server_place.socket_path()
    if path is None:
        raise PrevizError(
            "no private folder for the build server's socket: set XDG_RUNTIME_DIR to a folder "
            "only you may enter"
        )
    return path


def _ask(path: Path, op: str) -> dict[str, Any] | None:
    connection = server_place.connect(path, start=False)
    return None if connection is None else _asked(connection, op)


def _asked(connection: socket.socket, op: str) -> dict[str, Any] | None:
    """The server's answer to ``op`` on ``connection`` (closed after), None if none came."""
    with connection:
        try:
            server_wire.send(connection, {"op": op})
            return server_wire.Channel(connection).receive()
        except (OSError, EOFError, ValueError):
            return None


def _show(answer: dict[str, Any] | None, path: Path) -> None:
    if answer is None or "pid" not in answer:
        raise PrevizError(f"the build server at {path} did not answer")
    since = datetime.datetime.fromtimestamp(float(answer["started"])).isoformat(timespec="seconds")
    console.print(
        f"build server {answer['pid']} at {path}: up since {since}, "
        f"{answer['commands']} command(s) run, {answer['running']} running, "
        f"{float(answer.get('cpu', 0.0)):.2f} s CPU"
    )
