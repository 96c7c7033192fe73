"""Reading scene files: YAML in, a resolved shot list out, or errors that point at file:line:col.

The YAML is parsed with ruamel.yaml's round-trip loader, which remembers where every key and
value sits. Schema errors (pydantic), consistency problems (ids, files) and timing problems all
come back as :class:`~previz.errors.SceneError` located at the offending key or value, with a
hint; several problems are reported together.
"""

from __future__ import annotations

import difflib
import re
import runpy
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from previz.errors import SceneError, SceneErrors
from previz.shotlist.checks import Loc, Problem, check_ids, check_references
from previz.shotlist.fountain import SUFFIXES as FOUNTAIN_SUFFIXES
from previz.shotlist.fountain import fountain_to_data
from previz.shotlist.models import SCHEMA_VERSION, ShotList
from previz.shotlist.resolve import ResolvedShotList, ResolveError, resolve

SCRIPT_SUFFIXES = (".py",)


def load(path: str | Path) -> ResolvedShotList:
    """Load a scene file (YAML), a Python scene script or a Fountain screenplay, resolved."""
    path = Path(path)
    if path.suffix in SCRIPT_SUFFIXES:
        return _load_script(path)
    if path.suffix.lower() in FOUNTAIN_SUFFIXES:
        return from_data(fountain_to_data(path), path=path)
    text = _read_text(path)
    return from_data(parse_fast(text, path), path=path, located=lambda: parse_located(text, path))


def read_yaml(path: Path) -> Any:
    """Parse a scene file keeping every key's and value's position (ruamel round-trip)."""
    return parse_located(_read_text(path), path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SceneError(
            "scene file not found",
            path=path,
            hint="check the path; 'previz init' creates an example",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SceneError(f"cannot read the scene file: {error}", path=path) from None


def parse_fast(text: str, path: Path) -> Any:
    """Parse with libyaml (YAML 1.2 scalars); on a syntax error, report ruamel's located one."""
    try:
        return yaml.load(text, Loader=_FastLoader)
    except yaml.YAMLError as error:
        parse_located(text, path)  # raises the located SceneError for the same problem
        mark = getattr(error, "problem_mark", None)
        raise SceneError(
            f"YAML syntax: {getattr(error, 'problem', error)}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None


def parse_located(text: str, path: Path) -> Any:
    """Parse keeping positions; syntax errors become located :class:`SceneError`."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "malformed YAML"
        raise SceneError(
            f"YAML syntax: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="check indentation, colons and quotes around text containing ':' or '#'",
        ) from None
    except YAMLError as error:
        raise SceneError(f"YAML syntax: {error}", path=path) from None


def from_data(
    data: Any,
    *,
    path: Path | None = None,
    base_dir: Path | None = None,
    located: Callable[[], Any] | None = None,
) -> ResolvedShotList:
    """Validate and resolve parsed data (from YAML or the Python builder).

    ``located`` re-parses the source with positions; it is called only to report problems.
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
    if "schema_version" in data and data["schema_version"] != SCHEMA_VERSION:
        fail(
            [
                Problem(
                    ("schema_version",),
                    f"schema_version {data['schema_version']!r} is not supported",
                    f"this previz reads schema_version {SCHEMA_VERSION}",
                )
            ]
        )
    try:
        shotlist = ShotList.model_validate(data)
    except ValidationError as error:
        fail(_problems_from_validation(error))
    problems = check_ids(shotlist) + check_references(shotlist, base)
    if problems:
        fail(problems)
    try:
        return resolve(shotlist, base, path)
    except ResolveError as error:
        fail(error.problems)


class _FastLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml's parser with YAML 1.2 core-schema scalars, as ruamel reads them.

    PyYAML follows YAML 1.1, where ``no`` is false and ``00:00:02:12`` is a base-60 number; a
    scene file's timecodes and words must stay text. Duplicate keys are errors, as in ruamel.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        if len(set(map(str, keys))) != len(keys):
            raise yaml.constructor.ConstructorError(
                None, None, "found a duplicate key", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _core_schema_resolvers() -> None:
    resolvers = {
        "tag:yaml.org,2002:bool": r"^(?:true|True|TRUE|false|False|FALSE)$",
        "tag:yaml.org,2002:int": r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
        "tag:yaml.org,2002:float": (
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
    }
    dropped = {*resolvers, "tag:yaml.org,2002:timestamp"}
    table = {
        first: [(tag, rx) for tag, rx in entries if tag not in dropped]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _FastLoader.yaml_implicit_resolvers = table
    for tag, pattern in resolvers.items():
        _FastLoader.add_implicit_resolver(tag, re.compile(pattern), list("-+0123456789.tTfFoxi"))


_core_schema_resolvers()


def _raise(path: Path | None, data: Any, problems: list[Problem]) -> typing.NoReturn:
    errors = [_located(path, data, p) for p in problems]
    raise SceneErrors(errors) if len(errors) > 1 else errors[0]


def _located(path: Path | None, data: Any, problem: Problem) -> SceneError:
    line, column = position(data, problem.loc, at_key=problem.at_key)
    where = "" if line else f" (at {format_loc(problem.loc)})"
    return SceneError(
        problem.message + where,
        path=path,
        line=line,
        column=column,
        hint=problem.hint,
        shot_id=problem.shot_id or _shot_id_at(data, problem.loc),
    )


def format_loc(loc: Loc) -> str:
    """``scenes[0].shots[2].cast[1]`` — a key path as a reader would write it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def position(data: Any, loc: Loc, *, at_key: bool = False) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node of ``loc`` present in the YAML."""
    node, found = data, None
    for depth, part in enumerate(loc):
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            key_wanted = at_key and depth == len(loc) - 1
            scalar = _is_scalar(node[part]) and not key_wanted
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
    return not isinstance(value, (CommentedMap, CommentedSeq))


def _problems_from_validation(error: ValidationError) -> list[Problem]:
    items = [(item, _data_loc(item["loc"])) for item in error.errors(include_url=False)]
    unknown = {loc[:-1]: str(loc[-1]) for item, loc in items if item["type"] == "extra_forbidden"}
    problems: list[Problem] = []
    seen: set[Loc] = set()
    for item, loc in items:
        if loc in seen or _is_misspelling(item, loc, unknown):
            continue  # one message per place: unions report once per member
        seen.add(loc)
        problems.append(_problem(item, loc))
    return problems


def _is_misspelling(item: Mapping[str, Any], loc: Loc, unknown: dict[Loc, str]) -> bool:
    """A 'missing' key next to an unknown key that looks like it: report the typo only."""
    if item["type"] != "missing" or loc[:-1] not in unknown:
        return False
    return bool(difflib.get_close_matches(str(loc[-1]), [unknown[loc[:-1]]], cutoff=0.6))


def _data_loc(loc: Sequence[Any]) -> Loc:
    """Drop pydantic's validator and union-member names, keep the keys a user wrote."""
    out: list[str | int] = []
    model: Any = ShotList
    for part in loc:
        if isinstance(part, int):
            out.append(part)
            continue
        fields = _fields(model)
        if fields is None:
            break
        if part in fields:
            out.append(fields[part].alias or part)
            model = fields[part].annotation
        elif model is ShotList or _is_model(model):
            out.append(part)  # an unknown key
            break
        else:
            break
    return tuple(out)


def _fields(annotation: Any) -> dict[str, Any] | None:
    model = _inner_model(annotation)
    return dict(model.model_fields) if model is not None else None


def _is_model(annotation: Any) -> bool:
    return _inner_model(annotation) is not None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _problem(item: Mapping[str, Any], loc: Loc) -> Problem:
    kind = item["type"]
    field = next((p for p in reversed(loc) if isinstance(p, str)), "scene file")
    message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    hint = None
    if kind == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        message = f"unknown key '{loc[-1]}'"
        hint = (
            (f"did you mean '{close[0]}'? " if close else "")
            + "valid keys here: "
            + ", ".join(valid)
        )
    elif kind == "missing":
        message = f"missing required key '{field}'"
        parent = _valid_keys(loc[:-1])
        hint = f"add '{field}:' here (keys here: {', '.join(parent)})" if parent else None
    elif kind not in ("value_error", "assertion_error"):
        got = item.get("input")
        shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
        message = f"'{field}': {message} (got {shown})"
        if got is None:
            hint = (
                "the value is empty; text containing ',' or ':' inside {...} or [...] "
                "must be in quotes"
            )
    return Problem(loc, message, hint, at_key=kind == "extra_forbidden")


def _valid_keys(loc: Loc) -> list[str]:
    model: Any = ShotList
    for part in loc:
        if isinstance(part, int):
            continue
        fields = _fields(model)
        by_alias = {(f.alias or name): f for name, f in (fields or {}).items()}
        if part not in by_alias:
            return []
        model = by_alias[part].annotation
    fields = _fields(model) or {}
    return [f.alias or name for name, f in fields.items()]


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
