"""The cut as the editor left it: each clip of the picture track, in project frames.

A :class:`Placed` clip is what conform compares with the shot list: which shot and take it is
(or that it is unknown), where it sits in the record, how long it runs, where in its media it
starts (a head trim), how much media there is, whether its speed was changed, and the notes
an editor left on it as markers. All times are whole frames at the project's rate, so a trim
reads back exactly at 23.976 as at 25; timecodes are the record timecode of the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import opentimelineio as otio

from previz.conform.read import clip_identity
from previz.timebase import exact_rate, exact_seconds, half_up, timecode

RT = otio.opentime.RationalTime


@dataclass
class Placed:
    """One clip of the edited picture track."""

    name: str
    shot_id: str | None  # a shot of the scene, or None for a clip previz does not know
    take: int | None
    record: int  # record frame of its head, from the sequence start timecode
    frames: int
    clip_in: int  # frames into its media where it starts
    available: int | None  # frames of media, when the file says
    speed: float | None = None  # a speed change (1.0 = none)
    dissolve_out: int | None = None  # frames of the dissolve into the next clip
    notes: list[str] = field(default_factory=list)


@dataclass
class EditedCut:
    """The picture track read into project frames, with the sequence's start."""

    clips: list[Placed]
    start: int  # record frame of the sequence start (01:00:00:00 → 86400 at 24)
    rate: Fraction

    def timecode(self, frame: int) -> str:
        """``frame`` (from the sequence start) as record timecode."""
        return timecode(self.start + frame, self.rate)


def _frames(time: otio.opentime.RationalTime, rate: Fraction) -> int:
    """``time`` in whole frames at ``rate`` (by :mod:`previz.timebase`'s one rounding rule)."""
    return half_up(exact_seconds(float(time.value)) * rate / exact_rate(float(time.rate)))


def read_cut(
    timeline: otio.schema.Timeline,
    track: otio.schema.Track,
    shot_ids: set[str],
    rate: Fraction,
    start_timecode: str,
) -> EditedCut:
    """The picture ``track`` of ``timeline`` as placed clips, notes from markers included."""
    fps = float(rate)
    start = timeline.global_start_time
    start_frame = (
        _frames(start, rate)
        if start is not None
        else _frames(otio.opentime.from_timecode(start_timecode, fps), rate)
    )
    cut = EditedCut([], start_frame, rate)
    previous: Placed | None = None
    pending: otio.schema.Transition | None = None  # a dissolve if a clip follows
    for index, item in enumerate(track):
        if isinstance(item, otio.schema.Transition):
            pending = item
            continue
        if not isinstance(item, otio.schema.Clip):
            previous = pending = None  # a gap (a fade's black): no dissolve bridges it
            continue
        where = track.range_of_child_at_index(index)
        placed = _placed(item, _frames(where.start_time, rate), shot_ids, rate)
        if previous is not None and pending is not None:
            _dissolve(previous, placed, pending, rate)
        pending = None
        for marker in item.markers:
            offset = _frames(marker.marked_range.start_time - item.source_range.start_time, rate)
            _note(cut, placed, placed.record + offset, marker, shot_ids)
        placed.notes += [f"{cut.timecode(placed.record)} {text}" for text in clip_notes(item)]
        cut.clips.append(placed)
        previous = placed
    for marker in [*track.markers, *timeline.tracks.markers]:
        at = _frames(marker.marked_range.start_time, rate)
        under = [c for c in cut.clips if c.record <= at < c.record + c.frames]
        if under:
            _note(cut, under[0], at, marker, shot_ids)
    return cut


def _dissolve(before: Placed, after: Placed, transition: otio.schema.Transition,
              rate: Fraction) -> None:  # fmt: skip
    """Record a dissolve the way previz cuts one: starting at the cut, on the outgoing tail.

    An NLE's dissolve may be centred on its cut (OTIO: ``in_offset`` frames before it); the
    same picture in previz's terms cuts ``in_offset`` frames earlier, into the incoming take
    that much sooner, so the outgoing shot is shorter and the incoming one starts earlier.
    """
    lead = _frames(transition.in_offset, rate)
    before.dissolve_out = lead + _frames(transition.out_offset, rate)
    if lead and before.frames > lead:
        shift = min(lead, after.clip_in)  # the incoming take cannot start before its first frame
        before.frames -= lead
        after.record -= lead
        after.frames += shift
        after.clip_in -= shift


def _placed(clip: otio.schema.Clip, record: int, shot_ids: set[str], rate: Fraction) -> Placed:
    shot_id, take = clip_identity(clip)
    source = clip.trimmed_range()
    available: int | None = None
    media_start = RT(0, source.start_time.rate)
    reference = clip.media_reference
    if reference is not None and reference.available_range is not None:
        media_start = reference.available_range.start_time
        available = _frames(reference.available_range.duration, rate)
    speed = None
    for effect in clip.effects:
        if isinstance(effect, otio.schema.FreezeFrame):
            speed = 0.0
        elif isinstance(effect, otio.schema.LinearTimeWarp) and effect.time_scalar != 1.0:
            speed = float(effect.time_scalar)
    return Placed(
        name=clip.name,
        shot_id=shot_id if shot_id in shot_ids else None,
        take=take if shot_id in shot_ids else None,
        record=record,
        frames=_frames(source.duration, rate),
        clip_in=_frames(source.start_time - media_start, rate),
        available=available,
        speed=speed,
    )


NOTE_KEYS = frozenset({"note", "notes", "lognote", "comment", "comments", "description",
                       "mastercomment2", "mastercomment3", "mastercomment4"})  # fmt: skip
"""Where NLEs keep a clip's own note in the metadata OTIO's adapters read (FCP7 ``<comments>``
and ``<logginginfo>`` description and log note, AAF user comments, Resolve's OTIO export)."""


def clip_notes(clip: otio.schema.Clip) -> list[str]:
    """Notes an editor typed on a clip (not previz's own metadata, which is never a note)."""
    found: list[str] = []

    def visit(value: object, key: str) -> None:
        if key == "previz":
            return
        if isinstance(value, str):
            text = value.strip()
            if key.lower() in NOTE_KEYS and text and not text.startswith(("previz:", "{")):
                found.append(text)
        elif hasattr(value, "items"):
            for child_key, child in value.items():
                visit(child, str(child_key))

    visit(clip.metadata, "")
    return found


def _note(
    cut: EditedCut, placed: Placed, at: int, marker: otio.schema.Marker, shot_ids: set[str]
) -> None:
    """Keep an editor's marker as a note; previz's own markers (shot heads, cues) are not notes."""
    name, comment = marker.name.strip(), marker.comment.strip()
    kind = marker.metadata.get("previz", {}).get("kind") if marker.metadata else None
    ours = {s.lower() for s in shot_ids}
    head = name.lower().split(":", 1)[0].strip()
    if kind in ("shot", "sound") or name.lower() in ours or (":" in name and head in ours):
        return  # a shot's head marker, in any format's spelling
    if name.split(":", 1)[0] in ("dialogue", "sfx", "ambience", "music") and ":" in name:
        return
    text = ": ".join(part for part in (name, comment) if part)
    if text:
        placed.notes.append(f"{cut.timecode(at)} {text}")
