"""Commands run in the build server (:mod:`previz.cli.server`) behave as in their own process.

Every command here is a real ``python -m previz`` process, the client; one server per module
(it imports everything once, ~2 s) listens in a private folder of the test's. What ran in the
server is told by the server's own count of the commands it ran.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

SCENE = """\
schema_version: 1
project: {title: Served, fps: 24, resolution: 160x90, templates: templates}
characters:
  - {id: ana, name: Ana, description: a woman with red hair, references: [ana.png]}
scenes:
  - id: sc1
    heading: INT. CAFE - DAY
    shots:
      - {id: s1, action: Ana waits., cast: [ana], duration: 12f}
      - {id: s2, action: Ana leaves., duration: 12f}
"""
SLOW = """\
import time

import previz

time.sleep(2.5)
project = previz.ProjectBuilder("Slow", fps=24, resolution="160x90")
project.scene("sc1", "INT. X - DAY").shot("s1", "A.", duration="12f")
"""
LONG = "\n".join(f"      - {{id: l{n}, action: Ana waits {n}., duration: 2s}}" for n in range(40))


class Previz:
    """The ``previz`` command line run in ``root``, the build server in ``runtime``."""

    def __init__(self, root: Path, runtime: Path) -> None:
        self.root, self.runtime = root, runtime

    def environ(self, **changes: str | None) -> dict[str, str]:
        environ = {**os.environ, "PREVIZ_SERVER": "on", "XDG_RUNTIME_DIR": str(self.runtime),
                   "PREVIZ_SERVER_IDLE": "60", "COLUMNS": "200"}  # fmt: skip
        for name, value in changes.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        return environ

    def run(self, *args: str, **changes: str | None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "previz", *args], cwd=self.root, env=self.environ(**changes),
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    def start(
        self, *args: str, ignoring: int | None = None, **changes: str | None
    ) -> subprocess.Popen[str]:
        def ignore() -> None:
            if ignoring is not None:
                signal.signal(ignoring, signal.SIG_IGN)

        return subprocess.Popen(
            [sys.executable, "-m", "previz", *args], cwd=self.root, env=self.environ(**changes),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ignore,
        )  # fmt: skip

    def server_pid(self) -> int:
        said = self.run("server", "status").stdout.split()
        return int(said[said.index("server") + 1])

    def served(self) -> tuple[int, int]:
        """How many commands the server ran, and how many run now."""
        status = self.run("server", "status")
        said = re.search(r"(\d+) command\(s\) run, (\d+) running", " ".join(status.stdout.split()))
        assert said, (status.stdout, status.stderr)
        return int(said[1]), int(said[2])

    def wait_running(self, count: int, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while self.served()[1] != count:
            assert time.monotonic() < deadline, f"never {count} running"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def previz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Previz]:
    root = tmp_path_factory.mktemp("served")
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    (root / "templates").mkdir()
    Image.new("RGB", (8, 8), "red").save(root / "ana.png")
    (root / "scene.yaml").write_text(SCENE, encoding="utf-8")
    (root / "long.yaml").write_text(SCENE + LONG + "\n", encoding="utf-8")
    (root / "slow.py").write_text(SLOW, encoding="utf-8")
    made = Previz(root, runtime)
    assert made.run("server", "start", PREVIZ_TEST_SECRET="sk-first-command").returncode == 0
    yield made
    made.run("server", "stop")


def test_a_build_in_the_server_writes_what_a_build_in_its_own_process_writes(
    previz: Previz,
) -> None:
    before = previz.served()[0]
    served = previz.run("build", "scene.yaml", "--out", "a", "-f", "otio")
    assert served.returncode == 0, served.stderr
    assert "2 generated" in served.stdout
    assert previz.served()[0] == before + 1
    alone = previz.run("build", "scene.yaml", "--out", "b", "-f", "otio", PREVIZ_SERVER="off")
    assert alone.returncode == 0, alone.stderr
    assert previz.served()[0] == before + 1
    again = previz.run("build", "scene.yaml", "--out", "a2", "-f", "otio")
    assert again.stdout.replace("a2", "b") == alone.stdout
    otio = (previz.root / "a2" / "timeline.otio").read_text(encoding="utf-8")
    for before, after in (('"a2/', '"b/'), ("/a2/", "/b/")):
        otio = otio.replace(before, after)
    assert otio == (previz.root / "b" / "timeline.otio").read_text("utf-8")


def test_a_broken_scene_in_the_server_exits_2_naming_the_line_without_a_traceback(
    previz: Previz,
) -> None:
    (previz.root / "broken.yaml").write_text(SCENE.replace("duration: 12f}", "duration: x}", 1))
    before = previz.served()[0]
    done = previz.run("build", "broken.yaml", "--out", "broken")
    assert done.returncode == 2
    assert "broken.yaml:9" in done.stderr
    assert "Traceback" not in done.stderr
    assert previz.served()[0] == before + 1


def test_a_bad_idle_setting_runs_the_command_on_its_own(previz: Previz) -> None:
    done = previz.run("validate", "scene.yaml", PREVIZ_SERVER_IDLE="15m")
    assert done.returncode == 0, done.stderr
    assert "PREVIZ_SERVER_IDLE='15m' is not a number of seconds" in done.stderr


def test_usage_in_the_server_names_the_program_as_it_was_run(previz: Previz) -> None:
    done = previz.run("build")
    assert done.returncode == 2
    assert "Usage: python -m previz build" in done.stderr


def test_each_command_in_the_server_sees_its_own_clients_environment(previz: Previz) -> None:
    with_key = previz.run("backends", RUNWAYML_API_SECRET="not-a-real-key")
    without = previz.run("backends", RUNWAYML_API_SECRET=None)
    runway = [line for line in with_key.stdout.splitlines() if "runway" in line]
    assert runway and runway[0].rstrip(" │").endswith("set")
    assert "missing: RUNWAYML_API_SECRET" in without.stdout


def test_ctrl_c_reaches_a_command_running_in_the_server(previz: Previz) -> None:
    client = previz.start("build", "long.yaml", "--out", "interrupted", "--cache-dir", "c1")
    previz.wait_running(1)
    time.sleep(0.5)
    client.send_signal(signal.SIGINT)
    _out, err = client.communicate(timeout=60)
    assert client.returncode == 130
    assert "interrupted; run the same command again to resume" in err
    assert previz.served()[1] == 0


def test_a_client_that_dies_hangs_its_command_up(previz: Previz) -> None:
    client = previz.start("validate", "slow.py")
    previz.wait_running(1)
    client.kill()
    client.wait()
    previz.wait_running(0, within=1.5)  # the script alone sleeps 2.5 s


def test_a_client_that_ignores_hangups_keeps_its_command_through_one(previz: Previz) -> None:
    client = previz.start("validate", "slow.py", ignoring=signal.SIGHUP)
    previz.wait_running(1)
    client.send_signal(signal.SIGHUP)
    out, err = client.communicate(timeout=60)
    assert client.returncode == 0, err
    assert "ok slow.py" in out


def test_a_command_writes_with_its_clients_umask_not_the_servers(previz: Previz) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "previz", "build", "scene.yaml", "--out", "private", "-f", "otio"],
        cwd=previz.root, env=previz.environ(), capture_output=True, text=True, umask=0o077,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((previz.root / "private" / "timeline.otio").stat().st_mode) == 0o600


def test_the_server_keeps_no_variable_of_the_command_that_started_it(previz: Previz) -> None:
    environ = Path(f"/proc/{previz.server_pid()}/environ")
    if not environ.exists():
        pytest.skip("no /proc on this system")
    assert b"sk-first-command" not in environ.read_bytes()


def test_a_command_whose_server_dies_still_ends_with_its_own_status(
    previz: Previz, tmp_path_factory: pytest.TempPathFactory
) -> None:
    alone = _own_server(previz, tmp_path_factory, "dies")
    try:
        client = alone.start("validate", "slow.py")
        alone.wait_running(1)
        os.kill(alone.server_pid(), signal.SIGKILL)
        out, err = client.communicate(timeout=60)
    finally:
        alone.run("server", "stop")  # if the test failed before its server was killed
    assert client.returncode == 0, err
    assert "ok slow.py" in out


def test_at_a_terminal_commands_run_in_the_server_with_the_terminals_colours(
    previz: Previz,
) -> None:
    before = previz.served()[0]
    main, terminal = os.openpty()
    client = subprocess.Popen(
        [sys.executable, "-m", "previz", "validate", "scene.yaml"], cwd=previz.root,
        env=previz.environ(PREVIZ_SERVER=None), stdin=terminal, stdout=terminal, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    said = b""
    while chunk := _read(main):
        said += chunk
    os.close(main)
    assert client.wait(timeout=60) == 0
    assert b"\x1b[32mok\x1b[0m scene.yaml" in said
    assert previz.served()[0] == before + 1


def test_without_a_terminal_commands_run_in_their_own_process(previz: Previz) -> None:
    before = previz.served()[0]
    done = previz.run("validate", "scene.yaml", PREVIZ_SERVER=None)
    assert done.returncode == 0
    assert previz.served()[0] == before


def test_an_idle_server_ends_and_takes_its_socket_away(
    previz: Previz, tmp_path_factory: pytest.TempPathFactory
) -> None:
    idle = _own_server(previz, tmp_path_factory, "idle", PREVIZ_SERVER_IDLE="0.5")
    deadline = time.monotonic() + 30
    while list(idle.runtime.glob("previz/*.sock")):
        assert time.monotonic() < deadline, "the idle server never ended"
        time.sleep(0.1)
    assert "no build server runs" in idle.run("server", "status").stdout


def _own_server(
    previz: Previz, tmp_path_factory: pytest.TempPathFactory, name: str, **changes: str
) -> Previz:
    """The project's commands with a server of their own, started (in a private folder)."""
    runtime = tmp_path_factory.mktemp(name)  # a short path: a socket's name holds 108 bytes
    runtime.chmod(0o700)
    made = Previz(previz.root, runtime)
    assert made.run("server", "start", **changes).returncode == 0
    return made


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal's other side closed
        return b""
