"""The journal: a SQLite record of every job's state and every generation attempt.

Two tables in ``.previz/journal.sqlite``. WAL with ``synchronous=NORMAL``: a committed row
survives the process being killed (``kill -9``) at any instant; only an OS crash or power cut
can lose the last commits, which costs at worst one resubmission, never a corrupt journal.

``jobs`` — one row per cache key, walking ``planned → submitted → downloaded`` or ``failed``.
Just before a submission leaves, its send time is committed (``sent_at``); the remote job id is
committed the moment ``submit`` returns and *before* the first poll, so a run killed at any
instant and started again polls that same remote job instead of paying for a second one — and
a row still ``planned`` with a send time is a submission whose reply was never seen, which the
runner reconciles with the service rather than sending again. A job that timed out or was
cancelled while submitted stays ``submitted`` (with a note) for the same reason.
``downloaded`` is written only after the clip is in the cache.

Three states hold a job until the user says otherwise, and planning again keeps them:
``unknown`` (a submission whose reply was lost and that the service could not account for; its
``price`` may have been billed), ``blocked`` (moderation refused this exact request) and
``expired`` (it succeeded but its output was gone before it was fetched; ``expires_at``).

``generations`` — an append-only log of attempts (shot, take, backend, model, prompt, remote
id, cost, latency, outcome, reason, timestamps), which ``previz log`` prints. Cache hits are not
generations and are not logged. No secret ever reaches either table: only what a Job carries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from previz.backends.base import Job, JobStatus
from previz.errors import CacheError

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    scene_id TEXT NOT NULL,
    shot_id TEXT NOT NULL,
    take INTEGER NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL,
    remote_id TEXT,
    reason TEXT,
    submissions INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL,
    sent_at REAL,
    price REAL,
    expires_at REAL
);
CREATE TABLE IF NOT EXISTS generations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    scene_id TEXT NOT NULL,
    shot_id TEXT NOT NULL,
    take INTEGER NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    remote_id TEXT,
    cost REAL NOT NULL,
    latency REAL NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    started TEXT NOT NULL,
    finished TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS generations_shot ON generations (shot_id, take);
"""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class JobRecord:
    """One row of ``jobs``: where the job for a cache key stands."""

    key: str
    scene_id: str
    shot_id: str
    take: int
    backend: str
    model: str
    state: JobStatus
    remote_id: str | None
    reason: str | None
    submissions: int
    updated: str
    sent_at: float | None = None  # epoch seconds the last submission left, if it did
    price: float | None = None  # what an ``unknown`` submission may have been billed
    expires_at: float | None = None  # epoch seconds the service's output stops downloading

    @property
    def held(self) -> bool:
        """True for the states a run leaves alone unless told otherwise."""
        return self.state in HELD

    @property
    def reply_lost(self) -> bool:
        """A submission left (``sent_at``) but no remote id came back: ambiguous."""
        return self.state is JobStatus.PLANNED and self.sent_at is not None


@dataclass(frozen=True)
class Generation:
    """One row of ``generations``: one attempt at a take and how it ended."""

    key: str
    scene_id: str
    shot_id: str
    take: int
    backend: str
    model: str
    prompt: str
    remote_id: str | None
    cost: float
    latency: float
    outcome: str  # "generated" | "failed" | "cancelled" | "timed out" | "unknown" | "blocked"…
    reason: str | None
    started: str
    finished: str


class Journal:
    """The SQLite journal at ``path`` (created with its folder if missing)."""

    def __init__(self, path: Path, *, now: Callable[[], datetime] = utc_now) -> None:
        self.path = Path(path)
        self._now = now
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            _add_missing_columns(self._db)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as error:
            raise CacheError(
                f"cannot open the journal: {error}",
                path=self.path,
                hint="check permissions of the project's .previz folder",
            ) from error

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def record(self, key: str) -> JobRecord | None:
        """The row for ``key``, or None if the job was never planned."""
        row = self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE key = ?", (key,)).fetchone()
        return _job_record(row) if row else None

    def records(self, state: JobStatus | None = None) -> list[JobRecord]:
        """Every row, or those in ``state``, oldest change first."""
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs"
        args: tuple[str, ...] = ()
        if state is not None:
            sql, args = sql + " WHERE state = ?", (state.value,)
        return [_job_record(r) for r in self._db.execute(sql + " ORDER BY updated, key", args)]

    def plan(self, key: str, job: Job) -> JobRecord:
        """Record ``job`` as planned unless it is already planned or submitted."""
        self._db.execute(_PLAN, self._plan_values(key, job))
        record = self.record(key)
        assert record is not None
        return record

    def plan_all(self, jobs: Iterable[tuple[str, Job]]) -> None:
        """:meth:`plan` many (key, job) pairs in one transaction (one disk write, not hundreds)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(_PLAN, [self._plan_values(key, job) for key, job in jobs])

    def _plan_values(self, key: str, job: Job) -> tuple[object, ...]:
        return (key, job.scene_id, job.shot_id, job.take, job.backend, job.model,
                JobStatus.PLANNED.value, self._stamp())  # fmt: skip

    def sending(self, key: str, sent_at: float) -> None:
        """Commit that a submission is about to leave (epoch seconds), before it leaves."""
        self._db.execute(
            "UPDATE jobs SET sent_at = ?, updated = ? WHERE key = ?", (sent_at, self._stamp(), key)
        )

    def not_sent(self, key: str) -> None:
        """The submission provably never left (refused before sending): forget its send time."""
        self._db.execute(
            "UPDATE jobs SET sent_at = NULL WHERE key = ? AND state = 'planned'", (key,)
        )

    def submitted(self, key: str, remote_id: str) -> None:
        """Commit the remote id: from now on the job is polled, never submitted again."""
        self._set(key, JobStatus.SUBMITTED, remote_id=remote_id, count_submission=True)

    def unknown(self, key: str, reason: str, price: float) -> None:
        """The submission's reply was lost and the service cannot say what it made: hold it."""
        self._set(key, JobStatus.UNKNOWN, reason=reason, count_submission=True)
        self._db.execute("UPDATE jobs SET price = ? WHERE key = ?", (price, key))

    def blocked(self, key: str, reason: str) -> None:
        """Moderation refused this request: hold it until the prompt changes or is retried."""
        self._set(key, JobStatus.BLOCKED, reason=reason)

    def expired(self, key: str, reason: str, expires_at: float | None) -> None:
        """The job succeeded but its output expired before it was fetched: hold it."""
        self._set(key, JobStatus.EXPIRED, reason=reason)
        self._db.execute("UPDATE jobs SET expires_at = ? WHERE key = ?", (expires_at, key))

    def expires(self, key: str, expires_at: float) -> None:
        """Remember when the finished job's output stops being downloadable."""
        self._db.execute("UPDATE jobs SET expires_at = ? WHERE key = ?", (expires_at, key))

    def release(self, key: str, job: Job) -> JobRecord:
        """Plan a held job afresh (``--resubmit-unknown``, ``--retry-blocked``…)."""
        self._db.execute(
            "UPDATE jobs SET state = 'planned', remote_id = NULL, reason = NULL, sent_at = NULL,"
            " price = NULL, expires_at = NULL, updated = ? WHERE key = ?",
            (self._stamp(), key),
        )
        return self.plan(key, job)

    def downloaded(self, key: str) -> None:
        """The clip is in the cache."""
        self._set(key, JobStatus.DOWNLOADED)

    def failed(self, key: str, reason: str) -> None:
        """The job ended without a clip; the next run plans it afresh."""
        self._set(key, JobStatus.FAILED, reason=reason)

    def note(self, key: str, reason: str) -> None:
        """Keep the state, remember why the job stopped (a timeout or Ctrl-C while submitted)."""
        self._db.execute(
            "UPDATE jobs SET reason = ?, updated = ? WHERE key = ?", (reason, self._stamp(), key)
        )

    def log(self, entry: Generation) -> None:
        """Append one attempt to the generations log."""
        self._db.execute(
            "INSERT INTO generations (key, scene_id, shot_id, take, backend, model, prompt,"
            " remote_id, cost, latency, outcome, reason, started, finished)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.key, entry.scene_id, entry.shot_id, entry.take, entry.backend, entry.model,
             entry.prompt, entry.remote_id, entry.cost, entry.latency, entry.outcome,
             entry.reason, entry.started, entry.finished),
        )  # fmt: skip

    def log_entries(
        self,
        *,
        shot_id: str | None = None,
        scene_id: str | None = None,
        take: int | None = None,
        limit: int | None = None,
    ) -> list[Generation]:
        """Logged generations, newest first, optionally for one scene, shot or take."""
        where, args = _filters(shot_id=shot_id, scene_id=scene_id, take=take)
        sql = f"SELECT {_GENERATION_COLUMNS} FROM generations{where} ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [Generation(*row) for row in self._db.execute(sql, args)]

    def spent(self) -> float:
        """Total cost of every logged generation (submissions of unknown outcome included)."""
        row = self._db.execute("SELECT COALESCE(SUM(cost), 0) FROM generations").fetchone()
        return float(row[0])

    def stamp(self) -> str:
        """The journal clock's current time as ISO 8601 (UTC)."""
        return self._stamp()

    def _stamp(self) -> str:
        return self._now().isoformat(timespec="milliseconds")

    def _set(
        self,
        key: str,
        state: JobStatus,
        *,
        remote_id: str | None = None,
        reason: str | None = None,
        count_submission: bool = False,
    ) -> None:
        self._db.execute(
            "UPDATE jobs SET state = ?, remote_id = COALESCE(?, remote_id), reason = ?,"
            " submissions = submissions + ?, updated = ? WHERE key = ?",
            (state.value, remote_id, reason, int(count_submission), self._stamp(), key),
        )


HELD = (JobStatus.UNKNOWN, JobStatus.BLOCKED, JobStatus.EXPIRED)
"""States a run leaves alone unless the user asks (each has its own ``build`` flag)."""

# A job already planned, submitted or held keeps its row (a submitted one keeps its remote id,
# a planned one its send time); a downloaded or failed one starts afresh.
_PLAN = (
    "INSERT INTO jobs (key, scene_id, shot_id, take, backend, model, state, remote_id, reason,"
    " submissions, updated) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?)"
    " ON CONFLICT(key) DO UPDATE SET scene_id=excluded.scene_id, shot_id=excluded.shot_id,"
    " take=excluded.take, state=excluded.state, remote_id=NULL, reason=NULL, sent_at=NULL,"
    " price=NULL, expires_at=NULL, updated=excluded.updated"
    " WHERE jobs.state NOT IN ('planned', 'submitted', 'unknown', 'blocked', 'expired')"
)

_JOB_COLUMNS = (
    "key, scene_id, shot_id, take, backend, model, state, remote_id, reason, submissions, updated,"
    " sent_at, price, expires_at"
)
_ADDED_COLUMNS = {"sent_at": "REAL", "price": "REAL", "expires_at": "REAL"}  # since version 2
_GENERATION_COLUMNS = (
    "key, scene_id, shot_id, take, backend, model, prompt, remote_id, cost, latency, outcome,"
    " reason, started, finished"
)


def _job_record(row: tuple[object, ...]) -> JobRecord:
    values = list(row)
    values[6] = JobStatus(values[6])
    return JobRecord(*values)  # type: ignore[arg-type]


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a journal written by an older previz up to this schema (columns only ever added)."""
    have = {str(row[1]) for row in db.execute("PRAGMA table_info(jobs)")}
    for name, kind in _ADDED_COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")


def _filters(**conditions: object) -> tuple[str, tuple[object, ...]]:
    used = {name: value for name, value in conditions.items() if value is not None}
    if not used:
        return "", ()
    return " WHERE " + " AND ".join(f"{name} = ?" for name in used), tuple(used.values())
