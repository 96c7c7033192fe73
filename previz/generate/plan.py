"""Planning: every shot × take becomes a :class:`~previz.backends.base.Job` a backend can run.

The planner resolves what the backend will actually be asked for: its model, the compiled
prompt (checked against the backend's prompt limit), the allowed clip length that covers the
shot plus handles, the allowed frame size nearest the project's aspect, the reference images
(with their content hashes, which enter the cache key), and the payload — which the backend
builds itself from neutral :class:`~previz.backends.payload.ShotFacts`, plus its declared
options set away from their defaults (so they enter the cache key).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from previz.backends.base import Backend, Capabilities, Job, Reference
from previz.backends.payload import ShotFacts
from previz.generate.keys import file_sha256
from previz.generate.pins import ShotDefinitions, TakePins
from previz.prompts.compiler import PromptCompiler
from previz.shotlist.models import Character, Location, Prop
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.timing import to_time
from previz.shotlist.transitions import shot_transitions


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


def plan_jobs(
    shotlist: ResolvedShotList,
    backends: Mapping[str, Backend],
    *,
    backend: str | None = None,
    model: str | None = None,
    pins: TakePins | None = None,
) -> list[Job]:
    """One job per shot × take, for ``backend`` (or each shot's own) and its model.

    Each job carries its shot's definition (what :mod:`previz.generate.pins` compares); given
    the project's ``pins``, only the jobs that can use it do: a paid backend's (pinned once
    made) and those of a shot with a pinned take. A free backend's take is never pinned, and
    one with no pin is never held to one, so working its definition out would be wasted."""
    handles = float(to_time(shotlist.project.handles, shotlist.fps).to_seconds())

    @cache  # a backend builds its capabilities on each call; they are the same for a plan
    def capabilities(name: str, model_name: str | None) -> Capabilities:
        return backends[name].capabilities(model_name)

    def limit(name: str, model_name: str | None) -> int:
        return capabilities(name, model_name).prompt_limit

    compiler = PromptCompiler(shotlist, limit=limit)
    edges = shot_transitions(shotlist)
    shot_definition = ShotDefinitions(shotlist)
    jobs: list[Job] = []
    for shot in shotlist.shots:
        # a dissolve out of the shot shows its take's tail beyond the cut: ask for those frames
        tail = float(edges[shot.id].dissolve_out / shotlist.rate)
        name = backend or shot.backend
        instance = backends[name]
        model_name = model or shot.model or instance.default_model
        caps = capabilities(name, model_name)
        prompt = compiler.compile(shot, name)
        width, height = caps.nearest_size(shotlist.width, shotlist.height)
        refs = references_for(shot, shotlist.base_dir) if caps.reference_images else ()
        clip_in = float(shot.clip_in.to_seconds())  # a head trim: the take must cover it too
        definition = (
            shot_definition(shot)
            if pins is None or caps.cost_per_second > 0 or pins.held(shot.id, shot.takes)
            else ""
        )
        options = instance.output_options()
        for take in range(1, shot.takes + 1):
            payload = dict(instance.payload(ShotFacts(shotlist, shot, take)))
            if options:
                payload["options"] = options
            jobs.append(
                Job(
                    shot_id=shot.id,
                    take=take,
                    backend=name,
                    model=model_name,
                    prompt=prompt.text,
                    template_hash=prompt.template_hash,
                    seconds=caps.generation_seconds(
                        clip_in + shot.seconds + tail, handles, with_references=bool(refs)
                    ),
                    shot_seconds=shot.seconds,
                    clip_in=clip_in,
                    definition=definition,
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
