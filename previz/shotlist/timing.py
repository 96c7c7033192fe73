"""Time in a shot list: one project frame rate, durations in seconds, frames or timecode.

A scene file says ``4``, ``"2.5s"``, ``"60f"`` or ``"00:00:02:12"``; inside previz every time is
an ``opentimelineio.opentime.RationalTime`` at the project rate, rounded to whole frames by the
one rule of :mod:`previz.timebase` (exact rationals, half up), so a shot's length is exact in
every export. 23.976 and 29.97 mean the NTSC rates 24000/1001 and 30000/1001.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

import opentimelineio as otio

from previz import timebase
from previz.shotlist.shown import shown
from previz.timebase import frames_in

_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:s|sec|secs|second|seconds)?\s*$", re.I)
_FRAMES = re.compile(r"^\s*(\d+)\s*(?:f|fr|frame|frames)\s*$", re.I)
_TIMECODE = re.compile(r"^\s*(\d{1,2})(?:[:;](\d{1,2})){1,3}\s*$")

DURATION_HELP = 'use seconds (4, 2.5, "2.5s"), frames ("60f") or timecode ("00:00:02:12")'
MAX_SECONDS = 600
"""The longest time a scene file may give anything (a shot, a cue, a handle): ten minutes."""
CEILING_HELP = f"previz accepts times up to {MAX_SECONDS} s (10 minutes) per shot"


def exact_rate(fps: float) -> Fraction:
    """The exact rational frame rate for a project rate (23.976 → 24000/1001)."""
    return timebase.exact_rate(fps)


@functools.lru_cache(maxsize=64)  # a handful of rates, asked for every shot and cue
def otio_rate(fps: float) -> float:
    """The float rate OTIO is given: the exact NTSC value, not the rounded label."""
    return float(exact_rate(fps))


def check_duration_syntax(value: float | int | str) -> float | int | str:
    """Validate the form of a duration without a frame rate; raise ``ValueError`` if malformed."""
    if isinstance(value, bool):
        raise ValueError(f"a duration cannot be true/false; {DURATION_HELP}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"a duration must be a finite number, not {shown(value)}")
        if value < 0:
            raise ValueError(f"a duration cannot be negative ({value:g}); {DURATION_HELP}")
        _check_ceiling(float(value), value)
        return value
    if m := _SECONDS.match(value):
        _check_ceiling(float(m.group(1)), value)
        return value
    if _FRAMES.match(value) or _TIMECODE.match(value):
        return value
    raise ValueError(f"{shown(value)} is not a duration; {DURATION_HELP}")


def _check_ceiling(seconds: float, value: float | int | str) -> None:
    if seconds > MAX_SECONDS:
        raise ValueError(f"{shown(value)} is too long; {CEILING_HELP}")


@functools.lru_cache(maxsize=4096, typed=True)  # lengths repeat shot after shot; times are values
def to_time(value: float | int | str, fps: float) -> otio.opentime.RationalTime:
    """Convert a checked duration to a whole-frame ``RationalTime`` at the project rate."""
    rate = otio_rate(fps)
    if isinstance(value, (int, float)):
        return otio.opentime.RationalTime(frames_in(value, fps), rate)
    if m := _FRAMES.match(value):
        if int(m.group(1)) / rate > MAX_SECONDS:
            raise ValueError(f"{shown(value)} is too long; {CEILING_HELP}")
        return otio.opentime.RationalTime(int(m.group(1)), rate)
    if m := _SECONDS.match(value):
        return otio.opentime.RationalTime(frames_in(m.group(1), fps), rate)
    total = timecode_frames(value, fps)
    if total / rate > MAX_SECONDS:
        raise ValueError(f"{shown(value)} is too long; {CEILING_HELP}")
    return otio.opentime.RationalTime(total, rate)


def timecode_frames(value: str, fps: float) -> int:
    """Frames counted by a timecode ``HH:MM:SS:FF`` at ``fps``; ``ValueError`` if impossible."""
    parts = [int(p) for p in re.split(r"[:;]", value.strip())]
    hours, minutes, seconds, frames = [0] * (4 - len(parts)) + parts
    nominal = round(otio_rate(fps))
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(
            f"timecode {shown(value)} is not a time of day: hours run 00-23, "
            "minutes and seconds 00-59"
        )
    if frames >= nominal:
        raise ValueError(
            f"timecode {shown(value)} has {frames} frames; at {fps:g} fps the most is {nominal - 1}"
        )
    return ((hours * 60 + minutes) * 60 + seconds) * nominal + frames


def seconds(time: otio.opentime.RationalTime) -> float:
    """A RationalTime in seconds."""
    return float(time.to_seconds())
