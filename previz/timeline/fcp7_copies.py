"""FCP7 XML clipitems written in full, and an audio track's own full copy of one.

FCP7 writes a clip equal to an earlier one as a ``<clipitem id="…"/>`` back-reference; on an
audio track Premiere reads that as an empty clip, so :mod:`previz.timeline.fcp7` writes the
clip there in full again, numbered after every clipitem of the sequence, at the audio track's
own times. A :class:`Full` keeps what such a copy repeats of the clip written first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from previz.timeline.facts import facts_json
from previz.timeline.rates import frames_of
from previz.timeline.xmeml import COMMENT_PREFIX, NL, clipitem_end, leaf


@dataclass
class Full:
    """A clipitem written in full, with what a copy of it on an audio track repeats."""

    facts: Any  # its ``metadata["previz"]``, written as comments (:attr:`head`)
    external: bool  # the file comes before the name (a placeholder's after it)
    name: str
    file_id: str
    rate: str
    duration: str
    markers: list[str]
    last: bool  # the last element of its track: its copies end with the track's indentation

    @property
    def head(self) -> str:
        """The clipitem's comments: the clip's facts as JSON."""
        if not self.facts:
            return ""
        comment = leaf("mastercomment1", COMMENT_PREFIX + facts_json(self.facts))
        return f"{NL[32]}<comments>{NL[36]}{comment}{NL[32]}</comments>"


@dataclass
class Copy:
    """An audio track's clip equal to an earlier clip: written in full once ids are counted."""

    track: otio.schema.Track
    index: int
    full: Full


def copy_clipitem(entry: Copy, serial: int, rate: float) -> tuple[str, str]:
    """The audio track's own full clipitem for a clip equal to an earlier one, at its times
    (``rate``: the timeline's), and the indentation that follows it."""
    full, clip = entry.full, entry.track[entry.index]
    record, source = clip.trimmed_range_in_parent(), clip.trimmed_range()
    start, end, first, last = (frames_of(time, rate) for time in (
        record.start_time, record.end_time_exclusive(), source.start_time,
        source.end_time_exclusive()))  # fmt: skip
    file_text = f'<file id="{full.file_id}"/>'
    body = (f"{file_text}{full.name}{NL[32]}" if full.external
            else f"{full.name}{NL[32]}{file_text}")  # fmt: skip
    text = (
        f'<clipitem id="clipitem-{serial}">{full.head}{NL[32]}{body}{full.rate}{NL[32]}'
        f"<duration>{full.duration}</duration>{NL[32]}<start>{start}</start>{NL[32]}"
        f"<end>{end}</end>{NL[32]}<in>{first}</in>{NL[32]}<out>{last}</out>"
        + clipitem_end(full.markers, True)
    )
    return text, NL[24] if full.last else NL[28]
