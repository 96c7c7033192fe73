"""previz's one-pass CMX event text is the text ``otio_cmx3600_adapter`` writes, on many tracks."""

from __future__ import annotations

import random
from collections.abc import Callable

import opentimelineio as otio
import pytest

from previz.timebase import exact_rate
from previz.timeline import edl, edl_events

RATES = (23.976, 24, 25, 29.97)
COLOURS = ("RED", "GREEN", "ORANGE", "CYAN", "PURPLE")


def _clip(rng: random.Random, number: int, rate: float) -> otio.schema.Clip:
    name = rng.choice([f"sh{number:03d}", f"sh {number}", f"a/b\\c{number}.mov", "x"])
    url = rng.choice([f"file:///media/{name}.mp4", f"file:///m/{number}.wav",
                      "file:///m/BL.mp4", f"file:///m/take %{number}.mov"])  # fmt: skip
    start = rng.randint(6, 30)
    clip = otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(target_url=url),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, rate),
            otio.opentime.RationalTime(rng.randint(8, 90), rate),
        ),
    )
    if rng.random() < 0.1:
        clip.media_reference = otio.schema.MissingReference()
    if rng.random() < 0.05:
        clip.enabled = False
    for _ in range(rng.choice([0, 0, 1, 2])):
        at = otio.opentime.RationalTime(start + rng.randint(0, 8), rate)
        clip.markers.append(otio.schema.Marker(
            name=rng.choice(["m", "door slam", ""]), color=rng.choice(COLOURS),
            marked_range=otio.opentime.TimeRange(at),
        ))  # fmt: skip
    return clip


def _transition(rng: random.Random, rate: float) -> otio.schema.Transition:
    before, after = rng.choice([(0, 12), (4, 4), (6, 0), (0, 8), (3, 9)])
    return otio.schema.Transition(
        name=f"t{before}-{after}",
        in_offset=otio.opentime.RationalTime(before, rate),
        out_offset=otio.opentime.RationalTime(after, rate),
    )


def _track(seed: int) -> tuple[otio.schema.Track, float]:
    rng = random.Random(seed)
    rate = float(exact_rate(rng.choice(RATES)))
    kind = rng.choice([otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio])
    track = otio.schema.Track(name=rng.choice(["V1", "A1 dialogue", ""]), kind=kind)
    black = otio.schema.Gap(duration=otio.opentime.RationalTime(0, rate))
    if rng.random() < 0.3:  # a fade in at the head
        track.extend([black.clone(), _transition(rng, rate)])
    previous = None
    for number in range(rng.randint(1, 40)):
        roll = rng.random()
        if roll < 0.1:
            item: otio.core.Composable = otio.schema.Gap(
                duration=otio.opentime.RationalTime(rng.randint(1, 30), rate)
            )
        else:
            item = _clip(rng, number, rate)
        if previous is not None and rng.random() < 0.25:
            track.append(_transition(rng, rate))
        elif previous is not None and rng.random() < 0.05:  # a fade out and in inside the cut
            track.extend([_transition(rng, rate), black.clone(), _transition(rng, rate)])
        track.append(item)
        previous = item
    if rng.random() < 0.4:  # a fade out at the tail
        track.extend([_transition(rng, rate), black.clone()])
    elif rng.random() < 0.2:  # a dissolve to nothing
        track.append(_transition(rng, rate))
    return track, rate


@pytest.mark.parametrize("seed", range(60))
def test_the_event_text_is_the_adapters_for_a_varied_track(seed: int) -> None:
    track, rate = _track(seed)
    items, _dropped = edl._fades_as_black(edl._placeholders_as_black(list(track)))
    if not any(isinstance(item, otio.schema.Clip) for item in items):
        pytest.skip("a track with no clip has no events")
    assert _outcome(lambda: edl_events.event_text(items, track, rate, f"cut {track.name}")) == (
        _outcome(lambda: edl._adapter_text(track, rate, f"cut {track.name}"))
    )


def _outcome(write: Callable[[], str | None]) -> str | None:
    """The text written, or the error a track the adapter cannot write raises (the same)."""
    try:
        return write()
    except ValueError as error:
        return f"ValueError: {error}"


def test_a_clip_with_an_effect_is_left_to_the_adapter() -> None:
    track, rate = _track(1)
    clip = next(c for c in track.find_clips() if isinstance(
        c.media_reference, otio.schema.ExternalReference))  # fmt: skip
    clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    items, _dropped = edl._fades_as_black(edl._placeholders_as_black(list(track)))
    assert edl_events.event_text(items, track, rate, "t") is None


def _unplain(clip: otio.schema.Clip, how: str) -> otio.schema.Clip:
    if how == "effect":
        clip.effects.append(otio.schema.Effect(name="blur", effect_name="blur"))
    elif how in ("cmx_3600", "cdl"):
        clip.metadata[how] = {"reel": "A001"}
    elif how == "named media":
        clip.media_reference.name = "A001"
    elif how == "no url":
        clip.media_reference.target_url = ""
    elif how == "no media":
        clip.media_reference = otio.schema.MissingReference()
    elif how == "other metadata":
        clip.metadata["previz"] = {"shot": "sh001"}
    return clip


@pytest.mark.parametrize("how", ["plain", "effect", "cmx_3600", "cdl", "named media", "no url",
                                 "no media", "other metadata"])  # fmt: skip
def test_a_clip_read_from_its_json_is_plain_as_its_bindings_say(how: str) -> None:
    import json

    clip = _unplain(_clip(random.Random(3), 1, 24.0), how)
    data = json.loads(clip.to_json_string())
    assert edl_events._plain_clip(clip, data) == edl_events._plain_clip(clip)
