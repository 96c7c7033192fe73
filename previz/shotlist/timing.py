"""Time in a shot list: one project frame rate, durations in seconds, frames or timecode.

A scene file says ``4``, ``"2.5s"``, ``"60f"`` or ``"00:00:02:12"``; inside previz every time is
an ``opentimelineio.opentime.RationalTime`` at the project rate, rounded to whole frames by the
one rule of :mod:`previz.timebase` (exact rationals, half up), so a shot's length is exact in
every export. 23.976 and 29.97 mean the NTSC rates 24000/1001 and 30000/1001.
"""

from __future__ import annotations

import re
from fractions import Fraction

import opentimelineio as otio

from previz import timebase
from previz.timebase import frames_in

_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:s|sec|secs|second|seconds)?\s*$", re.I)
_FRAMES = re.compile(r"^\s*(\d+)\s*(?:f|fr|frame|frames)\s*$", re.I)
_TIMECODE = re.compile(r"^\s*(\d{1,2})(?:[:;](\d{1,2})){1,3}\s*$")

DURATION_HELP = 'use seconds (4, 2.5, "2.5s"), frames ("60f") or timecode ("00:00:02:12")'


def exact_rate(fps: float) -> Fraction:
    """The exact rational frame rate for a project rate (23.976 → 24000/1001)."""
    return timebase.exact_rate(fps)


def otio_rate(fps: float) -> float:
    """The float rate OTIO is given: the exact NTSC value, not the rounded label."""
    return float(exact_rate(fps))


def check_duration_syntax(value: float | int | str) -> float | int | str:
    """Validate the form of a duration without a frame rate; raise ``ValueError`` if malformed."""
    if isinstance(value, bool):
        raise ValueError(f"a duration cannot be true/false; {DURATION_HELP}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative ({value}); {DURATION_HELP}")
        return value
    if _SECONDS.match(value) or _FRAMES.match(value) or _TIMECODE.match(value):
        return value
    raise ValueError(f"'{value}' is not a duration; {DURATION_HELP}")


def to_time(value: float | int | str, fps: float) -> otio.opentime.RationalTime:
    """Convert a checked duration to a whole-frame ``RationalTime`` at the project rate."""
    rate = otio_rate(fps)
    if isinstance(value, (int, float)):
        return otio.opentime.RationalTime(frames_in(value, fps), rate)
    if m := _FRAMES.match(value):
        return otio.opentime.RationalTime(int(m.group(1)), rate)
    if m := _SECONDS.match(value):
        return otio.opentime.RationalTime(frames_in(m.group(1), fps), rate)
    parts = [int(p) for p in re.split(r"[:;]", value.strip())]
    hours, minutes, seconds, frames = [0] * (4 - len(parts)) + parts
    nominal = round(rate)
    if frames >= nominal:
        raise ValueError(
            f"timecode '{value}' has {frames} frames; at {fps} fps the most is {nominal - 1}"
        )
    total = ((hours * 60 + minutes) * 60 + seconds) * nominal + frames
    return otio.opentime.RationalTime(total, rate)


def seconds(time: otio.opentime.RationalTime) -> float:
    """A RationalTime in seconds."""
    return float(time.to_seconds())
