"""A review shot is read from the few clip facts it shows, not from all ~35 a clip stores."""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from previz.pipeline import BuildResult
from previz.review import read_build
from previz.review.build import _picture_track, _shot
from previz.review.facts import SHOT_FACTS, shot_facts
from previz.timeline.facts import plain
from previz.timeline.reading import read_build_timeline


class Watched(dict[str, Any]):
    """Facts that note every name asked for."""

    def __init__(self, facts: dict[str, Any], asked: set[str]) -> None:
        super().__init__(facts)
        self.asked = asked

    def __getitem__(self, name: str) -> Any:
        self.asked.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        self.asked.add(str(name))
        return super().__contains__(name)


def picture_clips(review_build: BuildResult) -> list[otio.schema.Clip]:
    timeline = read_build_timeline(review_build.out_dir)
    track = _picture_track(timeline, review_build.out_dir)
    return [c for c in track.find_clips() if "previz" in c.metadata]


def test_a_review_shot_reads_no_fact_but_the_listed_ones(review_build: BuildResult) -> None:
    asked: set[str] = set()
    for clip in picture_clips(review_build):
        facts = Watched(plain(clip.metadata["previz"]), asked)
        _shot(facts, (None, 0), "00:00:00:00", {}, {}, {})
    assert asked and asked <= set(SHOT_FACTS)


def test_the_listed_facts_are_the_stored_ones(review_build: BuildResult) -> None:
    for clip in picture_clips(review_build):
        stored = plain(clip.metadata["previz"])
        assert shot_facts(clip) == {k: v for k, v in stored.items() if k in SHOT_FACTS}


def test_a_clip_without_facts_is_no_shot(review_build: BuildResult) -> None:
    assert shot_facts(otio.schema.Clip()) == {}
    assert len(read_build(review_build.out_dir).shots) == len(picture_clips(review_build))
