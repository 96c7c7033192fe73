"""A build folder as a reviewer sees it: shots in cut order, their takes, the cast, the totals.

Everything comes from what ``previz build`` left in the folder, as it is: ``timeline.otio`` (the
picture track, the alternate-take tracks, the sound-cue markers and ``metadata["previz"]`` with
prompts, cast and the character bible) and ``build.json`` (cached, generated, failed, spend).
The review page, the PDF boards and ``previz notes`` all start from a :class:`ReviewBuild`, so
the three always agree on what a shot is called, when it plays and what it shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz import timebase
from previz.errors import TimelineError
from previz.prompts.phrases import angle_phrase
from previz.review.camera import lens_label, movement_label, size_label
from previz.review.facts import shot_facts
from previz.timeline.assemble import VIDEO_TRACK
from previz.timeline.facts import plain
from previz.timeline.media import local_path
from previz.timeline.reading import read_build_timeline

SUMMARY_FILE = "build.json"
RUN_COUNTERS = ("cached", "generated", "spent_usd")
"""``build.json`` fields that count what one run did rather than what the cut is."""
ANIMATIC_FILE = "animatic.mp4"
CLIPS_DIR = "clips"
_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Take:
    """One generated (or failed) variant of a shot; ``media`` is None when there is no file."""

    number: int
    media: Path | None
    selected: bool
    failure: str | None = None
    source_in: int = 0  # the take's first frame in the cut (a head trim moves it)


@dataclass(frozen=True)
class Cue:
    """A sound cue that starts in a shot: its kind, what is heard, and when (s from the head)."""

    kind: str
    text: str
    start: float


@dataclass(frozen=True)
class ReviewShot:
    """One shot of the cut with everything a reviewer is shown about it."""

    id: str
    scene: str
    heading: str
    number: int
    record_frame: int
    frames: int
    timecode: str
    size: str
    angle: str
    movement: str
    lens: str
    cast: tuple[str, ...]
    wardrobe: tuple[tuple[str, str], ...]  # (character id, what they wear in this shot)
    location: str | None
    action: str
    dialogue: tuple[Cue, ...]
    sound: tuple[Cue, ...]
    backend: str
    model: str | None
    cost: float
    prompt: str | None
    takes: tuple[Take, ...]
    notes: str | None
    failure: str | None

    @property
    def selected(self) -> Take | None:
        return next((t for t in self.takes if t.selected), None)

    @property
    def camera(self) -> str:
        """``MCU · low angle · static · 35mm f/2`` — the camera in one line."""
        return " · ".join(p for p in (self.size, self.angle, self.movement, self.lens) if p)


@dataclass(frozen=True)
class ReviewCharacter:
    """A character as the bible describes them, with the shots they are in."""

    id: str
    name: str
    description: str
    color: str
    voice: str | None
    wardrobe: tuple[tuple[str, str], ...]  # (scene heading, what they wear in that scene)
    references: tuple[Path, ...]
    shots: tuple[str, ...]


@dataclass(frozen=True)
class ReviewBuild:
    """The build: project facts, shots in cut order, characters, and the run's totals."""

    folder: Path
    title: str
    rate: Fraction
    start_frame: int
    width: int
    height: int
    animatic: Path | None
    shots: tuple[ReviewShot, ...]
    characters: tuple[ReviewCharacter, ...]
    generated: int
    cached: int
    failed: int
    spent: float
    exports: tuple[tuple[str, str], ...] = ()  # (format, file name in the build folder)

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def frames(self) -> int:
        return sum(shot.frames for shot in self.shots)

    @property
    def running_time(self) -> str:
        """Total length as ``HH:MM:SS:FF``."""
        return timecode(self.frames, self.fps)

    def timecode(self, record_frame: int) -> str:
        """Record timecode of a frame counted from the start of the cut."""
        return timecode(self.start_frame + record_frame, self.fps)

    def shot(self, shot_id: str) -> ReviewShot:
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        raise KeyError(shot_id)


def timecode(frame: int, fps: float) -> str:
    """``HH:MM:SS:FF`` of a frame count, non-drop like every export previz writes."""
    return timebase.timecode(frame, fps)


def read_build(folder: Path, timeline: otio.schema.Timeline | None = None) -> ReviewBuild:
    """Read ``folder`` (a ``previz build`` output) into a :class:`ReviewBuild`.

    ``timeline`` is the build's own, still in memory (absolute media), when the caller has just
    written it as ``timeline.otio``: it saves reading the file back."""
    timeline = read_build_timeline(folder) if timeline is None else timeline
    project = plain(timeline.metadata.get("previz", {}))
    summary = _summary(folder)
    rate = _rate(project, folder)
    fps = float(rate)
    start = timeline.global_start_time
    start_frame = round(start.rescaled_to(fps).value) if start is not None else 0
    failures = {
        (f.get("shot"), f.get("take")): str(f.get("reason", ""))
        for f in summary.get("failures", [])
    }
    alternates = _alternate_takes(timeline, folder)
    cues = _cues(timeline)
    shots = []
    for clip in _picture_track(timeline, folder).find_clips():
        facts = shot_facts(clip)
        if "shot" not in facts:
            continue
        record = timecode(start_frame + int(facts["record_frame"]), fps)
        selected = (_media(clip, folder), _source_in(clip))
        shots.append(_shot(facts, selected, record, alternates, failures, cues))
    animatic = folder / ANIMATIC_FILE
    return ReviewBuild(
        folder=folder,
        title=str(project.get("title") or timeline.name or folder.name),
        rate=rate,
        start_frame=start_frame,
        width=int((project.get("resolution") or [0, 0])[0]),
        height=int((project.get("resolution") or [0, 0])[1]),
        animatic=animatic if animatic.is_file() else None,
        shots=tuple(shots),
        characters=_characters(project.get("characters", {}), shots),
        generated=int(summary.get("generated", 0)),
        cached=int(summary.get("cached", 0)),
        failed=len({f.get("shot") for f in summary.get("failures", [])}),
        spent=float(summary.get("spent_usd", 0.0)),
        exports=_exports(summary, folder),
    )


def _summary(folder: Path) -> dict[str, Any]:
    path = folder / SUMMARY_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TimelineError(
            f"cannot read {SUMMARY_FILE}: {error}", path=path,
            hint="run `previz build` again to rewrite it",
        ) from error  # fmt: skip
    return data if isinstance(data, dict) else {}


def _exports(summary: Mapping[str, Any], folder: Path) -> tuple[tuple[str, str], ...]:
    """The exports ``build.json`` lists that are in the folder, as (format, file name)."""
    listed = summary.get("exports") or {}
    return tuple(
        (str(fmt), str(name))
        for fmt, names in listed.items()
        for name in names
        if isinstance(name, str) and "/" not in name and (folder / name).is_file()
    )


def _rate(project: Mapping[str, Any], folder: Path) -> Fraction:
    rate = project.get("rate")
    if isinstance(rate, list) and len(rate) == 2 and rate[1]:
        return Fraction(int(rate[0]), int(rate[1]))
    raise TimelineError(
        "the timeline carries no previz project rate", path=folder / "timeline.otio",
        hint="point at a folder written by `previz build`",
    )  # fmt: skip


def _picture_track(timeline: otio.schema.Timeline, folder: Path) -> otio.schema.Track:
    for track in timeline.tracks:
        if track.name == VIDEO_TRACK:
            return track
    raise TimelineError(
        f"the timeline has no {VIDEO_TRACK} track", path=folder / "timeline.otio",
        hint="point at a folder written by `previz build`",
    )  # fmt: skip


def _media(clip: otio.schema.Clip, folder: Path) -> Path | None:
    """The take's file; in the build's own ``clips/`` when the folder was moved or copied."""
    reference = clip.media_reference
    if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        path = local_path(reference.target_url)
        if path.is_file():
            return path
        moved = folder / CLIPS_DIR / path.name  # spelt only when the take is not where it was
        if moved.is_file():
            return moved
    return None


def _source_in(clip: otio.schema.Clip) -> int:
    source = clip.source_range
    return round(source.start_time.value) if source is not None else 0


def _alternate_takes(timeline: otio.schema.Timeline, folder: Path) -> dict[str, list[Take]]:
    takes: dict[str, list[Take]] = {}
    for track in timeline.tracks:
        if track.name == VIDEO_TRACK or track.kind != otio.schema.TrackKind.Video:
            continue
        for clip in track.find_clips():
            facts = plain(clip.metadata.get("previz", {}))
            if "shot" in facts:
                take = Take(int(facts["take"]), _media(clip, folder), selected=False,
                            source_in=_source_in(clip))  # fmt: skip
                takes.setdefault(str(facts["shot"]), []).append(take)
    return takes


def _cues(timeline: otio.schema.Timeline) -> dict[str, list[Cue]]:
    """Sound cues by the shot they start in, from the timeline's cue markers."""
    cues: dict[str, list[Cue]] = {}
    for marker in timeline.tracks.markers:
        facts = plain(marker.metadata.get("previz", {}))
        if facts.get("kind") == "sound" and facts.get("shot"):
            cue = Cue(str(facts.get("cue", "")), marker.comment or "", float(facts.get("start", 0)))
            cues.setdefault(str(facts["shot"]), []).append(cue)
    return cues


def _shot(
    facts: dict[str, Any], media: tuple[Path | None, int], timecode: str,
    alternates: Mapping[str, list[Take]], failures: Mapping[tuple[Any, Any], str],
    cues: Mapping[str, list[Cue]],
) -> ReviewShot:  # fmt: skip
    shot_id = str(facts["shot"])
    selected = int(facts.get("take", 1))
    missing = facts.get("missing")
    takes = {t.number: t for t in alternates.get(shot_id, [])}
    failure = str(missing) if missing else None
    takes[selected] = Take(selected, media[0], True, failure, source_in=media[1])
    for number in range(1, int(facts.get("takes", 1)) + 1):
        if number not in takes:
            takes[number] = Take(number, None, False, failures.get((shot_id, number)))
    camera = facts.get("camera", {})
    heard = cues.get(shot_id, [])
    return ReviewShot(
        id=shot_id,
        scene=str(facts.get("scene", "")),
        heading=str(facts.get("heading", "")),
        number=int(facts.get("shot_number", 0)),
        record_frame=int(facts["record_frame"]),
        frames=int(facts["frames"]),
        timecode=timecode,
        size=size_label(camera.get("size")),
        angle=angle_phrase(camera["angle"]) if camera.get("angle") else "",
        movement=movement_label(camera.get("movement")),
        lens=lens_label(camera.get("lens")),
        cast=tuple(str(c) for c in facts.get("cast", [])),
        wardrobe=tuple((str(k), str(v)) for k, v in (facts.get("wardrobe") or {}).items() if v),
        location=facts.get("location"),
        action=str(facts.get("action", "")),
        dialogue=tuple(c for c in heard if c.kind == "dialogue"),
        sound=tuple(c for c in heard if c.kind != "dialogue"),
        backend=str(facts.get("backend", "")),
        model=facts.get("model"),
        cost=float(facts.get("cost") or 0.0),
        prompt=facts.get("prompt"),
        takes=tuple(takes[n] for n in sorted(takes)),
        notes=facts.get("notes"),
        failure=str(missing) if missing else None,
    )


def _worn(character_id: str, shots: list[ReviewShot]) -> tuple[tuple[str, str], ...]:
    """What the character wears in each scene they appear in, in cut order."""
    worn: dict[str, tuple[str, str]] = {}
    for shot in shots:
        clothes = dict(shot.wardrobe).get(character_id)
        if clothes and shot.scene not in worn:
            worn[shot.scene] = (shot.heading, clothes)
    return tuple(worn.values())


def _characters(bible: Mapping[str, Any], shots: list[ReviewShot]) -> tuple[ReviewCharacter, ...]:
    characters = []
    for character_id, facts in bible.items():
        references = (Path(str(r.get("path", ""))) for r in facts.get("references", []))
        color = str(facts.get("color") or "")
        characters.append(
            ReviewCharacter(
                id=str(character_id),
                name=str(facts.get("name") or character_id),
                description=str(facts.get("description") or ""),
                color=color if _HEX_COLOUR.match(color) else "#888888",
                voice=facts.get("voice"),
                wardrobe=_worn(str(character_id), shots),
                references=tuple(p for p in references if p.is_file()),
                shots=tuple(s.id for s in shots if character_id in s.cast),
            )
        )
    return tuple(characters)
