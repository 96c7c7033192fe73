"""Reading the timeline an editor changed, in any format previz exports, and finding the cut in it.

Every format goes through OpenTimelineIO's adapters (OpenTimelineIO-Plugins, the FCPXML
adapter): ``.otio``, ``.otioz``, FCP7 XML (``.xml``), FCPXML (``.fcpxml``), CMX 3600 EDL
(``.edl``, read at the project's rate), AAF, ``.xges`` and ``.kdenlive``. The picture track is
the top enabled video track that holds a clip previz made (a title an editor laid on a higher
track does not hide the cut), unless ``--track`` names one; clips on video tracks above it are
reported as unknown, never silently dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from lxml import etree

from previz.errors import TimelineError
from previz.timeline.edl import EVENT as EDL_EVENT

ADAPTERS = {
    ".otio": "otio_json",
    ".otioz": "otioz",
    ".xml": "fcp_xml",
    ".fcpxml": "fcpx_xml",
    ".edl": "cmx_3600",
    ".aaf": "AAF",
    ".xges": "xges",
    ".kdenlive": "kdenlive",
}


def read_edit(path: Path, fps: float) -> otio.schema.Timeline:
    """The edited timeline at ``path``; an unreadable file is one clear error."""
    if path.suffix.lower() == ".fcpxmld" and path.is_dir():  # Final Cut 10.6+: a bundle
        path = path / "Info.fcpxml"
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise TimelineError(
            f"cannot conform a '{path.suffix}' file",
            path=path,
            hint="export the cut as " + ", ".join(sorted(ADAPTERS)),
        )
    if not path.exists():
        raise TimelineError("the edited timeline does not exist", path=path,
                            hint="check the path of the file the NLE exported")  # fmt: skip
    options: dict[str, Any] = {"rate": fps} if adapter == "cmx_3600" else {}
    try:
        result = otio.adapters.read_from_file(str(path), adapter_name=adapter, **options)
    except Exception as error:  # adapters raise anything; the user gets one message for all
        raise TimelineError(
            f"cannot read the edited timeline: {type(error).__name__}: {error}",
            path=path,
            hint="export the cut again from the NLE, or as .otio",
        ) from None
    timeline = _first_timeline(result)
    if timeline is None:
        raise TimelineError("the file holds no timeline", path=path,
                            hint="export the sequence itself, not a bin or a project")  # fmt: skip
    if adapter == "cmx_3600":
        _locators_at_record_time(timeline, path.read_text(encoding="utf-8", errors="replace"), fps)
    if adapter == "fcpx_xml":
        _from_tc_start(timeline, path, fps)
        _fcpxml_transitions(timeline, path, fps)
    if adapter == "kdenlive":
        _mixes_inclusive(timeline, fps)
    return timeline


def _mixes_inclusive(timeline: otio.schema.Timeline, fps: float) -> None:
    """A Kdenlive mix from frame ``in`` to ``out`` lasts ``out - in + 1`` frames (MLT counts
    ``out`` in); OTIO's kdenlive reader makes it one frame short. Give the frame back."""
    frame = otio.opentime.RationalTime(1, fps)
    for track in video_tracks(timeline):
        for item in track:
            if isinstance(item, otio.schema.Transition):
                item.out_offset = item.out_offset + frame


def _fcpxml_transitions(timeline: otio.schema.Timeline, path: Path, fps: float) -> None:
    """Put the primary storyline's ``<transition>``s back between its clips.

    OTIO's FCPXML reader skips them. A transition's ``offset`` (from ``tcStart``) and
    ``duration`` span the edit it sits on: Final Cut centres it there, previz starts it there;
    the edit inside the span gives the transition's ``in_offset`` and ``out_offset``.
    """
    sequence = etree.parse(str(path)).find(".//sequence")
    spine = sequence.find("spine") if sequence is not None else None
    tracks = video_tracks(timeline)
    if spine is None or not tracks:
        return
    main = next((t for t in tracks if t.name == "0"), tracks[0])
    start = _fcpx_seconds(sequence.get("tcStart", "0s")) if sequence is not None else Fraction(0)
    for element in spine.findall("transition"):
        offset = _fcpx_seconds(element.get("offset", "0s")) - start
        length = _fcpx_seconds(element.get("duration", "0s"))
        slack = Fraction(1, 1000)  # the reader's float seconds, against the file's exact ones
        edits = [
            (index, Fraction(main.range_of_child_at_index(index).end_time_exclusive().to_seconds()))
            for index in range(len(main) - 1)
            if isinstance(main[index], otio.schema.Clip)
            and isinstance(main[index + 1], otio.schema.Clip)
        ]
        inside = [(i, at) for i, at in edits if offset - slack <= at <= offset + length + slack]
        if not inside:
            continue
        index, at = min(inside, key=lambda edit: abs(edit[1] - offset - length / 2))
        main.insert(index + 1, otio.schema.Transition(
            name=element.get("name", "transition"),
            transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
            in_offset=otio.opentime.RationalTime.from_seconds(float(at - offset), fps),
            out_offset=otio.opentime.RationalTime.from_seconds(float(offset + length - at), fps),
        ))  # fmt: skip


def _fcpx_seconds(text: str) -> Fraction:
    """An FCPXML time (``3600s``, ``86844/24s``, ``1001/24000s``) in exact seconds."""
    try:
        return Fraction(text.strip().rstrip("s") or "0")
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


def _from_tc_start(timeline: otio.schema.Timeline, path: Path, fps: float) -> None:
    """Start the cut at the sequence's ``tcStart``, where Final Cut (and previz) put it.

    Spine offsets count from ``tcStart`` (01:00:00:00 → ``3600s``); OTIO's FCPXML reader drops
    ``tcStart`` and fills the hour before the first item with a gap on every track.
    """
    sequence = etree.parse(str(path)).find(".//sequence")
    text = sequence.get("tcStart", "0s") if sequence is not None else "0s"
    start = otio.opentime.RationalTime.from_seconds(float(Fraction(text.rstrip("s") or 0)), fps)
    if start.value <= 0:
        return
    timeline.global_start_time = start
    for track in timeline.tracks:
        head = track[0] if len(track) else None
        if isinstance(head, otio.schema.Gap) and head.duration() >= start:
            rest = head.duration() - start
            if rest.value > 0:
                head.source_range = otio.opentime.TimeRange(duration=rest)
            else:
                del track[0]


def _locators_at_record_time(timeline: otio.schema.Timeline, text: str, fps: float) -> None:
    """Place an EDL's ``* LOC:`` marks by the record timecode they carry.

    OTIO's EDL reader starts the cut at 0 (dropping the first record timecode) and keeps a
    locator's timecode as if it were a time in the clip's media; EDLs (previz's, Avid's) write
    the record timecode. So the start comes back from the first event, and each mark inside its
    event's record range moves to the clip's source time at that record time. OTIO's own
    writer (the one EDL writer that puts media time there) writes no ``FCM:`` line: its marks
    are left as they are.
    """
    first = next((m for m in map(EDL_EVENT.match, text.splitlines()) if m), None)
    if first is None or "\nFCM:" not in text:
        return
    start = otio.opentime.from_timecode(first["rec_in"], fps)
    timeline.global_start_time = start
    for track in timeline.tracks:
        for index, item in enumerate(track):
            if not isinstance(item, otio.schema.Clip) or item.source_range is None:
                continue
            placed = track.range_of_child_at_index(index)
            record = start + placed.start_time
            for marker in item.markers:
                into = marker.marked_range.start_time - record
                if not 0 <= into.to_seconds() < placed.duration.to_seconds():
                    continue
                marker.marked_range = otio.opentime.TimeRange(
                    item.source_range.start_time + into, marker.marked_range.duration
                )


def _first_timeline(item: Any) -> otio.schema.Timeline | None:
    if isinstance(item, otio.schema.Timeline):
        return item
    if isinstance(item, otio.schema.SerializableCollection):
        for child in item:
            found = _first_timeline(child)
            if found is not None:
                return found
    return None


def video_tracks(timeline: otio.schema.Timeline) -> list[otio.schema.Track]:
    """Video tracks from the top down (OTIO stacks tracks bottom first)."""
    return [t for t in reversed(list(timeline.tracks)) if t.kind == otio.schema.TrackKind.Video]


def picture_track(
    timeline: otio.schema.Timeline, shot_ids: set[str], name: str | None = None
) -> otio.schema.Track:
    """The track that holds the cut: ``name``, else the top enabled video track with a shot."""
    tracks = video_tracks(timeline)
    if name is not None:
        for track in tracks:
            if track.name == name:
                return track
        numbered = re.fullmatch(r"[Vv](\d+)", name)
        bottom_up = list(reversed(tracks))
        if numbered and 1 <= int(numbered.group(1)) <= len(bottom_up):
            return bottom_up[int(numbered.group(1)) - 1]
        names = ", ".join(repr(t.name) for t in tracks) or "none"
        raise TimelineError(
            f"no video track '{name}'; the tracks are {names}",
            hint="pass --track with one of them, or V1, V2… counted from the bottom",
        )
    enabled = [t for t in tracks if t.enabled]
    for track in enabled:
        if any(clip_identity(clip)[0] in shot_ids for clip in track.find_clips()):
            return track
    if enabled:
        return enabled[0]
    raise TimelineError("the timeline has no enabled video track",
                        hint="export the sequence with its picture track enabled")  # fmt: skip


_NAMED = re.compile(r"^(?P<shot>.+?)(?:_t(?P<take>\d+)|\s+take\s+(?P<take2>\d+))?(?:\.\w{2,5})?$")


def clip_identity(clip: otio.schema.Clip) -> tuple[str | None, int | None]:
    """(shot id, take) a clip claims: previz metadata first, then names; unmatched: (None, None).

    The shot id returned may not exist in the scene; the caller checks it.
    """
    facts = previz_facts(clip.metadata)
    if facts and facts.get("shot"):
        take = facts.get("take")
        return str(facts["shot"]), int(take) if isinstance(take, int) else None
    shot_id: str | None = None
    for candidate in clip_names(clip):  # the shot from the first name; a take from any
        found = _NAMED.match(candidate)
        if found is None or (shot_id is not None and found.group("shot") != shot_id):
            continue
        shot_id = found.group("shot")
        take = found.group("take") or found.group("take2")
        if take:
            return shot_id, int(take)
    return shot_id, None


def clip_names(clip: otio.schema.Clip) -> list[str]:
    """What a clip is called, in matching order: its name, its media file, its EDL clip/reel."""
    names = [clip.name] if clip.name else []
    reference = clip.media_reference
    url = getattr(reference, "target_url", None)
    if url:
        names.append(Path(str(url).split("?")[0]).name)
    cmx = clip.metadata.get("cmx_3600", {})
    for comment in cmx.get("comments", []) if isinstance(cmx, dict) else []:
        if "FROM" in str(comment) and ":" in str(comment):
            names.append(str(comment).rsplit(":", 1)[1].strip())
    reel = cmx.get("reel") if isinstance(cmx, dict) else None
    if reel:
        names.append(str(reel))
    return names


def previz_facts(metadata: Any) -> dict[str, Any] | None:
    """The ``previz`` facts a clip carries, wherever a format kept them: OTIO metadata, an FCP7
    comment or an AAF user comment holding ``previz:{json}`` or ``{json}``."""
    for key, value in _walk(metadata):
        if key == "previz" and hasattr(value, "items") and "shot" in value:
            return dict(value.items())
        if isinstance(value, str) and (key == "previz" or value.startswith("previz:")):
            text = value.removeprefix("previz:")
            try:
                facts = json.loads(text)
            except ValueError:
                continue
            if isinstance(facts, dict) and "shot" in facts:
                return facts
    return None


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    yield key, value
    if hasattr(value, "items"):
        for child_key, child in value.items():
            yield from _walk(child, str(child_key))
