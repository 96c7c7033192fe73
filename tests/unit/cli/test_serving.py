"""Where the build server listens, whom it is for, and when it steps aside (no server runs)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from previz.cli import server_place, server_wire, serving
from previz.cli.server_warm import Fingerprint


def test_a_folder_others_may_enter_never_holds_the_socket(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    assert server_place.private_folder(shared) is None
    assert server_place.private_folder(tmp_path / "mine") == tmp_path / "mine"


def test_the_socket_falls_back_to_the_temporary_folder_when_the_runtime_one_is_shared(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path_factory.mktemp("t")  # a short name: a socket's path holds 108 bytes
    shared = tmp_path / "run"
    shared.mkdir()
    (shared / "previz").mkdir(mode=0o777)
    (shared / "previz").chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    found = server_place.socket_path()
    assert found is not None and found.parent == tmp_path / f"previz-{server_place._uid()}"


def test_another_python_setting_names_another_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    before = server_place.key()
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    assert server_place.key() != before


def test_an_unknown_server_setting_runs_the_command_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(serving.SERVER_ENV, "sometimes")
    assert not serving.wanted(["build", "scene.yaml"])


def test_an_edited_module_the_server_imported_makes_it_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "served_helper.py"
    module.write_text("VALUE = 1\n")
    imported = types.ModuleType("served_helper")
    imported.__file__ = str(module)
    monkeypatch.setitem(sys.modules, "served_helper", imported)
    taken = Fingerprint(since=time.time_ns())
    assert not taken.changed()
    module.write_text("VALUE = 2\n")
    assert taken.changed()


def test_a_library_installed_on_the_path_makes_the_server_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    taken = Fingerprint(since=time.time_ns())
    (tmp_path / "brotli-1.1.dist-info").mkdir()  # one the server found missing as it imported
    (tmp_path / "brotli.py").write_text("")
    assert taken.changed()


def test_a_file_saved_into_a_folder_on_the_path_leaves_the_server_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    taken = Fingerprint(since=time.time_ns())
    (tmp_path / ".scene.yaml.swp").write_text("shots: []")
    (tmp_path / ".scene.yaml.swp").rename(tmp_path / "scene.yaml")  # an editor's save
    (tmp_path / "out").mkdir()  # a build's output folder
    assert not taken.changed()


def test_a_server_that_failed_to_start_is_not_started_again_at_once(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path_factory.mktemp("f")
    python = folder / "python"  # an interpreter that notes each start, then fails
    python.write_text(f"#!/bin/sh\necho started >> {folder / 'starts'}\nexit 1\n")
    python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(python))
    path = folder / "server.sock"
    assert server_place.connect(path, start=True) is None
    assert server_place.connect(path, start=True) is None
    assert (folder / "starts").read_text() == "started\n"
    assert server_place.connect(path, start=True, retry=True) is None  # previz server start
    assert (folder / "starts").read_text() == "started\nstarted\n"


def test_two_messages_read_at_once_are_both_taken() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        server_wire.send(theirs, {"pid": 1})
        server_wire.send(theirs, {"status": 3})
        channel = server_wire.Channel(ours)
        assert channel.receive() == {"pid": 1}
        assert channel.receive() == {"status": 3}


def test_a_command_under_nice_is_served_by_a_server_started_under_nice() -> None:
    code = "from previz.cli import server_place; print(server_place.key())"
    said = subprocess.run(
        ["nice", "-n", "5", sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert said != server_place.key()
