"""After conform, the rebuild pays for nothing: trims, reorders, omits and take swaps reuse the
paid takes (built against the strict fake Veo over real HTTP, counted in what it received).

The reorder puts s2 before s1, so the cello that ran from s1 into s2 no longer reaches s2: its
prompt changes, yet the editor chose that take there, and its pinned take is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import opentimelineio as otio
import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.conform import conform
from previz.pipeline import abuild
from previz.reports import estimate
from tests.fakes.serve import serving
from tests.fakes.veo import DEFAULT_KEY, VeoFake, create_app

SCENE = """\
schema_version: 1
project:
  title: Paid Takes
  fps: 24
  resolution: 320x180
  backend: veo
scenes:
  - id: sc1
    heading: EXT. PIER - DUSK
    shots:
      - id: s1
        action: A trawler noses into the harbour.
        duration: 5s
        sound:
          - {kind: music, description: a slow cello, start: 1, until: s2}
      - id: s2
        action: Gulls wheel over the deck.
        duration: 3s
        takes: 2
      - id: s3
        action: A rope drops onto the pier.
        duration: 3s
"""
APP = create_app()
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(APP) as url:
        yield url


@pytest.fixture
def fake() -> VeoFake:
    APP.state.fake = VeoFake(polls_to_finish=1)
    return APP.state.fake


async def build(scene: Path, base_url: str) -> None:
    from previz.backends.veo import VeoBackend

    class PromptVeo(VeoBackend):
        """Veo with 10 ms between polls instead of Google's 10 s: what the fake is asked, and
        what it answers, stay the real service's; the waits were ~40 s of this test."""

        poll_interval = 0.01

    async with httpx.AsyncClient(timeout=10.0) as client:
        veo = PromptVeo(client=client, base_url=base_url, api_key=DEFAULT_KEY, env={})
        result = await abuild(scene, formats=["otio"], backends={"veo": veo})
    assert result.ok, result.report.failures


def edit(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """Trim s1's head and tail, put s2 (take 2) first, delete s3."""
    v1 = next(t for t in timeline.tracks if t.name == "V1")
    s1, s2, s3 = list(v1.find_clips())
    s1.source_range = TR(RT(12, 24), RT(84, 24))
    alternate = next(c for c in timeline.find_clips() if c.name == "s2 take 2")
    s2.media_reference = alternate.media_reference.clone()
    s2.metadata["previz"] = dict(alternate.metadata["previz"])
    v1.remove(s2)
    v1.insert(0, s2)
    v1.remove(s3)
    return timeline


async def test_a_conformed_trim_swap_and_delete_rebuild_submits_nothing(
    tmp_path: Path, base_url: str, fake: VeoFake
) -> None:
    scene = tmp_path / "scene.yaml"
    scene.write_text(SCENE, encoding="utf-8")
    await build(scene, base_url)
    paid = len(fake.received)
    assert paid == 4
    timeline = otio.adapters.read_from_file(str(tmp_path / "out" / "scene" / "timeline.otio"))
    otio.adapters.write_to_file(edit(timeline), str(tmp_path / "edited.otio"))

    assert conform(tmp_path / "edited.otio", scene, apply=True).to_pay == []
    fields = {(c.job.shot_id, c.job.take): (c.job.seconds, c.cached) for c in estimate(scene).jobs}
    assert fields == {("s1", 1): (6.0, True), ("s2", 1): (4.0, True), ("s2", 2): (4.0, True)}
    assert estimate(scene).total == 0.0
    said = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["cost", str(scene)]).output
    assert "s1 take 1: its cached 6 s take is reused" in said and "total: $0.00" in said

    await build(scene, base_url)
    assert len(fake.received) == paid
    rebuilt = otio.adapters.read_from_file(str(tmp_path / "out" / "scene" / "timeline.otio"))
    cut = [(c.name, c.source_range) for c in next(t for t in rebuilt.tracks if t.name == "V1")]
    assert cut == [("s2", TR(RT(0, 24), RT(72, 24))), ("s1", TR(RT(12, 24), RT(84, 24)))]
    assert (
        "s2_t2" in next(t for t in rebuilt.tracks if t.name == "V1")[0].media_reference.target_url
    )
