"""Fades in a timeline, found and, for formats that cannot hold them, taken out.

previz draws a fade as a dissolve against a gap of no length (black): ``Gap(0)`` then a
transition into the shot for a fade in, a transition out of the shot then ``Gap(0)`` for a
fade out. Formats with a native fade write that (FCP7 ``start-black``/``end-black``, FCPXML
transitions at the storyline's ends, CMX ``BL`` dissolves, MLT fade filters). A format whose
engine refuses an empty item (GES cannot place a clip of no length, so the whole project fails
to load) gets the cut without them: :func:`without_fades`.
"""

from __future__ import annotations

import opentimelineio as otio


def is_black(item: otio.core.Composable | None) -> bool:
    """True for the empty gap a fade runs against."""
    return isinstance(item, otio.schema.Gap) and item.duration().value == 0


def fade_frames(track: otio.schema.Track, clip: otio.schema.Clip) -> tuple[int, int]:
    """Frames of fade in and fade out on ``clip`` (0 when it has none)."""
    items = list(track)
    return _fades_at(items, items.index(clip))


def track_fade_frames(track: otio.schema.Track) -> list[tuple[int, int]]:
    """:func:`fade_frames` of every clip of ``track`` in order, in one pass over the track."""
    items = list(track)
    return [_fades_at(items, index) for index, item in enumerate(items)
            if isinstance(item, otio.schema.Clip)]  # fmt: skip


def _fades_at(items: list[otio.core.Composable], index: int) -> tuple[int, int]:
    def fade(at: int, towards: int) -> int:
        if not (0 <= at < len(items) and isinstance(items[at], otio.schema.Transition)):
            return 0
        if not is_black(items[towards] if 0 <= towards < len(items) else None):
            return 0
        transition = items[at]
        return int((transition.in_offset + transition.out_offset).value)

    return fade(index - 1, index - 2), fade(index + 1, index + 2)


def track_without_fades(track: otio.schema.Track) -> otio.schema.Track:
    """A copy of ``track`` with its fades and the empty gaps they run against taken out."""
    copy = otio.schema.Track(name=track.name, kind=track.kind, metadata=track.metadata)
    for item in items_without_fades(track):
        copy.append(item.deepcopy())
    return copy


def items_without_fades(
    track: otio.schema.Track, items: list[otio.core.Composable] | None = None
) -> list[otio.core.Composable]:
    """The items of ``track`` (not copies; those of ``items``, ``list(track)``, when given)
    less its fades and the empty gaps they run against."""
    items = list(track) if items is None else items

    def beside_black(index: int) -> bool:
        return any(is_black(items[at]) for at in (index - 1, index + 1) if 0 <= at < len(items))

    return [item for index, item in enumerate(items)
            if not (is_black(item) or (isinstance(item, otio.schema.Transition)
                                       and beside_black(index)))]  # fmt: skip


def without_fades(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy of ``timeline`` with every fade (and the empty gap it runs against) taken out."""
    copy = timeline.deepcopy()
    for index, track in enumerate(list(copy.tracks)):
        copy.tracks[index] = track_without_fades(track)
    return copy
