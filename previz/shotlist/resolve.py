"""The cascade: project → scene → shot defaults, resolved into one fully specified view per shot.

After resolution every shot knows its size, angle, move, lens, light, frame-exact length, cast
(with the wardrobe of its scene), location, and every sound cue heard during it — including cues
that began in an earlier shot and scene beds — timed in seconds from the shot's head.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from previz.shotlist import vocabulary as vocab
from previz.shotlist.checks import Loc, Problem
from previz.shotlist.cues import ResolvedCue, time_cues
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
    shots: list[ResolvedShot] = []
    colors = _colors(shotlist.characters)
    head = otio.opentime.RationalTime(0, float(exact_rate(project.fps)))
    headings = carry_time_of_day(parse_heading(scene.heading) for scene in shotlist.scenes)
    for si, scene in enumerate(shotlist.scenes):
        for hi, shot in enumerate(scene.shots):
            loc: Loc = ("scenes", si, "shots", hi)
            resolved = _resolve_shot(shotlist, scene, shot, hi, len(shots), head, loc, problems)
            if resolved is not None and not shot.omit:  # omitted: checked, then left out
                resolved = replace(resolved, heading=headings[si])
                shots.append(resolved)
                head = head + resolved.duration
    if not shots and not problems:
        problems.append(
            Problem(("scenes",), "every shot is omitted", "remove 'omit: true' from a shot")
        )
    if problems:
        raise ResolveError(problems)
    heard = time_cues(shotlist, shots, problems)
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
        shots=tuple(replace(shot, sound=cues) for shot, cues in zip(shots, heard, strict=True)),
        colors=colors,
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


def _resolve_shot(
    shotlist: ShotList,
    scene: Scene,
    shot: Shot,
    number: int,
    index: int,
    head: otio.opentime.RationalTime,
    loc: Loc,
    problems: list[Problem],
) -> ResolvedShot | None:
    project = shotlist.project
    layers = (shot, scene.defaults, project.defaults)
    raw_duration = _pick("duration", *layers)
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
        duration = to_time(raw_duration, project.fps)  # type: ignore[arg-type]
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
    characters = {c.id: c for c in shotlist.characters}
    locations = {loc_.id: loc_ for loc_ in shotlist.locations}
    props = {p.id: p for p in shotlist.props}
    heading = parse_heading(scene.heading)
    cast = tuple(characters[c] for c in shot.cast if c in characters)
    location_id = shot.location or scene.location or _location_from_heading(heading, locations)
    takes = _pick("takes", *layers)
    try:
        clip_in = to_time(shot.clip_in or 0, project.fps)
    except ValueError as error:
        problems.append(Problem((*loc, "clip_in"), str(error), None, shot.id))
        return None
    return ResolvedShot(
        shot=shot,
        scene=scene,
        heading=heading,
        number=number + 1,
        index=index,
        size=str(_pick("size", *layers) or "MS"),
        angle=str(_pick("angle", *layers) or "eye_level"),
        movement=_pick("movement", *layers) or Movement(type="static"),  # type: ignore[arg-type]
        lens=_pick("lens", *layers),  # type: ignore[arg-type]
        lighting=_merge_lighting(project.lighting, scene.lighting, shot.lighting),
        duration=duration,
        head=head,
        cast=cast,
        wardrobe={c.id: _wardrobe(c, scene.id) for c in cast},
        location=locations.get(location_id) if location_id else None,
        props=tuple(props[p] for p in shot.props if p in props),
        sound=(),
        takes=takes if isinstance(takes, int) else 1,
        selected_take=shot.selected_take or 1,
        backend=str(_pick("backend", *layers) or project.backend),
        model=_pick("model", *layers) or project.model,  # type: ignore[arg-type]
        negative_prompt=_pick("negative_prompt", *layers),  # type: ignore[arg-type]
        seed=_pick("seed", *layers),  # type: ignore[arg-type]
        transition_in=shot.transition_in,
        transition_out=shot.transition_out,
        clip_in=clip_in,
    )


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
