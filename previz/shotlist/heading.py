"""Scene headings (sluglines): ``INT. WAREHOUSE - NIGHT`` → interior, location, time of day."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

_SETTINGS = {
    "INT": "INT",
    "EXT": "EXT",
    "EST": "EST",
    "INT/EXT": "INT/EXT",
    "INT./EXT": "INT/EXT",
    "INT.-EXT": "INT/EXT",
    "I/E": "INT/EXT",
    "EXT/INT": "INT/EXT",
    "EXT./INT": "INT/EXT",
}
_SETTING_WORDS = {
    "INT": "interior",
    "EXT": "exterior",
    "INT/EXT": "interior/exterior",
    "EST": "establishing exterior",
}
_HEADING = re.compile(
    r"^\s*\.?(?P<setting>INT\.?/EXT|EXT\.?/INT|INT\.?-EXT|I/E|INT|EXT|EST)\.?\s+(?P<rest>.+?)\s*$",
    re.I,
)
TIMES_OF_DAY = (
    "DAY",
    "NIGHT",
    "DAWN",
    "DUSK",
    "MORNING",
    "AFTERNOON",
    "EVENING",
    "SUNSET",
    "SUNRISE",
    "CONTINUOUS",
    "LATER",
    "MOMENTS LATER",
    "SAME",
    "MAGIC HOUR",
)


CONTINUING = frozenset(
    {"CONTINUOUS", "SAME", "SAME TIME", "LATER", "MOMENTS LATER", "A MOMENT LATER", "CONTINUED"}
)
"""Times of day that carry on from the scene before (``INT. HALL - CONTINUOUS``)."""


@dataclass(frozen=True)
class Heading:
    """A parsed slugline. ``setting`` is INT, EXT, INT/EXT or EST; None if not a standard one."""

    raw: str
    setting: str | None
    location: str
    time_of_day: str | None

    @property
    def setting_phrase(self) -> str:
        return _SETTING_WORDS.get(self.setting or "", "")


def parse_heading(text: str) -> Heading:
    """Split a slugline into setting, location and time of day; free text stays the location."""
    m = _HEADING.match(text)
    if not m:
        return Heading(raw=text, setting=None, location=text.strip(), time_of_day=None)
    setting = _SETTINGS.get(m.group("setting").upper().replace(" ", ""), "INT/EXT")
    rest = re.sub(r"#[^#]*#\s*$", "", m.group("rest")).strip()  # Fountain scene number
    location, time_of_day = rest, None
    parts = re.split(r"\s+[-–—]\s+", rest)
    if len(parts) > 1:
        location, time_of_day = " - ".join(parts[:-1]), parts[-1].strip().upper()
    elif rest.upper() in TIMES_OF_DAY:
        location, time_of_day = "", rest.upper()
    return Heading(raw=text, setting=setting, location=location.strip(), time_of_day=time_of_day)


def carry_time_of_day(headings: Iterable[Heading]) -> list[Heading]:
    """Headings in script order, each ``CONTINUOUS``/``LATER`` or time-less one (``.UPPER
    DECK``) given the time of day of the scene before it: still NIGHT, not daylight."""
    out: list[Heading] = []
    current: str | None = None
    for heading in headings:
        if heading.time_of_day is not None and heading.time_of_day not in CONTINUING:
            current = heading.time_of_day
        elif current is not None:
            heading = replace(heading, time_of_day=current)
        out.append(heading)
    return out
