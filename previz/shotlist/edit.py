"""Changing a scene file in place, keeping its comments, order and layout (ruamel round trip)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from previz.errors import OutputError, SceneError
from previz.shotlist.checks import suggest
from previz.shotlist.fountain import fountain_to_data
from previz.shotlist.loader import from_data, load, read_yaml


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


def import_screenplay(screenplay: Path, dest: Path, *, force: bool = False) -> Path:
    """Write the breakdown of a Fountain screenplay as a scene file at ``dest``."""
    if dest.exists() and not force:
        raise OutputError(
            f"{dest} already exists",
            path=dest,
            hint="pass --force to overwrite it, or --out to write elsewhere",
        )
    data = fountain_to_data(screenplay)
    from_data(data, path=dest)  # the breakdown must be a valid scene before it is written
    # quoted, so a YAML 1.1 reader does not take 16:9 for the base-60 number 969
    data["project"]["aspect"] = DoubleQuotedScalarString(data["project"]["aspect"])
    header = (
        f"# Broken down from {screenplay.name} by previz import: one shot per action\n"
        "# paragraph and per speech. Refine sizes, moves, lenses, lighting and the\n"
        "# character descriptions, then: previz build " + dest.name + "\n"
    )
    _write_atomically(dest, data, header=header)
    return dest


def _write_atomically(path: Path, data: object, header: str = "") -> None:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(header)
            yaml.dump(data, out)
        os.replace(name, path)
    except OSError as error:
        Path(name).unlink(missing_ok=True)
        raise OutputError(f"cannot rewrite the scene file: {error.strerror}", path=path) from None
