"""previz — shot list in, editable previz cut out.

The public API; everything else is internal::

    import previz
    shots = previz.load("scenes/night_delivery.yaml")
    for prompt in previz.compile_shotlist(shots, "veo"):
        print(prompt.shot_id, prompt.text)
"""

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
