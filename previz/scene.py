"""Library entry points for scene files: validate one, compile its prompts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import opentimelineio as otio

from previz.backends.base import Backend
from previz.backends.registry import backend_names, create_backend
from previz.prompts.compiler import PromptCompiler, ShotPrompt
from previz.shotlist.checks import suggest
from previz.shotlist.loader import load, located_error
from previz.shotlist.resolve import ResolvedShotList
from previz.shotlist.shown import shown
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
    """Backend instances by name, created on first use (for capabilities and prompt limits)."""

    def __missing__(self, name: str) -> Backend:
        backend = create_backend(name)
        self[name] = backend
        return backend

    def prompt_limit(self, name: str, model: str | None) -> int:
        return self[name].capabilities(model).prompt_limit


def validate(path: str | Path, backend: str | None = None) -> SceneSummary:
    """Load, validate and resolve a scene, and compile every prompt; raise on any problem."""
    shotlist = load(path)
    if backend is None:
        check_backends(shotlist)
    compile_shotlist_prompts(shotlist, backend)
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


def check_backends(shotlist: ResolvedShotList) -> None:
    """Every backend the scene names is installed; else a located error at the key naming it."""
    known = backend_names()
    for shot in shotlist.shots:
        if shot.backend in known:
            continue
        si = shotlist.source.scenes.index(shot.scene)
        hi = shot.scene.shots.index(shot.shot)
        where: tuple[str | int, ...] = ("project", "backend")
        if shot.shot.backend:
            where = ("scenes", si, "shots", hi, "backend")
        elif shot.scene.defaults and shot.scene.defaults.backend:
            where = ("scenes", si, "defaults", "backend")
        elif shotlist.project.defaults and shotlist.project.defaults.backend:
            where = ("project", "defaults", "backend")
        raise located_error(
            shotlist,
            where,
            f"unknown backend {shown(shot.backend)}",
            suggest(shot.backend, known, "backend").replace("defined", "installed"),
            shot.id if "shots" in where else None,
        )


def compile_prompts(path: str | Path, backend: str | None = None) -> list[ShotPrompt]:
    """The compiled prompt of every shot of a scene file."""
    return compile_shotlist_prompts(load(path), backend)


def compile_shotlist_prompts(
    shotlist: ResolvedShotList, backend: str | None = None
) -> list[ShotPrompt]:
    """Compile a loaded shot list, checking each prompt against its backend's limit."""
    backends = Backends()
    compiler = PromptCompiler(shotlist, limit=backends.prompt_limit)
    prompts = [compiler.compile(shot, backend) for shot in shotlist.shots]
    return [
        p if p.model else replace(p, model=backends[p.backend].default_model or None)
        for p in prompts
    ]
