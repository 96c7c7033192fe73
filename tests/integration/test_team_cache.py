"""A team shares one cache in S3-compatible storage (moto in server mode) and never pays twice:
counted in the fake service's own ledger of submissions."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.generate import Journal, job_key, run_jobs
from previz.generate import lease as lease_module
from previz.generate.lease import Lease
from previz.generate.shared import SharedCache, open_cache
from previz.generate.store import open_store
from previz.pipeline import abuild
from tests.fakes.backend import (
    FakeRemoteBackend,
    Ledger,
    jobs_for,
    make_tiny_clip,
    run_in_background,
)
from tests.fakes.s3 import ROOT
from tests.scene_text import MINIMAL

NO_MOTO = "moto is not installed: pip install 'moto[server]' (a dev dependency of previz)"
pytest.importorskip("moto", reason=NO_MOTO)
boto3 = pytest.importorskip("boto3", reason=NO_MOTO)

SECRET_API_KEY = "sk-previz-test-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_clip(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2.0)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "service-ledger.sqlite")


def project(folder: Path, cache: str | None = None) -> Path:
    """A project folder with the minimal scene; ``cache`` goes in its project settings."""
    folder.mkdir(parents=True, exist_ok=True)
    text = MINIMAL.lstrip("\n")
    if cache:
        text = text.replace("  resolution: 320x180\n", f"  resolution: 320x180\n  cache: {cache}\n")
    (folder / "scene.yaml").write_text(text)
    return folder / "scene.yaml"


async def build(scene: Path, service: FakeRemoteBackend, cache_dir: str | None = None):  # type: ignore[no-untyped-def]
    return await abuild(
        scene, backend=service.name, backends={service.name: service}, formats=["otio"],
        cache_dir=cache_dir,
    )  # fmt: skip


def as_other_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    """Another laptop: its own local copy of the store."""
    monkeypatch.setenv("PREVIZ_CACHE_COPY", str(tmp_path / f"copy-{name}"))


def bucket_objects(bucket: str) -> dict[str, bytes]:
    name, prefix = bucket[len("s3://") :].split("/", 1)
    client = boto3.client("s3")
    listing = client.list_objects_v2(Bucket=name, Prefix=prefix + "/").get("Contents", [])
    return {i["Key"]: client.get_object(Bucket=name, Key=i["Key"])["Body"].read() for i in listing}


async def test_two_project_folders_share_the_store_and_the_second_submits_nothing(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await build(
        project(tmp_path / "a", cache=bucket), FakeRemoteBackend(clip, ledger=ledger)
    )
    assert (first.report.generated, len(ledger.submissions())) == (2, 2)
    as_other_machine(monkeypatch, tmp_path, "b")
    second = await build(project(tmp_path / "b"), FakeRemoteBackend(clip, ledger=ledger), bucket)
    assert len(ledger.submissions()) == 2
    assert (second.report.cached, second.report.generated) == (2, 0)
    assert second.animatic is not None and second.animatic.exists()


async def test_no_key_reaches_the_store(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_API_KEY)
    await build(project(tmp_path / "a"), FakeRemoteBackend(clip, ledger=ledger), bucket)
    stored = bucket_objects(bucket)
    assert stored
    secrets = [SECRET_API_KEY, os.environ["AWS_SECRET_ACCESS_KEY"], os.environ["AWS_ACCESS_KEY_ID"]]
    leaked = [(name, s) for name, data in stored.items() for s in secrets if s.encode() in data]
    assert leaked == []


def test_two_builds_started_at_the_same_moment_submit_each_take_once(
    bucket: str, clip: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    builds = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        env = {**os.environ, "PREVIZ_CACHE_COPY": str(tmp_path / f"copy-{name}")}
        builds.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.fakes.backend",
                    "--project",
                    str(folder),
                    "--clip",
                    str(clip),
                    "--shots",
                    "s1,s2,s3,s4",
                    "--cache",
                    bucket,
                    "--ledger",
                    str(tmp_path / "ledger.sqlite"),
                    "--latency",
                    "1.0",
                    "--go",
                    str(go),
                ],
                cwd=ROOT,
                env=env,
            )
        )
    time.sleep(0.5)
    go.write_text("go")
    assert [b.wait(timeout=120) for b in builds] == [0, 0]
    submitted = sorted(shot for shot, _, _ in Ledger(tmp_path / "ledger.sqlite").submissions())
    assert submitted == ["s1", "s2", "s3", "s4"]
    reports = [json.loads((tmp_path / n / "report.json").read_text()) for n in ("a", "b")]
    assert [len(r["clips"]) for r in reports] == [4, 4]
    assert sum(r["calls"]["submit"] for r in reports) == 4
    # Both planned before anything was published: the second waited on leases, not on luck.
    assert [r["lookups"] for r in reports] == [["miss"] * 4] * 2


async def test_a_crashed_lease_holder_is_taken_over_without_a_second_submission(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path
) -> None:
    service = FakeRemoteBackend(clip, ledger=ledger)
    (job,) = jobs_for(["s1"], backend=service.name)
    key = job_key(job, {service.name: service})
    paid = await service.submit(job)  # the crashed machine's submission
    crashed = Lease("laptop-7:4242:dead", "laptop-7", time.time() - 1, "s1", 1, service.name, paid)
    assert open_store(bucket).create(f"leases/{key}", crashed.to_bytes())
    cache = open_cache(tmp_path, bucket)
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = await run_jobs(
            [job], {service.name: service}, cache=cache, journal=journal,
            workdir=tmp_path / "work", poll_interval=0.01,
        )  # fmt: skip
    assert [remote_id for _, _, remote_id in ledger.submissions()] == [paid]
    assert report.clips[("s1", 1)].remote_id == paid


async def test_a_live_lease_of_another_machine_means_waiting_for_its_clip(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease_module, "WAIT_SECONDS", 0.05)
    service = FakeRemoteBackend(clip, ledger=ledger)
    (job,) = jobs_for(["s1"], backend=service.name)
    key = job_key(job, {service.name: service})
    store = open_store(bucket)
    busy = Lease("laptop-7:4242:live", "laptop-7", time.time() + 60, "s1", 1, service.name, "j-7")
    tag = store.create(f"leases/{key}", busy.to_bytes())
    cache = open_cache(tmp_path, bucket)
    with Journal(tmp_path / "journal.sqlite") as journal:
        waiting = run_in_background(job, service, cache, journal, tmp_path / "work")
        await asyncio.sleep(0.5)
        assert not waiting.done()
        other = SharedCache(open_store(bucket), tmp_path / "copy-laptop-7")
        work = tmp_path / "laptop-7"
        media = await FakeRemoteBackend(clip).download("j-7", job, _fresh(work) / "clip.mp4")
        other.put(key, media, _provenance(job, "j-7"))
        store.drop(f"leases/{key}", tag or "")
        report = await asyncio.wait_for(waiting, 30)
    assert ledger.submissions() == []
    assert (report.cached, report.generated) == (1, 0)
    assert report.clips[("s1", 1)].remote_id == "j-7"


async def test_the_lease_carries_the_remote_id_while_the_take_is_polled(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path
) -> None:
    marker = tmp_path / "polling"
    service = FakeRemoteBackend(clip, ledger=ledger, hang=("poll", "s1", marker))
    (job,) = jobs_for(["s1"], backend=service.name)
    key = job_key(job, {service.name: service})
    cache = open_cache(tmp_path, bucket)
    with Journal(tmp_path / "journal.sqlite") as journal:
        running = run_in_background(job, service, cache, journal, tmp_path / "work")
        while not marker.exists():
            await asyncio.sleep(0.02)
        held = Lease.from_bytes(open_store(bucket).read(f"leases/{key}").data)  # type: ignore[union-attr]
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    (submission,) = ledger.submissions()
    assert held is not None and held.remote_id == submission[2]
    assert held.expires > time.time()


async def test_a_stopped_build_hands_its_job_over_at_once(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path
) -> None:
    marker = tmp_path / "polling"
    service = FakeRemoteBackend(clip, ledger=ledger, hang=("poll", "s1", marker))
    (job,) = jobs_for(["s1"], backend=service.name)
    key = job_key(job, {service.name: service})
    with Journal(tmp_path / "journal.sqlite") as journal:
        running = asyncio.ensure_future(
            run_jobs(
                [job],
                {service.name: service},
                cache=open_cache(tmp_path, bucket),
                journal=journal,
                workdir=tmp_path / "work",
                poll_interval=0.01,
            )
        )
        while not marker.exists():
            await asyncio.sleep(0.02)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    left = Lease.from_bytes(open_store(bucket).read(f"leases/{key}").data)  # type: ignore[union-attr]
    (submission,) = ledger.submissions()
    assert left is not None and left.remote_id == submission[2]
    assert left.expires <= time.time()


def test_build_with_a_bucket_that_does_not_exist_stops_before_generating(
    bucket: str, tmp_path: Path
) -> None:
    scene = project(tmp_path / "p")
    missing = "s3://no-such-previz-bucket/team"
    result = CliRunner().invoke(cli, ["build", str(scene), "--cache-dir", missing])
    assert result.exit_code == 2
    assert "s3://no-such-previz-bucket/team does not exist" in result.output
    assert not (tmp_path / "p" / "out").exists()


def test_build_without_storage_credentials_stops_before_generating(
    bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("PREVIZ_CACHE_DIR", bucket)
    result = CliRunner().invoke(cli, ["build", str(project(tmp_path / "p"))])
    assert result.exit_code == 2
    assert "no credentials" in result.output and "AWS_ACCESS_KEY_ID" in result.output
    assert not (tmp_path / "p" / "out").exists()


async def test_previz_cache_shows_the_store_its_size_and_hit_rate(
    bucket: str, clip: Path, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = project(tmp_path / "a", cache=bucket)
    await build(scene, FakeRemoteBackend(clip, ledger=ledger))
    as_other_machine(monkeypatch, tmp_path, "b")
    await build(scene, FakeRemoteBackend(clip, ledger=ledger))
    result = CliRunner().invoke(cli, ["cache", str(scene)])
    assert result.exit_code == 0, result.output
    assert f"shared store: {bucket}: 2 take(s)" in result.output
    assert "local copy:" in result.output
    assert "hit rate: 100% of 2 lookups (2 remote)" in result.output


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _provenance(job, remote_id: str):  # type: ignore[no-untyped-def]
    from previz.generate import Provenance

    return Provenance(
        prompt=job.prompt, backend=job.backend, backend_version="1", model=job.model,
        template_hash=job.template_hash, seconds=job.seconds, take=job.take,
        shot_id=job.shot_id, remote_id=remote_id, cost=0.1,
    )  # fmt: skip


def test_previz_cache_shows_the_takes_another_machine_is_generating(
    bucket: str, tmp_path: Path
) -> None:
    busy = Lease("laptop-7:4242:live", "laptop-7", time.time() + 60, "s2", 1, "veo", "ops/7")
    open_store(bucket).create("leases/v1-" + "7" * 64, busy.to_bytes())
    result = CliRunner().invoke(cli, ["cache", str(project(tmp_path / "a")), "--cache-dir", bucket])
    assert result.exit_code == 0, result.output
    assert "generating: s2 take 1 on veo by laptop-7 (job ops/7)" in result.output
