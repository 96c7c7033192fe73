"""Consistency checks a schema cannot express: ids that must exist, be unique, and files on disk.

Each problem keeps the path of keys to the offending value (``("scenes", 0, "shots", 2,
"cast", 1)``) so the YAML loader can point at its line and column; the Python builder shows the
path instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio
from PIL import Image, UnidentifiedImageError

from previz.shotlist.fields import control_character
from previz.shotlist.models import ShotList
from previz.shotlist.shown import escape, shown
from previz.shotlist.timing import otio_rate, timecode_frames

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a shot list, located by its key path."""

    loc: Loc
    message: str
    hint: str | None = None
    shot_id: str | None = None
    at_key: bool = False  # point at the key itself (an unknown key), not its value


def suggest(value: str, choices: Iterable[str], kind: str) -> str:
    """A hint naming the nearest valid id, or listing what exists."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'? {kind}s defined: {', '.join(options) or 'none'}"
    return f"{kind}s defined: {', '.join(options) or 'none'}; add it under '{kind}s:' first"


def check_text(data: object, loc: Loc = ()) -> list[Problem]:
    """Text holding a control character (NUL, escape, a bidi override…), anywhere in the data."""
    if isinstance(data, str):
        control = control_character(data)
        if control is None:
            return []
        return [
            Problem(
                loc,
                f"contains the control character {escape(control)}",
                "delete it; in double quotes, escapes like \\0 or \\u202e write such characters",
            )
        ]
    if isinstance(data, Mapping):
        found = []
        for key, value in data.items():
            found += check_text(key, (*loc, str(key))) + check_text(value, (*loc, str(key)))
        return found
    if isinstance(data, (list, tuple)):
        return [p for i, item in enumerate(data) for p in check_text(item, (*loc, i))]
    return []


def check_ids(shotlist: ShotList) -> list[Problem]:
    """Duplicate ids, and references to characters, locations, props and shots that don't exist."""
    problems: list[Problem] = []
    for section in ("characters", "locations", "props", "scenes"):
        problems += _duplicates(
            ((section, i), item.id) for i, item in enumerate(getattr(shotlist, section))
        )
    problems += _duplicates(
        (("scenes", si, "shots", hi), shot.id)
        for si, scene in enumerate(shotlist.scenes)
        for hi, shot in enumerate(scene.shots)
    )
    problems += list(_dangling(shotlist))
    return problems


def _duplicates(items: Iterable[tuple[Loc, str]]) -> list[Problem]:
    seen: dict[str, Loc] = {}
    problems = []
    for loc, ident in items:
        if ident in seen:
            problems.append(
                Problem(
                    (*loc, "id"),
                    f"duplicate id '{ident}'",
                    hint="every id must be unique; rename one of them (shot ids become file names)",
                )
            )
        else:
            seen[ident] = loc
    return problems


def _dangling(shotlist: ShotList) -> Iterator[Problem]:
    characters = {c.id for c in shotlist.characters}
    locations = {loc.id for loc in shotlist.locations}
    props = {p.id for p in shotlist.props}
    order = [shot.id for scene in shotlist.scenes for shot in scene.shots]
    for si, scene in enumerate(shotlist.scenes):
        base: Loc = ("scenes", si)
        if scene.location and scene.location not in locations:
            yield Problem(
                (*base, "location"),
                f"unknown location '{scene.location}'",
                suggest(scene.location, locations, "location"),
            )
        for ci, cue in enumerate(scene.sound):
            yield from _cue_refs(cue, (*base, "sound", ci), characters, order, None)
        for hi, shot in enumerate(scene.shots):
            loc: Loc = (*base, "shots", hi)
            for k, cid in enumerate(shot.cast):
                if cid not in characters:
                    yield Problem(
                        (*loc, "cast", k),
                        f"unknown character '{cid}'",
                        suggest(cid, characters, "character"),
                        shot.id,
                    )
            if shot.location and shot.location not in locations:
                yield Problem(
                    (*loc, "location"),
                    f"unknown location '{shot.location}'",
                    suggest(shot.location, locations, "location"),
                    shot.id,
                )
            for k, pid in enumerate(shot.props):
                if pid not in props:
                    yield Problem(
                        (*loc, "props", k),
                        f"unknown prop '{pid}'",
                        suggest(pid, props, "prop"),
                        shot.id,
                    )
            for ci, cue in enumerate(shot.sound):
                yield from _cue_refs(cue, (*loc, "sound", ci), characters, order, shot.id)
            if shot.selected_take and shot.selected_take > (shot.takes or 1):
                yield Problem(
                    (*loc, "selected_take"),
                    f"selected take {shot.selected_take} but the shot has "
                    f"{shot.takes or 1} take(s)",
                    "raise 'takes' or pick a take that exists",
                    shot.id,
                )


def _cue_refs(
    cue: object, loc: Loc, characters: set[str], order: list[str], shot_id: str | None
) -> Iterator[Problem]:
    speaker = getattr(cue, "speaker", None)
    if speaker and speaker not in characters:
        yield Problem(
            (*loc, "speaker"),
            f"unknown speaker '{speaker}'",
            suggest(speaker, characters, "character"),
            shot_id,
        )
    for field, key in (("until", "until"), ("from_shot", "from")):
        target = getattr(cue, field, None)
        if target and target not in order:
            yield Problem(
                (*loc, key), f"unknown shot '{target}'", suggest(target, order, "shot"), shot_id
            )
        elif (
            target and shot_id and field == "until" and order.index(target) <= order.index(shot_id)
        ):
            yield Problem(
                (*loc, key),
                f"'until: {target}' must name a later shot than '{shot_id}'",
                "a cue can only run on into shots after its own",
                shot_id,
            )


def check_references(shotlist: ShotList, base_dir: Path) -> list[Problem]:
    """Every reference image exists and is an image Pillow can read."""
    problems = []
    for section in ("characters", "locations", "props"):
        for i, item in enumerate(getattr(shotlist, section)):
            for k, ref in enumerate(item.references):
                problem = _image_problem(base_dir / ref)
                if problem:
                    problems.append(
                        Problem(
                            (section, i, "references", k),
                            f"reference image {shown(ref)} {problem}",
                            f"paths are relative to {base_dir}; use a PNG, JPEG or WebP file",
                        )
                    )
    return problems


def _image_problem(path: Path) -> str | None:
    if path.is_dir():
        return "is a folder, not an image file"
    if not path.is_file():
        return "does not exist"
    try:
        with Image.open(path) as image:
            image.verify()
    except UnidentifiedImageError:
        return "is not a readable image (not a PNG, JPEG, WebP or other known format)"
    except (OSError, SyntaxError, ValueError):
        return "is not a readable image (damaged or truncated)"
    return None


def check_project(shotlist: ShotList, base_dir: Path) -> list[Problem]:
    """What a build would trip over late: the start timecode at this rate, the templates folder,
    and wardrobe given for scenes that do not exist."""
    project = shotlist.project
    problems = []
    try:
        timecode_frames(project.start_timecode, project.fps)
        if ";" in project.start_timecode and project.fps not in (29.97, 59.94):
            raise ValueError(
                f"';' in {shown(project.start_timecode)} marks drop-frame timecode, which only "
                f"29.97 and 59.94 fps use, not {project.fps:g}; write 01:00:00:00"
            )
        otio.opentime.from_timecode(project.start_timecode, otio_rate(project.fps))
    except ValueError as error:
        problems.append(
            Problem(
                ("project", "start_timecode"),
                str(error),
                "the timeline starts at this timecode; 01:00:00:00 is the usual start",
            )
        )
    if project.templates is not None:
        folder = base_dir / project.templates
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            problems.append(
                Problem(
                    ("project", "templates"),
                    f"templates folder {shown(project.templates)} {what}",
                    f"paths are relative to {base_dir}; create it or remove 'templates:'",
                )
            )
    scenes = [scene.id for scene in shotlist.scenes]
    for i, character in enumerate(shotlist.characters):
        for scene_id in character.wardrobe.scenes if character.wardrobe else {}:
            if scene_id not in scenes:
                problems.append(
                    Problem(
                        ("characters", i, "wardrobe", "scenes", scene_id),
                        f"wardrobe for unknown scene {shown(scene_id)}",
                        suggest(scene_id, scenes, "scene"),
                        at_key=True,
                    )
                )
    return problems
