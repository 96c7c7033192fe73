"""Planning: every shot × take becomes a :class:`~previz.backends.base.Job` a backend can run.

The planner resolves what the backend will actually be asked for: its model, the compiled
prompt (checked against the backend's prompt limit), the allowed clip length that covers the
shot plus handles, the allowed frame size nearest the project's aspect, the reference images
(with their content hashes, which enter the cache key), and the backend-specific payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from previz.backends.base import Backend, Job, Reference
from previz.generate.keys import file_sha256
from previz.prompts.compiler import PromptCompiler
from previz.prompts.phrases import lighting_phrase
from previz.shotlist.models import Character, Location, Prop
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.timing import to_time


@cache
def _file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    return file_sha256(path)


def content_hash(path: Path) -> str:
    """sha256 of a file's bytes (memoised per path, modification time and size)."""
    stat = path.stat()
    return _file_sha256(path.resolve(), stat.st_mtime_ns, stat.st_size)


def references_for(shot: ResolvedShot, base_dir: Path) -> tuple[Reference, ...]:
    """The shot's reference images in priority order: cast (in cast order), location, props."""
    owners: list[tuple[str, Character | Location | Prop]] = [("character", c) for c in shot.cast]
    if shot.location:
        owners.append(("location", shot.location))
    owners += [("prop", p) for p in shot.props]
    refs = []
    for role, owner in owners:
        for name in owner.references:
            path = (base_dir / name).resolve()
            refs.append(Reference(path=path, sha256=content_hash(path), role=role, owner=owner.id))
    return tuple(refs)


def animatic_payload(shotlist: ResolvedShotList, shot: ResolvedShot) -> dict[str, Any]:
    """Everything the animatic draws and plays: card, slate, move, sound cues (plain JSON)."""
    from previz.shotlist import vocabulary as vocab

    move = shot.movement
    return {
        "title": shotlist.project.title,
        "letterbox": shotlist.letterbox,
        "scene": {
            "id": shot.scene.id,
            "heading": shot.scene.heading,
            "number": shotlist.source.scenes.index(shot.scene) + 1,
        },
        "shot": {
            "id": shot.id,
            "number": shot.number,
            "size": shot.size,
            "size_label": vocab.SHOT_SIZES.label(shot.size),
            "angle": shot.angle,
            "angle_label": vocab.ANGLES.label(shot.angle),
            "movement": {
                "type": move.type,
                "label": vocab.MOVEMENTS.label(move.type),
                "direction": move.direction,
                "speed": move.speed,
            },
            "lens": None
            if shot.lens is None
            else {"focal_length_mm": shot.lens.focal_length, "aperture": shot.lens.aperture},
            "action": shot.shot.action,
            "location": None
            if shot.location is None
            else {"id": shot.location.id, "name": shot.location.name or shot.location.id},
            "cast": [
                {"id": c.id, "name": c.name, "color": shotlist.colors[c.id]} for c in shot.cast
            ],
            "notes": shot.shot.notes,
            "lighting": lighting_phrase(shot.lighting),
        },
        "sound": [
            {
                "kind": c.kind,
                "id": c.id,
                "start": c.start,
                "end": c.end,
                "text": c.line if c.kind == "dialogue" else c.description,
                "speaker": c.speaker.name if c.speaker else None,
                "cue_offset": c.cue_offset,
                "cue_length": c.cue_length,
            }
            for c in shot.sound
        ],
    }


def service_payload(shotlist: ResolvedShotList, shot: ResolvedShot, take: int) -> dict[str, Any]:
    """What a cloud service is told beyond the prompt: negative prompt, seed, aspect, identities."""
    seed = None if shot.seed is None else shot.seed + take - 1
    identities = {c.id: dict(c.identities) for c in shot.cast if c.identities}
    return {
        "negative_prompt": shot.negative_prompt,
        "seed": seed,
        "aspect": shotlist.project.aspect,
        "identities": identities,
    }


def plan_jobs(
    shotlist: ResolvedShotList,
    backends: Mapping[str, Backend],
    *,
    backend: str | None = None,
    model: str | None = None,
) -> list[Job]:
    """One job per shot × take, for ``backend`` (or each shot's own) and its model."""
    handles = float(to_time(shotlist.project.handles, shotlist.fps).to_seconds())

    def limit(name: str, model_name: str | None) -> int:
        return backends[name].capabilities(model_name).prompt_limit

    compiler = PromptCompiler(shotlist, limit=limit)
    jobs: list[Job] = []
    for shot in shotlist.shots:
        name = backend or shot.backend
        instance = backends[name]
        model_name = model or shot.model or instance.default_model
        caps = instance.capabilities(model_name)
        prompt = compiler.compile(shot, name)
        width, height = caps.nearest_size(shotlist.width, shotlist.height)
        refs = references_for(shot, shotlist.base_dir) if caps.reference_images else ()
        clip_in = float(shot.clip_in.to_seconds())  # a head trim: the take must cover it too
        for take in range(1, shot.takes + 1):
            payload = (
                animatic_payload(shotlist, shot)
                if name == "animatic"
                else service_payload(shotlist, shot, take)
            )
            jobs.append(
                Job(
                    shot_id=shot.id,
                    take=take,
                    backend=name,
                    model=model_name,
                    prompt=prompt.text,
                    template_hash=prompt.template_hash,
                    seconds=caps.generation_seconds(
                        clip_in + shot.seconds, handles, with_references=bool(refs)
                    ),
                    shot_seconds=shot.seconds,
                    clip_in=clip_in,
                    width=width,
                    height=height,
                    fps=float(shotlist.rate),
                    references=refs,
                    payload=payload,
                    scene_id=shot.scene.id,
                    label=f"{shot.id} take {take}",
                )
            )
    return jobs
