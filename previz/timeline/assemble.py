"""Assembly: a resolved shot list and its generated clips become one OpenTimelineIO timeline.

The cut an editor opens, at the project's rate and start timecode (01:00:00:00 by default):

- ``V1``, the top video track: each shot's selected take, named by shot id, trimmed by
  ``source_range`` to the shot's length from its ``clip_in`` (the clip's first frame unless an
  edit trimmed the head; the rest of a generated clip is handle); a shot not generated or
  failed is a ``MissingReference`` of the right length, so the cut still times out;
- alternate takes on tracks *below* V1 (``ALT1``, ``ALT2``…), under their shot: NLEs stack
  tracks upward and the adapters drop a track's disabled flag, so below is the only safe place;
- ``A1`` dialogue, ``A2`` SFX, ``A3`` ambience, ``A4`` music from the clip's sound stems; a
  clip with mixed sound and no stems puts its own audio on A1;
- dissolves from the shot list as OTIO transitions that start at the cut and use the outgoing
  clip's tail handle (there is no head handle), shortened to the handle there is;
- a marker at each shot's head (id, action, cast; notes in the comment) and one per sound cue;
- ``metadata["previz"]`` on every clip with everything conform needs to match it back, and on
  the timeline the project, its style and the character bible. No credential ever goes in.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.backends.base import Clip
from previz.errors import TimelineError
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.timing import to_time
from previz.timeline.bible import character_bible, clip_facts, project_facts, shot_marker

VIDEO_TRACK = "V1"
SOUND_TRACKS = (("A1", "dialogue"), ("A2", "sfx"), ("A3", "ambience"), ("A4", "music"))
CUE_COLOURS = {
    "dialogue": otio.schema.MarkerColor.GREEN,
    "sfx": otio.schema.MarkerColor.ORANGE,
    "ambience": otio.schema.MarkerColor.CYAN,
    "music": otio.schema.MarkerColor.PURPLE,
}


def assemble(
    shotlist: ResolvedShotList,
    clips: Mapping[tuple[str, int], Clip],
    *,
    failures: Mapping[str, str] | None = None,
    start_timecode: str | None = None,
) -> otio.schema.Timeline:
    """The timeline of ``shotlist`` cut from ``clips`` (keyed by shot id and take number)."""
    rate = float(shotlist.rate)
    timecode = start_timecode or shotlist.project.start_timecode
    try:
        start = otio.opentime.from_timecode(timecode, rate)
    except ValueError as error:
        raise TimelineError(
            f"start timecode {timecode!r} is not a timecode at {shotlist.fps} fps",
            hint="write it as HH:MM:SS:FF, e.g. 01:00:00:00",
        ) from error
    timeline = otio.schema.Timeline(name=shotlist.project.title, global_start_time=start)
    timeline.metadata["previz"] = {
        **project_facts(shotlist, timecode),
        "characters": character_bible(shotlist),
    }
    failed = dict(failures or {})
    for track in _alternate_tracks(shotlist, clips, rate):
        timeline.tracks.append(track)
    timeline.tracks.append(_picture_track(shotlist, clips, failed, rate))
    for name, role in SOUND_TRACKS:
        timeline.tracks.append(_sound_track(shotlist, clips, name, role, rate))
    timeline.tracks.markers.extend(_cue_markers(shotlist, rate))
    return timeline


def _frames(seconds: float, rate: float) -> int:
    return round(seconds * rate)


def _reference(path: Path, seconds: float, rate: float) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(
        target_url=path.resolve().as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate),
            otio.opentime.RationalTime(_frames(seconds, rate), rate),
        ),
    )


def _gap(shot: ResolvedShot, rate: float) -> otio.schema.Gap:
    return otio.schema.Gap(duration=otio.opentime.RationalTime(shot.frames, rate))


def _trimmed(shot: ResolvedShot, rate: float) -> otio.opentime.TimeRange:
    """The shot's frames of its take: from ``clip_in`` (a head trim), for the shot's length."""
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(round(shot.clip_in.rescaled_to(rate).value), rate),
        otio.opentime.RationalTime(shot.frames, rate),
    )


def _shot_clip(
    shotlist: ResolvedShotList, shot: ResolvedShot, clip: Clip | None, reason: str | None,
    rate: float,
) -> otio.schema.Clip:  # fmt: skip
    """The selected take of ``shot`` on V1, or a placeholder of the right length."""
    if clip is None:
        placeholder = otio.schema.Clip(
            name=shot.id,
            media_reference=otio.schema.MissingReference(available_range=_trimmed(shot, rate)),
            source_range=_trimmed(shot, rate),
        )
        facts = clip_facts(shotlist, shot, None, shot.selected_take)
        facts["missing"] = reason or "not generated"
        placeholder.metadata["previz"] = facts
        placeholder.markers.append(shot_marker(shot, rate))
        return placeholder
    result = otio.schema.Clip(
        name=shot.id,
        media_reference=_reference(clip.path, clip.duration, rate),
        source_range=_trimmed(shot, rate),
    )
    result.metadata["previz"] = clip_facts(shotlist, shot, clip, clip.take)
    result.markers.append(shot_marker(shot, rate))
    return result


def _picture_track(
    shotlist: ResolvedShotList, clips: Mapping[tuple[str, int], Clip], failed: dict[str, str],
    rate: float,
) -> otio.schema.Track:  # fmt: skip
    track = otio.schema.Track(name=VIDEO_TRACK, kind=otio.schema.TrackKind.Video)
    previous: tuple[ResolvedShot, Clip | None] | None = None
    for shot in shotlist.shots:
        clip = clips.get((shot.id, shot.selected_take))
        if previous is not None:
            transition = _dissolve(previous[0], previous[1], shot, clip, rate)
            if transition is not None:
                track.append(transition)
        track.append(_shot_clip(shotlist, shot, clip, failed.get(shot.id), rate))
        previous = (shot, clip)
    return track


def _dissolve(
    before: ResolvedShot, before_clip: Clip | None, after: ResolvedShot, after_clip: Clip | None,
    rate: float,
) -> otio.schema.Transition | None:  # fmt: skip
    """The dissolve between two shots, if the shot list asks for one and media can carry it."""
    wanted = next(
        (t for t in (before.transition_out, after.transition_in) if t and t.type == "dissolve"),
        None,
    )
    if wanted is None or wanted.duration is None:
        return None
    frames = round(to_time(wanted.duration, rate).value)
    if before_clip is None or after_clip is None:
        return None  # a placeholder has no picture to dissolve from or to
    tail = _frames(before_clip.duration, rate) - _trimmed(before, rate).end_time_exclusive().value
    used = max(0, min(frames, tail, after.frames))
    if used == 0:
        return None
    return otio.schema.Transition(
        name=f"dissolve {before.id} → {after.id}",
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=otio.opentime.RationalTime(0, rate),
        out_offset=otio.opentime.RationalTime(used, rate),
        metadata={"previz": {"requested_frames": frames, "frames": used,
                             "shortened_to_handle": used < frames}},
    )  # fmt: skip


def _alternate_tracks(
    shotlist: ResolvedShotList, clips: Mapping[tuple[str, int], Clip], rate: float
) -> list[otio.schema.Track]:
    """Tracks of alternate takes, the first alternate nearest V1 (so listed last)."""
    per_shot = {
        shot.id: [clips[(shot.id, t)] for t in range(1, shot.takes + 1)
                  if t != shot.selected_take and (shot.id, t) in clips]
        for shot in shotlist.shots
    }  # fmt: skip
    depth = max((len(takes) for takes in per_shot.values()), default=0)
    tracks: list[otio.schema.Track] = []
    for level in range(depth):
        track = otio.schema.Track(name=f"ALT{level + 1}", kind=otio.schema.TrackKind.Video)
        for shot in shotlist.shots:
            takes = per_shot[shot.id]
            if level >= len(takes):
                track.append(
                    otio.schema.Gap(duration=otio.opentime.RationalTime(shot.frames, rate))
                )
                continue
            take = takes[level]
            alternate = otio.schema.Clip(
                name=f"{shot.id} take {take.take}",
                media_reference=_reference(take.path, take.duration, rate),
                source_range=_trimmed(shot, rate),
            )
            alternate.metadata["previz"] = clip_facts(shotlist, shot, take, take.take)
            track.append(alternate)
        tracks.append(track)
    return list(reversed(tracks))


def _sound_track(
    shotlist: ResolvedShotList, clips: Mapping[tuple[str, int], Clip], name: str, role: str,
    rate: float,
) -> otio.schema.Track:  # fmt: skip
    track = otio.schema.Track(name=f"{name} {role}", kind=otio.schema.TrackKind.Audio)
    for shot in shotlist.shots:
        clip = clips.get((shot.id, shot.selected_take))
        source: Path | None = None
        if clip is not None:
            source = clip.stems.get(role)
            if source is None and role == "dialogue" and not clip.stems and clip.has_audio:
                source = clip.path  # mixed sound from the generator: the clip's own audio
        if clip is None or source is None:
            track.append(_gap(shot, rate))
            continue
        sound = otio.schema.Clip(
            name=f"{shot.id} {role}",
            media_reference=_reference(source, clip.duration, rate),
            source_range=_trimmed(shot, rate),
        )
        sound.metadata["previz"] = {"shot": shot.id, "take": clip.take, "role": role}
        track.append(sound)
    return track


def _cue_markers(shotlist: ResolvedShotList, rate: float) -> list[otio.schema.Marker]:
    """One marker where each sound cue begins, on the timeline (record time)."""
    markers: list[otio.schema.Marker] = []
    for shot in shotlist.shots:
        for cue in shot.sound:
            if cue.continues:
                continue
            at = shot.head.value + _frames(cue.start, rate)
            if cue.kind == "dialogue" and cue.speaker is not None:
                comment = f"{cue.speaker.name.upper()}: {cue.line or ''}"
                if cue.delivery:
                    comment += f" ({cue.delivery})"
            else:
                comment = cue.description or cue.kind
            facts: dict[str, Any] = {
                "kind": "sound", "cue": cue.kind, "id": cue.id, "shot": shot.id,
                "start": cue.start, "end": cue.end,
            }  # fmt: skip
            markers.append(
                otio.schema.Marker(
                    name=f"{cue.kind}: {cue.id}",
                    marked_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(at, rate),
                        otio.opentime.RationalTime(_frames(cue.end - cue.start, rate), rate),
                    ),
                    color=CUE_COLOURS.get(cue.kind, otio.schema.MarkerColor.YELLOW),
                    comment=comment,
                    metadata={"previz": facts},
                )
            )
    return markers
