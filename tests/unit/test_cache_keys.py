"""A cache key changes exactly when something that changes the generated clip changes."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

from previz.backends.base import Job, Reference
from previz.generate import cache_key, job_key, keys
from tests.fakes.backend import FakeLocalBackend

FACE = Reference(path=Path("refs/mara.png"), sha256="a" * 64, role="character", owner="mara")

BASE = Job(
    shot_id="1A",
    take=1,
    backend="veo",
    model="veo-3.0",
    prompt="Mara climbs the lighthouse stairs",
    template_hash="f" * 64,
    seconds=8.0,
    shot_seconds=6.5,
    width=1280,
    height=720,
    fps=24.0,
    references=(FACE,),
    payload={"seed": 7, "negative_prompt": "text"},
    scene_id="sc1",
    label="1A — stairs",
)


def key(job: Job = BASE, version: str = "1") -> str:
    return cache_key(job, version)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prompt", "Mara runs down the lighthouse stairs"),
        ("template_hash", "e" * 64),
        ("backend", "runway"),
        ("model", "veo-3.0-fast"),
        ("payload", {"seed": 8, "negative_prompt": "text"}),
        ("seconds", 4.0),
        ("width", 720),
        ("height", 1280),
        ("fps", 25.0),
        ("take", 2),
        ("references", ()),
        ("references", (dataclasses.replace(FACE, sha256="b" * 64),)),
        ("references", (dataclasses.replace(FACE, role="first_frame"),)),
    ],
)
def test_every_output_field_changes_the_key(field: str, value: Any) -> None:
    assert key(dataclasses.replace(BASE, **{field: value})) != key()


def test_the_backend_version_changes_the_key() -> None:
    assert key(version="2") != key(version="1")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scene_id", "sc9"),
        ("label", "renamed"),
        ("shot_id", "7C"),
        ("shot_seconds", 7.5),
        ("references", (dataclasses.replace(FACE, path=Path("/elsewhere/other-name.png")),)),
        ("references", (dataclasses.replace(FACE, owner="renamed-character"),)),
    ],
)
def test_incidental_fields_leave_the_key_alone(field: str, value: Any) -> None:
    assert key(dataclasses.replace(BASE, **{field: value})) == key()


def test_payload_key_order_and_sequence_type_do_not_matter() -> None:
    one = dataclasses.replace(BASE, payload={"a": [1, 2], "b": {"y": 1, "x": 2}})
    two = dataclasses.replace(BASE, payload={"b": {"x": 2, "y": 1}, "a": (1, 2)})
    assert key(one) == key(two)


def test_reference_order_changes_the_key() -> None:
    other = dataclasses.replace(FACE, sha256="c" * 64, owner="harbour", role="location")
    assert key(dataclasses.replace(BASE, references=(FACE, other))) != key(
        dataclasses.replace(BASE, references=(other, FACE))
    )


def test_key_is_prefixed_by_the_scheme_and_stable() -> None:
    first = key()
    assert first.startswith("v1-")
    assert len(first) == len("v1-") + 64
    assert first == key()


def test_job_key_takes_the_version_from_the_backend_class(tmp_path: Path) -> None:
    backend = FakeLocalBackend(tmp_path / "clip.mp4")
    job = dataclasses.replace(BASE, backend=backend.name)
    assert job_key(job, {backend.name: backend}) == cache_key(job, FakeLocalBackend.version)


def test_a_jobs_key_is_worked_out_once_per_job_and_version() -> None:
    job = dataclasses.replace(BASE)
    assert cache_key(job, "1") is cache_key(job, "1")
    assert cache_key(job, "2") != cache_key(job, "1")
    assert cache_key(dataclasses.replace(job, take=2), "1") != cache_key(job, "1")


def test_a_remembered_key_is_forgotten_with_its_job() -> None:
    job = dataclasses.replace(BASE, prompt="a prompt only this test uses")
    cache_key(job, "1")
    probe, slot = weakref.ref(job), (id(job), "1")
    assert slot in keys._KEYS
    del job
    gc.collect()
    assert probe() is None
    assert slot not in keys._KEYS
