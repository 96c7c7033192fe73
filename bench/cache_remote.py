"""Resolving cached shots from a shared store: cold (empty local copy) and warm, against a folder.

``--shots`` takes (a real tiny MP4 and a sound stem each) are published to an S3-compatible
server (moto in server mode on 127.0.0.1, started here), then the runner plans a build of them —
the step that finds every take in the cache — three ways, each in a fresh process state:

1. baseline: the same takes in a plain local cache folder;
2. cold, serial: the shared store with an empty local copy, each take downloaded when the plan
   looks it up (what a build did before the prefetch);
3. cold: the same, as a build does it: the missing takes prefetched 8 at a time, then planned;
4. warm: the shared store with the local copy already filled (no download).

Printed: seconds for each (median of ``--repeat``) and the ratios to the baseline and
cold/warm. Figures on a loaded two-core machine vary; compare ratios from one run, not seconds
across runs.

    python bench/cache_remote.py [--shots 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from previz.backends.base import Job, RenderedMedia
from previz.generate import Cache, Journal, Provenance, job_key, plan_run
from previz.generate.shared import SharedCache, open_cache
from previz.generate.store import open_store
from previz.media import probe
from tests.fakes.backend import FakeRemoteBackend, jobs_for, make_tiny_clip
from tests.fakes.s3 import moto_server, s3_environment


def publish(cache: Cache, jobs: list[Job], backend: FakeRemoteBackend, clip: Path) -> None:
    """Put one take per job (video and a stem) into ``cache``, with probed facts reused."""
    facts = cache._probe(clip)
    work = Path(tempfile.mkdtemp())
    backends = {backend.name: backend}
    for job in jobs:
        shutil.copyfile(clip, work / "clip.mp4")
        (work / "stem.wav").write_bytes(b"RIFF" + os.urandom(2000))
        media = RenderedMedia(video=work / "clip.mp4", stems={"dialogue": work / "stem.wav"})
        provenance = Provenance(
            prompt=job.prompt, backend=job.backend, backend_version="1", model=job.model,
            template_hash=job.template_hash, seconds=job.seconds, take=job.take,
            shot_id=job.shot_id,
        )  # fmt: skip
        cache.put(job_key(job, backends), media, provenance, facts=facts)
    shutil.rmtree(work)


def resolve(
    cache: Cache, jobs: list[Job], backend: FakeRemoteBackend, folder: Path, prefetch: bool = True
) -> float:
    """Seconds for a build to find every take of ``jobs``: the prefetch the pipeline does (all
    at once), then the runner's plan (one by one); every take must be found."""
    backends = {backend.name: backend}
    with Journal(folder / f"journal-{uuid.uuid4().hex[:6]}.sqlite") as journal:
        start = time.perf_counter()
        if prefetch:
            cache.prefetch(job_key(job, backends) for job in jobs)
        rows = plan_run(jobs, backends, cache, journal)
        seconds = time.perf_counter() - start
    assert all(row.cached for row in rows), "a take was not found"
    return seconds


def best(runs: int, measure: Callable[[int], float]) -> float:
    return statistics.median(measure(n) for n in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        folder = Path(tmp)
        os.environ.update(s3_environment(endpoint))
        import boto3

        boto3.client("s3").create_bucket(Bucket="bench")
        clip = make_tiny_clip(folder / "clip.mp4", seconds=2.0, size="320x180")
        backend = FakeRemoteBackend(clip)
        jobs = jobs_for([f"s{i:03d}" for i in range(args.shots)], backend=backend.name)
        url = "s3://bench/team"
        publish(Cache(folder / "local"), jobs, backend, clip)
        publish(SharedCache(open_store(url), folder / "writer"), jobs, backend, clip)
        per_take = clip.stat().st_size + 2004
        seconds = probe(clip).duration
        print(f"{args.shots} takes of {per_take / 1000:.0f} kB ({seconds:.0f} s 320x180 H.264 + a "
              "stem) in a folder and in s3://bench (moto, 127.0.0.1)")  # fmt: skip

        baseline = best(args.repeat, lambda n: resolve(Cache(folder / "local"), jobs, backend,
                                                       folder))  # fmt: skip

        def cold(n: int, prefetch: bool = True) -> float:
            os.environ["PREVIZ_CACHE_COPY"] = str(folder / f"copy-cold-{n}-{prefetch}")
            return resolve(open_cache(folder, url), jobs, backend, folder, prefetch)

        serial_s = best(args.repeat, lambda n: cold(n, prefetch=False))
        cold_s = best(args.repeat, cold)
        os.environ["PREVIZ_CACHE_COPY"] = str(folder / "copy-cold-0-True")  # filled by cold()
        warm_s = best(args.repeat, lambda n: resolve(open_cache(folder, url), jobs, backend,
                                                     folder))  # fmt: skip
    print(f"baseline, local folder cache : {baseline:7.3f} s")
    serial = serial_s / baseline
    print(f"shared store, cold, serial   : {serial_s:7.3f} s  ({serial:5.1f}x baseline)"
          "  (one take after another, no prefetch)")  # fmt: skip
    print(f"shared store, cold copy      : {cold_s:7.3f} s  ({cold_s / baseline:5.1f}x baseline)"
          "  (as a build: prefetched 8 at a time)")  # fmt: skip
    print(f"shared store, warm copy      : {warm_s:7.3f} s  ({warm_s / baseline:5.1f}x baseline)")
    print(f"cold / warm                  : {cold_s / warm_s:5.1f}x")


if __name__ == "__main__":
    main()
