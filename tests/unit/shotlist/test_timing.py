"""Durations in seconds, frames and timecode become whole frames at the project rate."""

from __future__ import annotations

import pytest

from previz.shotlist.timing import check_duration_syntax, exact_rate, to_time


@pytest.mark.parametrize(
    ("value", "fps", "frames"),
    [
        (4, 24, 96),
        ("2.5s", 24, 60),
        ("60f", 24, 60),
        ("00:00:02:12", 24, 60),
        ("02:12", 25, 62),
        (1, 23.976, 24),
        ("10s", 29.97, 300),
    ],
)
def test_duration_forms_become_frames(value: object, fps: float, frames: int) -> None:
    assert to_time(value, fps).value == frames  # type: ignore[arg-type]


def test_ntsc_rates_are_exact_rationals() -> None:
    assert exact_rate(23.976).numerator == 24000
    assert exact_rate(23.976).denominator == 1001


def test_timecode_frames_must_be_below_the_rate() -> None:
    with pytest.raises(ValueError, match="at 24 fps the most is 23"):
        to_time("00:00:01:30", 24)


@pytest.mark.parametrize("bad", ["4 minutes", "abc", "-2s", True])
def test_malformed_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        check_duration_syntax(bad)  # type: ignore[arg-type]


def test_negative_numbers_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        check_duration_syntax(-1)
