"""Benchmark: the serial phase of a one-shot change, this tree against a base tree, alternated.

A one-shot ``previz build`` runs on one core until it forks its export workers (imports, load,
plan, cache lookups, the run, placing the takes, assembling the cut): every second of that is a
second of wall time. This bench measures it through the CLI (``python -m previz build``, every
default export) on a copy of a built project per tree (``bench/rebuild.py --keep DIR`` makes
one), editing one shot's action before each build, alternating the base tree (``git archive
REF`` or a folder holding one, on ``PYTHONPATH``) and this one in the same minutes (the
machine's speed swings). Per build, CPU of the build's own process (``time.process_time`` in
it): when the command's module was imported, when the export workers are about to be started
(``PendingExport``: the serial phase), at its exit; and the CPU of the build with every process
it started. Printed: each figure's best and median per tree, and the ratio this ÷ base.

Usage: ``.venv/bin/python bench/serial.py PROJECT [--base REF|FOLDER] [--rounds 6]``
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import atexit, json, os, sys, time
marks = {}
atexit.register(lambda: open(os.environ["SERIAL_MARKS"], "w").write(json.dumps(
    {**marks, "exit": time.process_time()})))
sys.argv = ["previz", *sys.argv[1:]]
import previz.cli, previz.cli.app as app
load = app.load_command
def loaded(name):
    load(name)
    marks["imported"] = time.process_time()
    from previz.timeline import export
    start = export.PendingExport.__init__
    def starting(self, *args, **kwargs):
        marks.setdefault("serial", time.process_time())
        start(self, *args, **kwargs)
    export.PendingExport.__init__ = starting
app.load_command = loaded
previz.cli.run()
"""
FIGURES = ("imported", "serial", "exit", "all")


def edit(scene: Path) -> None:
    """Give one shot's action a new ending (a one-shot change)."""
    text = scene.read_text(encoding="utf-8")
    found = re.search(r"(Beat 17\b[^\n]*?)( v\d+)?\n", text)
    if found is None:
        raise SystemExit(f"{scene}: no 'Beat 17' action to edit (use a bench/rebuild.py project)")
    tail = found.end(2) if found[2] else found.end(1)
    stamp = f" v{time.time_ns() % 10**9}"
    scene.write_text(text[: found.end(1)] + stamp + text[tail:], encoding="utf-8")


def build(tree: Path, project: Path, marks: Path) -> dict[str, float]:
    """One one-shot build of ``project`` with previz from ``tree``; its CPU figures."""
    edit(project / "scene.yaml")
    env = {**os.environ, "PYTHONPATH": str(tree), "SERIAL_MARKS": str(marks)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-c", PROBE, "build", str(project / "scene.yaml"),
               "--out", str(project / "out")]  # fmt: skip
    subprocess.run(command, env=env, cwd=project, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(marks.read_text())
    figures["all"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="a built project (bench/rebuild.py --keep)")
    parser.add_argument("--base", default="main", help="git ref or folder of the base tree")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="previz-serial-") as scratch:
        work = Path(scratch)
        base = Path(args.base) if Path(args.base).is_dir() else work / "base"
        if base == work / "base":
            base.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base],
                                     check=True, capture_output=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        trees = {"base": base, "this": ROOT}
        projects = {}
        for name, tree in trees.items():
            compileall.compile_dir(tree / "previz", quiet=1)  # as pip install does
            projects[name] = work / f"project-{name}"
            shutil.copytree(args.project, projects[name], symlinks=True)
            build(tree, projects[name], work / "marks.json")  # warm: memos of this tree
        results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                results[name].append(build(tree, projects[name], work / "marks.json"))
    print(f"one-shot change, {args.rounds} alternated rounds, CPU seconds (best / median)")
    print(f"{'':>10}" + "".join(f"{f:>18}" for f in FIGURES))
    for name, rows in results.items():
        cells = [f"{min(r[f] for r in rows):.3f} / {statistics.median(r[f] for r in rows):.3f}"
                 for f in FIGURES]  # fmt: skip
        print(f"{name:>10}" + "".join(f"{c:>18}" for c in cells))
    ratios = [min(r[f] for r in results["this"]) / min(r[f] for r in results["base"])
              for f in FIGURES]  # fmt: skip
    print(f"{'this÷base':>10}" + "".join(f"{r:>18.2f}" for r in ratios))


if __name__ == "__main__":
    main()
