"""Library entry points for scene files: validate one, compile its prompts."""

from __future__ import annotations

from dataclasses import dataclass, replace

import opentimelineio as otio

from previz.backends.base import Backend
from previz.backends.options import OptionValues, check_cli_options, merge_options
from previz.pipeline import make_backends
from previz.prompts.compiler import PromptCompiler, ShotPrompt
from previz.scripting import Scene, resolve_scene
from previz.shotlist.installed import check_backends
from previz.shotlist.resolve import ResolvedShotList
from previz.timebase import timecode


@dataclass(frozen=True)
class SceneSummary:
    """What a valid scene file holds."""

    scenes: int
    shots: int
    takes: int
    characters: int
    running_time: otio.opentime.RationalTime
    fps: float
    backends: tuple[str, ...]

    def __str__(self) -> str:
        tc = timecode(round(self.running_time.value), self.running_time.rate)
        return (
            f"{self.scenes} scene(s), {self.shots} shot(s), {self.takes} take(s), "
            f"{self.characters} character(s), running time {tc} "
            f"({int(self.running_time.value)} frames at {self.fps:g} fps), "
            f"backend {', '.join(self.backends)}"
        )


class Backends(dict[str, Backend]):
    """Backend instances by name, created on first use (for capabilities and prompt limits),
    with the scene's declared options and ``options`` over them."""

    def __init__(self, options: OptionValues | None = None) -> None:
        super().__init__()
        self.options = options or {}

    def __missing__(self, name: str) -> Backend:
        backend = make_backends([name], self.options)[name]
        self[name] = backend
        return backend

    def prompt_limit(self, name: str, model: str | None) -> int:
        return self[name].capabilities(model).prompt_limit


def validate(
    scene: Scene, backend: str | None = None, *, options: OptionValues | None = None
) -> SceneSummary:
    """Load, validate and resolve a scene, and compile every prompt; raise on any problem.

    ``scene``: a path, a loaded shot list, a ``ShotList`` or a ``ProjectBuilder``.
    """
    shotlist = resolve_scene(scene, caller="previz.validate")
    if backend is None:
        check_backends(shotlist)
    compile_shotlist_prompts(shotlist, backend, options=options)
    backends = sorted({backend} if backend else {s.backend for s in shotlist.shots})
    return SceneSummary(
        scenes=len(shotlist.source.scenes),
        shots=len(shotlist.shots),
        takes=sum(s.takes for s in shotlist.shots),
        characters=len(shotlist.source.characters),
        running_time=shotlist.duration,
        fps=shotlist.fps,
        backends=tuple(backends),
    )


def compile_prompts(
    scene: Scene, backend: str | None = None, *, options: OptionValues | None = None
) -> list[ShotPrompt]:
    """The compiled prompt of every shot of a scene (a path, shot list or builder)."""
    shotlist = resolve_scene(scene, caller="previz.compile_prompts")
    return compile_shotlist_prompts(shotlist, backend, options=options)


def compile_shotlist_prompts(
    shotlist: ResolvedShotList,
    backend: str | None = None,
    *,
    options: OptionValues | None = None,
) -> list[ShotPrompt]:
    """Compile a loaded shot list, checking each prompt against its backend's limit."""
    if options:
        check_cli_options(options)
    backends = Backends(merge_options(shotlist.project.backends, options))
    compiler = PromptCompiler(shotlist, limit=backends.prompt_limit)
    prompts = [compiler.compile(shot, backend) for shot in shotlist.shots]
    return [
        p if p.model else replace(p, model=backends[p.backend].default_model or None)
        for p in prompts
    ]
