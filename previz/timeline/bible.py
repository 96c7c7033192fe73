"""What a timeline says about its film: project facts, the character bible, each clip's facts,
the markers at shot heads and sound cues.

Everything here is plain JSON (OTIO metadata), under ``metadata["previz"]``. A clip's facts are
what conform needs to match an edited clip back to its shot and take (shot, scene, take, cache
key, prompt and template hash, backend and model) plus what an editor wants to see (cast,
camera, lighting, cost). The character bible carries each character's canonical description,
wardrobe, voice and reference images with their content hashes — the same references every shot
was generated with. Only facts from the shot list and the generated clip go in: never a
credential.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from previz.generate.plan import content_hash
from previz.shotlist.models import Transition
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.timebase import frames_in
from previz.timeline.metadata import MetadataBatch
from previz.timeline.take import Take

CUE_COLOURS = {
    "dialogue": otio.schema.MarkerColor.GREEN,
    "sfx": otio.schema.MarkerColor.ORANGE,
    "ambience": otio.schema.MarkerColor.CYAN,
    "music": otio.schema.MarkerColor.PURPLE,
}


def project_facts(shotlist: ResolvedShotList, start_timecode: str) -> dict[str, Any]:
    """The project as the timeline records it: title, exact rate, frame size, style, and the
    screenplay's title page (credit, author, draft date…) when the scene has one."""
    project = shotlist.project
    style = project.style.model_dump(mode="json", exclude_none=True) if project.style else {}
    page = project.title_page
    extra = {"title_page": page.model_dump(mode="json", exclude_none=True)} if page else {}
    return {
        "title": project.title,
        "fps": project.fps,
        "rate": [shotlist.rate.numerator, shotlist.rate.denominator],
        "resolution": [shotlist.width, shotlist.height],
        "aspect": project.aspect,
        "start_timecode": start_timecode,
        "backend": project.backend,
        "model": project.model,
        "style": style,
        "schema_version": shotlist.source.schema_version,
        **extra,
    }


def character_bible(shotlist: ResolvedShotList) -> dict[str, Any]:
    """Each character's canonical look, wardrobe, voice and hashed reference images."""
    bible: dict[str, Any] = {}
    for character in shotlist.source.characters:
        references = []
        for name in character.references:
            path = (shotlist.base_dir / name).resolve()
            digest = content_hash(path) if path.is_file() else None
            references.append({"path": str(path), "sha256": digest})
        wardrobe = character.wardrobe
        bible[character.id] = {
            "name": character.name,
            "description": character.description,
            "wardrobe": wardrobe.model_dump(mode="json") if wardrobe else None,
            "voice": character.voice,
            "references": references,
            "color": shotlist.colors.get(character.id, character.color),
        }
    return bible


def _camera(shot: ResolvedShot) -> dict[str, Any]:
    return {
        "size": shot.size,
        "angle": shot.angle,
        "movement": shot.movement.model_dump(mode="json", exclude_none=True),
        "lens": shot.lens.model_dump(mode="json", exclude_none=True) if shot.lens else None,
    }


def _transition(transition: Transition | None) -> dict[str, Any] | None:
    """A transition as the shot list wrote it (fades are kept here; only dissolves are cut in)."""
    return transition.model_dump(mode="json") if transition is not None else None


def clip_facts(
    shotlist: ResolvedShotList, shot: ResolvedShot, clip: Take | None, take: int
) -> dict[str, Any]:
    """The shot's facts and, when it was generated, the take's provenance."""
    facts: dict[str, Any] = {
        "shot": shot.id,
        "scene": shot.scene.id,
        "heading": shot.scene.heading,
        "shot_number": shot.number,
        "take": take,
        "selected": take == shot.selected_take,
        "takes": shot.takes,
        "frames": shot.frames,
        "record_frame": round(shot.head.value),
        "action": shot.shot.action,
        "cast": [c.id for c in shot.cast],
        "wardrobe": dict(shot.wardrobe),
        "location": shot.location.id if shot.location else None,
        "props": [p.id for p in shot.props],
        "camera": _camera(shot),
        "lighting": shot.lighting.model_dump(mode="json", exclude_none=True),
        "notes": shot.shot.notes,
        "transition_in": _transition(shot.transition_in),
        "transition_out": _transition(shot.transition_out),
        "backend": shot.backend,
        "model": shot.model,
    }
    if clip is not None:
        facts.update({
            "backend": clip.backend, "model": clip.model, "prompt": clip.prompt,
            "template_hash": clip.template_hash, "cache_key": clip.cache_key,
            "cost": clip.cost, "remote_id": clip.remote_id, "media": str(clip.path),
            "generated_seconds": clip.duration, "width": clip.width, "height": clip.height,
            "fps": clip.fps, "has_audio": clip.has_audio,
            "stems": {role: str(path) for role, path in sorted(clip.stems.items())},
        })  # fmt: skip
    return facts


def shot_marker(
    shot: ResolvedShot, rate: float, batch: MetadataBatch | None = None
) -> otio.schema.Marker:
    """The marker at a shot's head: its id, action and cast; its notes in the comment (its
    facts queued on ``batch`` when one is given, see :mod:`previz.timeline.metadata`)."""
    cast = ", ".join(c.name for c in shot.cast)
    comment = shot.shot.action + (f" — cast: {cast}" if cast else "")
    if shot.shot.notes:
        comment += f"\nNote: {shot.shot.notes}"
    facts = {"kind": "shot", "shot": shot.id, "action": shot.shot.action,
             "cast": [c.id for c in shot.cast], "notes": shot.shot.notes}  # fmt: skip
    marker = otio.schema.Marker(
        name=shot.id,
        marked_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(0, rate)
        ),
        color=otio.schema.MarkerColor.RED,
        comment=comment,
        metadata=None if batch is not None else {"previz": facts},
    )
    if batch is not None:
        batch.set(marker.metadata, "previz", facts)
    return marker


def cue_markers(shotlist: ResolvedShotList, rate: float) -> list[otio.schema.Marker]:
    """One marker where each sound cue begins, on the timeline (record time)."""
    markers: list[otio.schema.Marker] = []
    for shot in shotlist.shots:
        for cue in shot.sound:
            if cue.continues:
                continue
            at = shot.head.value + frames_in(cue.start, rate)
            if cue.kind == "dialogue" and cue.speaker is not None:
                extension = f" ({cue.extension})" if cue.extension else ""
                comment = f"{cue.speaker.name.upper()}{extension}: {cue.line or ''}"
                if cue.delivery:
                    comment += f" ({cue.delivery})"
            else:
                comment = cue.description or cue.kind
            facts: dict[str, Any] = {
                "kind": "sound", "cue": cue.kind, "id": cue.id, "shot": shot.id,
                "start": cue.start, "end": cue.end,
            }  # fmt: skip
            markers.append(
                otio.schema.Marker(
                    name=f"{cue.kind}: {cue.id}",
                    marked_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(at, rate),
                        otio.opentime.RationalTime(frames_in(cue.cue_length, rate), rate),
                    ),
                    color=CUE_COLOURS.get(cue.kind, otio.schema.MarkerColor.YELLOW),
                    comment=comment,
                    metadata={"previz": facts},
                )
            )
    return markers
