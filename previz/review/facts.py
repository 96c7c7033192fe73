"""The clip facts a review shot is made of, read as plain values.

A build's clip stores ~35 facts in ``metadata["previz"]``; a
:class:`~previz.review.build.ReviewShot` shows a few. Reading only those through OTIO's
bindings (each value read costs a call) halves the cost of reading a 200-shot cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import opentimelineio as otio

from previz.timeline.facts import plain

SHOT_FACTS = (
    "shot", "record_frame", "take", "missing", "takes", "camera", "scene", "heading",
    "shot_number", "frames", "cast", "wardrobe", "location", "action", "backend", "model",
    "cost", "prompt", "notes",
)  # fmt: skip
"""The clip facts :func:`previz.review.build._shot` reads (a test checks it reads no other)."""


def shot_facts(clip: otio.schema.Clip) -> dict[str, Any]:
    """The facts of ``clip`` a :class:`~previz.review.build.ReviewShot` is made of
    (:data:`SHOT_FACTS`), as plain values: only they are read through OTIO's bindings."""
    stored = clip.metadata.get("previz")
    if not isinstance(stored, Mapping):
        return {}
    names = iter(stored)  # read by length, as plain() does
    present = {next(names) for _ in range(len(stored))}
    return {name: plain(stored[name]) for name in SHOT_FACTS if name in present}
