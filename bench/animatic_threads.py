"""Benchmark: the animatic's Python on a one-shot change — thread CPU of its two threads.

Edits shot 17's action text in a kept 200-shot project (``bench/rebuild.py --keep DIR``) and
runs ``previz build`` in-process; ``write_animatic`` (the joiner thread: playout, keys, the
parts' tables, the join) and ``encode_soundtrack`` (the sound thread) are timed with
``time.thread_time`` — their own CPU, not their ffmpeg runs'. With ``--baseline TREE`` (a
checkout of another commit) each round runs that tree first (= 1.00), then this one,
alternating; best and median of the rounds.

Usage: ``.venv/bin/python bench/animatic_threads.py DIR [--baseline TREE] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUND = """
import compileall, importlib.util, sys, time
from pathlib import Path
compileall.compile_dir(list(importlib.util.find_spec("previz").submodule_search_locations)[0],
                       quiet=1)
import previz.cli, previz.build_outputs as p, previz.media.sequence as s
found = {}
def timed(name, f):
    def run(*a, **k):
        t = time.thread_time()
        try:
            return f(*a, **k)
        finally:
            found[name] = time.thread_time() - t
    return run
p.write_animatic = timed("joiner", p.write_animatic)
s.encode_soundtrack = timed("sound", s.encode_soundtrack)
scene = Path(sys.argv[1]) / "scene.yaml"
sys.argv = ["previz", "build", str(scene), "--out", str(scene.parent / "out")]
try:
    previz.cli.main()
except SystemExit:
    pass
print("RESULT", found["joiner"], found["sound"], previz.__file__)
"""


def edit(project: Path) -> None:
    scene = project / "scene.yaml"
    text = scene.read_text()
    found = re.search(r"Beat 17, played faster\.( v\d+)?", text)
    if found is None:
        raise SystemExit(f"{scene}: not a bench/rebuild.py project (no shot 17 text)")
    mark = f"Beat 17, played faster. v{time.time_ns() % 10**9}"
    scene.write_text(text[: found.start()] + mark + text[found.end() :])


def one_round(project: Path, tree: Path | None) -> tuple[float, float]:
    edit(project)
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    run = subprocess.run(
        [sys.executable, "-c", ROUND, str(project)], env=env, capture_output=True, text=True,
        check=False, cwd=project,  # not this checkout: "-c" puts the working folder first

    )  # fmt: skip
    if run.returncode:
        raise SystemExit(f"the build failed:\n{run.stderr[-2000:]}")
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT"))
    if tree is not None and not line.split()[3].startswith(str(tree.resolve())):
        raise SystemExit(f"the baseline round imported {line.split()[3]}, not {tree}")
    joiner, sound = (float(v) for v in line.split()[1:3])
    return joiner, sound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--baseline", type=Path, help="another checkout's root (= 1.00)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trees = (
        [("baseline", args.baseline), ("this tree", None)]
        if args.baseline
        else [("this tree", None)]
    )
    results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in trees}
    for _ in range(args.rounds):
        for name, tree in trees:
            results[name].append(one_round(args.project, tree))
    base = None
    for name, rounds in results.items():
        totals = [j + s for j, s in rounds]
        best, median = min(totals), statistics.median(totals)
        base = base or median
        joiner = statistics.median(j for j, _ in rounds)
        sound = statistics.median(s for _, s in rounds)
        print(f"{name:<10} joiner {joiner * 1000:6.1f} ms  sound {sound * 1000:5.1f} ms  "
              f"both: best {best * 1000:6.1f} ms, median {median * 1000:6.1f} ms "
              f"({median / base:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
