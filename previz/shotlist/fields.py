"""The field types of the scene format: safe ids, durations, and vocabulary terms.

Each type validates and normalises one kind of value wherever it appears in the models: a
vocabulary field accepts any known spelling and stores the canonical code, an id must be safe as
a file name, a duration keeps the form the user wrote until the frame rate is known.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    WithJsonSchema,
)

from previz.shotlist import vocabulary as vocab
from previz.shotlist.shown import shown
from previz.shotlist.timing import DURATION_HELP, check_duration_syntax

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _safe_id(value: str) -> str:
    if not _SAFE_ID.match(value) or ".." in value:
        raise ValueError(
            f"{shown(value)} is not a safe id: use letters, digits, '-', '_' and '.', start with a "
            "letter or digit, at most 64 characters, no '..' (ids become file names)"
        )
    return value


def _vocab(vocabulary: vocab.Vocabulary) -> BeforeValidator:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{vocabulary.kind} must be text, e.g. '{vocabulary.codes()[0]}'")
        return vocabulary.resolve(value)

    return BeforeValidator(check)


def _vocab_schema(vocabulary: vocab.Vocabulary) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "examples": vocabulary.codes(),
            "description": f"{vocabulary.kind}: " + ", ".join(vocabulary.codes()),
        }
    )


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; write some text (spaces alone do not count)")
    return value


def control_character(value: object) -> str | None:
    """The first control character in ``value`` if it is text, else None.

    Line breaks and tabs are text; NUL, escape, bell, bidi overrides and the like are not.
    """
    if isinstance(value, str):
        if value.isprintable() or value.replace("\n", "").replace("\t", "").isprintable():
            return None  # the usual case, checked in C; the scan below only names the culprit
        return next((c for c in value if _is_control(c)), None)
    return None


def _is_control(char: str) -> bool:
    """C0/C1 controls other than line break and tab, and the bidi overrides that reorder text."""
    code = ord(char)
    if char in "\n\t":
        return False
    return (
        code < 0x20 or 0x7F <= code < 0xA0 or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069
    )


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"a duration cannot be true/false; {DURATION_HELP}")
    return value


SafeId = Annotated[str, AfterValidator(_safe_id)]
Text = Annotated[str, AfterValidator(_not_blank)]
"""Text that must say something: an empty or all-space value is an error."""
Duration = Annotated[
    float | int | str,
    BeforeValidator(_no_bool),
    AfterValidator(check_duration_syntax),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
            "description": DURATION_HELP,
        }
    ),
]
ShotSize = Annotated[str, _vocab(vocab.SHOT_SIZES), _vocab_schema(vocab.SHOT_SIZES)]
Angle = Annotated[str, _vocab(vocab.ANGLES), _vocab_schema(vocab.ANGLES)]
MovementType = Annotated[str, _vocab(vocab.MOVEMENTS), _vocab_schema(vocab.MOVEMENTS)]
Speed = Annotated[str, _vocab(vocab.SPEEDS), _vocab_schema(vocab.SPEEDS)]
Direction = Annotated[str, _vocab(vocab.DIRECTIONS), _vocab_schema(vocab.DIRECTIONS)]
SoundKind = Annotated[str, _vocab(vocab.SOUND_KINDS), _vocab_schema(vocab.SOUND_KINDS)]
DialogueMode = Annotated[str, _vocab(vocab.DIALOGUE_MODES), _vocab_schema(vocab.DIALOGUE_MODES)]
LightQuality = Annotated[
    str, _vocab(vocab.LIGHTING_QUALITIES), _vocab_schema(vocab.LIGHTING_QUALITIES)
]
TransitionType = Annotated[str, _vocab(vocab.TRANSITIONS), _vocab_schema(vocab.TRANSITIONS)]


def empty_list() -> list[Any]:
    """A new empty list: the default of the models' list fields (``default_factory``).

    pydantic asks each default factory for its signature, to know whether it takes the data
    validated so far; for the built-in ``list`` that means parsing its text signature (~0.7 ms
    a field: ~7 ms of every start of the CLI across the scene format's ten list fields),
    where a Python function answers at once. What it makes is what ``list()`` makes."""
    return []


class Strict(BaseModel):
    """Base of every scene-format model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)
