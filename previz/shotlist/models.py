"""The shot list as validated data: project, characters, locations, props, scenes, shots, cues.

These models are the scene format. The YAML loader and the Python builder both produce them;
``previz schema`` writes their JSON Schema. Every model forbids unknown keys, so a typo is an
error, not a silently ignored field. Vocabulary fields accept the usual spellings and store the
canonical code (``close up`` → ``CU``). Durations keep the form the user wrote; they become
frame-exact times when the shot list is resolved against the project's frame rate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from previz.shotlist import vocabulary as vocab
from previz.shotlist.camera import Lens as Lens  # re-exported: part of the scene format
from previz.shotlist.camera import Lighting as Lighting
from previz.shotlist.camera import Movement as Movement
from previz.shotlist.camera import Style as Style
from previz.shotlist.camera import Transition as Transition
from previz.shotlist.fields import (
    Angle,
    DialogueMode,
    Duration,
    SafeId,
    ShotSize,
    SoundKind,
    Strict,
    Text,
    empty_list,
)
from previz.shotlist.shown import shown
from previz.shotlist.timing import DURATION_HELP

SCHEMA_VERSION = 1
MIN_SIDE, MAX_SIDE = 16, 8192
"""The smallest and largest frame side in pixels (8192 covers 8K DCI)."""
ID_HELP = "letters, digits, '-', '_' and '.', at most 64 characters (ids become file names)"
RESOLUTION_HELP = (
    f"write WIDTHxHEIGHT with even sides from {MIN_SIDE} to {MAX_SIDE} pixels (e.g. 1280x720) "
    "or a named size: 720p, 1080p, 2160p, 2k, 4k"
)


class SoundCue(Strict):
    """A dialogue line, sound effect, ambience or music cue, timed within its shot.

    ``start``/``end`` (or ``duration``) are relative to the shot's head. ``until`` names a later
    shot: the cue runs on across the cut and ends at ``end`` within that shot (or its end).
    """

    kind: SoundKind
    id: SafeId | None = None
    speaker: str | None = Field(default=None, description="character id (dialogue)")
    line: str | None = Field(default=None, description="the spoken words (dialogue)")
    mode: DialogueMode | None = Field(default=None, description="sync, VO, OS, ADR")
    delivery: str | None = Field(default=None, description="parenthetical, e.g. 'whispering'")
    description: str | None = Field(default=None, description="what is heard (sfx/ambience/music)")
    start: Duration = 0
    end: Duration | None = None
    duration: Duration | None = Field(default=None, description=DURATION_HELP)
    until: SafeId | None = Field(default=None, description="a later shot id the cue spans to")
    from_shot: SafeId | None = Field(
        default=None, alias="from", description="scene beds: first shot of the bed"
    )
    diegetic: bool | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> SoundCue:
        if self.kind == "dialogue":
            if not self.speaker or not self.line:
                raise ValueError("a dialogue cue needs 'speaker' (a character id) and 'line'")
        elif not self.description:
            raise ValueError(f"a {self.kind} cue needs a 'description' of what is heard")
        if self.end is not None and self.duration is not None:
            raise ValueError("give either 'end' or 'duration', not both")
        return self


class Wardrobe(Strict):
    """What a character wears: a default, and overrides per scene id."""

    default: str | None = None
    scenes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"default": value} if isinstance(value, str) else value


class Character(Strict):
    """A person on screen, described once, word for word the same in every prompt."""

    id: SafeId = Field(description=ID_HELP)
    name: Text
    description: Text = Field(description="canonical look: age, build, face, hair")
    wardrobe: Wardrobe | None = None
    voice: str | None = None
    references: list[str] = Field(default_factory=empty_list, description="reference image paths")
    identities: dict[str, str] = Field(
        default_factory=dict, description="per-backend identity handles, e.g. a character id"
    )
    color: str | None = Field(
        default=None,
        description="colour of the character on animatic cards, '#RRGGBB'",
        json_schema_extra={"pattern": "^#[0-9A-Fa-f]{6}$"},
    )

    @field_validator("color", mode="before")
    @classmethod
    def _color(cls, value: object) -> object:
        if value is None:
            raise ValueError(
                "colour is empty; '#' starts a YAML comment, so the colour must be in quotes: "
                "color: '#E4572E'"
            )
        if isinstance(value, str) and not re.match(r"^#[0-9A-Fa-f]{6}$", value):
            raise ValueError(
                f"colour {shown(value)} is not a #RRGGBB colour; write it in quotes like "
                "'#E4572E' (unquoted, '#' starts a YAML comment)"
            )
        return value


class Location(Strict):
    """A place: described once, with reference images."""

    id: SafeId = Field(description=ID_HELP)
    name: str | None = None
    description: Text
    references: list[str] = Field(default_factory=empty_list)


class Prop(Strict):
    """An object that matters to the story."""

    id: SafeId = Field(description=ID_HELP)
    name: str | None = None
    description: Text
    references: list[str] = Field(default_factory=empty_list)


class ShotDefaults(Strict):
    """Values a project or scene gives every shot that does not set its own."""

    size: ShotSize | None = None
    angle: Angle | None = None
    movement: Movement | None = Field(default=None, description="e.g. 'slow dolly in'")
    lens: Lens | None = Field(default=None, description="e.g. '35mm' or '50mm f/1.8'")
    duration: Duration | None = Field(default=None, description=DURATION_HELP)
    takes: int | None = Field(
        default=None, ge=1, le=20, description="how many variants to generate, 1 to 20"
    )
    backend: str | None = None
    model: str | None = None
    negative_prompt: str | None = None
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1, description="0 to 4294967295")


class Shot(ShotDefaults):
    """One shot: camera, action, cast, place, light, length, sound, takes."""

    id: SafeId = Field(description=ID_HELP)
    action: Text = Field(description="what happens in the shot")
    cast: list[SafeId] = Field(default_factory=empty_list, description="character ids in frame")
    location: SafeId | None = None
    props: list[SafeId] = Field(default_factory=empty_list)
    lighting: Lighting | None = None
    sound: list[SoundCue] = Field(default_factory=empty_list)
    selected_take: int | None = Field(default=None, ge=1)
    notes: str | None = None
    transition_in: Transition | None = None
    transition_out: Transition | None = None
    status: Literal["not started", "in progress", "done"] | None = None
    clip_in: Duration | None = Field(
        default=None,
        description="where in the generated take the cut starts (set by a head trim in conform)",
    )
    omit: bool = Field(
        default=False,
        description="kept in the file but left out of build, timeline, cost and prompts",
    )


class Scene(Strict):
    """A scene: its heading, defaults for its shots, sound beds that span it, and its shots."""

    id: SafeId = Field(description=ID_HELP)
    heading: Text = Field(description="e.g. 'INT. WAREHOUSE - NIGHT'")
    number: str | None = Field(default=None, description="scene number, e.g. '12A'")
    description: str | None = None
    location: SafeId | None = None
    lighting: Lighting | None = None
    defaults: ShotDefaults | None = None
    sound: list[SoundCue] = Field(default_factory=empty_list, description="beds spanning the scene")
    shots: list[Shot] = Field(min_length=1)


class TitlePage(Strict):
    """A screenplay's title page, kept when a script is imported: who wrote it, which draft."""

    credit: str | None = Field(default=None, description="e.g. 'Written by'")
    author: str | None = None
    source: str | None = Field(default=None, description="e.g. 'Based on the novel by …'")
    draft_date: str | None = None
    contact: str | None = None
    copyright: str | None = None
    notes: str | None = None


class Project(Strict):
    """The film: title, frame rate, frame size, default backend, style and defaults."""

    title: Text
    title_page: TitlePage | None = Field(
        default=None, description="credit, author, source, draft date of the screenplay"
    )
    fps: float = Field(default=24, description="23.976, 24, 25, 29.97, 30, 48, 50 or 60")
    aspect: str = Field(default="16:9", description="16:9, 9:16, 1:1, 4:3, 1.85, 2.39")
    resolution: str | None = Field(default=None, description="WIDTHxHEIGHT, e.g. 1280x720")
    backend: str = "animatic"
    model: str | None = None
    style: Style | None = None
    templates: str | None = Field(default=None, description="folder of prompt templates")
    cache: str | None = Field(
        default=None,
        description="where generated takes are cached: a folder or a URL such as "
        "s3://bucket/prefix shared by a team (PREVIZ_CACHE_DIR and --cache-dir override it)",
    )
    start_timecode: str = "01:00:00:00"
    handles: Duration = 0
    continuity: bool = Field(
        default=False, description="chain the last frame of a shot into the next"
    )
    lighting: Lighting | None = None
    defaults: ShotDefaults | None = None
    exports: list[str] | None = Field(
        default=None,
        description="export formats every build writes (default: otio, fcp7, fcpxml, edl, aaf, "
        "xges, kdenlive; add otioz or a plugin's; 'all' for every built-in one); the rest on "
        "demand with `previz export`",
    )
    backends: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="options per backend, e.g. {luma: {resolution: 1080p}}; "
        "`previz backends --options` lists them",
    )

    @field_validator("fps")
    @classmethod
    def _rate(cls, value: float) -> float:
        if not any(abs(value - r) < 0.001 for r in vocab.FRAME_RATES):
            rates = ", ".join(f"{r:g}" for r in vocab.FRAME_RATES)
            raise ValueError(f"{value:g} fps is not a project rate; use one of {rates}")
        return value

    @field_validator("aspect", mode="before")
    @classmethod
    def _aspect(cls, value: object) -> str:
        # ``aspect: 2.39`` unquoted is a YAML number; the scene means the ratio
        text = f"{value:g}" if isinstance(value, (int, float)) else str(value).strip()
        text = {"1.77": "1.78", "2.4": "2.39", "1.3": "1.33"}.get(text, text)
        if text not in vocab.ASPECTS:
            raise ValueError(
                f"aspect {shown(value)} is not supported; use one of " + ", ".join(vocab.ASPECTS)
            )
        return text

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (str, int, float)):
            raise ValueError(f"resolution must be WIDTHxHEIGHT text, not {shown(value)}")
        if not isinstance(value, str):  # 0x0 or 0x10 unquoted is a YAML hex number
            raise ValueError(
                f"resolution was read as the number {shown(value)}; write WIDTHxHEIGHT in "
                'quotes, e.g. "1280x720"'
            )
        if m := re.match(r"^\s*(\d{3,4})p\s*$|^\s*[42]k\s*$", value, re.I):
            if m.group(1) and not MIN_SIDE <= int(m.group(1)) <= 4320:
                raise ValueError(f"resolution {shown(value)} is not a size; {RESOLUTION_HELP}")
            return value.strip().lower()  # a named size: resolved against the aspect
        m = re.match(r"^\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*$", value)
        if not m or int(m.group(1)) % 2 or int(m.group(2)) % 2:
            raise ValueError(
                f"resolution {shown(value)} must be WIDTHxHEIGHT with even numbers; "
                + RESOLUTION_HELP
            )
        width, height = int(m.group(1)), int(m.group(2))
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise ValueError(f"resolution {width}x{height} is out of range; {RESOLUTION_HELP}")
        return f"{width}x{height}"

    @field_validator("start_timecode")
    @classmethod
    def _timecode(cls, value: str) -> str:
        if not re.match(r"^\d{2}:\d{2}:\d{2}[:;]\d{2}$", value):
            raise ValueError(
                f"{shown(value)} is not a timecode; write HH:MM:SS:FF, e.g. 01:00:00:00"
            )
        return value


class ShotList(Strict):
    """A whole scene file: the project, its cast and places, and its scenes in order."""

    schema_version: Literal[1] = Field(description="scene format version; currently 1")
    project: Project
    characters: list[Character] = Field(default_factory=empty_list)
    locations: list[Location] = Field(default_factory=empty_list)
    props: list[Prop] = Field(default_factory=empty_list)
    scenes: list[Scene] = Field(min_length=1)
