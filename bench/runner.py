"""Generation runner throughput: concurrency efficiency, and a rebuild that is all cache hits.

1. Efficiency — ``--jobs`` jobs through a fake remote service (and a fake local renderer) with
   a fixed ``--latency`` per clip and a concurrency limit of ``--concurrency``. The ideal wall
   time is ``ceil(jobs / concurrency) × latency``; efficiency = ideal / measured.
   Target (issue 4): ≥ 0.95 at 64 jobs.
2. No-op rebuild — ``--rebuild-jobs`` jobs already in the cache, run again: the time from
   ``run_jobs`` call to report, and the backend calls made. Target: 0 calls, < 2 s at 200 jobs.
3. No-op rebuild of a 200-shot scene file — the same, from the scene file: load, validate,
   compile prompts, plan and run, with every take already cached.

Runs against the real cache, journal and media probing in a temporary project folder.

    python bench/runner.py [--jobs 64] [--concurrency 8] [--latency 0.5] [--rebuild-jobs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from bench.compile import scene_text
from previz.generate import Cache, Journal, run_jobs
from previz.generate.plan import plan_jobs
from previz.shotlist import load
from tests.fakes.backend import (
    FakeLocalBackend,
    FakeRemoteBackend,
    jobs_for,
    make_tiny_clip,
)


async def efficiency(
    folder: Path, backend: FakeRemoteBackend | FakeLocalBackend, jobs: int, concurrency: int
) -> tuple[float, float, int]:
    """(measured seconds, ideal seconds, peak in flight) for ``jobs`` fresh jobs."""
    shots = [f"{backend.name}-{i:03d}" for i in range(jobs)]
    with Journal(folder / "journal.sqlite") as journal:
        start = time.perf_counter()
        report = await run_jobs(
            jobs_for(shots, backend=backend.name),
            {backend.name: backend},
            cache=Cache(folder / "cache"),
            journal=journal,
            workdir=folder / "work",
        )
        measured = time.perf_counter() - start
    assert report.generated == jobs and report.ok, report.failures
    ideal = math.ceil(jobs / concurrency) * backend.latency
    return measured, ideal, backend.meter.peak


async def noop_rebuild(folder: Path, clip: Path, jobs: int) -> tuple[float, int, int]:
    """(seconds, clips, backend calls) for a rebuild of ``jobs`` jobs that are all cached."""
    warm = FakeLocalBackend(clip, latency=0.0, max_concurrency=16)
    planned = jobs_for([f"shot-{i:03d}" for i in range(jobs)], backend=warm.name)
    cache = Cache(folder / "cache")
    with Journal(folder / "journal.sqlite") as journal:
        await run_jobs(planned, {warm.name: warm}, cache=cache, journal=journal, workdir=folder)
        cold = FakeLocalBackend(clip, latency=0.0, max_concurrency=16)
        start = time.perf_counter()
        report = await run_jobs(
            planned, {cold.name: cold}, cache=cache, journal=journal, workdir=folder / "work"
        )
        seconds = time.perf_counter() - start
    return seconds, len(report.clips), cold.calls["render"]


async def scene_rebuild(folder: Path, clip: Path, shots: int) -> tuple[float, int, int]:
    """(seconds, clips, backend calls) to load, plan and run a cached ``shots``-shot scene."""
    folder.mkdir(parents=True, exist_ok=True)
    scene = folder / "scene.yaml"
    scene.write_text(scene_text(shots))

    async def rebuild(backend: FakeLocalBackend) -> tuple[int, int]:
        shotlist = load(scene)
        backends = {"animatic": backend}
        with Journal(folder / "journal.sqlite") as journal:
            report = await run_jobs(
                plan_jobs(shotlist, backends),
                backends,
                cache=Cache(folder / "cache"),
                journal=journal,
                workdir=folder / "work",
            )
        return len(report.clips), backend.calls["render"]

    await rebuild(FakeLocalBackend(clip, latency=0.0, max_concurrency=16))
    start = time.perf_counter()
    clips, calls = await rebuild(FakeLocalBackend(clip, latency=0.0, max_concurrency=16))
    return time.perf_counter() - start, clips, calls


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--rebuild-jobs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="previz-bench-runner-") as tmp:
        root = Path(tmp)
        clip = make_tiny_clip(root / "tiny.mp4")
        for backend in (
            FakeRemoteBackend(clip, latency=args.latency, max_concurrency=args.concurrency),
            FakeLocalBackend(clip, latency=args.latency, max_concurrency=args.concurrency),
        ):
            measured, ideal, peak = await efficiency(
                root / backend.name, backend, args.jobs, args.concurrency
            )
            print(
                f"{backend.name:12} {args.jobs} jobs, concurrency {args.concurrency}, "
                f"latency {args.latency:g}s: {measured:.3f}s vs ideal {ideal:.3f}s "
                f"→ efficiency {ideal / measured:.3f} (peak in flight {peak}; target ≥ 0.95)"
            )
        seconds, clips, calls = await noop_rebuild(root / "rebuild", clip, args.rebuild_jobs)
        print(
            f"no-op rebuild  {args.rebuild_jobs} cached jobs: {seconds:.3f}s, {clips} clips, "
            f"{calls} backend calls (target < 2 s, 0 calls)"
        )
        seconds, clips, calls = await scene_rebuild(root / "scene", clip, args.rebuild_jobs)
        print(
            f"no-op rebuild  {args.rebuild_jobs}-shot scene file (load, compile, plan, run): "
            f"{seconds:.3f}s, {clips} clips, {calls} backend calls (target < 2 s, 0 calls)"
        )


if __name__ == "__main__":
    asyncio.run(main())
