"""The camera and light of a shot: lens, move, lighting, transitions, and the film's style.

Each accepts the way a filmmaker writes it as well as a mapping: ``"35mm f/2"``, ``"slow dolly
in"``, ``"dissolve 12f"``, a key-to-fill ``"4:1"``, ``"5600K"``. Part of the scene format
(:mod:`previz.shotlist.models` re-exports them).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from previz.shotlist import vocabulary as vocab
from previz.shotlist.fields import (
    Direction,
    Duration,
    LightQuality,
    MovementType,
    Speed,
    Strict,
    TransitionType,
)
from previz.shotlist.timing import DURATION_HELP


class Style(Strict):
    """The look of the whole film, rendered into every prompt."""

    look: str | None = None
    grade: str | None = None
    film_stock: str | None = None
    era: str | None = None
    notes: str | None = None


class Lens(Strict):
    """Focal length in mm, aperture (f-stop), anamorphic or spherical.

    Accepts ``35``, ``"35mm"``, ``"35mm f/2.8"`` or a mapping.
    """

    focal_length: float = Field(gt=0, le=2000, description="focal length in mm")
    aperture: float | None = Field(default=None, gt=0, le=64, description="f-stop, e.g. 2.8")
    anamorphic: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"focal_length": value}
        if isinstance(value, str):
            m = re.match(
                r"^\s*(\d+(?:\.\d+)?)\s*mm\s*(?:[ft]\s*/?\s*(\d+(?:\.\d+)?))?\s*"
                r"(anamorphic)?\s*$",
                value,
                re.I,
            )
            if not m:
                raise ValueError(f"'{value}' is not a lens; write '35mm' or '50mm f/1.8'")
            out: dict[str, Any] = {"focal_length": float(m.group(1))}
            if m.group(2):
                out["aperture"] = float(m.group(2))
            if m.group(3):
                out["anamorphic"] = True
            return out
        return value


class Movement(Strict):
    """A camera move: type, direction, speed. Accepts text like ``"slow dolly in"``."""

    type: MovementType
    direction: Direction | None = None
    speed: Speed = "medium"

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return dict(_move_words(value))


@functools.lru_cache(maxsize=1024)  # a film uses a few dozen moves, shot after shot
def _move_words(value: str) -> tuple[tuple[str, str], ...]:
    """``"slow dolly in"`` → speed, direction and type, as the model's fields."""
    out: dict[str, str] = {}
    rest: list[str] = []
    for word in vocab.normalise(value).split():
        if word in _FILLER:
            continue
        if "speed" not in out and _is_term(vocab.SPEEDS, word):
            out["speed"] = word
        elif "direction" not in out and len(word) > 1 and _is_term(vocab.DIRECTIONS, word):
            out["direction"] = word
        else:
            rest.append(word)
    out["type"] = " ".join(rest) or value
    return tuple(out.items())


_FILLER = frozenset({"to", "the", "a", "camera", "move", "moves", "towards", "toward", "and"})


def _is_term(vocabulary: vocab.Vocabulary, word: str) -> bool:
    return vocabulary.lookup(word) is not None


class Lighting(Strict):
    """Key/fill/back, key-to-fill ratio, colour temperature, quality and look."""

    look: str | None = Field(default=None, description="e.g. noir, golden hour, neon, high-key")
    key: str | None = None
    fill: str | None = None
    back: str | None = Field(default=None, description="back / rim light")
    ratio: str | None = Field(default=None, description="key-to-fill ratio, e.g. '4:1'")
    color_temperature: int | None = Field(
        default=None, ge=1000, le=20000, description="Kelvin, e.g. 3200 or '5600K'"
    )
    quality: LightQuality | None = None
    practicals: str | None = None

    @field_validator("ratio")
    @classmethod
    def _ratio(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^\s*\d+(\.\d+)?\s*:\s*1\s*$", value):
            raise ValueError(f"'{value}' is not a key-to-fill ratio; write it like '4:1'")
        return value.replace(" ", "") if value else value

    @field_validator("color_temperature", mode="before")
    @classmethod
    def _kelvin(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = re.match(r"^\s*(\d+)\s*k?\s*$", value, re.I)
            if not m:
                raise ValueError(f"'{value}' is not a colour temperature; write 3200 or '3200K'")
            return int(m.group(1))
        return value


class Transition(Strict):
    """How a shot starts or ends: cut, dissolve, fade; ``"dissolve 12f"`` also works."""

    type: TransitionType
    duration: Duration | None = Field(default=None, description=DURATION_HELP)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = re.match(r"^(.*?)\s+(\d+(?:\.\d+)?\s*(?:f|frames|s|sec|seconds)?)\s*$", value)
            if m and not value.strip().lower().endswith("to"):
                return {"type": m.group(1), "duration": m.group(2)}
            return {"type": value}
        return value

    @model_validator(mode="after")
    def _needs_length(self) -> Transition:
        if self.type != "cut" and self.duration is None:
            self.duration = "12f"
        if self.type == "cut":
            self.duration = None
        return self
