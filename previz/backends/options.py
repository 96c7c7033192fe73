"""Backend options as a user sets them: ``project.backends`` in the scene, ``-o`` on the CLI.

Each backend declares its options as a pydantic model (:attr:`previz.backends.Backend.Options`).
The scene file sets them per backend (``project.backends: {luma: {resolution: 1080p}}``) and
the CLI overrides one at a time (``-o luma.resolution=1080p``). Unknown backends, unknown
options and invalid values are found before anything runs: in the scene with the file and line,
on the CLI with the flag; either way the hint lists what the backend takes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from previz.backends.base import Backend, BackendOptions
from previz.backends.registry import backend_class, backend_names
from previz.errors import BackendError, PrevizError

if TYPE_CHECKING:
    from previz.shotlist.checks import Problem
    from previz.shotlist.models import ShotList

OptionValues = Mapping[str, Mapping[str, Any]]
"""Backend name → option name → value."""


def describe(options: type[BackendOptions]) -> list[tuple[str, str, str, str]]:
    """(name, type, default, description) of every option a backend declares."""
    rows = []
    for name, info in options.model_fields.items():
        kind = getattr(info.annotation, "__name__", None) or str(info.annotation)
        if "Literal" in str(info.annotation):
            kind = "|".join(str(a) for a in getattr(info.annotation, "__args__", ()))
        rows.append((name, kind, str(info.default), info.description or ""))
    return rows


def takes(cls: type[Backend]) -> str:
    """A hint sentence: what ``cls`` accepts."""
    rows = describe(cls.Options)
    if not rows:
        return f"backend '{cls.name}' takes no options"
    listed = "; ".join(f"{n} ({kind}, default {default})" for n, kind, default, _ in rows)
    return f"'{cls.name}' takes: {listed}"


def parse_cli_options(pairs: Iterable[str]) -> dict[str, dict[str, str]]:
    """``["luma.resolution=1080p", …]`` as ``{"luma": {"resolution": "1080p"}}``."""
    parsed: dict[str, dict[str, str]] = {}
    for pair in pairs:
        target, equals, value = pair.partition("=")
        backend, dot, option = target.strip().partition(".")
        if not (equals and dot and backend and option):
            raise PrevizError(
                f"-o {pair!r} is not BACKEND.OPTION=VALUE",
                hint="for example: -o luma.resolution=1080p (previz backends --options lists them)",
            )
        parsed.setdefault(backend, {})[option.strip()] = value.strip()
    return parsed


def merge_options(*layers: OptionValues | None) -> dict[str, dict[str, Any]]:
    """Later layers win option by option (the scene file, then the command line)."""
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for backend, values in (layer or {}).items():
            merged.setdefault(backend, {}).update(values)
    return merged


def check_cli_options(options: OptionValues) -> None:
    """Refuse ``-o`` options naming an unknown backend, option or value, with what exists."""
    for name, values in options.items():
        cls = backend_class(name)
        unknown = [key for key in values if key not in cls.Options.model_fields]
        if unknown:
            raise BackendError(
                f"-o {name}.{unknown[0]}: no such option",
                backend=name,
                hint=_closest(unknown[0], cls) + takes(cls),
            )
        cls.parse_options(values)


def check_backend_options(shotlist: ShotList) -> list[Problem]:
    """Problems in ``project.backends``, located by key path for the scene loader."""
    from previz.shotlist.checks import Problem

    problems: list[Problem] = []
    for name, values in shotlist.project.backends.items():
        where: tuple[str | int, ...] = ("project", "backends", name)
        try:
            cls = backend_class(name)
        except BackendError as error:
            close = difflib.get_close_matches(name, backend_names(), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "previz backends lists them"
            problems.append(Problem(where, error.message, hint, at_key=True))
            continue
        try:
            cls.Options.model_validate(dict(values))
        except ValidationError as error:
            problems += [_problem(where, item, cls) for item in error.errors(include_url=False)]
    return problems


def _problem(where: tuple[str | int, ...], item: Any, cls: type[Backend]) -> Problem:
    from previz.shotlist.checks import Problem

    loc = where + tuple(item["loc"])
    option = str(item["loc"][0]) if item["loc"] else ""
    if item["type"] == "extra_forbidden":
        return Problem(
            loc, f"unknown option '{option}'", _closest(option, cls) + takes(cls), at_key=True
        )
    return Problem(loc, f"{option}: {item['msg']}", takes(cls))


def _closest(option: str, cls: type[Backend]) -> str:
    close = difflib.get_close_matches(option, list(cls.Options.model_fields), n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'? " if close else ""
