"""Continuity: the last frame of one shot opens the next.

In continuity mode a scene's shots run in order, and the last frame of shot N's selected take
becomes a ``first_frame`` :class:`~previz.backends.base.Reference` of every take of shot N+1 —
for backends that accept reference images. The frame's *content* hash enters N+1's cache key,
so regenerating shot N regenerates N+1, and nothing else does. A backend that can continue one
of its own generations (``Capabilities.chains_generations``: Luma) is given the generation id of
shot N instead, when shot N came from that same backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from previz.backends.base import Backend, Job, Reference
from previz.generate.keys import file_sha256

FIRST_FRAME = "first_frame"


@dataclass(frozen=True)
class ShotTakes:
    """One shot of a scene and the jobs for its takes, in take order."""

    shot_id: str
    takes: tuple[Job, ...]

    def selected(self, selected_takes: Mapping[str, int]) -> Job:
        """The take the shot list selects (the first take when it names none or a missing one)."""
        wanted = selected_takes.get(self.shot_id)
        for job in self.takes:
            if job.take == wanted:
                return job
        return self.takes[0]


def scenes(jobs: Sequence[Job]) -> list[list[ShotTakes]]:
    """Jobs grouped by scene, then shot, keeping the order they were planned in."""
    by_scene: dict[str, dict[str, list[Job]]] = {}
    for job in jobs:
        by_scene.setdefault(job.scene_id, {}).setdefault(job.shot_id, []).append(job)
    return [
        [
            ShotTakes(shot, tuple(sorted(takes, key=lambda j: j.take)))
            for shot, takes in shots.items()
        ]
        for shots in by_scene.values()
    ]


@dataclass(frozen=True)
class Opening:
    """What the shot before hands on: its last frame, and which generation made it where."""

    frame: Reference
    backend: str = ""
    generation: str | None = None


def frame_reference(frame: Path, previous_shot: str) -> Reference:
    """The reference a shot gets from the frame that ended ``previous_shot``."""
    return Reference(path=frame, sha256=file_sha256(frame), role=FIRST_FRAME, owner=previous_shot)


def opened_by(job: Job, opening: Opening | None, backends: Mapping[str, Backend]) -> Job:
    """``job`` continuing from ``opening``: the same backend's generation, else the frame."""
    if opening is None:
        return job
    capabilities = backends[job.backend].capabilities(job.model)
    if capabilities.chains_generations and opening.generation and opening.backend == job.backend:
        return replace(job, payload={**job.payload, "previous_generation_id": opening.generation})
    if not capabilities.reference_images:
        return job
    kept = tuple(ref for ref in job.references if ref.role != FIRST_FRAME)
    return replace(job, references=(opening.frame, *kept))
