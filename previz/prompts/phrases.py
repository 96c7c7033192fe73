"""Shot-list vocabulary turned into the natural phrases a video model understands.

``Movement(dolly_in, slow)`` + ``Lens(35)`` + ``low`` becomes "slow dolly in on a 35mm lens, low
angle". These are the Jinja filters the prompt templates use; keeping them in Python keeps every
template's camera language identical.
"""

from __future__ import annotations

from previz.shotlist import vocabulary as vocab
from previz.shotlist.cues import ResolvedCue
from previz.shotlist.models import Lens, Lighting, Movement, Style
from previz.shotlist.resolve import ResolvedShot

_MOVE_DIRECTIONS = {
    "pan": "pans",
    "tilt": "tilts",
    "truck": "trucks",
    "pedestal": "pedestals",
    "crane": "cranes",
    "orbit": "orbits",
    "follow": "follows",
}


def size_phrase(code: str) -> str:
    """``MCU`` → ``medium close-up``."""
    return vocab.SHOT_SIZES.label(code)


def angle_phrase(code: str) -> str:
    """``worms_eye`` → ``worm's-eye view``; eye level reads as ``eye-level``."""
    return "eye-level" if code == "eye_level" else vocab.ANGLES.label(code)


def movement_phrase(movement: Movement) -> str:
    """``slow dolly in``, ``fast truck left``, ``static camera``, ``handheld camera``."""
    if movement.type == "static":
        return "static camera, locked off"
    label = vocab.MOVEMENTS.label(movement.type)
    speed = "" if movement.speed == "medium" else vocab.SPEEDS.label(movement.speed) + " "
    direction = f" {vocab.DIRECTIONS.label(movement.direction)}" if movement.direction else ""
    noun = " camera" if movement.type in ("handheld", "steadicam", "follow") else ""
    return f"{speed}{label}{direction}{noun}".strip()


def lens_phrase(lens: Lens | None) -> str:
    """``35mm lens at f/2``; anamorphic when set; empty when the shot names no lens."""
    if lens is None:
        return ""
    text = f"{lens.focal_length:g}mm {'anamorphic ' if lens.anamorphic else ''}lens"
    if lens.aperture:
        depth = "shallow depth of field" if lens.aperture <= 2.8 else "deep focus"
        text += f" at f/{lens.aperture:g}, {depth}"
    return text


def camera_phrase(shot: ResolvedShot) -> str:
    """The whole camera description of a shot in one phrase."""
    parts = [
        f"{size_phrase(shot.size)}, {angle_phrase(shot.angle)}",
        movement_phrase(shot.movement),
    ]
    lens = lens_phrase(shot.lens)
    if lens:
        parts.append(f"on a {lens}")
    return "; ".join(parts)


def lighting_phrase(lighting: Lighting) -> str:
    """``low-key noir lighting, hard key from ..., 8:1 key-to-fill, 3200K tungsten``."""
    parts: list[str] = []
    if lighting.look:
        parts.append(f"{lighting.look} lighting")
    quality = f"{lighting.quality} " if lighting.quality else ""
    if lighting.key:
        parts.append(f"{quality}key light from {lighting.key}")
    elif quality:
        parts.append(f"{quality.strip()} light")
    if lighting.fill:
        parts.append(f"fill from {lighting.fill}")
    if lighting.back:
        parts.append(f"rim light from {lighting.back}")
    if lighting.ratio:
        parts.append(f"{lighting.ratio} key-to-fill ratio")
    if lighting.color_temperature:
        parts.append(f"{lighting.color_temperature}K {_kelvin_word(lighting.color_temperature)}")
    if lighting.practicals:
        parts.append(f"practicals: {lighting.practicals}")
    return ", ".join(parts)


def _kelvin_word(kelvin: int) -> str:
    if kelvin < 3600:
        return "warm tungsten"
    if kelvin < 5000:
        return "neutral"
    return "daylight" if kelvin < 6600 else "cool blue"


def style_phrase(style: Style | None) -> str:
    """The project's look in one line."""
    if style is None:
        return ""
    parts = [
        style.look,
        style.grade and f"graded {style.grade}",
        style.film_stock and f"shot on {style.film_stock}",
        style.era,
        style.notes,
    ]
    return ", ".join(p for p in parts if p)


def sentence(text: str) -> str:
    """Upper-case the first letter only (Jinja's ``capitalize`` lower-cases the rest: 3200k)."""
    return text[:1].upper() + text[1:]


def time_phrase(seconds: float) -> str:
    """``1.5s`` with at most one decimal."""
    return f"{seconds:.1f}".rstrip("0").rstrip(".") + "s"


def cue_phrase(cue: ResolvedCue) -> str:
    """A sound cue as a line a model reads: ``SFX at 1.5s: door clang``."""
    if cue.kind == "dialogue":
        speaker = cue.speaker.name if cue.speaker else "someone"
        how = f" ({cue.delivery})" if cue.delivery else ""
        mode = {"VO": " (voice-over)", "OS": " (off-screen)"}.get(cue.mode or "", "")
        return f'{speaker}{mode}{how} says: "{cue.line}"'
    label = {"sfx": "SFX", "ambience": "Ambient noise", "music": "Music"}[cue.kind]
    return f"{label}: {cue.description}"
