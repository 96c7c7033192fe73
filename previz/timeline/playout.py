"""The cut as it plays: a timeline's picture track and sound tracks as parts of a sequence.

The animatic is rendered from the assembled timeline, so it shows exactly what an editor opens:
the picture track's clips trimmed by their source ranges, black for gaps and missing media,
every transition drawn over the frames it covers (a dissolve between two clips; a fade where
one side is a gap), and every sound track's clips summed at their record position, sample for
sample. Each part's media is named by its content key (the take's cache key when the clip has
one), so a rebuild recognises the parts it has already encoded.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from previz.errors import TimelineError
from previz.media.encoding import SAMPLE_RATE
from previz.media.parts import PicturePart, SoundPart, SoundSource, Source
from previz.timebase import samples_at
from previz.timeline.media import local_path
from previz.timeline.rates import frames_of, timeline_rate

PICTURE_TRACK = "V1"


@dataclass(frozen=True)
class Playout:
    """The parts that tile the cut: picture and sound, each as long as the whole cut."""

    pictures: tuple[PicturePart, ...]
    sounds: tuple[SoundPart, ...]
    frames: int
    fps: Fraction


@dataclass(frozen=True)
class _Span:
    """One item of the picture track at its record position, with its media (None: black)."""

    name: str
    head: int
    frames: int
    source: Source | None


def playout(timeline: otio.schema.Timeline) -> Playout:
    """The parts that play ``timeline``'s picture track (``V1``) and its audio tracks."""
    fps = timeline_rate(timeline)
    track = _picture_track(timeline)
    spans, transitions = _spans(track, fps)
    start = timeline.global_start_time
    first = frames_of(start, float(fps)) if start is not None else 0
    pictures = _pictures(spans, transitions, first)
    frames = sum(span.frames for span in spans)
    audio = []
    for sound_track in timeline.tracks:
        if sound_track.kind == otio.schema.TrackKind.Audio:
            placed = _placements(sound_track, fps)
            audio.append(([p.head for p in placed], placed))
    sounds = tuple(_sound(span, audio, fps) for span in spans if span.frames > 0)
    return Playout(pictures=pictures, sounds=sounds, frames=frames, fps=fps)


def _picture_track(timeline: otio.schema.Timeline) -> otio.schema.Track:
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    named = [t for t in video if t.name == PICTURE_TRACK]
    if not named and not video:
        raise TimelineError("the timeline has no picture track to play")
    return named[0] if named else video[-1]


def _media(item: otio.core.Item, rate: float) -> tuple[int, Source | None]:
    """An item's length in frames, and its media from the frame its source range starts at
    (None for a gap or a clip without media). Each of the item's fields is asked once: a
    200-shot cut has ~1,000 items, and every OTIO accessor builds a new Python object."""
    source_range = item.source_range
    frames = frames_of(source_range.duration if source_range else item.duration(), rate)
    if not isinstance(item, otio.schema.Clip):
        return frames, None
    reference = item.media_reference
    if not isinstance(reference, otio.schema.ExternalReference) or not reference.target_url:
        return frames, None
    first = 0
    if source_range is not None:
        available = reference.available_range
        first = frames_of(source_range.start_time, rate)
        first -= frames_of(available.start_time, rate) if available else 0
    path = local_path(reference.target_url)
    facts = item.metadata.get("previz", {})
    key = facts.get("cache_key") if hasattr(facts, "get") else None
    return frames, Source(path=path, key=str(key) if key else _file_identity(path), start=first)


def _file_identity(path: Path) -> str:
    """What stands for a file's content when no cache key says: its path, size and mtime."""
    try:
        stat = path.stat()
    except OSError as error:
        raise TimelineError(f"the media {path} cannot be read: {error.strerror}") from None
    return f"file:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _spans(
    track: otio.schema.Track, fps: Fraction
) -> tuple[list[_Span], dict[int, tuple[int, int]]]:
    """The items at their record positions, and the transitions (in, out frames) by the
    index of the span they lead into."""
    spans: list[_Span] = []
    transitions: dict[int, tuple[int, int]] = {}
    head = 0
    rate = float(fps)
    for item in track:
        if isinstance(item, otio.schema.Transition):
            into = len(spans)
            transitions[into] = (frames_of(item.in_offset, rate), frames_of(item.out_offset, rate))
            continue
        frames, source = _media(item, rate)
        spans.append(_Span(item.name, head, frames, source))
        head += frames
    return spans, transitions


def _shifted(source: Source | None, by: int) -> Source | None:
    return None if source is None else Source(source.path, source.key, source.start + by)


def _pictures(
    spans: list[_Span], transitions: dict[int, tuple[int, int]], first: int
) -> tuple[PicturePart, ...]:
    """Bodies between transitions, and one dissolve part over each transition; each knows the
    record frame it starts at (``first`` is the timeline's start timecode in frames)."""
    parts: list[PicturePart] = []
    for index, span in enumerate(spans):
        _, after_cut = transitions.get(index, (0, 0))
        before_cut, _ = transitions.get(index + 1, (0, 0))
        if (index in transitions) and (index > 0):
            before, _ = transitions[index]
            prev = spans[index - 1]
            parts.append(
                PicturePart(
                    frames=before + after_cut,
                    source=_shifted(prev.source, prev.frames - before),
                    into=_shifted(span.source, -before),
                    dissolve=True,
                    shot_id=span.name,
                    record=first + span.head - before,
                )
            )
        body = span.frames - after_cut - before_cut
        if body < 0:
            raise TimelineError(f"the transitions around {span.name} overlap: it is too short")
        if body > 0:
            source = _shifted(span.source, after_cut)
            record = first + span.head + after_cut
            parts.append(PicturePart(body, source, shot_id=span.name, record=record))
    return tuple(parts)


@dataclass(frozen=True)
class _Placed:
    """An audio clip at its record position."""

    head: int
    frames: int
    source: Source


def _placements(track: otio.schema.Track, fps: Fraction) -> list[_Placed]:
    placed: list[_Placed] = []
    head = 0
    rate = float(fps)
    for item in track:
        if isinstance(item, otio.schema.Transition):
            continue
        frames, source = _media(item, rate)
        if source is not None and frames > 0:
            placed.append(_Placed(head, frames, source))
        head += frames
    return placed


def _sound(span: _Span, tracks: list[tuple[list[int], list[_Placed]]], fps: Fraction) -> SoundPart:
    """The samples under ``span``: every audio clip that plays there, placed by sample."""
    begin = samples_at(span.head, fps, SAMPLE_RATE)
    end = samples_at(span.head + span.frames, fps, SAMPLE_RATE)
    sources: list[SoundSource] = []
    for heads, placements in tracks:
        index = max(0, bisect_right(heads, span.head) - 1)
        for clip in placements[index:]:
            if clip.head >= span.head + span.frames:
                break
            lo, hi = (
                max(clip.head, span.head),
                min(clip.head + clip.frames, span.head + span.frames),
            )
            if lo >= hi:
                continue
            first = samples_at(lo, fps, SAMPLE_RATE)
            start = samples_at(clip.source.start, fps, SAMPLE_RATE)
            offset = first - samples_at(clip.head, fps, SAMPLE_RATE)
            placed = Source(clip.source.path, clip.source.key, start + offset)
            samples = samples_at(hi, fps, SAMPLE_RATE) - first
            sources.append(SoundSource(placed, at=first - begin, samples=samples))
    return SoundPart(samples=end - begin, sources=tuple(sources), shot_id=span.name)
