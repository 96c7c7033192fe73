"""CMX 3600 EDLs, one per track, in the file-based ("AX" reel) style Premiere and Resolve read.

An EDL describes one track. ``otio_cmx3600_adapter`` writes only a timeline's single video
track (audio is silently lost, and two video tracks are refused), starts record timecode at
00:00:00:00 whatever the timeline's start, names the incoming clip of a dissolve with a
mangled reel even in Premiere style, and writes no ``FCM`` line. So this module:

- writes one EDL per track through the adapter's own event writer (``EDLWriter``), which
  formats audio events (``A``) as well as video ones;
- uses the ``premiere`` style: reel ``AX`` and ``* FROM CLIP NAME:`` with the media file name,
  which is how file-based EDLs name media for Premiere, Resolve and OpenShot;
- then fixes each event line: every reel becomes ``AX``, and record timecodes are offset by the
  timeline's global start (01:00:00:00 by default) and written non-drop-frame, matching the
  ``FCM: NON-DROP FRAME`` line added under the title;
- a shot with no media yet (a placeholder) has no file to name, so it becomes black: no event,
  every later event keeps its record time.

Clip markers are kept as ``* LOC:`` comments at their record time (non-drop, like the events);
the media URL as the adapter's
``* OTIO REFERENCE FROM:`` comment. Timeline markers and metadata have no place in an EDL.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import opentimelineio as otio

from previz.timeline import edl_events, serialised
from previz.timeline.edl_events import track_names as track_names  # where it was first
from previz.timeline.fragments import Fragments, key
from previz.timeline.rates import timeline_rate

LOCATOR = re.compile(r"^\*\s*LOC:\s*(?P<timecode>\d\d[:;]\d\d[:;]\d\d[:;]\d\d)\s+(?P<rest>.*)$")
EVENT = re.compile(
    r"^(?P<number>\d{3,})\s+(?P<reel>\S+)\s+(?P<channel>\S+)\s+(?P<kind>C|D \d{3}|W\d{3} \d{3})\s+"
    r"(?P<src_in>\S+) (?P<src_out>\S+) (?P<rec_in>\S+) (?P<rec_out>\S+)\s*$"
)


def render_track(
    timeline: otio.schema.Timeline, index: int, fragments: Fragments | None = None
) -> str:
    """The EDL text of the timeline's track number ``index``; each event a fragment reused
    from ``fragments`` when its key (its lines, its clips' stored JSON...) is the same."""
    track = timeline.tracks[index]
    children = list(track)
    items, dropped = _fades_as_black(_placeholders_as_black(children))
    rate = float(timeline_rate(timeline))
    title = f"{timeline.name} {track.name}".strip()
    if not any(isinstance(item, otio.schema.Clip) for item in items):
        return f"TITLE: {title}\nFCM: NON-DROP FRAME\n\n"
    start = (timeline.global_start_time or otio.opentime.RationalTime(0, rate)).rescaled_to(rate)
    stored, digests = serialised.tracks_and_digests(timeline)
    data = stored[index]["children"] if len(stored) == len(timeline.tracks) else []
    by_id = dict(zip(map(id, children), data, strict=True)) if len(data) == len(children) else {}
    planned = edl_events.events_of(items, track, rate, by_id)
    if planned is None:  # a track previz does not make (effects, reels, CDL): the adapter's way
        fixed = _fix_events(_adapter_text(track, rate, title), start, rate)
    else:
        own = dict(zip(map(id, children), digests[index], strict=True)) if digests else None
        fixed = _fixed_events(planned, title, start, rate, own, fragments or Fragments(None))
    written = dropped or track.metadata.get("previz", {}).get("fades_not_written", [])
    notes = [f"* PREVIZ: {name} not written: CMX 3600 has no form for it here"
             for name in written]  # fmt: skip
    if not notes:
        return fixed
    lines = fixed.splitlines()
    first = next(i for i, line in enumerate(lines) if EVENT.match(line))
    return "\n".join([*lines[: first + 1], *notes, *lines[first + 1 :]]) + "\n"


def _fixed_events(
    planned: edl_events.Events, title: str, start: otio.opentime.RationalTime, rate: float,
    digests: dict[int, str] | None, fragments: Fragments,
) -> str:  # fmt: skip
    """The fixed text of ``planned``'s events under ``title``, event by event: the fix-up
    reads an event's own lines only (each event starts with its event line, which resets
    what it carries), so fixing the events one by one writes the same text. Where an event
    line would not read as one (a reel with a space) the whole text is fixed at once."""
    count = len(planned.events)
    if digests is None or not planned.regular():
        text = f"TITLE: {title}\n\n" if title else ""
        return _fix_events(text + "".join(planned.text(n) for n in range(1, count + 1)),
                           start, rate)  # fmt: skip
    pieces = [_fix_events(f"TITLE: {title}\n\n", start, rate)] if title else []
    for number in range(1, count + 1):
        event_key = key("edl event", start.value, start.rate, planned.key(number, digests))
        made = functools.partial(_fixed_event, planned, number, start, rate)
        pieces.append(fragments.render(event_key, made))
    return "".join(pieces) if pieces else "\n"


def _fixed_event(
    planned: edl_events.Events, number: int, start: otio.opentime.RationalTime, rate: float
) -> str:
    return _fix_events(planned.text(number), start, rate)


def _adapter_text(track: otio.schema.Track, rate: float, title: str) -> str:
    """The adapter's event text for a copy of ``track`` (it changes the track it writes).
    The adapter is imported only here: a track previz makes never needs it (~3 ms a worker)."""
    from otio_cmx3600_adapter import cmx_3600  # type: ignore[import-untyped]

    copy = track.deepcopy()
    items, _dropped = _fades_as_black(_placeholders_as_black(list(copy)))
    copy.clear()
    copy.extend(items)
    writer = cmx_3600.EDLWriter(tracks=otio.schema.Stack(children=[copy]), rate=rate,
                                style="premiere")  # fmt: skip
    return str(writer.get_content_for_track_at_index(0, title=title))


def _is_placeholder(item: otio.core.Composable) -> bool:
    return isinstance(item, otio.schema.Clip) and not isinstance(
        item.media_reference, otio.schema.ExternalReference
    )


def _placeholders_as_black(children: list[otio.core.Composable]) -> list[otio.core.Composable]:
    """A shot with no media becomes black (no event), keeping every later record time."""
    kept: list[otio.core.Composable] = []
    for index, item in enumerate(children):
        if _is_placeholder(item):
            kept.append(otio.schema.Gap(source_range=item.trimmed_range()))
            continue
        neighbours = children[max(index - 1, 0) : index + 2]
        if isinstance(item, otio.schema.Transition) and any(map(_is_placeholder, neighbours)):
            continue
        kept.append(item)
    return kept


def _fades_as_black(
    children: list[otio.core.Composable],
) -> tuple[list[otio.core.Composable], list[str]]:
    """A fade out at the end of the track as CMX 3600 writes it: a dissolve to the ``BL`` reel.

    The timeline draws a fade as a transition against a gap of no length; the adapter writes a
    transition at the very end of a track as a dissolve to black, so the empty gap there goes.
    A fade in at the head would be a dissolve from ``BL`` — which OTIO's EDL reader refuses
    ("Transitions can't be at the very beginning of a track"), losing the whole file — and a
    fade beside a cut inside the track has no CMX form (black takes record time): those are
    left out (returned by name), and the EDL says so in a comment on its first event.
    """
    last = len(children) - 1

    def empty(at: int) -> bool:
        item = children[at] if 0 <= at <= last else None
        return isinstance(item, otio.schema.Gap) and item.duration().value == 0

    kept: list[otio.core.Composable] = []
    dropped: list[str] = []
    for index, item in enumerate(children):
        if empty(index):
            continue
        if isinstance(item, otio.schema.Transition):
            gaps = [at for at in (index - 1, index + 1) if empty(at)]
            if gaps and gaps[0] != last:
                dropped.append(item.name)
                continue
        kept.append(item)
    return kept, dropped


def write_track(
    timeline: otio.schema.Timeline, index: int, path: Path, fragments: Fragments | None = None
) -> None:
    """Write the EDL of track number ``index`` to ``path`` (events reused from
    ``fragments``)."""
    path.write_text(render_track(timeline, index, fragments), encoding="utf-8")


def _timecode(frames: float, rate: float) -> str:
    return str(otio.opentime.to_timecode(otio.opentime.RationalTime(frames, rate), rate, False))


def _fix_events(text: str, start: otio.opentime.RationalTime, rate: float) -> str:
    lines: list[str] = []
    event: dict[str, float] | None = None
    outgoing = False  # between a dissolve's FROM and TO clip names: the clip already cut in
    for line in text.splitlines():
        match = EVENT.match(line)
        if match is None:
            outgoing = (outgoing or line.startswith("* FROM CLIP NAME")) and not line.startswith(
                "* TO CLIP NAME"
            )
            locator = LOCATOR.match(line)
            if locator is not None and event is not None:
                if outgoing and event["dissolve"]:
                    continue  # the outgoing clip's marks were written with its own event
                line = _record_locator(locator, event, rate)
            lines.append(line)
            if line.startswith("TITLE:"):
                lines.append("FCM: NON-DROP FRAME")
            continue
        fields = match.groupdict()
        event = _event_times(fields, start, rate)
        lines.append(_event_line(fields, event, rate))
        outgoing = False
    return "\n".join(lines) + "\n"


def _event_times(fields: dict[str, str], start: otio.opentime.RationalTime, rate: float
                 ) -> dict[str, float]:  # fmt: skip
    times = {
        key: otio.opentime.from_timecode(fields[key], rate).value
        for key in ("src_in", "src_out", "rec_in", "rec_out")
    }
    times["rec_in"] += start.value
    times["rec_out"] += start.value
    times["dissolve"] = float(fields["kind"].startswith("D"))
    return times


def _event_line(fields: dict[str, str], times: dict[str, float], rate: float) -> str:
    """An event with reel ``AX`` (``BL`` stays black) and record time from the timeline start
    (``times``: the event's, from :func:`_event_times`)."""
    reel = "BL" if fields["reel"] == "BL" else "AX"
    timecodes = " ".join(_timecode(times[k], rate) for k in ("src_in", "src_out", "rec_in",
                                                             "rec_out"))  # fmt: skip
    return f"{fields['number']}  {reel:<8} {fields['channel']:<5} {fields['kind']:<8} {timecodes}"


def _record_locator(locator: re.Match[str], event: dict[str, float], rate: float) -> str:
    """A ``* LOC:`` line at the record time of its mark, in the EDL's non-drop notation.

    The adapter writes the marker's source time (00:00:00:00 for a mark at a clip's head),
    drop-frame at 29.97; readers place locators by record time in the file's FCM mode.
    """
    at = otio.opentime.from_timecode(locator["timecode"], rate).value
    record = event["rec_in"] + at - event["src_in"]
    return f"* LOC: {_timecode(record, rate)} {locator['rest']}"
