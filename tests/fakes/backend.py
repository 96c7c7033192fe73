"""In-process fake video generators for the runner's tests and bench.

:class:`FakeRemoteBackend` walks a remote job lifecycle (submit → running → succeeded →
download) with a fixed latency; :class:`FakeLocalBackend` renders after a fixed latency. Both
copy one real tiny MP4 (made once with ffmpeg) as their output, meter how many jobs they have
in flight, count every call, and raise what real cloud backends raise when a fault is queued:
429 with Retry-After, 500, a read timeout, a connection reset, a safety block, a refused key, a
refused connection, a reply lost after the job was created (or before it was), an expired
output. The remote fake can list its jobs, so it reconciles a lost reply the way OpenAI and Luma
can (``can_reconcile=False`` makes it a service that cannot).

Remote submissions are kept in a :class:`Ledger` — SQLite, in a file when given — so a test can
kill the process running the build and still count what was submitted. ``python -m
tests.fakes.backend`` runs a small build against a ledger file, optionally hanging at one step
of one shot, for the crash-and-resume tests.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import httpx

from previz.backends.base import (
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    LocalBackend,
    RemoteBackend,
    RenderedMedia,
)
from previz.errors import (
    AuthenticationError,
    ContentBlocked,
    JobFailedError,
    OutputExpired,
    RetryableServiceError,
    SubmissionUnknown,
)
from previz.generate import Cache, Journal, RunReport, run_jobs
from previz.generate.shared import open_cache
from previz.media import find_ffmpeg

Sleep = Callable[[float], Awaitable[None]]


def make_tiny_clip(dest: Path, *, seconds: float = 1.0, size: str = "64x36", fps: int = 24) -> Path:
    """A real, tiny H.264 MP4 test pattern at ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size={size}:rate={fps}", "-t", str(seconds),
         "-pix_fmt", "yuv420p", "-c:v", "libx264", str(dest)],
        check=True,
    )  # fmt: skip
    return dest


class FakeClock:
    """A clock that only moves when someone sleeps on it; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Fault(enum.Enum):
    """What can go wrong with one call."""

    RATE_LIMIT = "429 Too Many Requests"
    SERVER_ERROR = "500 Internal Server Error"
    TIMEOUT = "read timeout"
    CONNECTION_RESET = "connection reset by peer"
    SAFETY_BLOCK = "blocked by the content policy: violence"
    BAD_REQUEST = "400 duration must be one of 5, 10"
    MODERATED = "moderation_blocked: the prompt was refused"
    AUTH = "401 Incorrect API key provided"
    REFUSED = "connection refused"
    REPLY_LOST = "the connection dropped after the request was sent"  # the job exists
    SEND_LOST = "the connection dropped while sending"  # the service never saw it
    EXPIRED = "the video's content has expired"
    SHORT = "a body cut short, with a Content-Length that matches it"  # download "succeeds"


def raise_fault(fault: Fault, retry_after: float | None) -> None:
    """Raise what a real backend raises for ``fault``."""
    if fault in (Fault.REPLY_LOST, Fault.SEND_LOST):
        raise SubmissionUnknown(fault.value)
    if fault is Fault.AUTH:
        raise AuthenticationError(fault.value)
    if fault is Fault.MODERATED:
        raise ContentBlocked(fault.value, reason=fault.value)
    if fault is Fault.REFUSED:
        raise httpx.ConnectError(fault.value)
    if fault is Fault.EXPIRED:
        raise OutputExpired(fault.value, expired_at=1_700_000_000.0)
    if fault is Fault.RATE_LIMIT:
        raise RetryableServiceError(fault.value, retry_after=retry_after)
    if fault is Fault.SERVER_ERROR:
        raise RetryableServiceError(fault.value)
    if fault is Fault.TIMEOUT:
        raise httpx.ReadTimeout(fault.value)
    if fault is Fault.CONNECTION_RESET:
        raise httpx.ReadError(fault.value)
    raise JobFailedError(fault.value, retryable=False)


@dataclass
class Faults:
    """Faults queued per call ("submit", "poll", "download", "render"), raised in order."""

    queued: dict[str, list[Fault]] = field(default_factory=dict)
    retry_after: float | None = None
    blocked_shots: set[str] = field(default_factory=set)  # poll: failed, content policy
    moderated_shots: set[str] = field(default_factory=set)  # poll: blocked by moderation
    lost_shots: dict[str, int] = field(default_factory=dict)  # poll: failed, retryable, N times
    expires_at: float | None = None  # succeeded polls say the output expires then (epoch)

    def check(self, call: str) -> None:
        queue = self.queued.get(call)
        if queue:
            raise_fault(queue.pop(0), self.retry_after)

    def next_is(self, call: str, fault: Fault) -> bool:
        """True (and the fault is spent) when ``fault`` is the next one queued for ``call``."""
        queue = self.queued.get(call)
        if queue and queue[0] is fault:
            queue.pop(0)
            return True
        return False


class ConcurrencyMeter:
    """How many jobs are in flight now, and the most there ever were."""

    def __init__(self) -> None:
        self.active: set[str] = set()
        self.peak = 0

    def enter(self, ident: str) -> None:
        self.active.add(ident)
        self.peak = max(self.peak, len(self.active))

    def leave(self, ident: str) -> None:
        self.active.discard(ident)


class Ledger:
    """The fake service's memory of remote jobs: SQLite, shared across processes via a file."""

    def __init__(self, path: Path | None = None) -> None:
        # Several build processes open one ledger at the same moment: each waits for the
        # others' locks (a loaded machine answered "database is locked" within the default 5 s).
        self._db = sqlite3.connect(
            str(path) if path else ":memory:", isolation_level=None, timeout=60
        )
        for attempt in range(200):  # switching to WAL is refused, not waited for, while busy
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS remote_jobs (remote_id TEXT PRIMARY KEY,"
                    " shot_id TEXT, take INTEGER, prompt TEXT, submitted REAL,"
                    " downloads INTEGER DEFAULT 0, created REAL)"
                )
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 199:
                    raise
                time.sleep(0.05)

    def submit(self, remote_id: str, job: Job, now: float) -> None:
        self._db.execute(
            "INSERT INTO remote_jobs (remote_id, shot_id, take, prompt, submitted, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (remote_id, job.shot_id, job.take, job.prompt, now, time.time()),
        )

    def created_since(self, job: Job, since: float) -> str | None:
        """The newest job for the same request created at or after ``since`` (epoch seconds)."""
        row = self._db.execute(
            "SELECT remote_id FROM remote_jobs WHERE prompt = ? AND take = ? AND created >= ?"
            " ORDER BY rowid DESC LIMIT 1",
            (job.prompt, job.take, since),
        ).fetchone()
        return str(row[0]) if row else None

    def submitted_at(self, remote_id: str) -> float | None:
        row = self._db.execute(
            "SELECT submitted FROM remote_jobs WHERE remote_id = ?", (remote_id,)
        ).fetchone()
        return float(row[0]) if row else None

    def downloaded(self, remote_id: str) -> None:
        self._db.execute(
            "UPDATE remote_jobs SET downloads = downloads + 1 WHERE remote_id = ?", (remote_id,)
        )

    def submissions(self) -> list[tuple[str, int, str]]:
        """(shot_id, take, remote_id) of every submission, in order."""
        rows = self._db.execute("SELECT shot_id, take, remote_id FROM remote_jobs ORDER BY rowid")
        return [(str(s), int(t), str(r)) for s, t, r in rows]

    def close(self) -> None:
        self._db.close()


def run_in_background(
    job: Job, service: RemoteBackend, cache: Cache, journal: Journal, workdir: Path
) -> asyncio.Future[RunReport]:
    """Start a one-take build that a test watches (waits on a marker, reads leases, cancels)."""
    return asyncio.ensure_future(
        run_jobs(
            [job], {service.name: service}, cache=cache, journal=journal, workdir=workdir,
            poll_interval=0.01,
        )
    )  # fmt: skip


class _Hang:
    """Block forever at one call for one shot, after leaving a marker file (crash tests)."""

    def __init__(self, call: str | None, shot_id: str | None, marker: Path | None) -> None:
        self.call, self.shot_id, self.marker = call, shot_id, marker

    async def maybe(self, call: str, job: Job) -> None:
        if call == self.call and job.shot_id == self.shot_id:
            if self.marker is not None:
                self.marker.write_text(call)
            await asyncio.Event().wait()


class FakeRemoteBackend(RemoteBackend):
    """A remote service that finishes every job ``latency`` seconds after its submission."""

    name: ClassVar[str] = "fake-remote"
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = "fake-1"
    models: ClassVar[tuple[str, ...]] = ("fake-1",)

    def __init__(
        self,
        clip: Path,
        *,
        latency: float = 0.01,
        max_concurrency: int = 4,
        cost_per_second: float = 0.10,
        reference_images: bool = True,
        ledger: Ledger | None = None,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
        hang: tuple[str | None, str | None, Path | None] = (None, None, None),
        reply_delay: float = 0.0,
        poll_interval: float = 0.0,
        can_reconcile: bool = True,
    ) -> None:
        self.clip = clip
        self.latency = latency
        self.reply_delay = reply_delay  # real seconds between accepting a job and answering
        self.max_concurrency = max_concurrency
        self.cost_per_second = cost_per_second
        self.reference_images = reference_images
        self.poll_interval = poll_interval
        self.can_reconcile = can_reconcile
        self.ledger = ledger or Ledger()
        self.faults = faults or Faults()
        self.clock = clock
        self.meter = ConcurrencyMeter()
        self.calls: dict[str, int] = {"submit": 0, "poll": 0, "download": 0}
        self.reconciles = 0
        self.seen_jobs: list[Job] = []
        self._hang = _Hang(*hang)
        self._ids = itertools.count(1)

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(
            cost_per_second=self.cost_per_second,
            max_concurrency=self.max_concurrency,
            reference_images=self.reference_images,
            max_references=3,
            poll_interval=self.poll_interval,
        )

    async def submit(self, job: Job) -> str:
        self.calls["submit"] += 1
        if self.faults.next_is("submit", Fault.SEND_LOST):
            raise SubmissionUnknown(Fault.SEND_LOST.value)
        reply_lost = self.faults.next_is("submit", Fault.REPLY_LOST)
        if not reply_lost:
            self.faults.check("submit")
        remote_id = f"fake-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        self.ledger.submit(remote_id, job, self.clock())
        self.seen_jobs.append(job)
        self.meter.enter(remote_id)
        await self._hang.maybe("submit", job)  # the service has the job; the reply never comes
        if reply_lost:
            raise SubmissionUnknown(Fault.REPLY_LOST.value)
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        return remote_id

    async def reconcile(self, job: Job, *, submitted_after: float) -> str | None:
        self.reconciles += 1
        if not self.can_reconcile:
            return None
        return self.ledger.created_since(job, submitted_after)

    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        self.calls["poll"] += 1
        await self._hang.maybe("poll", job)
        self.faults.check("poll")
        submitted = self.ledger.submitted_at(remote_id)
        if submitted is None:
            raise JobFailedError(f"404 no job {remote_id}", retryable=False)
        if job.shot_id in self.faults.blocked_shots:
            self.meter.leave(remote_id)
            return JobUpdate(JobStatus.FAILED, error=Fault.SAFETY_BLOCK.value)
        if job.shot_id in self.faults.moderated_shots:
            self.meter.leave(remote_id)
            return JobUpdate(JobStatus.BLOCKED, error=Fault.MODERATED.value)
        if self.faults.lost_shots.get(job.shot_id, 0) > 0:
            self.faults.lost_shots[job.shot_id] -= 1
            self.meter.leave(remote_id)
            return JobUpdate(JobStatus.FAILED, error="internal error, try again", retryable=True)
        elapsed = self.clock() - submitted
        if elapsed >= self.latency - 1e-6:  # float clocks rarely land exactly on the latency
            return JobUpdate(JobStatus.SUCCEEDED, progress=1.0, expires_at=self.faults.expires_at)
        return JobUpdate(
            JobStatus.RUNNING, progress=elapsed / self.latency, poll_after=self.latency - elapsed
        )

    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        self.calls["download"] += 1
        if self.faults.next_is("download", Fault.SHORT):
            data = self.clip.read_bytes()
            dest.write_bytes(data[: len(data) * 2 // 3])  # all the transfer said there was
            return RenderedMedia(video=dest)
        self.faults.check("download")
        if self._hang.call == "download" and job.shot_id == self._hang.shot_id:
            dest.write_bytes(self.clip.read_bytes()[:100])  # a partial file, as a cut download
        await self._hang.maybe("download", job)
        await asyncio.to_thread(shutil.copyfile, self.clip, dest)  # I/O off the loop, as httpx
        self.ledger.downloaded(remote_id)
        self.meter.leave(remote_id)
        return RenderedMedia(video=dest)


class FakeLocalBackend(LocalBackend):
    """An in-process renderer that takes ``latency`` seconds per clip."""

    name: ClassVar[str] = "fake-local"
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = "card"
    models: ClassVar[tuple[str, ...]] = ("card",)

    def __init__(
        self,
        clip: Path,
        *,
        latency: float = 0.01,
        max_concurrency: int = 2,
        sleep: Sleep = asyncio.sleep,
        faults: Faults | None = None,
        reference_images: bool = True,
    ) -> None:
        self.clip = clip
        self.latency = latency
        self.max_concurrency = max_concurrency
        self.sleep = sleep
        self.faults = faults or Faults()
        self.reference_images = reference_images
        self.meter = ConcurrencyMeter()
        self.calls: dict[str, int] = {"render": 0}
        self.seen_jobs: list[Job] = []

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(
            max_concurrency=self.max_concurrency, reference_images=self.reference_images
        )

    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        self.calls["render"] += 1
        self.seen_jobs.append(job)
        self.faults.check("render")
        ident = f"{job.shot_id}/{job.take}/{uuid.uuid4().hex[:6]}"
        self.meter.enter(ident)
        try:
            await self.sleep(self.latency)
        finally:
            self.meter.leave(ident)
        dest = workdir / "clip.mp4"
        await asyncio.to_thread(shutil.copyfile, self.clip, dest)  # I/O off the loop, as httpx
        return RenderedMedia(video=dest)


def jobs_for(
    shots: Iterable[str], *, backend: str, takes: int = 1, seconds: float = 1.0, scene: str = "sc1"
) -> list[Job]:
    """Plain jobs for ``shots`` × ``takes`` (what the planner would hand the runner)."""
    model = "fake-1" if "remote" in backend else "card"
    return [
        Job(
            shot_id=shot,
            take=take,
            backend=backend,
            model=model,
            prompt=f"{shot}: a lighthouse keeper climbs the stairs",
            template_hash="t" * 64,
            seconds=seconds,
            shot_seconds=seconds,
            width=320,
            height=180,
            fps=24.0,
            scene_id=scene,
        )
        for shot in shots
        for take in range(1, takes + 1)
    ]


class Project:
    """A project folder with the runner's stores, and a shortcut to run jobs in it."""

    def __init__(self, folder: Path, clock: FakeClock | None = None) -> None:
        self.folder = folder
        self.clock = clock or FakeClock()
        self.cache = Cache(folder / ".previz" / "cache")
        self.journal = Journal(folder / ".previz" / "journal.sqlite")
        self.workdir = folder / ".previz" / "work"

    async def run(
        self, jobs: list[Job], *backends: FakeRemoteBackend | FakeLocalBackend, **options: object
    ) -> RunReport:
        """``run_jobs`` with this project's stores and the fake clock (options pass through)."""
        timing: dict[str, object] = {"clock": self.clock, "sleep": self.clock.sleep}
        return await run_jobs(
            jobs,
            {b.name: b for b in backends},
            cache=self.cache,
            journal=self.journal,
            workdir=self.workdir,
            **{**timing, **options},  # type: ignore[arg-type]
        )


def main() -> None:
    """Run a small build against a ledger file; optionally hang, so a test can ``kill -9`` it."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="A build against the fake remote backend.")
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--shots", default="s1,s2,s3")
    parser.add_argument("--hang", default=None, help="submit | poll | download")
    parser.add_argument("--hang-shot", default=None)
    parser.add_argument("--block", default=None, help="a shot the service refuses")
    parser.add_argument("--hold", action="store_true", help="hang after the run ends")
    parser.add_argument("--cache", default=None, help="cache folder or URL (s3://…)")
    parser.add_argument("--ledger", type=Path, default=None, help="the service's ledger file")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds a job runs")
    parser.add_argument("--go", type=Path, default=None, help="start once this file exists")
    args = parser.parse_args()

    project: Path = args.project
    marker = project / "hanging"
    ledger = Ledger(args.ledger or project / "ledger.sqlite")
    faults = Faults(blocked_shots={args.block} if args.block else set())
    backend = FakeRemoteBackend(
        args.clip, latency=args.latency, ledger=ledger, faults=faults,
        hang=(args.hang, args.hang_shot, marker),
    )  # fmt: skip
    jobs = jobs_for(args.shots.split(","), backend=backend.name)

    async def build() -> None:
        cache = open_cache(project, args.cache)
        while args.go is not None and not args.go.exists():
            await asyncio.sleep(0.01)
        with Journal(project / ".previz" / "journal.sqlite") as journal:
            report = await run_jobs(
                jobs, {backend.name: backend}, cache=cache,
                journal=journal, workdir=project / ".previz" / "work", poll_interval=0.01,
            )  # fmt: skip
        lookups = sorted(cache.lookups.values())
        cache.close()
        result = {
            "clips": sorted(f"{s}/{t}" for s, t in report.clips),
            "failures": [f.shot_id for f in report.failures],
            "calls": backend.calls,
            "cached": report.cached,
            "generated": report.generated,
            "lookups": lookups,
        }
        (project / "report.json").write_text(json.dumps(result))
        if args.hold:
            marker.write_text("finished")
            await asyncio.Event().wait()

    asyncio.run(build())


if __name__ == "__main__":
    main()
