"""Screenplays in, shot lists out: a first-pass breakdown of a Fountain script.

The screenplay is parsed by ``screenplain`` (title page, scene headings with ``#12A#`` numbers,
forced elements, dual dialogue, boneyard and notes). Each scene heading becomes a scene, each
action paragraph a shot (the first of a scene a wide establishing shot), and each speech a
medium close-up of its speaker carrying the line as a dialogue cue — the coverage a previs
artist would block first. Off-screen and voice-over lines stay on the shot they play over.
Characters come from the dialogue cues; their description is the introduction the writer gave
them (``MARA (30s, wiry, a scar through one eyebrow)``) where there is one. The result is a
plain scene file to refine, so ``previz validate script.fountain`` and ``previz build
script.fountain`` work directly and ``previz import`` writes it out as YAML.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screenplain.parsers.fountain import parse
from screenplain.types import Action, Dialog, DualDialog, Section, Slug, Transition

from previz.errors import SceneError
from previz.shotlist.models import SCHEMA_VERSION

SUFFIXES = (".fountain", ".spmd")
_WORDS_READ_PER_SECOND = 3.0  # how fast an action line plays on screen, roughly
_WORDS_SPOKEN_PER_SECOND = 2.6
_EXTENSION = re.compile(r"\s*\(([^)]*)\)\s*$")
_MODES = {"V.O.": "VO", "VO": "VO", "O.S.": "OS", "OS": "OS", "O.C.": "OS", "OC": "OS"}
_TRANSITIONS = {
    "DISSOLVE TO:": "dissolve 12f",
    "FADE IN:": "fade in",
    "FADE OUT.": "fade out",
    "FADE TO BLACK.": "fade out",
    "FADE OUT": "fade out",
}


def slug(text: str, fallback: str) -> str:
    """A safe id from a name: ``MRS. DALLOWAY`` → ``mrs-dalloway``."""
    ident = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
    return ident or fallback


@dataclass
class _Breakdown:
    """The scene file being built while the screenplay is read top to bottom."""

    title: str
    scenes: list[dict[str, Any]] = field(default_factory=list)
    characters: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending_transition: str | None = None

    @property
    def scene(self) -> dict[str, Any]:
        if not self.scenes:  # action before the first heading (a cold open)
            self.open_scene("OPENING", None)
        return self.scenes[-1]

    def open_scene(self, heading: str, number: str | None) -> None:
        if number is None and heading == "OPENING":
            ident = "sc0"
        else:
            ident = slug(f"sc{number}" if number else f"sc{self._next_number()}", "sc")
        while any(s["id"] == ident for s in self.scenes):
            ident += "x"
        scene: dict[str, Any] = {"id": ident, "heading": heading, "shots": []}
        if number:
            scene["number"] = number
        location = _location_name(heading)
        if location:
            loc_id = slug(location, f"location-{len(self.locations) + 1}")
            self.locations.setdefault(
                loc_id, {"id": loc_id, "name": location.title(), "description": location.lower()}
            )
            scene["location"] = loc_id
        self.scenes.append(scene)

    def _next_number(self) -> int:
        """One past the last scene number that is a plain number (1, 2, 3 … after 12A: 13)."""
        last = 0
        for scene in self.scenes:
            digits = re.match(r"sc(\d+)", scene["id"])
            last = int(digits.group(1)) if digits else last
        return last + 1

    def add_shot(
        self, action: str, *, size: str, seconds: float, cast: list[str]
    ) -> dict[str, Any]:
        shots = self.scene["shots"]
        shot: dict[str, Any] = {
            "id": f"{self.scene['id']}-{(len(shots) + 1) * 10:03d}",
            "size": size,
            "action": action,
            "duration": f"{seconds:g}s",
        }
        if cast:
            shot["cast"] = cast
        if self.pending_transition:
            shot["transition_in"] = self.pending_transition
            self.pending_transition = None
        shots.append(shot)
        return shot

    def speaker(self, cue: str) -> tuple[str, str | None]:
        """Character id and dialogue mode for a cue like ``TEO (O.S.)``."""
        name, mode = cue.strip().rstrip("^").strip(), None
        while m := _EXTENSION.search(name):
            mode = mode or _MODES.get(m.group(1).strip().upper().replace(" ", ""))
            name = name[: m.start()].strip()
        ident = slug(name, f"character-{len(self.characters) + 1}")
        self.characters.setdefault(
            ident, {"id": ident, "name": name.title(), "description": name.title()}
        )
        return ident, mode


def fountain_to_data(path: Path) -> dict[str, Any]:
    """Read a Fountain screenplay into scene-file data (the YAML format's shape)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SceneError("screenplay not found", path=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SceneError(f"cannot read the screenplay: {error}", path=path) from None
    screenplay = parse(io.StringIO(text))
    title = " ".join(screenplay.title_page.get("Title", [])).strip() or path.stem
    book = _Breakdown(title=re.sub(r"[*_]", "", title))
    paragraphs = list(screenplay)
    for paragraph in paragraphs:  # meet the cast first, so actions before a first line list them
        for dialog in _dialogs(paragraph):
            book.speaker(str(dialog.character))
    for paragraph in paragraphs:
        _read(book, paragraph)
    if not any(scene["shots"] for scene in book.scenes):
        raise SceneError(
            "the screenplay has no action or dialogue to break down",
            path=path,
            hint="a Fountain scene starts with a heading like 'INT. HOUSE - DAY' "
            "followed by action paragraphs and dialogue",
        )
    _describe(book, paragraphs)
    return {
        "schema_version": SCHEMA_VERSION,
        "project": {"title": book.title, "fps": 24, "aspect": "16:9"},
        "characters": list(book.characters.values()),
        "locations": list(book.locations.values()),
        "scenes": [_ordered(scene) for scene in book.scenes if scene["shots"]],
    }


def _ordered(scene: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order a person reads a scene: who, where, then the shots."""
    order = ("id", "number", "heading", "description", "location", "shots")
    return {key: scene[key] for key in order if key in scene}


def _dialogs(paragraph: object) -> list[Dialog]:
    if isinstance(paragraph, Dialog):
        return [paragraph]
    if isinstance(paragraph, DualDialog):
        return [paragraph.left, paragraph.right]
    return []


def _read(book: _Breakdown, paragraph: object) -> None:
    if isinstance(paragraph, Slug):
        book.open_scene(str(paragraph.line), paragraph.scene_number and str(paragraph.scene_number))
        if paragraph.synopsis:
            book.scene["description"] = str(paragraph.synopsis)
    elif isinstance(paragraph, Action):
        action = " ".join(str(line).strip() for line in paragraph.lines).strip()
        if action.upper() in _TRANSITIONS and action == action.upper():
            _transition(book, action)  # FADE IN: / FADE OUT. written without the '>'
        elif action:
            size = "WS" if not book.scene["shots"] else "MS"
            book.add_shot(
                action, size=size, seconds=_reading_time(action), cast=_named_in(action, book)
            )
    elif isinstance(paragraph, (Dialog, DualDialog)):
        _speech(book, _dialogs(paragraph))
    elif isinstance(paragraph, Transition):
        _transition(book, str(paragraph.line).strip().upper())
    elif isinstance(paragraph, Section) and paragraph.synopsis and book.scenes:
        book.scene.setdefault("description", str(paragraph.synopsis))


def _speech(book: _Breakdown, dialogs: list[Dialog]) -> None:
    """A speech: a close shot of whoever speaks on screen; off-screen lines play over the last."""
    lines = []
    for dialog in dialogs:
        speaker, mode = book.speaker(str(dialog.character))
        words = " ".join(str(text).strip() for is_paren, text in dialog.blocks if not is_paren)
        delivery = next(
            (str(text).strip("() ") for is_paren, text in dialog.blocks if is_paren), None
        )
        if words.strip():
            lines.append((speaker, mode, words.strip(), delivery))
    if not lines:
        return
    on_screen = [s for s, mode, _, _ in lines if mode is None]
    shots = book.scene["shots"]
    length = max(len(words.split()) / _WORDS_SPOKEN_PER_SECOND for _, _, words, _ in lines)
    seconds = round(max(1.5, length + 1.0) * 2) / 2
    if on_screen or not shots:
        size = "TWO_SHOT" if len(set(on_screen)) > 1 else "MCU"
        names = " and ".join(book.characters[s]["name"] for s in dict.fromkeys(on_screen))
        shot = book.add_shot(
            f"{names or 'Someone'} speaks.",
            size=size,
            seconds=seconds,
            cast=list(dict.fromkeys(on_screen)),
        )
        start = 0.5
    else:  # voice-over or off-screen: heard over the shot already on screen
        shot = shots[-1]
        start = 0.0
    shot.setdefault("sound", [])
    for speaker, mode, words, delivery in lines:
        cue: dict[str, Any] = {
            "kind": "dialogue",
            "speaker": speaker,
            "line": words,
            "start": start,
        }
        if mode:
            cue["mode"] = mode
        if delivery:
            cue["delivery"] = delivery
        shot["sound"].append(cue)
    _fit_dialogue(shot)


def _fit_dialogue(shot: dict[str, Any]) -> None:
    """Lengthen a shot so every line spoken over it fits, with half a second to spare."""
    needed = max(
        c["start"] + len(c["line"].split()) / _WORDS_SPOKEN_PER_SECOND + 0.9
        for c in shot["sound"]
        if c["kind"] == "dialogue"
    )
    current = float(shot["duration"].rstrip("s"))
    if needed > current:
        shot["duration"] = f"{round(needed * 2) / 2:g}s"


def _transition(book: _Breakdown, line: str) -> None:
    transition = _TRANSITIONS.get(line)
    if transition is None:
        return  # CUT TO:, SMASH CUT TO: and the like are cuts
    shots = [s for scene in book.scenes for s in scene["shots"]]
    if transition == "fade out" and shots:
        shots[-1]["transition_out"] = transition
    else:
        book.pending_transition = transition


def _reading_time(action: str) -> float:
    seconds = len(action.split()) / _WORDS_READ_PER_SECOND + 1.0
    return min(8.0, max(2.0, round(seconds * 2) / 2))


def _named_in(action: str, book: _Breakdown) -> list[str]:
    """Characters named in an action line, as written in screenplays: ``MARA`` or ``Mara``."""
    found = []
    for ident, person in book.characters.items():
        name = person["name"]
        if re.search(rf"\b(?:{re.escape(name.upper())}|{re.escape(name)})\b", action):
            found.append(ident)
    return found


def _describe(book: _Breakdown, paragraphs: list[object]) -> None:
    """Give each character the introduction the writer wrote: ``NAME (age, look)``."""
    for person in book.characters.values():
        name = re.escape(person["name"].upper())
        for paragraph in paragraphs:
            if not isinstance(paragraph, Action):
                continue
            text = " ".join(str(line) for line in paragraph.lines)
            m = re.search(rf"\b{name}\b\s*(?:\(([^)]+)\)|,\s*([^,.;]+(?:,[^,.;]+)*))", text)
            if m:
                person["description"] = (m.group(1) or m.group(2)).strip()
                break


def _location_name(heading: str) -> str | None:
    from previz.shotlist.heading import parse_heading

    parsed = parse_heading(heading)
    return parsed.location if parsed.setting and parsed.location else None
