"""Finding backends: by entry point, or registered in-process.

Every installed backend, built-in or third-party, is an entry point in the group ``previz.backends``
(``name = "package.module:BackendClass"`` under ``[project.entry-points."previz.backends"]``).
A script or a test registers one for the running process with :func:`register_backend` (and
removes it with :func:`unregister_backend`); a registered backend shadows an installed one of
the same name. A plugin may ship its own prompt template as ``templates/<name>.j2`` beside the
module defining its backend class (see :func:`backend_templates`). A plugin that fails to
import is the plugin's problem: :func:`backend_class` reports it as a
:class:`~previz.errors.BackendError` naming it, and listings skip it.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, TypeVar

from previz.backends.base import Backend
from previz.entry_points import named
from previz.errors import BackendError, UnknownBackendError

GROUP = "previz.backends"
"""The entry-point group a backend package registers its backend classes under."""

B = TypeVar("B", bound=type[Backend])

_registered: dict[str, type[Backend]] = {}


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {name: EntryPoint(name, value, GROUP) for name, value in named(GROUP)}


def register_backend(cls: B, *, name: str | None = None) -> B:
    """Make ``cls`` available as backend ``name`` (default ``cls.name``) in this process.

    Returns ``cls``, so it works as a class decorator.
    """
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendError(
            f"{cls!r} is not a previz Backend",
            hint="subclass previz.backends.LocalBackend, RemoteBackend or HttpBackend",
        )
    key = name or getattr(cls, "name", None)
    if not key:
        raise BackendError(f"{cls.__name__} has no name", hint="set the class attribute 'name'")
    _registered[key] = cls
    return cls


def unregister_backend(name: str) -> None:
    """Forget a backend registered with :func:`register_backend` (installed ones stay)."""
    _registered.pop(name, None)


def backend_names() -> list[str]:
    """Names of every installed or registered backend, sorted."""
    return sorted(set(_entry_points()) | set(_registered))


def backend_class(name: str) -> type[Backend]:
    """The class registered as ``name``; unknown names list what exists."""
    if name in _registered:
        return _registered[name]
    points = _entry_points()
    if name not in points:
        available = ", ".join(backend_names()) or "none (is previz installed?)"
        raise UnknownBackendError(
            f"unknown backend '{name}'; available: {available}",
            backend=name,
            hint="set 'backend:' in the project or pass --backend with one of those",
        )
    try:
        cls = points[name].load()
    except Exception as error:  # a third-party plugin failing to import is its problem, reported
        raise BackendError(
            f"failed to load: {error}",
            backend=name,
            hint="reinstall the package that provides it",
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendError(f"entry point '{name}' is not a previz Backend", backend=name)
    return cls


def backend_templates(name: str) -> Path | None:
    """The ``templates`` folder a backend's package ships with its ``<name>.j2``, if any.

    A plugin puts ``templates/<name>.j2`` beside the module that defines its backend class; a
    backend that cannot be loaded has none (listing and compiling go on without it).
    """
    try:
        module = sys.modules.get(backend_class(name).__module__)
    except BackendError:
        return None
    source = getattr(module, "__file__", None)
    if source is None:
        return None
    folder = Path(source).parent / "templates"
    return folder if (folder / f"{name}.j2").is_file() else None


def create_backend(name: str, **options: Any) -> Backend:
    """Instantiate backend ``name`` with its constructor options."""
    return backend_class(name)(**options)
