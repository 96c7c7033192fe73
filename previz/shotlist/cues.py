"""Sound cues on the cut's clock: each cue placed once, then sliced into every shot it is heard in.

A cue is written in the shot where it starts, with ``start``/``end`` measured from that shot's
head; ``until`` lets it run on across cuts, and a scene's beds run under all its shots. Here each
cue becomes a span of the whole cut, and each shot gets the part of every span it overlaps, with
``cue_offset`` saying how far into the cue the shot begins (so a music cue continues seamlessly).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import NamedTuple

import opentimelineio as otio

from previz.shotlist.checks import Loc, Problem
from previz.shotlist.models import Character, ShotList, SoundCue
from previz.shotlist.timing import DURATION_HELP, to_time

_WORDS_PER_SECOND = 2.6  # conversational English, used to time dialogue with no 'end'


@dataclass(frozen=True)
class ResolvedCue:
    """A sound cue as heard in one shot: in-shot start/end, and where in the whole cue we are."""

    kind: str
    id: str
    start: float
    end: float
    cue_offset: float
    cue_length: float
    speaker: Character | None = None
    line: str | None = None
    mode: str | None = None
    delivery: str | None = None
    description: str | None = None
    diegetic: bool | None = None
    origin_shot: str = ""

    @property
    def extension(self) -> str | None:
        """The screenplay's extension for a line not spoken on camera: ``V.O.`` or ``O.S.``."""
        return {"VO": "V.O.", "OS": "O.S."}.get(self.mode or "")

    @property
    def continues(self) -> bool:
        """True when this cue started before the shot (a sound bridge or a bed)."""
        return self.cue_offset > 0


class Placement(NamedTuple):
    """Where a kept shot sits in the cut, in seconds: all that timing its cues needs of it."""

    id: str
    start: float  # from the start of the cut
    end: float
    seconds: float  # its length

    @classmethod
    def of(
        cls, shot_id: str, head: otio.opentime.RationalTime, duration: otio.opentime.RationalTime
    ) -> Placement:
        end = float((head + duration).to_seconds())
        return cls(shot_id, float(head.to_seconds()), end, float(duration.to_seconds()))


_ORDER = itertools.count()


@dataclass(frozen=True)
class _Span:
    cue: SoundCue
    cue_id: str
    begin: float  # seconds from the start of the cut
    end: float
    origin: str
    order: int  # position in the scene file, so cues keep the order they were written in


def time_cues(
    shotlist: ShotList, shots: list[Placement], problems: list[Problem]
) -> list[tuple[ResolvedCue, ...]]:
    """The cues heard in each of ``shots`` (in cut order); problems are appended to ``problems``."""
    fps = shotlist.project.fps
    by_id = _kept_shots(shotlist, shots)
    characters = {c.id: c for c in shotlist.characters}
    spans: list[_Span] = []
    for si, scene in enumerate(shotlist.scenes):
        scene_shots = [by_id[s.id] for s in scene.shots if not s.omit]
        if not scene_shots:
            continue  # every shot of the scene is omitted: so are its beds
        for ci, cue in enumerate(scene.sound):
            first = by_id[cue.from_shot] if cue.from_shot else scene_shots[0]
            last = by_id[cue.until] if cue.until else scene_shots[-1]
            spans += _span(
                cue,
                f"{scene.id}-{cue.kind}{ci + 1}",
                first,
                last,
                fps,
                ("scenes", si, "sound", ci),
                problems,
                bed=True,
            )
        for hi, shot in enumerate(scene.shots):
            if shot.omit:
                continue
            for ci, cue in enumerate(shot.sound):
                last = by_id[cue.until] if cue.until else by_id[shot.id]
                spans += _span(
                    cue,
                    f"{shot.id}-{cue.kind}{ci + 1}",
                    by_id[shot.id],
                    last,
                    fps,
                    ("scenes", si, "shots", hi, "sound", ci),
                    problems,
                    bed=False,
                )
    return _heard_per_shot(shots, spans, characters)


def _kept_shots(shotlist: ShotList, shots: list[Placement]) -> dict[str, Placement]:
    """Shots by id; an omitted shot stands for the kept shot before it (or, first, after it),
    so a cue that ran ``until`` or ``from`` an omitted shot stops or starts next to it."""
    by_id = {s.id: s for s in shots}
    order = [shot.id for scene in shotlist.scenes for shot in scene.shots]
    kept = [by_id.get(i) for i in order]
    for index, shot_id in enumerate(order):
        if shot_id not in by_id and shots:
            before = [s for s in kept[:index] if s is not None]
            after = [s for s in kept[index:] if s is not None]
            by_id[shot_id] = before[-1] if before else after[0]
    return by_id


def _heard_per_shot(
    shots: list[Placement], spans: list[_Span], characters: dict[str, Character]
) -> list[tuple[ResolvedCue, ...]]:
    """Sweep the cut once: cues enter when they begin and leave when they have ended."""
    pending = sorted(spans, key=lambda span: span.begin)
    active: list[_Span] = []
    out = []
    for shot in shots:  # shots are in cut order, end to end
        start, end = shot.start, shot.end
        while pending and pending[0].begin < end - 1e-9:
            active.append(pending.pop(0))
        active = [span for span in active if span.end > start + 1e-9]
        heard = [span for span in spans_in_order(active) if span.begin < end - 1e-9]
        out.append(tuple(_slice(span, start, end, characters) for span in heard))
    return out


def spans_in_order(spans: list[_Span]) -> list[_Span]:
    """Beds first, then cues by start: the order a mixer reads a cue sheet."""
    return sorted(spans, key=lambda span: (span.order, span.begin))


def _span(
    cue: SoundCue,
    default_id: str,
    first: Placement,
    last: Placement,
    fps: float,
    loc: Loc,
    problems: list[Problem],
    *,
    bed: bool,
) -> list[_Span]:
    try:
        start = float(to_time(cue.start, fps).to_seconds())
        end_rel = None if cue.end is None else float(to_time(cue.end, fps).to_seconds())
        length = None if cue.duration is None else float(to_time(cue.duration, fps).to_seconds())
    except ValueError as error:
        problems.append(
            Problem(
                loc, str(error), f"cue times count from the shot's head; {DURATION_HELP}", first.id
            )
        )
        return []
    if start >= first.seconds:
        problems.append(
            Problem(
                (*loc, "start"),
                f"cue starts at {start:g}s but shot '{first.id}' lasts {first.seconds:g}s",
                "start is measured from the shot's head",
                first.id,
            )
        )
        return []
    begin = first.start + start
    last_head, last_end = last.start, last.end
    if end_rel is not None:
        end = last_head + end_rel
    elif length is not None:
        end = begin + length
    elif cue.kind == "dialogue" and not bed:
        end = begin + len((cue.line or "").split()) / _WORDS_PER_SECOND + 0.4
        end = min(end, last_end)
    elif cue.kind == "sfx":
        end = min(begin + 0.5, last_end)
    else:
        end = last_end
    if end <= begin:
        problems.append(
            Problem(
                (*loc, "end"),
                "cue ends before it starts",
                "'end' is measured from the head of the shot it ends in",
                first.id,
            )
        )
        return []
    if end > last_end + 1e-6:
        problems.append(
            Problem(
                (*loc, "end" if end_rel is not None else "duration"),
                f"cue runs {end - last_end:.2f}s past the end of shot '{last.id}'",
                "shorten it, or add 'until: <later shot id>' to let it run on across the cut",
                first.id,
            )
        )
        return []
    return [_Span(cue, cue.id or default_id, begin, end, first.id, next(_ORDER))]


def _slice(
    span: _Span, shot_start: float, shot_end: float, characters: dict[str, Character]
) -> ResolvedCue:
    cue = span.cue
    return ResolvedCue(  # positional, in field order: a cue per shot it is heard in adds up
        cue.kind,
        span.cue_id,
        round(max(span.begin, shot_start) - shot_start, 6),
        round(min(span.end, shot_end) - shot_start, 6),
        round(max(0.0, shot_start - span.begin), 6),
        round(span.end - span.begin, 6),
        characters.get(cue.speaker or ""),
        cue.line,
        cue.mode,
        cue.delivery,
        cue.description,
        cue.diegetic,
        span.origin,
    )
