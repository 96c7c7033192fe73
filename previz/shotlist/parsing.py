"""Scene-file text to YAML data, with every way that can fail located at a line and column.

A file that is not UTF-8 is reported at the first byte that does not decode; a NUL or other
character YAML forbids at its own position; an unclosed ``[``, ``{`` or quote where it opened,
not at the end of the file where the parser gave up; nesting deeper than any scene needs at the
line where it gets too deep, instead of a Python ``RecursionError``.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from previz import collector
from previz.errors import SceneError
from previz.shotlist.shown import escape

if typing.TYPE_CHECKING:
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a scene file may use; a real one needs about 8."""

_SYNTAX_HINT = "check indentation, colons and quotes around text containing ':' or '#'"
_OPENERS = {
    "while parsing a flow sequence": ("the '[' opened here is never closed", "add the ']'"),
    "while parsing a flow mapping": ("the '{' opened here is never closed", "add the '}'"),
    "while scanning a quoted scalar": (
        "the quote opened here is never closed",
        "close the text with the same quote it opened with",
    ),
}


def read_text(path: Path, what: str = "scene file") -> str:
    """The file's text; a missing, unreadable or non-UTF-8 file is a located error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SceneError(
            f"{what} not found",
            path=path,
            hint="check the path; 'previz init' creates an example",
        ) from None
    except IsADirectoryError:
        raise SceneError(f"this is a folder, not a {what}", path=path) from None
    except OSError as error:
        raise SceneError(f"cannot read the {what}: {error.strerror}", path=path) from None
    return decode(data, path)


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text (a byte-order mark is dropped); elsewhere the first bad byte's line:col."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8-sig", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise SceneError(
            f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} cannot be read)",
            path=path,
            line=line,
            column=column,
            hint="save it as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
        ) from None


def parse_fast(text: str, path: Path) -> Any:
    """Parse with libyaml (YAML 1.2 scalars); on a syntax error, report ruamel's located one."""
    try:
        with collector.paused():  # a long scene: many nodes, no cycles
            return yaml.load(text, Loader=_QuickLoader)
    except Exception:  # whatever it is, the reference loader below says it, as it always has
        pass
    try:
        return yaml.load(text, Loader=_FastLoader)
    except yaml.YAMLError as error:
        parse_located(text, path)  # raises the located SceneError for the same problem
        mark = getattr(error, "problem_mark", None)
        raise SceneError(
            f"YAML syntax: {escape(str(getattr(error, 'problem', error)))}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint=_SYNTAX_HINT,
        ) from None
    except RecursionError:
        raise too_deep(text, path) from None


def parse_located(text: str, path: Path) -> Any:
    """Parse keeping positions; syntax errors become located :class:`SceneError`."""
    from ruamel.yaml import YAML  # only to locate a problem: a good scene is read by libyaml
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        raise _syntax_error(error, path) from None
    except ReaderError as error:
        raise _character_error(text, error, path) from None
    except YAMLError as error:
        message = f"YAML syntax: {escape(str(error))}"
        raise SceneError(message, path=path, hint=_SYNTAX_HINT) from None
    except RecursionError:
        raise too_deep(text, path) from None


def _syntax_error(error: MarkedYAMLError, path: Path) -> SceneError:
    opened = _OPENERS.get(str(error.context or ""))
    if opened and error.context_mark is not None:
        mark, (message, hint) = error.context_mark, opened
        end = error.problem_mark
        if end is not None:
            hint += f"; the parser gave up at line {end.line + 1}"
        return SceneError(
            f"YAML syntax: {message}",
            path=path,
            line=mark.line + 1,
            column=mark.column + 1,
            hint=hint,
        )
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "malformed YAML"
    return SceneError(
        f"YAML syntax: {escape(str(problem))}",
        path=path,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        hint=_SYNTAX_HINT,
    )


def _character_error(text: str, error: ReaderError, path: Path) -> SceneError:
    position = int(error.position or 0)
    before = text[:position]
    char = error.character
    shown = escape(char) if isinstance(char, str) else f"\\x{int(char or 0):02x}"
    return SceneError(
        f"YAML does not allow the control character {shown} in a file",
        path=path,
        line=before.count("\n") + 1,
        column=position - (before.rfind("\n") + 1) + 1,
        hint="delete it; to put one in text, write it as an escape inside double quotes",
    )


def too_deep(text: str, path: Path | None) -> SceneError:
    """The error for nesting too deep to read, at the line where it passes :data:`MAX_DEPTH`."""
    line, column = _deepest(text)
    return SceneError(
        f"lists and mappings are nested more than {MAX_DEPTH} levels deep",
        path=path,
        line=line,
        column=column,
        hint="a scene file needs only a few levels; check for runaway '[' or '{'",
    )


def _deepest(text: str) -> tuple[int | None, int | None]:
    """Where nesting first exceeds MAX_DEPTH (libyaml's parser is iterative, so this is safe)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader if _C else yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH and event.start_mark is not None:
                    return event.start_mark.line + 1, event.start_mark.column + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        pass
    m = re.search(rf"[\[{{]{{{MAX_DEPTH}}}", text)
    if m is None:
        return None, None
    before = text[: m.start()]
    return before.count("\n") + 1, m.start() - (before.rfind("\n") + 1) + 1


_C = hasattr(yaml, "CSafeLoader")


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


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{kind}" for kind in ("str", "map", "seq"))
_PLAIN_SCALARS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null"))
_WILDCARD: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    _FastLoader.yaml_implicit_resolvers.get(None, [])
)
_BY_FIRST_CHARACTER: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: (*entries, *_WILDCARD)
    for first, entries in _FastLoader.yaml_implicit_resolvers.items()
    if first is not None
}


class _QuickLoader(_FastLoader):
    """:class:`_FastLoader` for the nodes a scene file is made of, for less (a third less CPU).

    Text, mappings keyed by text, lists and plain numbers, booleans and nulls are built in one
    pass, with no generators and no per-node constructor lookup; every other node (explicit
    tags, merge keys, non-text keys) goes the reference way. Any error — a duplicate key
    included — makes :func:`parse_fast` parse again with :class:`_FastLoader`, so what is
    reported, and where, is exactly what the reference loader says.
    """

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        # the table's resolvers for the first character, as ``Resolver.resolve`` tries them;
        # the loader has no path resolvers, so the rest of that method never applies
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in _BY_FIRST_CHARACTER.get(value[:1], _WILDCARD):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        built = self.constructed_objects
        if node in built:  # an alias
            return built[node]
        tag, kind = node.tag, type(node)
        if kind is ScalarNode and tag == _STR:
            data = node.value
        elif kind is ScalarNode and tag in _PLAIN_SCALARS:
            data = self.yaml_constructors[tag](self, node)
        elif kind is SequenceNode and tag == _SEQ:
            data = built[node] = []
            data.extend([self.construct_object(item) for item in node.value])
        elif (
            kind is MappingNode
            and tag == _MAP
            and all(type(k) is ScalarNode and k.tag == _STR for k, _ in node.value)
        ):
            data = built[node] = {}
            for key, value in node.value:
                data[key.value] = self.construct_object(value)
            if len(data) != len(node.value):
                raise yaml.constructor.ConstructorError(None, None, "duplicate key")
        else:
            return super().construct_object(node, deep=deep)
        built[node] = data
        return data
