"""The animatic's payload: everything its card, slate, move and sound draw on, as plain JSON.

Built by :meth:`AnimaticBackend.payload` from the planner's neutral
:class:`~previz.backends.payload.ShotFacts` and read back by
:func:`previz.backends.animatic.sheet.read_sheet`. Keys:

- ``title``: the project's title (the slate); ``letterbox``: the aspect the card is matted to.
- ``scene``: ``id``, ``heading``, ``time_of_day`` (as the heading resolves it) and 1-based
  ``number``.
- ``shot``: ``id``, ``number``, ``size``/``angle`` (+ ``_label``), ``movement`` (type, label,
  direction, speed), ``lens`` (focal length, aperture) or ``None``, ``action``, ``location``
  (id, name) or ``None``, ``cast`` (id, name, colour), ``notes``, ``lighting`` (a phrase).
- ``sound``: one cue per dialogue line, effect, ambience or music cue: ``kind``, ``id``,
  ``start``/``end`` (seconds in the shot), ``text``, ``speaker``, ``extension`` (V.O., O.S.
  or ``None``), ``cue_offset``, ``cue_length``.
"""

from __future__ import annotations

from typing import Any

from previz.backends.payload import ShotFacts
from previz.prompts.phrases import lighting_phrase
from previz.shotlist import vocabulary as vocab


def animatic_payload(facts: ShotFacts) -> dict[str, Any]:
    """Everything the animatic draws and plays: card, slate, move, sound cues (plain JSON)."""
    shotlist, shot = facts.shotlist, facts.shot
    move = shot.movement
    return {
        "title": shotlist.project.title,
        "letterbox": shotlist.letterbox,
        "scene": {
            "id": shot.scene.id,
            "heading": shot.scene.heading,
            "time_of_day": shot.heading.time_of_day,  # CONTINUOUS carries on the scene before's
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
                "extension": c.extension,
                "cue_offset": c.cue_offset,
                "cue_length": c.cue_length,
            }
            for c in shot.take_sound  # on the take's clock (after a head trim, clip_in later)
        ],
    }
