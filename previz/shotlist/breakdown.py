"""A screenplay broken down into a shot list: the coverage a previs artist would block first.

Each scene heading becomes a scene, each action paragraph a shot (the first of a scene a wide
establishing shot), and each speech a medium close-up of its speaker carrying the line as a
dialogue cue; off-screen and voice-over lines stay on the shot they play over, and dual dialogue
is a two-shot. Characters come from the dialogue cues (ids with accents folded: ``ÉLODIE`` →
``elodie``), described by the introduction the writer gave them in action — ``ÉLODIE MARCHAND
(30s, yellow raincoat)`` or ``BRICK BRADDOCK, retired police detective, is sitting`` — up to the
end of that introduction. Centred text (``> THE END <``) is a title, never a shot. The title
page becomes the project's title and ``title_page``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from previz.errors import SceneError
from previz.shotlist.models import SCHEMA_VERSION
from previz.shotlist.script import (
    TITLE_PAGE_KEYS,
    ActionText,
    SceneHeading,
    Script,
    Speech,
    Synopsis,
    TransitionText,
    slug,
)

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


@dataclass
class _Breakdown:
    """The scene file being built while the screenplay is read top to bottom."""

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
        name = name.lstrip("@").strip()
        ident = slug(name, f"character-{len(self.characters) + 1}")
        self.characters.setdefault(
            ident, {"id": ident, "name": name.title(), "description": name.title(), "cue": name}
        )
        return ident, mode


def breakdown(script: Script, path: Path) -> dict[str, Any]:
    """Scene-file data (the YAML format's shape) for a screenplay read from ``path``."""
    book = _Breakdown()
    for element in script.elements:  # meet the cast first, so actions before a line list them
        if isinstance(element, Speech):
            for line in element.lines:
                if line.cue.strip("@^ "):
                    book.speaker(line.cue)
    for element in script.elements:
        _read(book, element)
    if not any(scene["shots"] for scene in book.scenes):
        raise SceneError(
            "the screenplay has no action or dialogue to break down",
            path=path,
            hint="a scene starts with a heading like 'INT. HOUSE - DAY' "
            "followed by action paragraphs and dialogue",
        )
    actions = [e.text for e in script.elements if isinstance(e, ActionText) and not e.centered]
    for person in book.characters.values():
        intro = introduction(person.pop("cue"), actions)
        if intro:
            person["description"] = intro
    return {
        "schema_version": SCHEMA_VERSION,
        "project": _project(script, path),
        "characters": list(book.characters.values()),
        "locations": list(book.locations.values()),
        "scenes": [_ordered(scene) for scene in book.scenes if scene["shots"]],
    }


def _project(script: Script, path: Path) -> dict[str, Any]:
    page: dict[str, str] = {}
    for key, value in script.title_page.items():
        name = TITLE_PAGE_KEYS.get(key.strip().lower())
        text = re.sub(r"[*_]", "", " ".join(value.split())).strip()
        if name and text and name not in page:
            page[name] = text
    project: dict[str, Any] = {"title": page.pop("title", "") or path.stem}
    if page:
        project["title_page"] = page
    project.update({"fps": 24, "aspect": "16:9"})
    return project


def _ordered(scene: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order a person reads a scene: who, where, then the shots."""
    order = ("id", "number", "heading", "description", "location", "shots")
    return {key: scene[key] for key in order if key in scene}


def _read(book: _Breakdown, element: object) -> None:
    if isinstance(element, SceneHeading):
        book.open_scene(element.text, element.number)
    elif isinstance(element, ActionText):
        action = " ".join(element.text.split())
        if element.centered or not action:
            return  # a title card ('> THE END <') is not a shot, let alone a person
        if action.upper() in _TRANSITIONS and action == action.upper():
            _transition(book, action)  # FADE IN: / FADE OUT. written as action
            return
        size = "WS" if not book.scene["shots"] else "MS"
        book.add_shot(
            action, size=size, seconds=_reading_time(action), cast=_named_in(action, book)
        )
    elif isinstance(element, Speech):
        _speech(book, element)
    elif isinstance(element, TransitionText):
        _transition(book, element.text.strip().upper())
    elif isinstance(element, Synopsis) and book.scenes:
        book.scene.setdefault("description", element.text)


def _speech(book: _Breakdown, speech: Speech) -> None:
    """A speech: a close shot of whoever speaks on screen; off-screen lines play over the last."""
    lines = []
    for line in speech.lines:
        if not line.cue.strip("@^ "):
            continue  # a cue with no name: nobody to give the line to
        speaker, mode = book.speaker(line.cue)
        words = " ".join(line.words.split())
        if words:
            delivery = line.parenthetical.strip("() ") if line.parenthetical else None
            lines.append((speaker, mode, words, delivery or None))
    if not lines:
        return
    on_screen = list(dict.fromkeys(s for s, mode, _, _ in lines if mode is None))
    shots = book.scene["shots"]
    length = max(len(words.split()) / _WORDS_SPOKEN_PER_SECOND for _, _, words, _ in lines)
    seconds = round(max(1.5, length + 1.0) * 2) / 2
    if on_screen or not shots:
        names = [book.characters[s]["name"] for s in on_screen]
        shot = book.add_shot(
            _speaks(names),
            size="TWO_SHOT" if len(on_screen) > 1 else "MCU",
            seconds=seconds,
            cast=on_screen,
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


def _speaks(names: list[str]) -> str:
    """``Élodie speaks.``, ``Élodie and Theo speak.``, ``Ana, Ben and Cy speak.``"""
    if not names:
        return "Someone speaks."
    if len(names) == 1:
        return f"{names[0]} speaks."
    return f"{', '.join(names[:-1])} and {names[-1]} speak."


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


_AUXILIARIES = {"is", "are", "was", "were", "has", "have", "had", "does", "did", "can", "will"}
_PREDICATE_WORDS = frozenset(
    {*_AUXILIARIES, "would", "could", "should", "may", "might", "must", "who", "which", "that"}
)


def introduction(cue: str, actions: list[str]) -> str | None:
    """The writer's introduction of the character whose cue is ``cue``, from the first action
    that gives one: ``NAME (…)`` or ``NAME SURNAME, an appositive,`` — never the action after it."""
    for text in actions:
        for m in re.finditer(rf"(?<!\w){re.escape(cue.upper())}(?!\w)", text):
            rest = _after_name(text[m.end() :])
            if rest.startswith("("):
                inner = re.match(r"\(([^)]+)\)", rest)
                if inner and inner.group(1).strip():
                    return inner.group(1).strip()
            elif rest.startswith(","):
                described = _appositive(rest[1:])
                if described:
                    return described
    return None


def _after_name(text: str) -> str:
    """The text after a name written in capitals, its further capitalised words skipped."""
    while m := re.match(r"\s+([^\s,(.;:!?]+)", text):
        word = m.group(1)
        if not (word.isupper() and any(c.isalpha() for c in word)):
            break
        text = text[m.end() :]
    return text.lstrip()


def _appositive(text: str) -> str | None:
    """``retired police detective, is sitting`` → ``retired police detective``."""
    sentence = re.split(r"[.;:!?](?:\s|$)", text, maxsplit=1)[0]
    kept: list[str] = []
    for segment in sentence.split(","):
        words = segment.split()
        if not words or (kept and _is_predicate(words)) or _is_predicate(words[:1]):
            break
        kept.append(segment.strip())
    return ", ".join(kept) or None


def _is_predicate(words: list[str]) -> bool:
    """Words that start what the character does, not what they look like."""
    first = words[0]
    if first.lower() in _PREDICATE_WORDS or first.lower().endswith("ing"):
        return True
    if first.islower() and first.isalpha() and first.endswith("s") and not first.endswith("ss"):
        return len(first) > 3  # 'runs', 'sits', 'waits' — third-person verbs
    return any(len(w) > 2 and w.isupper() and w.isalpha() for w in words)  # 'SLAMMED'


def _location_name(heading: str) -> str | None:
    from previz.shotlist.heading import parse_heading

    parsed = parse_heading(heading)
    return parsed.location if parsed.setting and parsed.location else None
