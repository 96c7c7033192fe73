"""Frame rates as exact fractions, and OTIO times as whole frames.

OTIO stores 23.976 fps as the float 23.976023976…; editing engines want the exact
24000/1001. Every writer asks here for the project's rate and for whole frame counts, so a
cut lands on the same frame in every format.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import opentimelineio as otio

from previz import timebase


def exact_rate(rate: float) -> Fraction:
    """``rate`` as the NTSC or whole-number fraction it stands for (23.976 → 24000/1001)."""
    return timebase.exact_rate(rate)


def timeline_rate(timeline: otio.schema.Timeline) -> Fraction:
    """The project's rate: that of the global start time, else of the first clip, else 24."""
    if timeline.global_start_time is not None:
        return exact_rate(timeline.global_start_time.rate)
    for clip in timeline.find_clips():
        return exact_rate(clip.duration().rate)
    return Fraction(24)


def frames_of(time: otio.opentime.RationalTime, rate: float) -> int:
    """``time`` as a whole number of frames at ``rate`` (exact rationals, half up)."""
    return _frames_of(time.value, time.rate, rate)


def stored_frames(time: dict[str, float], rate: float) -> int:
    """:func:`frames_of` of a time as OTIO's JSON holds it (``value``, ``rate``)."""
    return _frames_of(time["value"], time["rate"], rate)


@functools.lru_cache(maxsize=1 << 16)  # writers ask per clip; a cut's lengths and rates repeat
def _frames_of(value: float, time_rate: float, rate: float) -> int:
    exact = Fraction(repr(value)) * timebase.exact_rate(rate) / timebase.exact_rate(time_rate)
    return timebase.half_up(exact)
