"""The camera, lens and sound vocabulary of a shot list, with the spellings people actually use.

A shot list written by a director says ``CU``, ``close-up`` or ``close up``; a previs artist says
``push in`` where a DP says ``dolly in``. Each term here has one canonical code and the aliases
that normalise to it. An unknown word is an error that suggests the nearest valid term.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from previz.shotlist.shown import shown


@dataclass(frozen=True)
class Term:
    """One canonical term: its code, the phrase prompts use, and the spellings it accepts."""

    code: str
    label: str
    aliases: tuple[str, ...] = ()


class Vocabulary:
    """A set of terms that normalises any accepted spelling to its canonical code."""

    def __init__(self, kind: str, terms: list[Term]) -> None:
        self.kind = kind
        self.terms = {t.code: t for t in terms}
        self._lookup: dict[str, str] = {}
        for term in terms:
            for spelling in (term.code, term.label, *term.aliases):
                self._lookup[normalise(spelling)] = term.code

    def resolve(self, value: str) -> str:
        """The canonical code for ``value``; ``ValueError`` with a suggestion when unknown."""
        code = self.lookup(value)
        if code is None:
            raise ValueError(self.unknown_message(value))
        return code

    def lookup(self, value: str) -> str | None:
        """The canonical code for ``value``, or None when it is not a known spelling."""
        return _lookup(self, value)

    def _find(self, value: str) -> str | None:
        key = normalise(value)
        if key in self._lookup:
            return self._lookup[key]
        if key.endswith(" shot"):
            return self._lookup.get(key[: -len(" shot")])
        return None

    def unknown_message(self, value: str) -> str:
        close = difflib.get_close_matches(normalise(value), list(self._lookup), n=1, cutoff=0.6)
        valid = ", ".join(self.terms)
        if close:
            close_text = f"did you mean '{close[0]}'?"
            return f"unknown {self.kind} {shown(value)}; {close_text} (valid: {valid})"
        return f"unknown {self.kind} {shown(value)}; valid: {valid}"

    def label(self, code: str) -> str:
        return self.terms[code].label

    def codes(self) -> list[str]:
        return list(self.terms)


@functools.lru_cache(maxsize=4096)  # the same few spellings recur in every shot
def _lookup(vocabulary: Vocabulary, value: str) -> str | None:
    return vocabulary._find(value)


@functools.lru_cache(maxsize=4096)  # the same few spellings recur in every shot
def normalise(text: str) -> str:
    """Lower-case, treat ``-``, ``_``, ``.`` and apostrophes as spaces, collapse whitespace."""
    text = text.lower().replace("'", "").replace("’", "")
    return re.sub(r"[\s\-_.]+", " ", text).strip()


SHOT_SIZES = Vocabulary(
    "shot size",
    [
        Term(
            "EWS", "extreme wide shot", ("extreme wide", "extreme long shot", "els", "xws", "xls")
        ),
        Term("WS", "wide shot", ("wide", "long shot", "ls", "full wide")),
        Term("FS", "full shot", ("full", "full length", "full figure")),
        Term("MWS", "medium wide shot", ("medium wide", "medium long shot", "mls", "cowboy")),
        Term("MS", "medium shot", ("medium", "mid shot", "waist shot", "mid")),
        Term("MCU", "medium close-up", ("medium close up", "medium closeup", "chest shot")),
        Term("CU", "close-up", ("close up", "closeup", "close")),
        Term("ECU", "extreme close-up", ("extreme close up", "xcu", "ecu", "big close up", "bcu")),
        Term("INSERT", "insert shot", ("insert", "cutaway detail", "detail")),
        Term("TWO_SHOT", "two-shot", ("two shot", "2 shot", "2shot", "two")),
        Term("OTS", "over-the-shoulder shot", ("over the shoulder", "ots", "o/s", "os")),
        Term("POV", "point-of-view shot", ("point of view", "pov")),
        Term("ESTABLISHING", "establishing shot", ("establishing", "est", "master")),
    ],
)

ANGLES = Vocabulary(
    "camera angle",
    [
        Term("eye_level", "eye level", ("eye level angle", "eye", "neutral", "straight on")),
        Term("high", "high angle", ("high",)),
        Term("low", "low angle", ("low",)),
        Term("dutch", "dutch angle", ("dutch tilt", "canted", "canted angle", "oblique")),
        Term("overhead", "overhead", ("birds eye", "birds eye view", "top down", "top shot")),
        Term("worms_eye", "worm's-eye view", ("worms eye", "worms eye view", "ground level")),
    ],
)

MOVEMENTS = Vocabulary(
    "camera movement",
    [
        Term("static", "static", ("locked off", "locked", "still", "none", "fixed")),
        Term("pan", "pan", ("panning", "whip pan", "swish pan")),
        Term("tilt", "tilt", ("tilting",)),
        Term("dolly_in", "dolly in", ("push in", "push", "track in", "dolly forward", "creep in")),
        Term("dolly_out", "dolly out", ("pull out", "pull back", "track out", "dolly back")),
        Term("truck", "truck", ("track", "tracking", "crab", "lateral dolly", "trucking")),
        Term("pedestal", "pedestal", ("ped", "boom")),
        Term("crane", "crane", ("jib", "crane shot", "jib shot")),
        Term("zoom_in", "zoom in", ("zoom", "slow zoom", "crash zoom")),
        Term("zoom_out", "zoom out", ()),
        Term("dolly_zoom", "dolly zoom", ("vertigo", "vertigo effect", "zolly", "contra zoom")),
        Term("follow", "follow", ("following", "follow shot", "lead")),
        Term("handheld", "handheld", ("hand held", "shaky", "shoulder mounted")),
        Term("steadicam", "Steadicam", ("stabilized", "gimbal")),
        Term("orbit", "orbit", ("arc", "arc shot", "circle", "360")),
    ],
)

SPEEDS = Vocabulary(
    "movement speed",
    [
        Term("slow", "slow", ("slowly", "gentle", "gently", "creeping")),
        Term("medium", "steady", ("steady", "moderate", "normal")),
        Term("fast", "fast", ("quick", "quickly", "rapid", "swift", "whip")),
    ],
)

DIRECTIONS = Vocabulary(
    "movement direction",
    [
        Term("left", "left", ("l", "to the left", "screen left")),
        Term("right", "right", ("r", "to the right", "screen right")),
        Term("up", "up", ("upward", "upwards", "rise", "rising")),
        Term("down", "down", ("downward", "downwards", "descend", "descending")),
        Term("clockwise", "clockwise", ("cw",)),
        Term("counterclockwise", "counter-clockwise", ("ccw", "anticlockwise")),
    ],
)

SOUND_KINDS = Vocabulary(
    "sound cue kind",
    [
        Term("dialogue", "dialogue", ("dialog", "line", "speech", "vo", "voice")),
        Term("sfx", "sound effect", ("sound effect", "fx", "foley", "effect")),
        Term("ambience", "ambience", ("ambient", "ambiance", "atmos", "room tone", "bed")),
        Term("music", "music", ("score", "song", "cue")),
    ],
)

DIALOGUE_MODES = Vocabulary(
    "dialogue mode",
    [
        Term("sync", "on camera", ("on camera", "on screen", "sync sound")),
        Term("VO", "voice-over", ("v o", "voice over", "voiceover")),
        Term("OS", "off-screen", ("o s", "off screen", "offscreen", "oc", "o c", "off camera")),
        Term("ADR", "ADR", ("loop", "looped")),
    ],
)

LIGHTING_QUALITIES = Vocabulary(
    "light quality",
    [
        Term("hard", "hard", ("harsh", "crisp", "specular")),
        Term("soft", "soft", ("diffuse", "diffused", "bounced", "gentle")),
    ],
)

TRANSITIONS = Vocabulary(
    "transition",
    [
        Term("cut", "cut", ("straight cut", "hard cut", "cut to")),
        Term("dissolve", "dissolve", ("cross dissolve", "mix", "crossfade", "dissolve to")),
        Term("fade_in", "fade in", ("fade from black", "fade up")),
        Term("fade_out", "fade out", ("fade to black",)),
    ],
)

ASPECTS: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "1.78": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:3": (1440, 1080),
    "1.33": (1440, 1080),
    "1.85": (1998, 1080),
    "2.39": (1920, 1080),  # letterboxed inside a 16:9 frame, as previs deliveries usually are
    "2.35": (1920, 1080),
}
"""Default frame size per aspect. Scope aspects (2.39, 2.35) are letterboxed in 16:9."""

LETTERBOX_ASPECTS: dict[str, float] = {"2.39": 2.39, "2.35": 2.35}

FRAME_RATES: tuple[float, ...] = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 60.0)
"""Project rates previz supports; 23.976 and 29.97 are the NTSC rates 24000/1001 and 30000/1001."""
