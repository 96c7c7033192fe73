"""Changing a scene file in place, keeping its comments, order and layout (ruamel round trip)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

from previz.errors import OutputError, SceneError
from previz.shotlist.checks import suggest
from previz.shotlist.loader import load, read_yaml


def select_take(path: Path, shot_id: str, take: int) -> None:
    """Set ``selected_take`` of one shot; the take must exist (``1..takes``)."""
    if path.suffix == ".py":
        raise SceneError(
            "a Python scene script cannot be edited in place",
            path=path,
            hint=f"set selected_take={take} on shot '{shot_id}' in the script",
        )
    shotlist = load(path)
    shot_ids = [s.id for s in shotlist.shots]
    if shot_id not in shot_ids:
        raise SceneError(f"no shot '{shot_id}'", path=path, hint=suggest(shot_id, shot_ids, "shot"))
    takes = shotlist.shot(shot_id).takes
    if not 1 <= take <= takes:
        raise SceneError(
            f"shot '{shot_id}' has {takes} take(s); there is no take {take}",
            path=path,
            shot_id=shot_id,
            hint="raise 'takes' and build again first",
        )
    data = read_yaml(path)
    for scene in data["scenes"]:
        for shot in scene["shots"]:
            if shot["id"] == shot_id:
                shot["selected_take"] = take
    _write_atomically(path, data)


def _write_atomically(path: Path, data: object) -> None:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yaml.dump(data, out)
        os.replace(name, path)
    except OSError as error:
        Path(name).unlink(missing_ok=True)
        raise OutputError(f"cannot rewrite the scene file: {error.strerror}", path=path) from None
