"""The takes an editor has seen: a paid take stays with its shot while the shot stays the same.

A take's cache key holds its whole prompt, and a prompt says more than its shot: which sound
runs on from the shot before, where the scene's music is. Move a shot in the edit and those
words change — a new key, a new bill — although nothing about the shot did, and the editor
already chose the take in its new place. So every paid take a build uses is *pinned*: its shot's
**definition** (everything the scene file says about the shot, its scene, its cast and the
project — minus what the edit decides: length, head trim, order, take, omit, notes, transitions
— plus backend, model, size and template sources) is recorded with the key fields it was
generated from, in ``.previz/takes.json``. When a later plan misses the cache, a pinned take of
the same shot and take number whose definition is unchanged, and which still covers the cut, is
used as it was generated. Change the action, the cast, the light or a template, and the
definition changes: the shot is generated again. The animatic renders locally and is not pinned.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from previz.backends.base import Backend, Clip, Job
from previz.generate.cache import Cache
from previz.generate.keys import canonical_json, job_key, key_fields
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList

CUT_FIELDS = frozenset(
    {"duration", "clip_in", "selected_take", "omit", "notes", "status", "transition_in",
     "transition_out"}
)  # fmt: skip
"""Shot fields the edit decides; changing them never changes what is generated."""


def shot_definition(shotlist: ResolvedShotList, shot: ResolvedShot) -> str:
    """sha256 of what the scene file says about ``shot`` itself (not where the cut puts it)."""
    return ShotDefinitions(shotlist)(shot)


class ShotDefinitions:
    """:func:`shot_definition` for the shots of one shot list (the planner asks for each):
    what shots share — the project, a scene, a character, a location, a prop — is written as
    canonical JSON once, and each shot's text is spliced from those parts in the order
    :func:`~previz.generate.keys.canonical_json` sorts them, which gives the same text."""

    def __init__(self, shotlist: ResolvedShotList) -> None:
        self._project = canonical_json(shotlist.project.model_dump(mode="json"))
        self._parts: dict[int, tuple[BaseModel, str]] = {}  # by id(): scene, cast, place, prop

    def __call__(self, shot: ResolvedShot) -> str:
        own = shot.shot.model_dump(mode="json", exclude=set(CUT_FIELDS))
        _cut_free(own)
        location = self._part(shot.location) if shot.location else "null"
        text = (
            f'{{"cast":[{",".join(self._part(c) for c in shot.cast)}],"location":{location},'
            f'"project":{self._project},"props":[{",".join(self._part(p) for p in shot.props)}],'
            f'"scene":{self._scene(shot)},"shot":{canonical_json(own)}}}'
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _part(self, model: BaseModel) -> str:
        known = self._parts.get(id(model))
        if known is not None and known[0] is model:
            return known[1]
        text = canonical_json(model.model_dump(mode="json"))
        self._parts[id(model)] = (model, text)
        return text

    def _scene(self, shot: ResolvedShot) -> str:
        known = self._parts.get(id(shot.scene))
        if known is not None and known[0] is shot.scene:
            return known[1]
        scene = shot.scene.model_dump(mode="json", exclude={"shots"})
        _cut_free(scene)
        text = canonical_json(scene)
        self._parts[id(shot.scene)] = (shot.scene, text)
        return text


def _cut_free(dumped: dict[str, Any]) -> None:
    """Drop from a dumped shot's or scene's sound cues how far each runs on: the cut's business."""
    for cue in dumped.get("sound", []):
        cue.pop("until", None)
        cue.pop("from", None)
        cue.pop("from_shot", None)


class TakePins:
    """``takes.json``: per shot and take, the definition and key fields of its paid take."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}  # missing or damaged: pins are an optimisation, never a requirement
        self._pins: dict[str, Any] = loaded if isinstance(loaded, dict) else {}

    def holds(self, job: Job) -> bool:
        """Whether a take is pinned for ``job``'s shot and take number (right or not)."""
        return bool(job.definition) and isinstance(
            self._pins.get(f"{job.shot_id}/{job.take}"), dict
        )

    def held(self, shot_id: str, takes: int) -> bool:
        """Whether any of takes 1 to ``takes`` of the shot is pinned (right or not)."""
        return any(isinstance(self._pins.get(f"{shot_id}/{t}"), dict) for t in range(1, takes + 1))

    def pinned(self, job: Job, backends: Mapping[str, Backend], cache: Cache) -> Job | None:
        """The job as its pinned take was generated, if that take is still right and cached."""
        pin = self._pins.get(f"{job.shot_id}/{job.take}")
        if (
            not isinstance(pin, dict)
            or not job.definition
            or pin.get("definition") != (_definition(job))
        ):
            return None
        fields = pin.get("fields", {})
        try:
            candidate = replace(
                job, prompt=str(fields["prompt"]), payload=dict(fields["payload"]),
                seconds=float(fields["seconds"]),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None
        if candidate.seconds + 1e-9 < job.clip_in + job.shot_seconds:
            return None  # the cut now runs past the end of that take
        key = job_key(candidate, backends)
        return candidate if key == pin.get("key") and cache.peek(key) is not None else None

    def record(
        self, jobs: Sequence[Job], clips: Mapping[tuple[str, int], Clip],
        backends: Mapping[str, Backend],
    ) -> None:  # fmt: skip
        """Pin every paid take of ``jobs`` that ``clips`` holds, then save the file."""
        changed = False
        for job in jobs:
            clip = clips.get((job.shot_id, job.take))
            backend = backends.get(job.backend)
            if clip is None or backend is None or not job.definition:
                continue
            if backend.capabilities(job.model).cost_per_second <= 0:
                continue  # a local render costs nothing to make again
            key = job_key(job, backends)
            if clip.cache_key != key:
                continue
            entry = {"definition": _definition(job), "key": key,
                     "fields": key_fields(job, type(backend).version)}  # fmt: skip
            if self._pins.get(f"{job.shot_id}/{job.take}") != entry:
                self._pins[f"{job.shot_id}/{job.take}"] = entry
                changed = True
        if changed:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".takes-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self._pins, out, indent=1, sort_keys=True)
            os.replace(name, self.path)
        except OSError:
            Path(name).unlink(missing_ok=True)  # losing a pin costs a regeneration, not a build


def _definition(job: Job) -> str:
    """The shot's definition with what the job adds: backend, model, template sources, size,
    rate and references."""
    text = canonical_json(
        [job.definition, job.backend, job.model, job.template_hash, job.width, job.height,
         job.fps, [[r.role, r.sha256] for r in job.references]]
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
