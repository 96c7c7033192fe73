"""What the library's entry points accept as a scene: whatever a Python user is holding.

``previz.build``, ``abuild``, ``validate`` and ``compile_prompts`` take a scene file path, a
loaded shot list (``previz.load(...)``), a validated :class:`~previz.shotlist.ShotList` model,
or the :class:`~previz.shotlist.ProjectBuilder` of a scene script. Anything else is a
:class:`~previz.errors.PrevizError` that says what is accepted — not a ``TypeError`` from deep
inside ``pathlib``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from previz.errors import PrevizError
from previz.shotlist.builder import ProjectBuilder
from previz.shotlist.loader import from_data, load
from previz.shotlist.models import ShotList
from previz.shotlist.resolve import ResolvedShotList

Scene = Union[str, "os.PathLike[str]", ResolvedShotList, ShotList, ProjectBuilder]
"""A scene as the library takes it."""


def resolve_scene(scene: object, *, caller: str = "previz.build") -> ResolvedShotList:
    """``scene`` loaded, validated and resolved, whichever accepted form it came in."""
    if isinstance(scene, ResolvedShotList):
        return scene
    if isinstance(scene, ProjectBuilder):
        return scene.build()
    if isinstance(scene, ShotList):
        return from_data(scene.model_dump(by_alias=True, exclude_unset=True), base_dir=Path.cwd())
    if isinstance(scene, str | os.PathLike):
        return load(Path(scene))
    raise PrevizError(
        f"{caller}() takes a scene, not {type(scene).__name__}",
        hint="pass a scene file path (str or Path), a shot list from previz.load(), "
        "a previz.ShotList, or the ProjectBuilder of a scene script",
    )
