"""The journal records each job's state durably and logs every generation attempt."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from previz.backends.base import JobStatus
from previz.generate import Generation, Journal
from tests.fakes.backend import jobs_for

JOB = jobs_for(["1A"], backend="fake-remote")[0]
KEY = "v1-" + "0" * 64


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    ticks = iter(range(10_000))
    start = datetime(2026, 11, 22, tzinfo=timezone.utc)
    return Journal(
        tmp_path / ".previz" / "journal.sqlite", now=lambda: start + timedelta(seconds=next(ticks))
    )


def test_a_job_walks_planned_submitted_downloaded(journal: Journal) -> None:
    assert journal.plan(KEY, JOB).state is JobStatus.PLANNED
    journal.submitted(KEY, "op-1")
    record = journal.record(KEY)
    assert record is not None
    assert (record.state, record.remote_id, record.submissions) == (JobStatus.SUBMITTED, "op-1", 1)
    journal.downloaded(KEY)
    assert journal.records(JobStatus.DOWNLOADED)[0].key == KEY


def test_planning_again_keeps_a_submitted_job_and_its_remote_id(journal: Journal) -> None:
    journal.plan(KEY, JOB)
    journal.submitted(KEY, "op-1")
    record = journal.plan(KEY, JOB)
    assert (record.state, record.remote_id) == (JobStatus.SUBMITTED, "op-1")


def test_planning_a_failed_job_starts_it_afresh(journal: Journal) -> None:
    journal.plan(KEY, JOB)
    journal.submitted(KEY, "op-1")
    journal.failed(KEY, "blocked by the content policy")
    record = journal.plan(KEY, JOB)
    assert (record.state, record.remote_id, record.reason) == (JobStatus.PLANNED, None, None)


def test_a_note_keeps_the_state(journal: Journal) -> None:
    journal.plan(KEY, JOB)
    journal.submitted(KEY, "op-1")
    journal.note(KEY, "timed out")
    record = journal.record(KEY)
    assert record is not None
    assert (record.state, record.reason) == (JobStatus.SUBMITTED, "timed out")


def test_a_committed_remote_id_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as first:
        first.plan(KEY, JOB)
        first.submitted(KEY, "op-9")
    with Journal(path) as second:
        record = second.record(KEY)
    assert record is not None and record.remote_id == "op-9"


def test_the_journal_runs_in_wal_mode(journal: Journal) -> None:
    mode = sqlite3.connect(journal.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def _generation(shot: str, take: int, outcome: str, cost: float) -> Generation:
    return Generation(
        key=KEY, scene_id="sc1", shot_id=shot, take=take, backend="veo", model="veo-3.0",
        prompt=f"{shot} prompt", remote_id="op", cost=cost, latency=42.0, outcome=outcome,
        reason=None if outcome == "generated" else "429", started="t0", finished="t1",
    )  # fmt: skip


def test_log_entries_are_newest_first_and_filter_by_shot_and_take(journal: Journal) -> None:
    journal.log(_generation("1A", 1, "failed", 0.0))
    journal.log(_generation("1A", 2, "generated", 0.8))
    journal.log(_generation("2B", 1, "generated", 0.4))
    assert [(g.shot_id, g.take) for g in journal.log_entries()] == [("2B", 1), ("1A", 2), ("1A", 1)]
    assert [g.take for g in journal.log_entries(shot_id="1A")] == [2, 1]
    assert [g.outcome for g in journal.log_entries(shot_id="1A", take=1)] == ["failed"]
    assert len(journal.log_entries(limit=1)) == 1
    assert journal.spent() == pytest.approx(1.2)


def test_a_journal_from_before_send_times_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    old = sqlite3.connect(str(path))
    old.execute(
        "CREATE TABLE jobs (key TEXT PRIMARY KEY, scene_id TEXT NOT NULL, shot_id TEXT NOT NULL,"
        " take INTEGER NOT NULL, backend TEXT NOT NULL, model TEXT NOT NULL, state TEXT NOT NULL,"
        " remote_id TEXT, reason TEXT, submissions INTEGER NOT NULL DEFAULT 0,"
        " updated TEXT NOT NULL)"
    )
    old.execute(
        "INSERT INTO jobs VALUES ('k', 'sc1', '1A', 1, 'veo', 'm', 'submitted', 'op/1', NULL, 1,"
        " '2026-01-01')"
    )
    old.commit()
    old.close()
    with Journal(path) as journal:
        [record] = journal.records()
        assert (record.state, record.remote_id, record.sent_at) == (
            JobStatus.SUBMITTED, "op/1", None,
        )  # fmt: skip
        journal.expires("k", 1_700_000_000.0)
        assert journal.record("k").expires_at == 1_700_000_000.0  # type: ignore[union-attr]
