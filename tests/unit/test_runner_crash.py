"""A build killed with SIGKILL at any journal state resumes without submitting anything twice.

Each test starts a real build in a subprocess (``python -m tests.fakes.backend``) whose fake
service keeps its submissions in a SQLite ledger, lets it reach one state — a job sent whose
reply has not come back, submitted and being polled, half downloaded, everything downloaded, a
job failed — kills it with ``kill -9``, runs the same build again, and reads the ledger.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from previz.backends.base import JobStatus
from previz.generate import Journal
from tests.fakes.backend import Ledger

REPO = Path(__file__).resolve().parents[2]


def build(project: Path, clip: Path, *options: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.fakes.backend", "--project", str(project)]
    return subprocess.Popen([*command, "--clip", str(clip), *options], cwd=REPO)


def kill_when_it_reaches(child: subprocess.Popen[bytes], project: Path) -> str:
    """Wait for the child's marker (it hangs right after writing it) and for the other shots to
    be downloaded, then SIGKILL it.

    Killed mid-submission (the service has made the job, its reply has not come), the journal
    holds the send time but no remote id; the next run asks the service for the job it made
    instead of submitting again.
    """
    marker = project / "hanging"
    deadline = time.monotonic() + 60
    while not (marker.exists() and others_downloaded(project)):
        assert child.poll() is None, "the build ended before reaching the state"
        assert time.monotonic() < deadline, "the build never reached the state"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    reached = marker.read_text()
    marker.unlink()
    return reached


def others_downloaded(project: Path, hung: str = "s2") -> bool:
    path = project / ".previz" / "journal.sqlite"
    if not path.exists():
        return False
    with Journal(path) as journal:
        states = {r.shot_id: r.state for r in journal.records() if r.shot_id != hung}
    return states == {"s1": JobStatus.DOWNLOADED, "s3": JobStatus.DOWNLOADED}


def state_of(project: Path, shot: str) -> JobStatus:
    with Journal(project / ".previz" / "journal.sqlite") as journal:
        [record] = [r for r in journal.records() if r.shot_id == shot]
    return record.state


def resume(project: Path, clip: Path) -> dict[str, object]:
    (project / "report.json").unlink(missing_ok=True)
    assert build(project, clip).wait(timeout=60) == 0
    report: dict[str, object] = json.loads((project / "report.json").read_text())
    assert report["clips"] == ["s1/1", "s2/1", "s3/1"]
    assert report["failures"] == []
    return report


def submissions(project: Path) -> Counter[str]:
    ledger = Ledger(project / "ledger.sqlite")
    try:
        return Counter(shot for shot, _, _ in ledger.submissions())
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("hang", "state"),
    [
        ("submit", JobStatus.PLANNED),
        ("poll", JobStatus.SUBMITTED),
        ("download", JobStatus.SUBMITTED),
    ],
    ids=["planned", "submitted", "downloading"],
)
def test_killed_mid_job_resumes_without_a_second_submission(
    tmp_path: Path, clip: Path, hang: str, state: JobStatus
) -> None:
    child = build(tmp_path, clip, "--hang", hang, "--hang-shot", "s2")
    assert kill_when_it_reaches(child, tmp_path) == hang
    assert state_of(tmp_path, "s2") is state
    resume(tmp_path, clip)
    assert submissions(tmp_path) == {"s1": 1, "s2": 1, "s3": 1}


def test_killed_after_everything_downloaded_loses_no_clip(tmp_path: Path, clip: Path) -> None:
    child = build(tmp_path, clip, "--hold")
    assert kill_when_it_reaches(child, tmp_path) == "finished"
    assert state_of(tmp_path, "s2") is JobStatus.DOWNLOADED
    report = resume(tmp_path, clip)
    assert report["calls"] == {"submit": 0, "poll": 0, "download": 0}
    assert submissions(tmp_path) == {"s1": 1, "s2": 1, "s3": 1}


def test_killed_after_a_failure_submits_only_the_failed_job_again(
    tmp_path: Path, clip: Path
) -> None:
    child = build(tmp_path, clip, "--block", "s2", "--hold")
    assert kill_when_it_reaches(child, tmp_path) == "finished"
    assert state_of(tmp_path, "s2") is JobStatus.FAILED
    resume(tmp_path, clip)
    assert submissions(tmp_path) == {"s1": 1, "s2": 2, "s3": 1}
