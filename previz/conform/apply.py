"""``conform``: an edited timeline back into its scene file, as a preview or written in place.

Reads the edit (:mod:`previz.conform.read`), places its picture track's clips in project
frames (:mod:`previz.conform.edited`), works out what changed (:mod:`previz.conform.changes`),
and applies it through :class:`~previz.shotlist.edit.SceneEdit`, which changes only the lines
that change. Without ``apply`` the scene file is untouched and the result carries the diff. A
Fountain screenplay is conformed through its YAML breakdown, written next to it (``apply``) —
the screenplay itself is the writer's and is never rewritten.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio

from previz.conform.changes import Change, ConformPlan, UnknownClip, plan_conform
from previz.conform.edited import read_cut
from previz.conform.read import clip_identity, picture_track, read_edit, video_tracks
from previz.errors import SceneError, TimelineError
from previz.generate import JobCost
from previz.reports import estimate
from previz.shotlist.edit import SceneEdit, import_screenplay
from previz.shotlist.fountain import SUFFIXES as FOUNTAIN_SUFFIXES
from previz.shotlist.loader import load, parse_fast

ANCHORS = {"duration": "action", "clip_in": "duration", "selected_take": "takes"}
"""Where a new key goes in a shot: after this key when the shot has it, else last."""


@dataclass
class ConformResult:
    """What conform found and did: the plan, the scene file's diff, whether it was written."""

    scene: Path  # the YAML file conformed (a screenplay's breakdown for Fountain)
    track: str
    plan: ConformPlan
    diff: str
    applied: bool
    breakdown: Path | None = None  # the breakdown written next to a screenplay
    rows: list[Change] = field(default_factory=list)  # every change, moves included, for display
    to_pay: list[JobCost] = field(default_factory=list)  # paid takes a build after it generates


def conform(
    edited: str | Path, scene: str | Path, *, apply: bool = False, track: str | None = None
) -> ConformResult:
    """Conform ``scene`` to the cut in ``edited``; write the scene file only when ``apply``."""
    edited, scene = Path(edited), Path(scene)
    if scene.suffix == ".py":
        raise SceneError(
            "a Python scene script cannot be conformed in place",
            path=scene,
            hint="conform its YAML equivalent, or make the listed changes in the script",
        )
    breakdown = None
    if scene.suffix.lower() in FOUNTAIN_SUFFIXES:
        scene, breakdown = _breakdown(scene, apply)
    shotlist = load(scene)
    timeline = read_edit(edited, shotlist.fps)
    known = {shot.id for s in shotlist.source.scenes for shot in s.shots}
    picture = picture_track(timeline, known, track)
    cut = read_cut(timeline, picture, known, shotlist.rate, shotlist.project.start_timecode)
    if cut.clips and all(placed.shot_id is None for placed in cut.clips):
        names = ", ".join(sorted({p.name for p in cut.clips if p.name})[:5]) or "unnamed clips"
        raise TimelineError(
            f"no clip of track '{picture.name}' is a shot of {scene.name} ({names})",
            path=edited,
            hint="conform the edit against the scene it was built from, or pick the track "
            "with --track",
        )
    plan = plan_conform(shotlist, cut)
    plan.unknown += _above(timeline, picture, cut.timecode)
    edit = SceneEdit(scene)
    for move in plan.moves:
        edit.move_shot(move.shot_id, move.scene_id, after=move.after)
    cut_short = _cues_cut_short(edit)
    for change in plan.changes:
        cue = re.fullmatch(r"sound (\d+) (start|end)", change.field)
        if change.field == "notes":
            edit.append_note(change.shot_id, str(change.value))
        elif cue is not None:
            edit.set_cue_key(change.shot_id, int(cue.group(1)) - 1, cue.group(2), change.value)
        else:
            edit.set_field(change.shot_id, change.field, change.value,
                           after=ANCHORS.get(change.field))  # fmt: skip
    plan.changes += cut_short
    edited_shots = edit.validate()  # a conform that would break the scene fails here, unwritten
    result = ConformResult(scene, picture.name, plan, edit.diff(), False, breakdown)
    result.rows = _rows(plan)
    result.to_pay = [row for row in estimate(edited_shots).jobs if row.cost > 0]
    if apply:
        result.applied = edit.save()
    return result


def _cues_cut_short(edit: SceneEdit) -> list[Change]:
    """A cue that ran ``until`` a shot the edit put before it now ends with its own shot."""
    data = parse_fast(edit.text, edit.path)
    order = [s["id"] for scene in data["scenes"] for s in scene["shots"] or []]
    cut: list[Change] = []
    for scene in data["scenes"]:
        for shot in scene["shots"] or []:
            for index, cue in enumerate(shot.get("sound") or []):
                target = cue.get("until") if isinstance(cue, dict) else None
                if target in order and order.index(target) <= order.index(shot["id"]):
                    edit.remove_cue_key(shot["id"], index, "until")
                    field = f"sound {index + 1} until"
                    cut.append(Change(shot["id"], field, str(target), "its own shot's end"))
    return cut


def _breakdown(screenplay: Path, apply: bool) -> tuple[Path, Path | None]:
    """The YAML breakdown to conform: the one next to the screenplay, written if missing
    (into a scratch folder when only previewing, so a preview writes nothing)."""
    beside = screenplay.with_suffix(".yaml")
    if beside.exists():
        return beside, None
    if apply:
        return import_screenplay(screenplay, beside), beside
    scratch = Path(tempfile.mkdtemp(prefix="previz-conform-")) / beside.name
    return import_screenplay(screenplay, scratch), beside


def _above(
    timeline: otio.schema.Timeline, picture: otio.schema.Track, timecode: object
) -> list[UnknownClip]:
    """Clips on video tracks above the cut: never silently lost."""
    found: list[UnknownClip] = []
    for track in video_tracks(timeline):
        if track is picture:
            break
        for index, item in enumerate(track):
            if isinstance(item, otio.schema.Clip):
                start = track.range_of_child_at_index(index).start_time
                frames = round(item.trimmed_range().duration.value)
                where = timecode(round(start.value))  # type: ignore[operator]
                label = item.name or (clip_identity(item)[0] or "clip")
                found.append(UnknownClip(f"{label} (track {track.name or '?'})", where, frames))
    return found


def _position(scene_id: str, after: str | None) -> str:
    return f"{scene_id}, after {after}" if after else f"{scene_id}, first"


def _rows(plan: ConformPlan) -> list[Change]:
    rows = [
        Change(
            m.shot_id, "order", _position(m.from_scene, m.was_after), _position(m.scene_id, m.after)
        )
        for m in plan.moves
    ]
    return rows + plan.changes
