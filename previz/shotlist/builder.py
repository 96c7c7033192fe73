"""The Python side of the DSL: build a shot list in a script, validated by the same models.

    project = ProjectBuilder("Night Delivery", fps=24)
    mara = project.character("mara", "Mara", description="a courier in her thirties ...")
    scene = project.scene("sc1", "INT. WAREHOUSE - NIGHT")
    scene.shot("sc1-010", "Mara slips in.", size="WS", cast=[mara], duration="4s",
               sound=[sfx("door creak", at=0.5)])

A script is loaded with ``previz.load("script.py")`` (or any CLI command): it runs, and the
``ProjectBuilder`` it leaves at module level is validated and resolved exactly like a YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from previz.shotlist.models import SCHEMA_VERSION
from previz.shotlist.resolve import ResolvedShotList


@dataclass(frozen=True)
class CharacterRef:
    """What :meth:`ProjectBuilder.character` returns; usable in ``cast=`` and ``dialogue()``."""

    id: str

    def __str__(self) -> str:
        return self.id


def _ident(value: str | CharacterRef) -> str:
    return value.id if isinstance(value, CharacterRef) else value


def _cue(
    kind: str,
    at: float | str,
    end: float | str | None,
    duration: float | str | None,
    until: str | None,
    cue_id: str | None,
    **fields: Any,
) -> dict[str, Any]:
    cue: dict[str, Any] = {"kind": kind, "start": at, **fields}
    for key, value in (("end", end), ("duration", duration), ("until", until), ("id", cue_id)):
        if value is not None:
            cue[key] = value
    return {k: v for k, v in cue.items() if v is not None}


def dialogue(
    speaker: str | CharacterRef,
    line: str,
    *,
    at: float | str = 0,
    end: float | str | None = None,
    duration: float | str | None = None,
    mode: str | None = None,
    delivery: str | None = None,
    until: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """A spoken line, ``at`` seconds (or ``"12f"``) from the shot's head."""
    return _cue(
        "dialogue",
        at,
        end,
        duration,
        until,
        id,
        speaker=_ident(speaker),
        line=line,
        mode=mode,
        delivery=delivery,
    )


def sfx(
    description: str,
    *,
    at: float | str = 0,
    end: float | str | None = None,
    duration: float | str | None = None,
    until: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """A sound effect hit."""
    return _cue("sfx", at, end, duration, until, id, description=description)


def ambience(
    description: str,
    *,
    at: float | str = 0,
    end: float | str | None = None,
    duration: float | str | None = None,
    until: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """An ambience bed (room tone, city, rain)."""
    return _cue("ambience", at, end, duration, until, id, description=description)


def music(
    description: str,
    *,
    at: float | str = 0,
    end: float | str | None = None,
    duration: float | str | None = None,
    until: str | None = None,
    id: str | None = None,
    diegetic: bool | None = None,
) -> dict[str, Any]:
    """A music cue; ``until`` lets it run on into a later shot."""
    return _cue("music", at, end, duration, until, id, description=description, diegetic=diegetic)


class SceneBuilder:
    """Adds shots and sound beds to one scene."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def shot(self, id: str, action: str, **fields: Any) -> SceneBuilder:
        """Add a shot; keyword fields are the scene format's shot keys (``size``, ``cast``, …)."""
        if "cast" in fields:
            fields["cast"] = [_ident(c) for c in fields["cast"]]
        self._data["shots"].append({"id": id, "action": action, **fields})
        return self

    def bed(self, cue: dict[str, Any], *, from_shot: str | None = None) -> SceneBuilder:
        """A sound bed under the scene (ambience or music), optionally from a given shot."""
        if from_shot:
            cue = {**cue, "from": from_shot}
        self._data["sound"].append(cue)
        return self


class ProjectBuilder:
    """Collects a project, its characters, locations, props and scenes, then validates them."""

    def __init__(self, title: str, **project: Any) -> None:
        self._data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "project": {"title": title, **project},
            "characters": [],
            "locations": [],
            "props": [],
            "scenes": [],
        }

    def character(self, id: str, name: str, *, description: str, **fields: Any) -> CharacterRef:
        self._data["characters"].append(
            {"id": id, "name": name, "description": description, **fields}
        )
        return CharacterRef(id)

    def location(self, id: str, *, description: str, **fields: Any) -> str:
        self._data["locations"].append({"id": id, "description": description, **fields})
        return id

    def prop(self, id: str, *, description: str, **fields: Any) -> str:
        self._data["props"].append({"id": id, "description": description, **fields})
        return id

    def scene(self, id: str, heading: str, **fields: Any) -> SceneBuilder:
        data: dict[str, Any] = {"id": id, "heading": heading, "shots": [], "sound": [], **fields}
        self._data["scenes"].append(data)
        return SceneBuilder(data)

    def to_data(self) -> dict[str, Any]:
        """The shot list as plain data, the same shape a YAML scene file has."""
        return self._data

    def build(
        self, *, base_dir: Path | None = None, source: Path | None = None
    ) -> ResolvedShotList:
        """Validate and resolve; errors name the key path and shot like the YAML loader's."""
        from previz.shotlist.loader import from_data

        return from_data(self._data, path=source, base_dir=base_dir or Path.cwd())
