"""The cascade: project → scene → shot defaults, resolved into one fully specified view per shot.

After resolution every shot knows its size, angle, move, lens, light, frame-exact length, cast
(with the wardrobe of its scene), location, and every sound cue heard during it — including cues
that began in an earlier shot and scene beds — timed in seconds from the shot's head.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.shotlist import vocabulary as vocab
from previz.shotlist.checks import Loc, Problem
from previz.shotlist.cues import Placement, ResolvedCue, time_cues
from previz.shotlist.heading import Heading, carry_time_of_day, parse_heading
from previz.shotlist.models import (
    Character,
    Lens,
    Lighting,
    Location,
    Movement,
    Project,
    Prop,
    Scene,
    Shot,
    ShotDefaults,
    ShotList,
    Transition,
)
from previz.shotlist.timing import DURATION_HELP, exact_rate, to_time

PALETTE = (
    "#E4572E",
    "#29335C",
    "#F3A712",
    "#17BEBB",
    "#A8C686",
    "#669BBC",
    "#B56576",
    "#6D597A",
    "#F28482",
    "#84A59D",
)
"""Animatic colours given to characters in the order they are defined (unless they set one)."""


@dataclass(frozen=True)
class ResolvedShot:
    """One shot with every default applied and every reference looked up."""

    shot: Shot
    scene: Scene
    heading: Heading
    number: int
    index: int
    size: str
    angle: str
    movement: Movement
    lens: Lens | None
    lighting: Lighting
    duration: otio.opentime.RationalTime
    head: otio.opentime.RationalTime
    cast: tuple[Character, ...]
    wardrobe: dict[str, str | None]
    location: Location | None
    props: tuple[Prop, ...]
    sound: tuple[ResolvedCue, ...]
    takes: int
    selected_take: int
    backend: str
    model: str | None
    negative_prompt: str | None
    seed: int | None
    transition_in: Transition | None
    transition_out: Transition | None
    clip_in: otio.opentime.RationalTime = field(
        default_factory=lambda: otio.opentime.RationalTime(0, 24)
    )  # where in the generated take the cut starts

    @property
    def id(self) -> str:
        return self.shot.id

    @property
    def seconds(self) -> float:
        return float(self.duration.to_seconds())

    @property
    def frames(self) -> int:
        return int(self.duration.value + 0.5)

    @property
    def take_sound(self) -> tuple[ResolvedCue, ...]:
        """The cues on the take's clock: a head trim (``clip_in``) starts the cut that far into
        the take, so what the cut hears at ``start`` the take holds at ``clip_in + start``."""
        offset = round(float(self.clip_in.to_seconds()), 6)
        if not offset:
            return self.sound
        return tuple(
            replace(cue, start=round(cue.start + offset, 6), end=round(cue.end + offset, 6))
            for cue in self.sound
        )


@dataclass(frozen=True)
class ResolvedShotList:
    """A shot list ready to compile: project facts and the resolved shots in cut order."""

    source: ShotList
    base_dir: Path
    source_path: Path | None
    rate: Fraction
    width: int
    height: int
    letterbox: float | None
    shots: tuple[ResolvedShot, ...]
    colors: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> Project:
        return self.source.project

    @property
    def fps(self) -> float:
        return self.source.project.fps

    @property
    def characters(self) -> dict[str, Character]:
        return {c.id: c for c in self.source.characters}

    @property
    def templates_dir(self) -> Path | None:
        folder = self.source.project.templates
        return (self.base_dir / folder) if folder else None

    def shot(self, shot_id: str) -> ResolvedShot:
        for shot in self.shots:
            if shot.id == shot_id:
                return shot
        raise KeyError(shot_id)

    @property
    def duration(self) -> otio.opentime.RationalTime:
        rate = float(self.rate)
        return otio.opentime.RationalTime(sum(s.frames for s in self.shots), rate)


class ResolveError(Exception):
    """Problems found while resolving; the loader turns them into located scene errors."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


def frame_size(project: Project) -> tuple[int, int, float | None]:
    """Width, height and letterbox aspect (None when the frame is the aspect)."""
    base_w, base_h = vocab.ASPECTS[project.aspect]
    named = {"2k": 1080, "4k": 2160}
    if project.resolution and "x" in project.resolution:
        w, h = (int(x) for x in project.resolution.split("x"))
    elif project.resolution:
        short = named.get(project.resolution) or int(project.resolution.rstrip("p"))
        scale = short / min(base_w, base_h)
        w, h = (2 * round(base_w * scale / 2), 2 * round(base_h * scale / 2))
    else:
        w, h = base_w, base_h
    return w, h, vocab.LETTERBOX_ASPECTS.get(project.aspect)


def resolve(
    shotlist: ShotList, base_dir: Path, source_path: Path | None = None
) -> ResolvedShotList:
    """Apply the cascade and time every shot and cue; raise :class:`ResolveError` on problems."""
    project = shotlist.project
    problems: list[Problem] = []
    placed: list[dict[str, Any]] = []  # each kept shot's fields, built once its cues are timed
    head = otio.opentime.RationalTime(0, float(exact_rate(project.fps)))
    written = [parse_heading(scene.heading) for scene in shotlist.scenes]
    headings = carry_time_of_day(written)
    cast = _Cast(shotlist)
    for si, scene in enumerate(shotlist.scenes):
        layer = _SceneLayer(shotlist, scene, written[si], headings[si], cast)
        for hi, shot in enumerate(scene.shots):
            loc: Loc = ("scenes", si, "shots", hi)
            fields = _resolve_shot(layer, shot, hi, len(placed), head, loc, problems)
            if fields is not None and not shot.omit:  # omitted: checked, then left out
                placed.append(fields)
                head = head + fields["duration"]
    if not placed and not problems:
        problems.append(
            Problem(("scenes",), "every shot is omitted", "remove 'omit: true' from a shot")
        )
    if problems:
        raise ResolveError(problems)
    timed = [Placement.of(f["shot"].id, f["head"], f["duration"]) for f in placed]
    heard = time_cues(shotlist, timed, problems)
    if problems:
        raise ResolveError(problems)
    w, h, letterbox = frame_size(project)
    return ResolvedShotList(
        source=shotlist,
        base_dir=base_dir,
        source_path=source_path,
        rate=exact_rate(project.fps),
        width=w,
        height=h,
        letterbox=letterbox,
        shots=tuple(ResolvedShot(**f, sound=c) for f, c in zip(placed, heard, strict=True)),
        colors=_colors(shotlist.characters),
    )


def _colors(characters: list[Character]) -> dict[str, str]:
    return {c.id: c.color or PALETTE[i % len(PALETTE)] for i, c in enumerate(characters)}


def _pick(attr: str, *layers: ShotDefaults | None) -> object:
    for layer in layers:
        if layer is not None and getattr(layer, attr) is not None:
            return getattr(layer, attr)
    return None


def _merge_lighting(*layers: Lighting | None) -> Lighting:
    merged: dict[str, object] = {}
    for layer in layers:
        if layer is not None:
            merged.update(layer.model_dump(exclude_none=True))
    return Lighting.model_validate(merged)


class _Cast:
    """The shot list's characters, locations and props by id, looked up once per resolve."""

    def __init__(self, shotlist: ShotList) -> None:
        self.characters = {c.id: c for c in shotlist.characters}
        self.locations = {loc.id: loc for loc in shotlist.locations}
        self.props = {p.id: p for p in shotlist.props}
        self.static = Movement(type="static")


_INHERITED = ShotDefaults.model_fields.keys()


class _SceneLayer:
    """What a scene gives each of its shots that does not set its own: the defaults of the
    scene over the project's, the location, the light and the heading — worked out once."""

    def __init__(
        self, shotlist: ShotList, scene: Scene, written: Heading, heading: Heading, cast: _Cast
    ) -> None:
        project = shotlist.project
        self.shotlist, self.scene, self.heading, self.cast = shotlist, scene, heading, cast
        self.defaults = {a: _pick(a, scene.defaults, project.defaults) for a in _INHERITED}
        self.location = scene.location or _location_from_heading(written, cast.locations)
        self.lighting = _merge_lighting(project.lighting, scene.lighting, None)

    def pick(self, shot: Shot, attr: str) -> Any:
        """The shot's own value of ``attr``, else the scene's default, else the project's."""
        value = getattr(shot, attr)
        return self.defaults[attr] if value is None else value

    def lighting_of(self, shot: Shot) -> Lighting:
        if shot.lighting is None:
            return self.lighting
        project = self.shotlist.project
        return _merge_lighting(project.lighting, self.scene.lighting, shot.lighting)


def _resolve_shot(
    layer: _SceneLayer,
    shot: Shot,
    number: int,
    index: int,
    head: otio.opentime.RationalTime,
    loc: Loc,
    problems: list[Problem],
) -> dict[str, Any] | None:
    """The fields of the shot's :class:`ResolvedShot` but its sound, or None on a problem."""
    project, scene, cast = layer.shotlist.project, layer.scene, layer.cast
    raw_duration = layer.pick(shot, "duration")
    if raw_duration is None:
        problems.append(
            Problem(
                (*loc, "duration"),
                "shot has no duration",
                "set 'duration' on the shot, or in the scene's or project's 'defaults'",
                shot.id,
            )
        )
        return None
    try:
        duration = to_time(raw_duration, project.fps)
    except ValueError as error:
        problems.append(Problem((*loc, "duration"), str(error), DURATION_HELP, shot.id))
        return None
    if duration.value <= 0:
        problems.append(
            Problem(
                (*loc, "duration"),
                f"duration {raw_duration!r} is zero frames at {project.fps:g} fps",
                "a shot must last at least one frame",
                shot.id,
            )
        )
        return None
    _check_transitions(shot, duration, project.fps, loc, problems)
    in_frame = tuple(cast.characters[c] for c in shot.cast if c in cast.characters)
    location_id = shot.location or layer.location
    takes = layer.pick(shot, "takes")
    try:
        clip_in = to_time(shot.clip_in or 0, project.fps)
    except ValueError as error:
        problems.append(Problem((*loc, "clip_in"), str(error), None, shot.id))
        return None
    return {
        "shot": shot,
        "scene": scene,
        "heading": layer.heading,
        "number": number + 1,
        "index": index,
        "size": str(layer.pick(shot, "size") or "MS"),
        "angle": str(layer.pick(shot, "angle") or "eye_level"),
        "movement": layer.pick(shot, "movement") or cast.static,
        "lens": layer.pick(shot, "lens"),
        "lighting": layer.lighting_of(shot),
        "duration": duration,
        "head": head,
        "cast": in_frame,
        "wardrobe": {c.id: _wardrobe(c, scene.id) for c in in_frame},
        "location": cast.locations.get(location_id) if location_id else None,
        "props": tuple(cast.props[p] for p in shot.props if p in cast.props),
        "takes": takes if isinstance(takes, int) else 1,
        "selected_take": shot.selected_take or 1,
        "backend": str(layer.pick(shot, "backend") or project.backend),
        "model": layer.pick(shot, "model") or project.model,
        "negative_prompt": layer.pick(shot, "negative_prompt"),
        "seed": layer.pick(shot, "seed"),
        "transition_in": shot.transition_in,
        "transition_out": shot.transition_out,
        "clip_in": clip_in,
    }


def _check_transitions(
    shot: Shot,
    duration: otio.opentime.RationalTime,
    fps: float,
    loc: Loc,
    problems: list[Problem],
) -> None:
    """A dissolve or fade cannot last longer than the shot it belongs to."""
    for key in ("transition_in", "transition_out"):
        transition: Transition | None = getattr(shot, key)
        if transition is None or transition.duration is None:
            continue
        try:
            length = to_time(transition.duration, fps)
        except ValueError as error:
            problems.append(Problem((*loc, key), str(error), DURATION_HELP, shot.id))
            continue
        if length.value > duration.value:
            problems.append(
                Problem(
                    (*loc, key),
                    f"the {transition.type.replace('_', ' ')} lasts {int(length.value)} frames "
                    f"but the shot lasts {int(duration.value)}",
                    "shorten the transition (e.g. 'dissolve 12f') or lengthen the shot",
                    shot.id,
                )
            )


def _location_from_heading(heading: Heading, locations: dict[str, Location]) -> str | None:
    wanted = heading.location.strip().lower()
    for location in locations.values():
        if wanted in (location.id.lower(), (location.name or "").lower()):
            return location.id
    return None


def _wardrobe(character: Character, scene_id: str) -> str | None:
    if character.wardrobe is None:
        return None
    return character.wardrobe.scenes.get(scene_id, character.wardrobe.default)
