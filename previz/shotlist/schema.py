"""JSON Schema of the scene format, so editors validate and autocomplete scene files."""

from __future__ import annotations

import json
from typing import Any

from previz.shotlist.models import ShotList

SCHEMA_ID = "https://previz.dev/schema/scene-v1.json"


def scene_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scene file."""
    schema = ShotList.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    for name, shorthand in _SHORTHANDS.items():
        if name in defs:
            full = defs[name]
            defs[name] = {"description": full.get("description", ""), "anyOf": [*shorthand, full]}
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "previz scene file",
    }


_SHORTHANDS: dict[str, list[dict[str, Any]]] = {
    "Lens": [
        {"type": "number", "description": "focal length in mm"},
        {
            "type": "string",
            "pattern": "^\\s*\\d+(\\.\\d+)?\\s*[mM][mM]",
            "examples": ["35mm", "50mm f/1.8"],
        },
    ],
    "Movement": [{"type": "string", "examples": ["static", "slow dolly in", "pan left"]}],
    "Transition": [{"type": "string", "examples": ["cut", "dissolve 12f"]}],
    "Wardrobe": [{"type": "string"}],
}
"""Models that also accept a one-line text form (their ``mode="before"`` validators)."""


def scene_schema_json() -> str:
    """The schema as indented JSON text."""
    return json.dumps(scene_schema(), indent=2, sort_keys=False) + "\n"
