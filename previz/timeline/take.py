"""What the timeline takes: a generated take on disk, as the cut needs to know it.

The timeline is assembled from takes without knowing who made them, so it names the facts it
reads here instead of importing the backends' :class:`~previz.backends.base.Clip` (which has
exactly these, and so is a :class:`Take`; so is any object a test or a script builds with
them). Nothing in ``previz.timeline`` depends on ``previz.backends``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol


class Take(Protocol):
    """A shot's take: its media file and sound stems, probe facts and provenance."""

    @property
    def shot_id(self) -> str: ...
    @property
    def take(self) -> int: ...
    @property
    def path(self) -> Path: ...
    @property
    def duration(self) -> float: ...
    @property
    def fps(self) -> float: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def has_audio(self) -> bool: ...
    @property
    def backend(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def prompt(self) -> str: ...
    @property
    def template_hash(self) -> str: ...
    @property
    def cache_key(self) -> str: ...
    @property
    def cost(self) -> float: ...
    @property
    def remote_id(self) -> str | None: ...
    @property
    def stems(self) -> Mapping[str, Path]: ...


def stem_key(cache_key: str, role: str) -> str:
    """The content key the timeline gives a take's sound of ``role`` (its stem, or the clip's
    own audio standing in for dialogue): the take's cache key and the role."""
    return f"{cache_key}:{role}"
