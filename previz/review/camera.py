"""A shot's camera in words, from the facts a build stored: size, movement and lens."""

from __future__ import annotations

from typing import Any

from previz.prompts.phrases import movement_phrase, size_phrase
from previz.shotlist.models import Lens, Movement


def size_label(code: Any) -> str:
    """``MCU (medium close-up)`` from a shot size's code; the code alone when it is unknown."""
    if not code:
        return ""
    try:
        return f"{code} ({size_phrase(str(code))})"
    except KeyError:
        return str(code)


def movement_label(facts: Any) -> str:
    """The camera's movement in words (``static`` when it stays); empty when there is none."""
    if not facts:
        return ""
    try:
        movement = Movement.model_validate(facts)
    except ValueError:
        return ""
    return "static" if movement.type == "static" else movement_phrase(movement)


def lens_label(facts: Any) -> str:
    """``35mm f/2`` (``anamorphic`` when it is) from a lens's facts; empty when there is none."""
    if not facts:
        return ""
    try:
        lens = Lens.model_validate(facts)
    except ValueError:
        return ""
    text = f"{lens.focal_length:g}mm"
    if lens.aperture:
        text += f" f/{lens.aperture:g}"
    return text + (" anamorphic" if lens.anamorphic else "")
