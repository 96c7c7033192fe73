"""The shot-list sheet: one CSV row per shot, the columns an AD or a producer imports.

Written from the scene file (no build needed), in cut order, with the cascade applied, so the
sheet says what each shot will be: camera, length in seconds and frames, cast, place, action,
dialogue, sound, takes, backend and what generating it costs at list price. UTF-8 without a
byte-order mark and RFC 4180 quoting (CRLF rows, fields with commas, quotes or line breaks in
double quotes), so Excel, Numbers, LibreOffice and Google Sheets all read it the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from previz.media import replacing
from previz.prompts.phrases import angle_phrase, movement_phrase
from previz.reports import estimate
from previz.review.camera import lens_label
from previz.shotlist.cues import ResolvedCue
from previz.shotlist.loader import load
from previz.shotlist.resolve import ResolvedShot

COLUMNS = (
    "scene", "heading", "shot", "size", "angle", "movement", "lens", "duration (s)",
    "duration (frames)", "cast", "location", "action", "dialogue", "sound cues", "takes",
    "backend", "estimated cost", "status", "notes",
)  # fmt: skip


def shot_sheet(scene: str | Path) -> str:
    """The sheet of ``scene`` as CSV text."""
    shotlist = load(scene)
    prices: dict[str, float] = {}
    for row in estimate(scene).jobs:
        prices[row.job.shot_id] = prices.get(row.job.shot_id, 0.0) + row.price
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for shot in shotlist.shots:
        writer.writerow(_row(shot, prices.get(shot.id, 0.0)))
    return buffer.getvalue()


def write_shot_sheet(scene: str | Path, dest: Path) -> Path:
    """Write the sheet of ``scene`` to ``dest`` (atomically) and return ``dest``."""
    text = shot_sheet(scene)
    with replacing(dest) as temp:
        temp.write_bytes(text.encode("utf-8"))
    return dest


def _row(shot: ResolvedShot, price: float) -> list[str]:
    movement = "static" if shot.movement.type == "static" else movement_phrase(shot.movement)
    scene = shot.scene
    return [
        scene.number or scene.id,
        scene.heading,
        shot.id,
        shot.size,
        angle_phrase(shot.angle),
        movement,
        lens_label(shot.lens.model_dump() if shot.lens else None),
        f"{shot.seconds:.3f}".rstrip("0").rstrip("."),
        str(shot.frames),
        ", ".join(c.name for c in shot.cast),
        (shot.location.name or shot.location.id) if shot.location else shot.heading.location,
        shot.shot.action,
        "\n".join(_dialogue(shot.sound)),
        "\n".join(_sound(shot.sound)),
        str(shot.takes),
        shot.backend,
        f"{price:.2f}",
        shot.shot.status or "",
        shot.shot.notes or "",
    ]


def _dialogue(cues: Iterable[ResolvedCue]) -> list[str]:
    lines = []
    for cue in cues:
        if cue.kind == "dialogue" and not cue.continues and cue.speaker is not None:
            mode = f" ({cue.mode})" if cue.mode and cue.mode != "sync" else ""
            delivery = f" ({cue.delivery})" if cue.delivery else ""
            lines.append(f"{cue.speaker.name.upper()}{mode}:{delivery} {cue.line or ''}")
    return lines


def _sound(cues: Iterable[ResolvedCue]) -> list[str]:
    """Cues that start in the shot (a bed or a bridge is listed once, where it begins)."""
    return [
        f"{cue.kind}: {cue.description} @{cue.start:g}s"
        for cue in cues
        if cue.kind != "dialogue" and not cue.continues
    ]
