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
- a marker at each shot's head (id, action, cast; notes in the comment) and one per sound cue,
  as long as the cue (one that runs on across cuts, a scene's bed under all its shots);
- ``metadata["previz"]`` on every clip with everything conform needs to match it back, and on
  the timeline the project, its style and the character bible. No credential ever goes in.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.errors import TimelineError
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.transitions import ShotTransitions, TransitionProblem, shot_transitions
from previz.timebase import frames_in
from previz.timeline.bible import character_bible, clip_facts, project_facts, shot_marker
from previz.timeline.media import RealPaths
from previz.timeline.metadata import MetadataBatch
from previz.timeline.rates import frames_of
from previz.timeline.take import Take, stem_key

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
    clips: Mapping[tuple[str, int], Take],
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
    resolve = _Media(rate)  # the takes sit in a few folders, and a take's stems share its length
    facts = MetadataBatch()  # every clip's facts handed to OTIO at once, at the end
    for track in _alternate_tracks(shotlist, clips, rate, resolve, facts):
        timeline.tracks.append(track)
    problems: list[TransitionProblem] = []
    timeline.tracks.append(_picture_track(shotlist, clips, failed, rate, problems, resolve, facts))
    timeline.metadata["previz"]["transition_problems"] = [
        {"shot": p.shot_id, "kind": p.kind, "wanted": p.wanted, "used": p.used,
         "reason": p.reason, "message": str(p)}
        for p in problems
    ]  # fmt: skip
    for name, role in SOUND_TRACKS:
        timeline.tracks.append(_sound_track(shotlist, clips, name, role, rate, resolve, facts))
    timeline.tracks.markers.extend(_cue_markers(shotlist, rate))
    facts.apply()
    return timeline


def _frames(seconds: float, rate: float) -> int:
    return frames_in(seconds, rate)


class _Media(RealPaths):
    """Where a cut's media are (:class:`RealPaths`), and the time ranges its clips share.

    OTIO times are values, copied into each object that is given one, so one
    ``TimeRange`` serves every clip of a length: a shot's trim is asked for by its picture,
    its alternates and each of its sound clips, a take's length by its picture and stems."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self._lengths: dict[float, otio.opentime.TimeRange] = {}
        self._trims: dict[int, tuple[ResolvedShot, otio.opentime.TimeRange]] = {}

    def available(self, seconds: float) -> otio.opentime.TimeRange:
        """The whole of a medium ``seconds`` long, from its first frame."""
        found = self._lengths.get(seconds)
        if found is None:
            rate = self.rate
            found = self._lengths[seconds] = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate),
                otio.opentime.RationalTime(_frames(seconds, rate), rate),
            )
        return found

    def trimmed(self, shot: ResolvedShot) -> otio.opentime.TimeRange:
        """:func:`_trimmed` of ``shot``, worked out once per shot (object) of the cut."""
        found = self._trims.get(id(shot))
        if found is None or found[0] is not shot:
            found = self._trims[id(shot)] = (shot, _trimmed(shot, self.rate))
        return found[1]


def _reference(path: Path, seconds: float, resolve: _Media) -> otio.schema.ExternalReference:
    # positional: pybind11 matches keyword arguments by name, at twice the cost per call
    return otio.schema.ExternalReference(resolve.url(path), resolve.available(seconds))


def _gap(shot: ResolvedShot, rate: float) -> otio.schema.Gap:
    return otio.schema.Gap(duration=otio.opentime.RationalTime(shot.frames, rate))


def _trimmed(shot: ResolvedShot, rate: float) -> otio.opentime.TimeRange:
    """The shot's frames of its take: from ``clip_in`` (a head trim), for the shot's length."""
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(frames_of(shot.clip_in, rate), rate),
        otio.opentime.RationalTime(shot.frames, rate),
    )


def _shot_clip(
    shotlist: ResolvedShotList, shot: ResolvedShot, clip: Take | None, reason: str | None,
    rate: float, resolve: _Media, batch: MetadataBatch,
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
        batch.set(placeholder.metadata, "previz", facts)
        placeholder.markers.append(shot_marker(shot, rate, batch))
        return placeholder
    result = otio.schema.Clip(
        shot.id, _reference(clip.path, clip.duration, resolve), resolve.trimmed(shot)
    )
    batch.set(result.metadata, "previz", clip_facts(shotlist, shot, clip, clip.take))
    result.markers.append(shot_marker(shot, rate, batch))
    return result


def _picture_track(
    shotlist: ResolvedShotList, clips: Mapping[tuple[str, int], Take], failed: dict[str, str],
    rate: float, problems: list[TransitionProblem], resolve: _Media, batch: MetadataBatch,
) -> otio.schema.Track:  # fmt: skip
    """V1: the selected takes, with dissolves between them and fades against black (a gap)."""
    track = otio.schema.Track(name=VIDEO_TRACK, kind=otio.schema.TrackKind.Video)
    edges = shot_transitions(shotlist)
    shots = shotlist.shots
    chosen = [clips.get((shot.id, shot.selected_take)) for shot in shots]
    dissolves = [
        _dissolve_frames(shots[i], chosen[i], chosen[i + 1], edges[shots[i].id], rate, problems)
        if i + 1 < len(shots) else 0
        for i in range(len(shots))
    ]  # fmt: skip
    for index, (shot, clip) in enumerate(zip(shots, chosen, strict=True)):
        came_in = dissolves[index - 1] if index > 0 else 0
        fade_in, fade_out = _fades(shot, edges[shot.id], came_in, dissolves[index], problems)
        if fade_in:
            fade = _transition(f"fade in {shot.id}", 0, fade_in, rate, edges[shot.id].fade_in)
            track.extend([_black(rate), fade])
        track.append(_shot_clip(shotlist, shot, clip, failed.get(shot.id), rate, resolve, batch))
        if fade_out:
            fade = _transition(f"fade out {shot.id}", fade_out, 0, rate, edges[shot.id].fade_out)
            track.extend([fade, _black(rate)])
        if dissolves[index]:
            name = f"dissolve {shot.id} → {shots[index + 1].id}"
            wanted = edges[shot.id].dissolve_out
            track.append(_transition(name, 0, dissolves[index], rate, wanted))
    return track


def _black(rate: float) -> otio.schema.Gap:
    """Black for a fade to run against: a gap of no length, so the cut keeps its timing."""
    return otio.schema.Gap(duration=otio.opentime.RationalTime(0, rate))


def _transition(
    name: str, before: int, after: int, rate: float, wanted: int
) -> otio.schema.Transition:
    """A dissolve ``before`` frames into the outgoing side and ``after`` into the incoming."""
    used = before + after
    return otio.schema.Transition(
        name=name,
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=otio.opentime.RationalTime(before, rate),
        out_offset=otio.opentime.RationalTime(after, rate),
        metadata={"previz": {"requested_frames": wanted, "frames": used,
                             "shortened_to_handle": used < wanted}},
    )  # fmt: skip


def _dissolve_frames(
    shot: ResolvedShot, clip: Take | None, following: Take | None, edges: ShotTransitions,
    rate: float, problems: list[TransitionProblem],
) -> int:  # fmt: skip
    """Frames of the dissolve out of ``shot`` that media can carry (the take's tail handle)."""
    wanted = edges.dissolve_out
    if wanted == 0:
        return 0
    if clip is None or following is None:
        reason = "a shot on either side of the cut has no take"
        problems.append(TransitionProblem(shot.id, "dissolve", wanted, 0, reason))
        return 0
    tail = frames_in(clip.duration, rate) - int(_trimmed(shot, rate).end_time_exclusive().value)
    used = max(0, min(wanted, tail))
    if used < wanted:
        problems.append(TransitionProblem(
            shot.id, "dissolve", wanted, used, f"its take has {max(tail, 0)} frames of tail handle"
        ))  # fmt: skip
    return used


def _fades(
    shot: ResolvedShot, edges: ShotTransitions, came_in: int, going_out: int,
    problems: list[TransitionProblem],
) -> tuple[int, int]:  # fmt: skip
    """Fade in and out frames that fit in the shot beside the dissolves at its edges."""
    room = shot.frames - came_in - going_out
    fade_in = min(edges.fade_in, max(room, 0))
    fade_out = min(edges.fade_out, max(room - fade_in, 0))
    for kind, wanted, used in (("fade in", edges.fade_in, fade_in),
                               ("fade out", edges.fade_out, fade_out)):  # fmt: skip
        if used < wanted:
            beside = came_in + going_out
            reason = f"the shot is {shot.frames} frames long" + (
                f" and dissolves take {beside} of them" if beside else ""
            )
            problems.append(TransitionProblem(shot.id, kind, wanted, used, reason))
    return fade_in, fade_out


def _alternate_tracks(
    shotlist: ResolvedShotList,
    clips: Mapping[tuple[str, int], Take],
    rate: float,
    resolve: _Media,
    batch: MetadataBatch,
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
                f"{shot.id} take {take.take}",
                _reference(take.path, take.duration, resolve),
                resolve.trimmed(shot),
            )
            batch.set(alternate.metadata, "previz", clip_facts(shotlist, shot, take, take.take))
            track.append(alternate)
        tracks.append(track)
    return list(reversed(tracks))


def _sound_track(
    shotlist: ResolvedShotList, clips: Mapping[tuple[str, int], Take], name: str, role: str,
    rate: float, resolve: _Media, batch: MetadataBatch,
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
            f"{shot.id} {role}",
            _reference(source, clip.duration, resolve),
            resolve.trimmed(shot),
        )
        key = stem_key(clip.cache_key, role)
        batch.set(sound.metadata, "previz", {"shot": shot.id, "take": clip.take, "role": role,
                                             "cache_key": key})  # fmt: skip
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
                extension = f" ({cue.extension})" if cue.extension else ""
                comment = f"{cue.speaker.name.upper()}{extension}: {cue.line or ''}"
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
                        otio.opentime.RationalTime(_frames(cue.cue_length, rate), rate),
                    ),
                    color=CUE_COLOURS.get(cue.kind, otio.schema.MarkerColor.YELLOW),
                    comment=comment,
                    metadata={"previz": facts},
                )
            )
    return markers
