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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from previz.errors import TimelineError
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.transitions import ShotTransitions, TransitionProblem, shot_transitions
from previz.timebase import frames_in
from previz.timeline.bible import (
    character_bible,
    clip_facts,
    cue_markers,
    project_facts,
    shot_marker,
)
from previz.timeline.media import RealPaths
from previz.timeline.metadata import MetadataBatch
from previz.timeline.rates import frames_of
from previz.timeline.take import Take, stem_key

VIDEO_TRACK = "V1"
SOUND_TRACKS = (("A1", "dialogue"), ("A2", "sfx"), ("A3", "ambience"), ("A4", "music"))


def assemble(
    shotlist: ResolvedShotList,
    clips: Mapping[tuple[str, int], Take],
    *,
    failures: Mapping[str, str] | None = None,
    start_timecode: str | None = None,
) -> otio.schema.Timeline:
    """The timeline of ``shotlist`` cut from ``clips`` (keyed by shot id and take number)."""
    return Assembly(shotlist, start_timecode=start_timecode).finish(clips, failures=failures)


Inputs = tuple[Take | None, ...]
"""What a shot's pieces are cut from: its selected take, then each alternate (None: absent)."""


@dataclass
class _Pieces:
    """One shot's objects on the cut's tracks: what every track holds at the shot but for the
    transitions and gaps around it, which depend on its neighbours."""

    inputs: Inputs
    picture: otio.schema.Clip
    alternates: list[otio.schema.Clip]
    sounds: list[otio.schema.Clip | None]  # per SOUND_TRACKS; None: a gap


class Assembly:
    """A cut assembled in two steps: each shot's clips, markers and facts, built ahead for the
    takes at hand (:meth:`prepare`, e.g. while the build's new takes render), then the
    timeline that holds them (:meth:`finish`), which builds what was not prepared or was
    prepared from other takes. A shot's pieces are reused only when its takes are the very
    objects they were built from, so a cut finished after any preparation is the cut
    :func:`assemble` makes of the same takes."""

    def __init__(self, shotlist: ResolvedShotList, *, start_timecode: str | None = None) -> None:
        self.shotlist = shotlist
        self.rate = float(shotlist.rate)
        self.timecode = start_timecode or shotlist.project.start_timecode
        try:
            self.start = otio.opentime.from_timecode(self.timecode, self.rate)
        except ValueError as error:
            raise TimelineError(
                f"start timecode {self.timecode!r} is not a timecode at {shotlist.fps} fps",
                hint="write it as HH:MM:SS:FF, e.g. 01:00:00:00",
            ) from error
        self._media = _Media(self.rate)  # the takes sit in a few folders; stems share lengths
        self._pieces: dict[str, _Pieces] = {}
        self._cues: list[otio.schema.Marker] | None = None
        self.reused = 0  # shots the last finish took from what was prepared

    def prepare(self, clips: Mapping[tuple[str, int], Take]) -> None:
        """Build the pieces of every shot whose selected take is in ``clips``, and the cues."""
        batch = MetadataBatch()
        for shot in self.shotlist.shots:
            inputs = _inputs(shot, clips)
            if inputs[0] is not None:
                self._pieces[shot.id] = self._build(shot, inputs, None, batch)
        self._cues = cue_markers(self.shotlist, self.rate)
        batch.apply()

    def forget(self, shot_ids: Iterable[str]) -> None:
        """Drop the prepared pieces of these shots (their media changed since): built again."""
        for shot_id in shot_ids:
            self._pieces.pop(shot_id, None)

    def finish(
        self, clips: Mapping[tuple[str, int], Take], *, failures: Mapping[str, str] | None = None
    ) -> otio.schema.Timeline:
        """The timeline cut from ``clips``; a shot's prepared pieces where its takes are those."""
        shotlist, rate = self.shotlist, self.rate
        timeline = otio.schema.Timeline(name=shotlist.project.title, global_start_time=self.start)
        timeline.metadata["previz"] = {
            **project_facts(shotlist, self.timecode),
            "characters": character_bible(shotlist),
        }
        failed = dict(failures or {})
        if not self._media.still_in_place():  # a folder moved since: nothing prepared holds
            self._pieces.clear()
        batch = MetadataBatch()  # every clip's facts handed to OTIO at once, at the end
        pieces = []
        self.reused = 0
        for shot in shotlist.shots:
            inputs = _inputs(shot, clips)
            found = self._pieces.get(shot.id)
            if found is None or not _same(found.inputs, inputs):
                found = self._build(shot, inputs, failed.get(shot.id), batch)
            else:
                self.reused += 1
            pieces.append(found)
        for track in _alternate_tracks(shotlist, pieces, rate):
            timeline.tracks.append(track)
        problems: list[TransitionProblem] = []
        timeline.tracks.append(_picture_track(shotlist, pieces, rate, problems))
        timeline.metadata["previz"]["transition_problems"] = [
            {"shot": p.shot_id, "kind": p.kind, "wanted": p.wanted, "used": p.used,
             "reason": p.reason, "message": str(p)}
            for p in problems
        ]  # fmt: skip
        for index, (name, role) in enumerate(SOUND_TRACKS):
            timeline.tracks.append(_sound_track(shotlist, pieces, index, name, role, rate))
        cues = self._cues if self._cues is not None else cue_markers(shotlist, rate)
        timeline.tracks.markers.extend(cues)
        batch.apply()
        return timeline

    def _build(
        self, shot: ResolvedShot, inputs: Inputs, reason: str | None, batch: MetadataBatch
    ) -> _Pieces:
        """The pieces of ``shot`` cut from ``inputs``, their facts queued on ``batch``."""
        shotlist, rate, media = self.shotlist, self.rate, self._media
        clip = inputs[0]
        picture = _shot_clip(shotlist, shot, clip, reason, rate, media, batch)
        alternates = []
        for take in inputs[1:]:
            if take is None:
                continue
            alternate = otio.schema.Clip(
                f"{shot.id} take {take.take}",
                _reference(take.path, take.duration, media),
                media.trimmed(shot),
            )
            batch.set(alternate.metadata, "previz", clip_facts(shotlist, shot, take, take.take))
            alternates.append(alternate)
        sounds = [_sound_clip(shot, clip, role, media, batch) for _, role in SOUND_TRACKS]
        return _Pieces(inputs, picture, alternates, sounds)


def _inputs(shot: ResolvedShot, clips: Mapping[tuple[str, int], Take]) -> Inputs:
    selected = shot.selected_take
    alternates = (clips.get((shot.id, t)) for t in range(1, shot.takes + 1) if t != selected)
    return (clips.get((shot.id, selected)), *alternates)


def _same(built: Inputs, now: Inputs) -> bool:
    return len(built) == len(now) and all(a is b for a, b in zip(built, now, strict=True))


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
                otio.opentime.RationalTime(frames_in(seconds, rate), rate),
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
    shotlist: ResolvedShotList, pieces: list[_Pieces], rate: float,
    problems: list[TransitionProblem],
) -> otio.schema.Track:  # fmt: skip
    """V1: the selected takes, with dissolves between them and fades against black (a gap)."""
    items: list[otio.core.Composable] = []
    edges = shot_transitions(shotlist)
    shots = shotlist.shots
    chosen = [piece.inputs[0] for piece in pieces]
    dissolves = [
        _dissolve_frames(shots[i], chosen[i], chosen[i + 1], edges[shots[i].id], rate, problems)
        if i + 1 < len(shots) else 0
        for i in range(len(shots))
    ]  # fmt: skip
    for index, (shot, piece) in enumerate(zip(shots, pieces, strict=True)):
        came_in = dissolves[index - 1] if index > 0 else 0
        fade_in, fade_out = _fades(shot, edges[shot.id], came_in, dissolves[index], problems)
        if fade_in:
            fade = _transition(f"fade in {shot.id}", 0, fade_in, rate, edges[shot.id].fade_in)
            items.extend([_black(rate), fade])
        items.append(piece.picture)
        if fade_out:
            fade = _transition(f"fade out {shot.id}", fade_out, 0, rate, edges[shot.id].fade_out)
            items.extend([fade, _black(rate)])
        if dissolves[index]:
            name = f"dissolve {shot.id} → {shots[index + 1].id}"
            wanted = edges[shot.id].dissolve_out
            items.append(_transition(name, 0, dissolves[index], rate, wanted))
    return _track(VIDEO_TRACK, items, otio.schema.TrackKind.Video)


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
    shotlist: ResolvedShotList, pieces: list[_Pieces], rate: float
) -> list[otio.schema.Track]:
    """Tracks of alternate takes, the first alternate nearest V1 (so listed last)."""
    depth = max((len(piece.alternates) for piece in pieces), default=0)
    tracks: list[otio.schema.Track] = []
    for level in range(depth):
        items = [
            piece.alternates[level] if level < len(piece.alternates) else _gap(shot, rate)
            for shot, piece in zip(shotlist.shots, pieces, strict=True)
        ]
        tracks.append(_track(f"ALT{level + 1}", items, otio.schema.TrackKind.Video))
    return list(reversed(tracks))


def _sound_clip(
    shot: ResolvedShot, clip: Take | None, role: str, media: _Media, batch: MetadataBatch
) -> otio.schema.Clip | None:
    """The sound of ``role`` of the shot's selected take, or None (a gap on its track)."""
    if clip is None:
        return None
    source = clip.stems.get(role)
    if source is None and role == "dialogue" and not clip.stems and clip.has_audio:
        source = clip.path  # mixed sound from the generator: the clip's own audio
    if source is None:
        return None
    sound = otio.schema.Clip(
        f"{shot.id} {role}", _reference(source, clip.duration, media), media.trimmed(shot)
    )
    key = stem_key(clip.cache_key, role)
    batch.set(sound.metadata, "previz", {"shot": shot.id, "take": clip.take, "role": role,
                                         "cache_key": key})  # fmt: skip
    return sound


def _sound_track(
    shotlist: ResolvedShotList, pieces: list[_Pieces], index: int, name: str, role: str,
    rate: float,
) -> otio.schema.Track:  # fmt: skip
    items = [
        _gap(shot, rate) if piece.sounds[index] is None else piece.sounds[index]
        for shot, piece in zip(shotlist.shots, pieces, strict=True)
    ]
    return _track(f"{name} {role}", items, otio.schema.TrackKind.Audio)


def _track(name: str, items: list[otio.core.Composable], kind: str) -> otio.schema.Track:
    """A track holding ``items``, handed to OTIO in one call (appended one by one, each went
    through OTIO's Python sequence methods)."""
    return otio.schema.Track(name, items, None, kind)
