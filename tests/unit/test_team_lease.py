"""Team leases on a folder cache (a mounted share): renewed while polled, stale ones taken over."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from previz.generate import Cache, Journal, job_key, run_jobs
from previz.generate import lease as lease_module
from previz.generate.lease import Lease
from previz.generate.store import FolderStore
from tests.fakes.backend import FakeRemoteBackend, Ledger, jobs_for, run_in_background


def test_a_folder_store_refuses_to_replace_a_version_it_did_not_read(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    first = store.create("leases/k", b"one")
    assert first is not None and store.create("leases/k", b"two") is None
    assert store.swap("leases/k", b"three", first) is not None
    assert store.swap("leases/k", b"four", first) is None
    assert (tmp_path / "leases" / "k").read_bytes() == b"three"


async def test_a_lease_is_renewed_while_the_take_is_polled(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease_module, "LEASE_SECONDS", 0.3)
    marker = tmp_path / "polling"
    service = FakeRemoteBackend(clip, hang=("poll", "s1", marker))
    (job,) = jobs_for(["s1"], backend=service.name)
    cache = Cache(tmp_path / "cache")
    lease_file = cache.root / "leases" / job_key(job, {service.name: service})
    with Journal(tmp_path / "journal.sqlite") as journal:
        running = run_in_background(job, service, cache, journal, tmp_path / "work")
        while not marker.exists():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.6)  # twice the lease's life: only renewals keep it alive
        expires = json.loads(lease_file.read_bytes())["expires"]
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert expires > time.time()


async def test_a_lease_of_a_process_gone_from_this_machine_is_taken_at_once(
    clip: Path, tmp_path: Path
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    ledger = Ledger()
    service = FakeRemoteBackend(clip, ledger=ledger)
    (job,) = jobs_for(["s1"], backend=service.name)
    cache = Cache(tmp_path / "cache")
    host = socket.gethostname()
    stale = Lease(f"{host}:{gone.pid}:x", host, time.time() + 600, "s1", 1, service.name, None)
    FolderStore(cache.root).create(f"leases/{job_key(job, {service.name: service})}",
                                   stale.to_bytes())  # fmt: skip
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = await asyncio.wait_for(
            run_jobs([job], {service.name: service}, cache=cache, journal=journal,
                     workdir=tmp_path / "work", poll_interval=0.01),
            timeout=30,
        )  # fmt: skip
    assert report.generated == 1
    assert len(ledger.submissions()) == 1


async def test_a_lease_kept_for_a_lost_reply_is_taken_back_when_resubmitting_it(
    clip: Path, tmp_path: Path
) -> None:
    service = FakeRemoteBackend(clip)
    (job,) = jobs_for(["s1"], backend=service.name)
    cache = Cache(tmp_path / "cache")
    key = job_key(job, {service.name: service})
    host = socket.gethostname()
    # What an earlier run of this project left: its reply was lost, so it kept the lease.
    kept = Lease(f"{host}:{os.getpid()}:earlier", host, time.time() + 600, "s1", 1,
                 service.name, None)  # fmt: skip
    FolderStore(cache.root).create(f"leases/{key}", kept.to_bytes())
    team = lease_module.Team(cache)
    turn = team.turn(job, key, asyncio.Semaphore(1), paid=True)
    async with turn as granted:
        assert granted.clip is None and granted.remote_id is None
        holder = json.loads((cache.root / "leases" / key).read_bytes())["owner"]
    assert holder == team.owner
