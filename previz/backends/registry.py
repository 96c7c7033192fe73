"""Finding backends: every backend, built-in or third-party, registers under the entry-point
group ``previz.backends`` (``name = "package.module:BackendClass"``).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from previz.backends.base import Backend
from previz.errors import BackendError, UnknownBackendError

GROUP = "previz.backends"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def backend_names() -> list[str]:
    """Names of every registered backend, sorted."""
    return sorted(_entry_points())


def backend_class(name: str) -> type[Backend]:
    """The class registered as ``name``; unknown names list what exists."""
    points = _entry_points()
    if name not in points:
        available = ", ".join(sorted(points)) or "none (is previz installed?)"
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


def create_backend(name: str, **options: Any) -> Backend:
    """Instantiate backend ``name`` with its constructor options."""
    return backend_class(name)(**options)
