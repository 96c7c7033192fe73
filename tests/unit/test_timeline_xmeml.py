"""The FCP7 writer's arithmetic on plain numbers gives OTIO's own doubles, and its path helpers
give what ``pathlib``/``urllib`` would: the document's frame counts depend on both."""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import urlparse

import opentimelineio as otio
import pytest

from previz.timeline.xmeml import Time, end_of, minus, plus, rescaled, suffix, url_path

RT = otio.opentime.RationalTime
RATES = (1, 12.5, 23.976023976023978, 24, 24000 / 1001, 25, 29.97002997002997, 30, 48, 60)


def _pairs(count: int = 2000) -> list[tuple[Time, Time]]:
    rng = random.Random(15)

    def time() -> Time:
        value = rng.choice([float(rng.randint(-100, 5000)), rng.uniform(-100, 5000)])
        return value, float(rng.choice(RATES))

    return [(time(), time()) for _ in range(count)]


def test_sums_and_differences_are_otios_at_any_rates() -> None:
    for a, b in _pairs():
        total, difference = RT(*a) + RT(*b), RT(*a) - RT(*b)
        assert plus(a, b) == (total.value, total.rate)
        assert minus(a, b) == (difference.value, difference.rate)


def test_rescaling_and_range_ends_are_otios_at_any_rates() -> None:
    for a, b in _pairs():
        assert rescaled(a, b[1]) == RT(*a).rescaled_to(b[1]).value
        end = otio.opentime.TimeRange(RT(*a), RT(*b)).end_time_exclusive()
        serialised = {"start_time": {"value": a[0], "rate": a[1]},
                      "duration": {"value": b[0], "rate": b[1]}}  # fmt: skip
        assert end_of(serialised) == (end.value, end.rate)


@pytest.mark.parametrize(
    "url",
    ["file:///m/x.WAV", "file:///m/x.tar.gz", "file:///m/.wav", "file:///m/x.", "file:///m/x/",
     "file:///m/x.wav/.", "file:///m/x.wav/..", "", ".", "/", "x.wav//", "a/.b.c",
     "file:///m/x.mov;v=1?x#y.wav", "http://host/a%20b.mp4"],
)  # fmt: skip
def test_a_files_suffix_and_path_are_pathlibs_and_urllibs(url: str) -> None:
    assert suffix(url) == Path(url).suffix.lower()
    assert url_path(url) == urlparse(url).path
