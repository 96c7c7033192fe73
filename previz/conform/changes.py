"""What the edit changed, shot by shot, and what it changed that a shot list cannot say.

Compares the cut as the editor left it (:class:`~previz.conform.edited.EditedCut`) with the
shot list it was built from: trims become ``duration`` and ``clip_in``, a shot gone from the cut
becomes ``omit: true``, an alternate take in the cut becomes ``selected_take``, a marker becomes
a line of ``notes`` with its record timecode, a dissolve added, changed or removed becomes
``transition_out``, and the order becomes moves (see :mod:`previz.conform.order`). A speed
change, a shot used twice or a shot lengthened past its generated take is reported with what
to do, and that shot's timing is left alone.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from previz.conform.edited import EditedCut, Placed
from previz.conform.order import Move, moves_for
from previz.shotlist.models import Shot, Transition
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.timing import to_time


@dataclass(frozen=True)
class Change:
    """One field of one shot: old → new, and the value written to the scene file."""

    shot_id: str
    field: str
    old: str
    new: str
    value: Any = None


@dataclass(frozen=True)
class Unexpressed:
    """Something the editor did that the shot list cannot hold, and what to do about it."""

    shot_id: str
    timecode: str
    what: str
    fix: str


@dataclass(frozen=True)
class UnknownClip:
    """A clip of the cut that is no shot of the scene (a title card, stock footage)."""

    name: str
    timecode: str
    frames: int


@dataclass
class ConformPlan:
    """Everything conform would change, and everything it reports."""

    changes: list[Change] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    unexpressed: list[Unexpressed] = field(default_factory=list)
    unknown: list[UnknownClip] = field(default_factory=list)


def plan_conform(shotlist: ResolvedShotList, cut: EditedCut) -> ConformPlan:
    """Compare the edited cut with ``shotlist`` (loaded with its omitted shots in ``source``)."""
    plan = ConformPlan()
    shots = {shot.id: shot for scene in shotlist.source.scenes for shot in scene.shots}
    resolved = {shot.id: shot for shot in shotlist.shots}
    seen: dict[str, Placed] = {}
    for placed in cut.clips:
        tc = cut.timecode(placed.record)
        if placed.shot_id is None:
            plan.unknown.append(UnknownClip(placed.name, tc, placed.frames))
        elif placed.shot_id in seen:
            plan.unexpressed.append(Unexpressed(placed.shot_id, tc, "used twice in the cut",
                "a shot plays once: remove one use, or copy the shot under a new id in the "
                "scene file (it is generated as a new shot)"))  # fmt: skip
        else:
            seen[placed.shot_id] = placed
    twice = {u.shot_id for u in plan.unexpressed}
    for shot_id, placed in seen.items():
        shot = shots[shot_id]
        if shot.omit:
            plan.changes.append(Change(shot_id, "omit", "true", "false", False))
        elif shot_id not in twice:
            _timing(plan, shot, resolved[shot_id], placed, shotlist, cut)
            _take(plan, shot, resolved[shot_id], placed, cut)
        for note in placed.notes:
            if note not in (shot.notes or ""):
                plan.changes.append(Change(shot_id, "notes", "", f"+ {note}", note))
    for shot_id in resolved:
        if shot_id not in seen:
            plan.changes.append(Change(shot_id, "omit", "false", "true", True))
    _dissolves(plan, cut.clips, resolved, shotlist.fps)
    scenes = [(scene.id, [shot.id for shot in scene.shots]) for scene in shotlist.source.scenes]
    order = [p.shot_id for p in cut.clips if p.shot_id is not None]
    plan.moves = moves_for(scenes, list(dict.fromkeys(order)))
    return plan


def _timing(
    plan: ConformPlan, shot: Shot, current: ResolvedShot, placed: Placed,
    shotlist: ResolvedShotList, cut: EditedCut,
) -> None:  # fmt: skip
    tc = cut.timecode(placed.record)
    if placed.speed is not None:
        what = "frozen" if placed.speed == 0 else f"played at {placed.speed:g}× speed"
        plan.unexpressed.append(Unexpressed(shot.id, tc, what,
            "previz generates at normal speed: remove the speed change, or describe the "
            "motion ('in slow motion') in the action and build again"))  # fmt: skip
        return
    rate = shotlist.rate
    clip_in = round(current.clip_in.to_seconds() * rate)
    if placed.available is not None and placed.clip_in + placed.frames > placed.available:
        wanted = frames_text(placed.frames, rate, shotlist.fps, "s")
        plan.unexpressed.append(Unexpressed(shot.id, tc,
            f"runs {placed.frames} frames from frame {placed.clip_in}, past the end of its "
            f"{placed.available}-frame take",
            f"raise 'duration' to {wanted} in the scene file and build again: a longer take "
            "is generated"))  # fmt: skip
        return
    if placed.frames != current.frames:
        like = shot.duration if shot.duration is not None else "s"
        text = frames_text(placed.frames, rate, shotlist.fps, like)
        old = frames_text(current.frames, rate, shotlist.fps, like)
        plan.changes.append(Change(shot.id, "duration", str(old), str(text), text))
    if placed.clip_in != clip_in:
        like = shot.clip_in if shot.clip_in is not None else "0f"
        text = frames_text(placed.clip_in, rate, shotlist.fps, like)
        old = frames_text(clip_in, rate, shotlist.fps, like)
        plan.changes.append(Change(shot.id, "clip_in", str(old), str(text), text))
        _cues_follow(plan, shot, placed.clip_in - clip_in, rate, shotlist.fps)


def _cues_follow(plan: ConformPlan, shot: Shot, trimmed: int, rate: Fraction, fps: float) -> None:
    """A head trim of ``trimmed`` frames moves the shot's own cues that much earlier in the cut
    (they stay where they were in the take); a cue the trim cut into now starts at the cut."""
    for index, cue in enumerate(shot.sound):
        for key, value in (("start", cue.start), ("end", cue.end)):
            if value is None:
                continue
            frames = round(float(to_time(value, fps).value))
            moved = max(0, frames - trimmed)
            if moved != frames and (key == "start" or moved > 0):
                old, text = (frames_text(n, rate, fps, value) for n in (frames, moved))
                field = f"sound {index + 1} {key}"
                plan.changes.append(Change(shot.id, field, str(old), str(text), text))


def _take(
    plan: ConformPlan, shot: Shot, current: ResolvedShot, placed: Placed, cut: EditedCut
) -> None:
    if placed.take is None or placed.take == current.selected_take:
        return
    if not 1 <= placed.take <= current.takes:
        plan.unexpressed.append(Unexpressed(shot.id, cut.timecode(placed.record),
            f"take {placed.take} is in the cut but the shot has {current.takes} take(s)",
            f"raise 'takes' to {placed.take} and build again"))  # fmt: skip
        return
    plan.changes.append(Change(shot.id, "selected_take", str(current.selected_take),
                               str(placed.take), placed.take))  # fmt: skip


def _dissolves(
    plan: ConformPlan, clips: list[Placed], resolved: dict[str, ResolvedShot], fps: float
) -> None:
    """Dissolves between neighbouring shots of the cut, compared with what the build drew."""
    for before, after in itertools.pairwise(clips):
        if before.shot_id is None or after.shot_id is None:
            continue
        shot, following = resolved.get(before.shot_id), resolved.get(after.shot_id)
        if shot is None or following is None:
            continue
        wanted = _dissolve_frames(shot.transition_out, fps) or _dissolve_frames(
            following.transition_in, fps
        )
        tail = None
        if before.available is not None:
            tail = before.available - before.clip_in - before.frames
        drawn = wanted if tail is None or wanted is None else min(wanted, max(tail, 0))
        edited = before.dissolve_out or None
        if edited and edited not in (wanted, drawn):
            plan.changes.append(Change(shot.id, "transition_out", _describe(shot.transition_out),
                                       f"dissolve {edited}f", f"dissolve {edited}f"))  # fmt: skip
        elif not edited and drawn:
            target = shot if _dissolve_frames(shot.transition_out, fps) else following
            which = "transition_out" if target is shot else "transition_in"
            old = shot.transition_out if target is shot else following.transition_in
            plan.changes.append(Change(target.id, which, _describe(old), "cut", "cut"))


def _dissolve_frames(transition: Transition | None, fps: float) -> int | None:
    if transition is None or transition.type != "dissolve" or transition.duration is None:
        return None
    return round(float(to_time(transition.duration, fps).value))


def _describe(transition: Transition | None) -> str:
    if transition is None:
        return "cut"
    return f"{transition.type} {transition.duration}" if transition.duration else transition.type


def frames_text(frames: int, rate: Fraction, fps: float, like: object) -> str | int | float:
    """``frames`` written the way ``like`` (the value in the file) is: frames, timecode, or
    seconds when a short decimal is exactly those frames (never rounded), else frames."""
    text = str(like).strip() if isinstance(like, str) else ""
    if re.fullmatch(r"\d+\s*(?:f|fr|frame|frames)", text):
        return f"{frames}f"
    if re.fullmatch(r"\d{1,2}(?:[:;]\d{1,2}){1,3}", text):
        nominal = round(float(rate))
        ff, total = frames % nominal, frames // nominal
        return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}:{ff:02d}"
    for places in range(4):
        seconds = round(float(frames / rate), places)
        if abs(seconds * float(rate) - frames) < 1e-6:
            number = int(seconds) if seconds == int(seconds) else seconds
            return number if isinstance(like, (int, float)) else f"{number}s"
    return f"{frames}f"
