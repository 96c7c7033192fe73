"""Transitions as the cut plays them: dissolves between shots, fades from and to black.

A shot list says ``transition_in``/``transition_out`` on a shot: ``dissolve 12f``, ``fade in``,
``fade out`` (Fountain's ``DISSOLVE TO:``, ``FADE IN:``, ``FADE OUT.``). Here they become, per
cut, what the timeline and the animatic draw:

- a **dissolve** between two shots starts at the cut and runs into the incoming shot, showing
  the outgoing take's tail beyond its cut: the outgoing shot needs that many frames of tail
  handle, so the planner asks its backend for them (``dissolve_out``);
- a **fade in** darkens a shot's first frames from black, a **fade out** its last frames to
  black; they need no handle. A dissolve asked for before the first shot or after the last one
  is a fade.

When no media can carry a transition (a failed shot, a take without enough tail), it is
shortened or dropped and the reason is kept per shot, so the build can say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from previz.shotlist.models import Transition
from previz.shotlist.resolve import ResolvedShot, ResolvedShotList
from previz.shotlist.timing import to_time


@dataclass(frozen=True)
class ShotTransitions:
    """What a shot's edges do, in frames: fades at its head and tail, a dissolve into the next."""

    fade_in: int = 0
    fade_out: int = 0
    dissolve_out: int = 0


@dataclass(frozen=True)
class TransitionProblem:
    """A transition the cut could not play as asked, and why."""

    shot_id: str
    kind: str
    wanted: int
    used: int
    reason: str

    def __str__(self) -> str:
        done = "dropped" if self.used == 0 else f"shortened to {self.used} frames"
        return f"{self.shot_id}: {self.kind} of {self.wanted} frames {done} — {self.reason}"


def _frames(transition: Transition, fps: float) -> int:
    if transition.duration is None:
        return 0
    return int(to_time(transition.duration, fps).value)


def _kind(transition: Transition | None) -> str | None:
    if transition is None or transition.type == "cut":
        return None
    return "dissolve" if transition.type == "dissolve" else "fade"


def shot_transitions(shotlist: ResolvedShotList) -> dict[str, ShotTransitions]:
    """Every shot's fades and dissolve-out, resolved against its neighbours."""
    shots = shotlist.shots
    result: dict[str, ShotTransitions] = {}
    for index, shot in enumerate(shots):
        before = shots[index - 1] if index > 0 else None
        after = shots[index + 1] if index + 1 < len(shots) else None
        result[shot.id] = ShotTransitions(
            fade_in=_fade(shot.transition_in, before, "in", shotlist.fps),
            fade_out=_fade(shot.transition_out, after, "out", shotlist.fps),
            dissolve_out=_dissolve(shot, after, shotlist.fps),
        )
    return result


def _fade(
    transition: Transition | None, neighbour: ResolvedShot | None, side: str, fps: float
) -> int:
    """A fade at this edge: asked for as a fade, or as a dissolve with nothing to dissolve to."""
    kind = _kind(transition)
    if transition is None or kind is None:
        return 0
    if kind == "fade" or neighbour is None:
        return _frames(transition, fps)
    return 0


def _dissolve(shot: ResolvedShot, after: ResolvedShot | None, fps: float) -> int:
    """The dissolve from ``shot`` into the next one, asked for on either side of the cut."""
    if after is None:
        return 0
    for transition in (shot.transition_out, after.transition_in):
        if transition is not None and _kind(transition) == "dissolve":
            return _frames(transition, fps)
    return 0
