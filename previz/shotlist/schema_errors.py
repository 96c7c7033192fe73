"""Pydantic's validation errors as a filmmaker reads them: the key they wrote, what it must be,
the value they gave, and a hint — never a library phrase or an internal class name.

``"'takes': Input should be greater than or equal to 1"`` becomes ``'takes' must be at least 1
(got 0)`` with the field's own description as the hint; a union that rejects a value once per
member is one message; a misspelt key is reported once, as the typo.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from previz.shotlist.checks import Loc, Problem
from previz.shotlist.models import ShotList
from previz.shotlist.shown import escape, shown

_EMPTY_HINT = (
    "the value is empty; text containing ',' or ':' inside {...} or [...] must be in quotes"
)
_INF_HINT = "'.inf' and '.nan' are YAML's infinity and not-a-number; write an ordinary number"
_SCHEMA_HINT = "'previz schema' lists every key of the scene format and what it takes"
_LIST_HINTS = {
    "scenes": "a scene file needs at least one scene, with a heading and at least one shot",
    "shots": "a scene needs at least one shot, with an id and an action",
}


def problems_from_validation(error: ValidationError) -> list[Problem]:
    """One :class:`Problem` per place the user wrote something wrong."""
    items = [(item, data_loc(item["loc"])) for item in error.errors(include_url=False)]
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


def data_loc(loc: Sequence[Any]) -> Loc:
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
        elif model is ShotList or _inner_model(model) is not None:
            out.append(part)  # an unknown key
            break
        else:
            break
    return tuple(out)


def _fields(annotation: Any) -> dict[str, Any] | None:
    model = _inner_model(annotation)
    return dict(model.model_fields) if model is not None else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _problem(item: Mapping[str, Any], loc: Loc) -> Problem:
    kind = str(item["type"])
    field = next((p for p in reversed(loc) if isinstance(p, str)), "scene file")
    if kind == "extra_forbidden":
        valid = valid_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        keys = (f"did you mean '{close[0]}'? " if close else "") + "valid keys here: "
        return Problem(
            loc, f"unknown key {shown(str(loc[-1]))}", keys + ", ".join(valid), at_key=True
        )
    if kind == "missing":
        parent = valid_keys(loc[:-1])
        add = f"add '{field}:' here (keys here: {', '.join(parent)})" if parent else None
        return Problem(loc, f"missing required key '{field}'", add)
    got = item.get("input")
    if kind in ("value_error", "assertion_error"):
        message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        message = escape(message)
        if message.startswith("is "):
            message = f"'{field}' {message}"
        return Problem(
            loc, message, _describe(loc) or (_EMPTY_HINT if got is None else _SCHEMA_HINT)
        )
    message, hint = _translate(kind, field, item.get("ctx") or {}, got, loc)
    if got is None:
        hint = _EMPTY_HINT
    return Problem(loc, message, hint or _describe(loc) or _SCHEMA_HINT)


def _translate(
    kind: str, field: str, ctx: Mapping[str, Any], got: Any, loc: Loc
) -> tuple[str, str | None]:
    """The message for one pydantic error type, and a hint when the type suggests one."""
    value = f"(got {shown(got)})"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"'{field}' must be {words} {ctx.get(key)} {value}", None
    if kind in ("too_short", "string_too_short"):
        if isinstance(got, str):
            return f"'{field}' is empty", "write some text"
        return f"'{field}' needs at least {ctx.get('min_length', 1)} item(s)", _LIST_HINTS.get(
            field
        )
    if kind in ("too_long", "string_too_long"):
        return f"'{field}' has too many items (at most {ctx.get('max_length')})", None
    if kind == "finite_number":
        return f"'{field}' must be a finite number {value}", _INF_HINT
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"'{field}' must be a whole number {value}", None
    if kind in ("float_parsing", "float_type"):
        return f"'{field}' must be a number {value}", None
    if kind in ("bool_parsing", "bool_type"):
        return f"'{field}' must be true or false {value}", None
    if kind in ("string_type", "string_unicode"):
        return f"'{field}' must be text {value}", "put the value in quotes"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"'{field}' must be a list {value}", "write it as [a, b] or as '- ' lines"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        keys = valid_keys(loc)
        listed = f" with keys {', '.join(keys)}" if keys else ""
        return f"'{field}' must be a mapping{listed} {value}", None
    if kind == "literal_error":
        return f"'{field}' must be {ctx.get('expected', 'one of the listed values')} {value}", None
    if kind == "string_pattern_mismatch":
        return f"'{field}' is not in the expected form {value}", None
    return f"'{field}' is not valid {value}", None


def _describe(loc: Loc) -> str | None:
    """The field's own description from the scene format, as a hint."""
    if not loc or not isinstance(loc[-1], str):
        return None
    info = _by_alias(_model_at(loc[:-1])).get(loc[-1])
    return f"{loc[-1]}: {info.description}" if info is not None and info.description else None


def valid_keys(loc: Loc) -> list[str]:
    """The keys a mapping at ``loc`` may have."""
    return list(_by_alias(_model_at(loc)))


def _model_at(loc: Loc) -> Any:
    model: Any = ShotList
    for part in loc:
        if isinstance(part, int):
            continue
        info = _by_alias(model).get(part)
        if info is None:
            return None
        model = info.annotation
    return model


def _by_alias(model: Any) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in (_fields(model) or {}).items()}
