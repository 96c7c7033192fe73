"""Reading scene files: YAML in, a resolved shot list out, or errors that point at file:line:col.

The YAML is parsed with libyaml (:func:`~previz.shotlist.parsing.parse_fast`); only when there
is a problem to report is it parsed again with ruamel.yaml's round-trip loader, which remembers
where every key and value sits. Schema errors (pydantic), consistency problems (ids, files) and
timing problems all come back as :class:`~previz.errors.SceneError` located at the offending key
or value, with a hint; several problems are reported together.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from previz.backends.options import check_backend_options
from previz.errors import SceneError, SceneErrors
from previz.shotlist.checks import (
    Loc,
    Problem,
    check_ids,
    check_project,
    check_references,
    check_text,
)
from previz.shotlist.models import SCHEMA_VERSION, ShotList
from previz.shotlist.parsing import parse_fast, parse_located, read_text, too_deep
from previz.shotlist.resolve import ResolvedShotList, ResolveError, resolve
from previz.shotlist.schema_errors import problems_from_validation
from previz.shotlist.screenplay import SUFFIXES as SCREENPLAY_SUFFIXES
from previz.shotlist.screenplay import screenplay_to_data
from previz.shotlist.shown import escape, shorten, shown

if typing.TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

__all__ = [
    "format_loc",
    "from_data",
    "load",
    "parse_fast",
    "parse_located",
    "position",
    "read_yaml",
]

SCRIPT_SUFFIXES = (".py",)


def load(path: str | Path) -> ResolvedShotList:
    """Load a scene file (YAML), a Python scene script or a Fountain screenplay, resolved."""
    path = Path(path)
    if path.suffix in SCRIPT_SUFFIXES:
        return _load_script(path)
    if path.suffix.lower() in SCREENPLAY_SUFFIXES:
        return from_data(screenplay_to_data(path), path=path)
    text = read_text(path)
    try:
        data = parse_fast(text, path)
        located = lambda: parse_located(text, path)  # noqa: E731
        return from_data(data, path=path, located=located, check_controls="\\" in text)
    except RecursionError:  # pydantic or ruamel on nesting libyaml could still read
        raise too_deep(text, path) from None


def read_yaml(path: Path) -> Any:
    """Parse a scene file keeping every key's and value's position (ruamel round-trip)."""
    return parse_located(read_text(path), path)


def from_data(
    data: Any,
    *,
    path: Path | None = None,
    base_dir: Path | None = None,
    located: Callable[[], Any] | None = None,
    check_controls: bool = True,
) -> ResolvedShotList:
    """Validate and resolve parsed data (from YAML or the Python builder).

    ``located`` re-parses the source with positions; it is called only to report problems.
    ``check_controls=False`` skips the search for control characters in text: YAML refuses raw
    ones, so a file without a backslash escape cannot hold any.
    """
    base = (base_dir or (path.parent if path else Path.cwd())).resolve()

    def fail(problems: list[Problem]) -> typing.NoReturn:
        _raise(path, located() if located else data, problems)

    if not isinstance(data, Mapping):
        raise SceneError(
            "a scene file must be a mapping with 'schema_version', 'project' and 'scenes'",
            path=path,
            line=1,
            column=1,
            hint="start from 'previz init' or scenes/ for an example",
        )
    if problems := (check_text(data) if check_controls else []) + _check_version(data):
        fail(problems)
    try:
        shotlist = ShotList.model_validate(data)
    except ValidationError as error:
        fail(problems_from_validation(error))
    problems = check_ids(shotlist) + check_project(shotlist, base)
    problems += check_references(shotlist, base) + check_backend_options(shotlist)
    if problems:
        fail(problems)
    try:
        return resolve(shotlist, base, path)
    except ResolveError as error:
        fail(error.problems)


def _check_version(data: Mapping[str, Any]) -> list[Problem]:
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is int and version == SCHEMA_VERSION:  # not True, which equals 1
        return []
    return [
        Problem(
            ("schema_version",),
            f"schema_version {shown(version)} is not supported",
            f"this previz reads schema_version {SCHEMA_VERSION}",
        )
    ]


def _raise(path: Path | None, data: Any, problems: list[Problem]) -> typing.NoReturn:
    errors = _merged([_located(path, data, p) for p in problems])
    raise SceneErrors(errors) if len(errors) > 1 else errors[0]


def _located(path: Path | None, data: Any, problem: Problem) -> SceneError:
    line, column = position(data, problem.loc, at_key=problem.at_key)
    where = "" if line else f" (at {format_loc(problem.loc)})"
    shot_id = problem.shot_id or _shot_id_at(data, problem.loc)
    if problem.loc[-1:] == ("id",):
        shot_id = None  # the id itself is the problem: the message already quotes it
    return SceneError(
        escape(problem.message) + where,
        path=path,
        line=line,
        column=column,
        hint=escape(problem.hint) if problem.hint else None,
        shot_id=shorten(shot_id) if shot_id else None,
    )


def _merged(errors: list[SceneError]) -> list[SceneError]:
    """One message per place: a YAML alias (``*name``) used in nine shots is one mistake, at its
    anchor, not nine identical lines."""
    places: dict[tuple[object, ...], list[SceneError]] = {}
    for error in errors:
        places.setdefault((error.line, error.column, error.message, error.hint), []).append(error)
    merged = []
    for same in places.values():
        first = same[0]
        shots = list(dict.fromkeys(e.shot_id for e in same if e.shot_id))
        if len(same) > 1 and first.line is not None:
            first.message += f" (in {len(same)} places that share this YAML anchor)"
            first.shot_id = shots[0] if len(shots) == 1 else None
        merged.append(first)
    return merged


def located_error(
    shotlist: ResolvedShotList, loc: Loc, message: str, hint: str, shot_id: str | None = None
) -> SceneError:
    """A problem found after loading, located in the scene file it came from (YAML only)."""
    path = shotlist.source_path
    yaml_file = path is not None and path.suffix.lower() in (".yaml", ".yml")
    data = read_yaml(path) if path is not None and yaml_file else None
    return _located(path, data, Problem(loc, message, hint, shot_id))


def format_loc(loc: Loc) -> str:
    """``scenes[0].shots[2].cast[1]`` — a key path as a reader would write it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def position(data: Any, loc: Loc, *, at_key: bool = False) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node of ``loc`` present in the YAML."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # as read_yaml made them

    node, found = data, None
    for depth, part in enumerate(loc):
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            key_wanted = at_key and depth == len(loc) - 1
            scalar = _is_scalar(node[part]) and node[part] is not None and not key_wanted
            found = node.lc.value(part) if scalar else node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedMap) and isinstance(part, str):
            found = _position_of_unknown(node, part) or found
            break
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            found = node.lc.item(part)
            node = node[part]
        else:
            break
    if found is None and isinstance(data, CommentedMap):
        return 1, 1
    if found is None:
        return None, None
    return found[0] + 1, found[1] + 1


def _position_of_unknown(node: CommentedMap, key: str) -> tuple[int, int] | None:
    for existing in node:
        if str(existing) == key:
            line, col = node.lc.key(existing)
            return int(line), int(col)
    if node.lc.line is not None:
        return node.lc.line, node.lc.col
    return None


def _is_scalar(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    return not isinstance(value, (CommentedMap, CommentedSeq))


def _shot_id_at(data: Any, loc: Loc) -> str | None:
    """The id of the shot a key path runs through, when the data has one."""
    if len(loc) >= 4 and loc[0] == "scenes" and loc[2] == "shots":
        try:
            shot_id = data["scenes"][loc[1]]["shots"][loc[3]]["id"]
        except (KeyError, IndexError, TypeError):
            return None
        return shot_id if isinstance(shot_id, str) else None
    return None


def _load_script(path: Path) -> ResolvedShotList:
    """Run a Python scene script; it must leave a builder ``project`` or a ``shotlist`` behind."""
    import runpy  # only for a script: a YAML scene (and the console script) never needs it

    from previz.shotlist.builder import ProjectBuilder

    if not path.is_file():
        raise SceneError("scene script not found", path=path)
    try:
        namespace = runpy.run_path(str(path), run_name="__previz_scene__")
    except SceneError:
        raise
    except Exception as error:  # a user's script: report its failure, not ours
        raise SceneError(
            f"the scene script failed: {error.__class__.__name__}: {error}",
            path=path,
            hint="run it with python to see the traceback",
        ) from None
    for value in namespace.values():
        if isinstance(value, ResolvedShotList):
            return value
    for value in namespace.values():
        if isinstance(value, ProjectBuilder):
            return value.build(base_dir=path.parent, source=path)
    raise SceneError(
        "the script defines no shot list",
        path=path,
        hint="build one with previz.ProjectBuilder and keep it in a module-level "
        "variable, e.g. 'project = ProjectBuilder(...)'",
    )
