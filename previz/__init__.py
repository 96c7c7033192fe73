"""previz — shot list in, editable previz cut out.

The public API; everything else is internal::

    import previz
    shots = previz.load("scenes/night_delivery.yaml")
    for prompt in previz.compile_shotlist(shots, "veo"):
        print(prompt.shot_id, prompt.text)

Each name is imported when it is first used, so ``previz build`` can answer an unchanged build
(:mod:`previz.cli.stamp`) before the library's dependencies (pydantic, PyAV, OTIO…) load.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from previz import reports
    from previz.errors import (
        BackendError,
        BudgetError,
        MediaError,
        OutputError,
        PrevizError,
        PromptTooLongError,
        SceneError,
        TemplateError,
        TimelineError,
    )
    from previz.pipeline import BuildResult, abuild, build
    from previz.prompts import ShotPrompt, compile_shotlist
    from previz.scene import SceneSummary, compile_prompts, validate
    from previz.shotlist import (
        ProjectBuilder,
        ResolvedShot,
        ResolvedShotList,
        ShotList,
        ambience,
        dialogue,
        from_data,
        load,
        music,
        sfx,
    )
    from previz.shotlist.schema import scene_schema

_HOMES = {
    "previz.errors": (
        "BackendError", "BudgetError", "MediaError", "OutputError", "PrevizError",
        "PromptTooLongError", "SceneError", "TemplateError", "TimelineError",
    ),
    "previz.pipeline": ("BuildResult", "abuild", "build"),
    "previz.prompts": ("ShotPrompt", "compile_shotlist"),
    "previz.scene": ("SceneSummary", "compile_prompts", "validate"),
    "previz.shotlist": (
        "ProjectBuilder", "ResolvedShot", "ResolvedShotList", "ShotList", "ambience",
        "dialogue", "from_data", "load", "music", "sfx",
    ),
    "previz.shotlist.schema": ("scene_schema",),
}  # fmt: skip
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "BackendError",
    "BudgetError",
    "BuildResult",
    "MediaError",
    "OutputError",
    "PrevizError",
    "ProjectBuilder",
    "PromptTooLongError",
    "ResolvedShot",
    "ResolvedShotList",
    "SceneError",
    "SceneSummary",
    "ShotList",
    "ShotPrompt",
    "TemplateError",
    "TimelineError",
    "abuild",
    "ambience",
    "build",
    "compile_prompts",
    "compile_shotlist",
    "dialogue",
    "from_data",
    "load",
    "music",
    "reports",
    "scene_schema",
    "sfx",
    "validate",
]


def __getattr__(name: str) -> typing.Any:
    """Import a public name's module the first time the name is used."""
    if name == "reports":
        return importlib.import_module("previz.reports")
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
