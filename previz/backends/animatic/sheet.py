"""The shot sheet: what the animatic draws and plays for one shot, read from a job's payload.

The planner hands every animatic job a plain JSON payload (scene, shot, sound cues). This module
reads it once into typed, frozen records, so drawing and sound synthesis never poke at dicts;
a payload missing a field or holding a wrong type is a :class:`~previz.errors.BackendError`
naming the shot and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from previz.errors import BackendError

SOUND_KINDS = ("dialogue", "sfx", "ambience", "music")


@dataclass(frozen=True)
class CastMember:
    id: str
    name: str
    color: tuple[int, int, int]


@dataclass(frozen=True)
class Movement:
    type: str
    label: str
    direction: str | None
    speed: str


@dataclass(frozen=True)
class SoundCue:
    """One cue's part in this shot: ``start``/``end`` within the shot, ``cue_offset`` into the
    whole cue (non-zero when the cue began in an earlier shot) and the cue's full length."""

    kind: str
    id: str
    start: float
    end: float
    text: str
    speaker: str | None
    cue_offset: float
    cue_length: float
    extension: str | None = None  # V.O. or O.S.: a line heard, not seen spoken

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def begins_here(self) -> bool:
        return self.cue_offset <= 1e-6

    @property
    def ends_here(self) -> bool:
        return self.cue_offset + self.seconds >= self.cue_length - 1e-6


@dataclass(frozen=True)
class ShotSheet:
    title: str
    scene_id: str
    scene_heading: str
    scene_number: int
    shot_id: str
    shot_number: int
    size: str
    size_label: str
    angle: str
    angle_label: str
    movement: Movement
    focal_length_mm: float | None
    aperture: float | None
    action: str
    location: str | None
    cast: tuple[CastMember, ...]
    notes: str | None
    lighting: str
    sound: tuple[SoundCue, ...]
    letterbox: float | None = None  # a scope aspect (2.39) shown inside the frame with bars
    time_of_day: str | None = None  # NIGHT, also for a CONTINUOUS scene after a night one


class _Reader:
    """Typed access to a nested payload; every failure names the field's path."""

    def __init__(self, shot_id: str) -> None:
        self.shot_id = shot_id

    def fail(self, where: str, wanted: str) -> BackendError:
        return BackendError(
            f"the animatic payload field '{where}' must be {wanted}",
            shot_id=self.shot_id,
            backend="animatic",
            hint="the planner builds this payload; render through `previz build`",
        )

    def get(
        self, data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str
    ) -> Any:
        value = data.get(key) if isinstance(data, Mapping) else None
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(f"{where}.{key}", _describe(kind))
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{key}", _describe(kind))
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str) -> float:
        return float(self.get(data, key, (int, float), where))

    def optional_number(self, data: Mapping[str, Any], key: str, where: str) -> float | None:
        if data.get(key) is None:
            return None
        return self.number(data, key, where)


def _describe(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "a number", float: "a number", dict: "an object", list: "a list"}
    return " or ".join(
        dict.fromkeys(names.get(k, k.__name__) for k in kinds if k is not type(None))
    )


def read_sheet(payload: Mapping[str, Any], shot_id: str) -> ShotSheet:
    """Read a job payload into a :class:`ShotSheet`, or raise naming the bad field."""
    r = _Reader(shot_id)
    scene = r.get(payload, "scene", Mapping, "payload")
    shot = r.get(payload, "shot", Mapping, "payload")
    movement = r.get(shot, "movement", Mapping, "shot")
    lens = shot.get("lens")
    location = shot.get("location")
    return ShotSheet(
        title=r.get(payload, "title", str, "payload"),
        scene_id=r.get(scene, "id", str, "scene"),
        scene_heading=r.get(scene, "heading", str, "scene"),
        time_of_day=scene.get("time_of_day") if isinstance(scene.get("time_of_day"), str) else None,
        scene_number=int(r.number(scene, "number", "scene")),
        shot_id=r.get(shot, "id", str, "shot"),
        shot_number=int(r.number(shot, "number", "shot")),
        size=r.get(shot, "size", str, "shot"),
        size_label=r.get(shot, "size_label", str, "shot"),
        angle=r.get(shot, "angle", str, "shot"),
        angle_label=r.get(shot, "angle_label", str, "shot"),
        movement=Movement(
            type=r.get(movement, "type", str, "shot.movement"),
            label=r.get(movement, "label", str, "shot.movement"),
            direction=r.get(movement, "direction", (str, type(None)), "shot.movement"),
            speed=r.get(movement, "speed", str, "shot.movement"),
        ),
        focal_length_mm=r.optional_number(lens, "focal_length_mm", "shot.lens") if lens else None,
        aperture=r.optional_number(lens, "aperture", "shot.lens") if lens else None,
        action=r.get(shot, "action", str, "shot"),
        location=r.get(location, "name", str, "shot.location") if location else None,
        cast=tuple(
            _cast(r, member, i) for i, member in enumerate(r.get(shot, "cast", list, "shot"))
        ),
        notes=r.get(shot, "notes", (str, type(None)), "shot"),
        lighting=r.get(shot, "lighting", str, "shot"),
        sound=_unique(
            r, [_cue(r, cue, i) for i, cue in enumerate(r.get(payload, "sound", list, "payload"))]
        ),
        letterbox=r.optional_number(payload, "letterbox", "payload"),
    )


def _unique(r: _Reader, cues: list[SoundCue]) -> tuple[SoundCue, ...]:
    ids = [cue.id for cue in cues]
    for index, cue_id in enumerate(ids):
        if cue_id in ids[:index]:
            raise r.fail(f"sound[{index}].id", f"unique within the shot ('{cue_id}' repeats)")
    return tuple(cues)


def _cast(r: _Reader, member: Any, index: int) -> CastMember:
    where = f"shot.cast[{index}]"
    color = r.get(member, "color", str, where)
    return CastMember(
        id=r.get(member, "id", str, where),
        name=r.get(member, "name", str, where),
        color=_rgb(r, color, f"{where}.color"),
    )


def _rgb(r: _Reader, text: str, where: str) -> tuple[int, int, int]:
    digits = text.removeprefix("#")
    if len(digits) != 6:
        raise r.fail(where, "a colour like '#E4572E'")
    try:
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    except ValueError:
        raise r.fail(where, "a colour like '#E4572E'") from None


def _cue(r: _Reader, cue: Any, index: int) -> SoundCue:
    where = f"sound[{index}]"
    kind = r.get(cue, "kind", str, where)
    if kind not in SOUND_KINDS:
        raise r.fail(f"{where}.kind", "one of " + ", ".join(SOUND_KINDS))
    parsed = SoundCue(
        kind=kind,
        id=r.get(cue, "id", str, where),
        start=r.number(cue, "start", where),
        end=r.number(cue, "end", where),
        text=r.get(cue, "text", str, where),
        speaker=r.get(cue, "speaker", (str, type(None)), where),
        cue_offset=r.number(cue, "cue_offset", where),
        cue_length=r.number(cue, "cue_length", where),
        extension=r.get(cue, "extension", (str, type(None)), where) if "extension" in cue else None,
    )
    if parsed.start < 0 or parsed.end < parsed.start or parsed.cue_offset < 0:
        raise r.fail(where, "a cue with 0 <= start <= end and cue_offset >= 0")
    return parsed
