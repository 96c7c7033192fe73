"""A backend registered for the length of a test, and forgotten after it (as llm's plugin
fixtures do)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from previz.backends.base import Backend
from previz.backends.registry import register_backend, unregister_backend


@contextmanager
def registered_backend(cls: type[Backend], *, name: str | None = None) -> Iterator[str]:
    """Register ``cls`` (as ``name``, default ``cls.name``) inside the ``with``; yields the name."""
    register_backend(cls, name=name)
    key = name or cls.name
    try:
        yield key
    finally:
        unregister_backend(key)
