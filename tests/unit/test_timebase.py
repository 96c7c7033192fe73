"""One frame-rounding rule everywhere: exact rationals, halves up; non-drop display."""

from __future__ import annotations

from fractions import Fraction

import pytest

import previz
from previz.media.encoding import frame_count
from previz.shotlist.timing import to_time
from previz.timebase import exact_rate, frames_in, half_up, samples_at, timecode
from tests.scene_text import MINIMAL


@pytest.mark.parametrize(("value", "frames"), [("2.5s", 63), ("1.5s", 38), (2.5, 63), ("0.1", 3)])
def test_a_duration_on_a_half_frame_rounds_up_at_25_fps(value: str | float, frames: int) -> None:
    assert to_time(value, 25).value == frames


def test_the_encoder_counts_frames_by_the_same_rule_as_the_shot_list() -> None:
    assert frame_count(2.5, 25) == to_time("2.5s", 25).value == frames_in("2.5", 25) == 63


def test_halves_round_up_whatever_their_parity() -> None:
    assert [half_up(Fraction(n, 2)) for n in (1, 3, 5, 125)] == [1, 2, 3, 63]


def test_a_frame_at_29_97_starts_on_the_nearest_sample() -> None:
    assert [samples_at(f, 29.97, 48_000) for f in (1, 2, 3, 5)] == [1602, 3203, 4805, 8008]


def test_timecode_at_29_97_is_non_drop_unless_asked() -> None:
    frames = 30 * 60 * 10
    assert (timecode(frames, 29.97), timecode(frames, 29.97, drop_frame=True)) == (
        "00:10:00:00",
        "00:10:00;18",
    )


def test_validate_shows_a_29_97_running_time_non_drop(write_scene) -> None:  # type: ignore[no-untyped-def]
    text = MINIMAL.replace("fps: 24", "fps: 29.97").replace("duration: 2\n", "duration: 300\n")
    summary = str(previz.validate(write_scene(text)))
    assert "running time 00:09:59:12 (17982 frames" in summary


@pytest.mark.parametrize("fps", [24, 25, 23.976, 29.97, 59.94, 12.5, Fraction(30000, 1001)])
def test_samples_at_is_the_one_rule_on_the_exact_fraction(fps: float | Fraction) -> None:
    frames = [*range(-40, 4000, 7), 10**9 + 1, Fraction(5, 2), Fraction(-7, 3), Fraction(1001, 2)]
    for frame in frames:
        exact = Fraction(frame) / exact_rate(fps) * 48_000
        assert samples_at(frame, fps, 48_000) == half_up(exact), (frame, fps)
