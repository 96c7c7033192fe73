"""Benchmark: what a rebuild costs — first build, no-op, one-shot change, one-character change.

A generated 200-shot scene (``bench/scenes.py``: animatic backend, 160x90, 1–2 s shots, every
default export) is built through the CLI (``python -m previz build``) four times in a fresh
project folder:

1. first build — every shot rendered, the animatic joined, every export written;
2. no-op rebuild — nothing changed (twice: the first no-op's run summary differs from the
   first build's — "generated" became "cached" — so ``build.json`` and the review page that
   shows it change once; that build settles and leaves its stamp (``previz.cli.stamp``), so the
   second is answered from the stamp), then once more with the scene file touched (same text:
   the stamp compares its content hash);
3. one-shot change — one shot's action edited (that shot renders again);
4. one-character change — one character's description edited (a third of the shots render);
5. one-shot change in the build server — another shot edited, the command forked from a warm
   server (``PREVIZ_SERVER=on``, :mod:`previz.cli.serving`; its start-up is printed apart) — as
   at a terminal, where the server is used by default. Its CPU is the client's plus what the
   server counted for the command (``previz server status``).

Each is printed with its wall time and its CPU time (the build and every process it started:
export workers, ffmpeg), each as a ratio to the first build measured in the same run, and the
files in the output folder it rewrote (compared by inode, mtime and size). On a shared machine
the CPU figures are the steadier ones (the in-process no-op's CPU is the parent's only). Also
in the same run: the CLI's start-up (``python -m previz --help``), so a no-op's own cost shows apart
from the interpreter importing the library, and a no-op through ``previz.build`` in-process.
Targets (issue 15): no-op < 1 s with 0 files rewritten; one-shot change < 1 s plus that
shot's render. So the changed shot is then rendered alone, in this process, through the same
animatic backend (its job planned from the edited scene, best of three, the backend's CPU
including ffmpeg and espeak-ng), and the one-shot change's overhead beyond it is printed:
overhead = the build's CPU (wall) − that render's CPU (wall).

previz's bytecode is compiled first (as ``pip install`` does; ``--no-bytecode`` leaves an
editable install as it is, compiling its modules from source on every run when
``PYTHONDONTWRITEBYTECODE`` is set).

Usage: ``.venv/bin/python bench/rebuild.py [--shots 200] [--keep DIR] [--no-bytecode]``
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import importlib.util
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenes import rebuild_scene

Snapshot = dict[str, tuple[int, int, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every file under ``folder`` with its (inode, mtime_ns, size)."""
    files: Snapshot = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            files[str(path.relative_to(folder))] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return files


def rewritten(before: Snapshot, after: Snapshot) -> list[str]:
    """Files new or changed between two snapshots."""
    return sorted(name for name, seen in after.items() if before.get(name) != seen)


def timed(args: list[str], cwd: Path, environ: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the command and every process it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=environ)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_bytecode() -> str:
    """Compile the package's bytecode, as ``pip install`` does, so the CLI's start-up is what an
    installed previz pays: an editable install under ``PYTHONDONTWRITEBYTECODE=1`` (this dev
    environment) compiles ~140 modules from source on every run (~0.3 s CPU)."""
    spec = importlib.util.find_spec("previz")
    assert spec is not None and spec.submodule_search_locations
    (folder,) = spec.submodule_search_locations
    compileall.compile_dir(folder, quiet=1)
    return folder


def render_alone(scene: Path, text: str) -> tuple[float, float]:
    """Wall and CPU seconds (best of three) of rendering the shot whose prompt holds ``text``
    alone through its backend, as the build renders it (no cache, no timeline, no exports)."""
    from previz.pipeline import backends_for, plan_jobs
    from previz.scripting import resolve_scene

    shotlist = resolve_scene(scene, caller="bench")
    backends = backends_for(shotlist)
    (job,) = [job for job in plan_jobs(shotlist, backends) if text in job.prompt]
    best = (float("inf"), float("inf"))
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix="previz-bench-shot-") as workdir:
            cpu_began, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            asyncio.run(backends[job.backend].render(job, Path(workdir)))
            wall = time.perf_counter() - began
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = time.process_time() - cpu_began
            cpu += (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
            best = min(best[0], wall), min(best[1], cpu)
    return best


def shot_alone(scene: Path, text: str, spent: float, cpu: float) -> None:
    """Print the changed shot's own render and the one-shot change's overhead beyond it."""
    render_wall, render_cpu = render_alone(scene, text)
    print(
        f"{'  its shot alone':<21} {render_wall:7.2f} s wall, {render_cpu:7.2f} s CPU "
        "(rendered through its backend, best of 3)"
    )
    print(
        f"{'  overhead':<21} {spent - render_wall:7.2f} s wall, {cpu - render_cpu:7.2f} s CPU "
        "(the one-shot change minus its shot's render; target < 1 s)"
    )


def served(build: list[str], root: Path, scene: Path) -> None:
    """The one-shot change again (another shot), run by the build server."""
    server = [sys.executable, "-m", "previz", "server"]
    with tempfile.TemporaryDirectory(prefix="previz-bench-run-") as runtime:
        environ = {**os.environ, "PREVIZ_SERVER": "on", "XDG_RUNTIME_DIR": runtime}
        spent, cpu = timed([*server, "start"], root, environ)
        print(f"{'build server start-up':<21} {spent:7.2f} s wall (once, then it serves)")
        try:
            before = server_cpu(server, root, environ)
            edit = ("Beat 18 of the scene.", "Beat 18, played faster.")
            scene.write_text(scene.read_text().replace(*edit), encoding="utf-8")
            spent, cpu = timed(build, root, environ)
            cpu += server_cpu(server, root, environ) - before
            print(f"{'one-shot, server':<21} {spent:7.2f} s wall, {cpu:7.2f} s CPU")
            shot_alone(scene, edit[1], spent, cpu)
        finally:
            subprocess.run([*server, "stop"], cwd=root, env=environ, stdout=subprocess.DEVNULL)


def server_cpu(server: list[str], root: Path, environ: dict[str, str]) -> float:
    """The CPU seconds of the commands the build server ran so far."""
    said = subprocess.run(
        [*server, "status"], cwd=root, env={**environ, "COLUMNS": "200"}, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    found = re.search(r"([0-9.]+) s CPU", said)
    assert found, said
    return float(found[1])


def summary(names: list[str]) -> str:
    """Rewritten files, grouped: clips/ and stems/ counted, the rest named."""
    counts: dict[str, int] = {}
    named: list[str] = []
    for name in names:
        folder = name.split("/", 1)[0] if "/" in name else None
        if folder:
            counts[folder] = counts.get(folder, 0) + 1
        else:
            named.append(name)
    parts = [f"{n} in {folder}/" for folder, n in sorted(counts.items())] + named
    return ", ".join(parts) if parts else "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build here and keep the project")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="do not compile previz's bytecode first (measure an editable install as it is)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="previz-bench-rebuild-") as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        scene, out = root / "scene.yaml", root / "out"
        scene.write_text(rebuild_scene(args.shots), encoding="utf-8")
        build = [sys.executable, "-m", "previz", "build", str(scene), "--out", str(out)]
        if not args.no_bytecode:
            print(f"bytecode compiled first, as pip install does: {compile_bytecode()}")
        startup, startup_cpu = timed([sys.executable, "-m", "previz", "--help"], root)
        steps = [
            ("first build", None),
            ("no-op rebuild", None),
            ("no-op again", None),
            ("no-op, scene touched", ("", "")),
            ("one-shot change", ("Beat 17 of the scene.", "Beat 17, played faster.")),
            ("one-character change", ("a boy in a yellow raincoat", "a boy in a red raincoat")),
        ]
        first = first_cpu = 0.0
        print(f"{args.shots}-shot scene, animatic backend, every default export")
        print(
            f"CLI start-up (python -m previz --help): {startup:6.2f} s wall, "
            f"{startup_cpu:5.2f} s CPU"
        )
        for label, edit in steps:
            if edit == ("", ""):
                scene.touch()
            elif edit is not None:
                scene.write_text(scene.read_text().replace(*edit), encoding="utf-8")
            before = snapshot(out) if out.exists() else {}
            spent, cpu = timed(build, root)
            first, first_cpu = first or spent, first_cpu or cpu
            changed = rewritten(before, snapshot(out))
            print(
                f"{label:<21} {spent:7.2f} s wall {spent / first:6.3f}x, {cpu:7.2f} s CPU "
                f"{cpu / first_cpu:6.3f}x first build  "
                f"{len(changed):4d} file(s) rewritten: {summary(changed)}"
            )
            if label == "one-shot change":
                shot_alone(scene, "Beat 17, played faster.", spent, cpu)
        served(build, root, scene)
        import previz  # in-process: no interpreter start-up, no imports

        before = snapshot(out)
        began, cpu_began = time.perf_counter(), time.process_time()
        previz.build(scene, out=out)
        spent, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        changed = rewritten(before, snapshot(out))
        print(
            f"{'no-op, in-process':<21} {spent:7.2f} s wall {spent / first:6.3f}x, "
            f"{cpu:7.2f} s CPU "
            f"{cpu / first_cpu:6.3f}x first build  "
            f"{len(changed):4d} file(s) rewritten: {summary(changed)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
