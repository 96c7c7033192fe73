"""A built scene and the editor's changes to its cut, made through OTIO's API, for conform tests.

The edit an editor makes in an NLE, done on the build's ``timeline.otio``: trim a shot's head
and tail, swap two shots, delete one, put an alternate take in the cut, leave a marker, lay in a
title card previz does not know, and speed a shot up. ``EXPECTED`` is what conform must make of
it; every other line of the scene file must stay byte for byte.
"""

from __future__ import annotations

import opentimelineio as otio

SCENE = """\
# conform fixture: every kind of line the writer must keep
schema_version: 1
project:
  title: Conform
  fps: 24
  aspect: "16:9"        # quoted on purpose
  resolution: 64x36
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - id: s1
        action: Anna opens the door.
        duration: 1s      # a comment that must survive
      - {id: s2, action: 'The hallway, empty.', duration: 24f}
      - id: s3
        action: Anna reads.
        duration: 1

  - id: sc2
    heading: EXT. STREET - NIGHT
    shots:
      - id: s4
        action: Rain on the street.
        duration: 1s
        takes: 2
      - id: s5
        action: A car passes.
        duration: 1s
"""

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange


def picture(timeline: otio.schema.Timeline) -> otio.schema.Track:
    return next(t for t in timeline.tracks if t.name == "V1")


def _clip(track: otio.schema.Track, shot_id: str) -> otio.schema.Clip:
    return next(c for c in track if isinstance(c, otio.schema.Clip) and c.name == shot_id)


def edit_the_cut(timeline: otio.schema.Timeline, *, speed: bool = True) -> otio.schema.Timeline:
    """The editor's changes (in place) to a build's timeline; returns it."""
    track = picture(timeline)
    s1 = _clip(track, "s1")  # trim 3 frames off the head and 2 off the tail
    s1.source_range = TR(RT(3, 24), RT(19, 24))
    for marker in list(s1.markers):  # its head marker now lies before the cut (xges rejects it)
        if marker.marked_range.start_time < s1.source_range.start_time:
            s1.markers.remove(marker)
    s2 = _clip(track, "s2")  # a note for the director, 6 frames into the shot
    s2.markers.append(
        otio.schema.Marker(
            name="tighten",
            marked_range=TR(RT(6, 24), RT(0, 24)),
            comment="hold less on the empty hallway",
        )
    )
    s3 = _clip(track, "s3")  # swap s2 and s3
    track.remove(s3)
    track.insert(list(track).index(s2), s3)
    if speed:
        s3.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=2.0))
    alternate = next(  # take 2 of s4 replaces take 1 in the cut
        c for t in timeline.tracks if t.name.startswith("ALT") for c in t.find_clips()
        if c.name == "s4 take 2"
    )  # fmt: skip
    s4 = _clip(track, "s4")
    s4.name = "s4"
    s4.media_reference = alternate.media_reference.clone()
    s4.metadata["previz"] = dict(alternate.metadata["previz"])
    track.remove(_clip(track, "s5"))  # delete s5
    title = otio.schema.Clip(  # a title card previz knows nothing about
        name="TITLE CARD",
        media_reference=otio.schema.MissingReference(available_range=TR(RT(0, 24), RT(48, 24))),
        source_range=TR(RT(0, 24), RT(12, 24)),
    )
    track.append(title)
    for other in timeline.tracks:
        if other is not track and len(other) and other.kind == otio.schema.TrackKind.Video:
            other.enabled = False
    return timeline


CONFORMED = """\
# conform fixture: every kind of line the writer must keep
schema_version: 1
project:
  title: Conform
  fps: 24
  aspect: "16:9"        # quoted on purpose
  resolution: 64x36
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - id: s1
        action: Anna opens the door.
        duration: 19f      # a comment that must survive
        clip_in: 3f
      - id: s3
        action: Anna reads.
        duration: 1
      - {id: s2, action: 'The hallway, empty.', duration: 24f{note}}

  - id: sc2
    heading: EXT. STREET - NIGHT
    shots:
      - id: s4
        action: Rain on the street.
        duration: 1s
        takes: 2
        selected_take: 2
      - id: s5
        action: A car passes.
        duration: 1s
        omit: true
"""
"""The scene file after conforming the edit: trims, swap, take, note (as the format kept it),
omit; every other byte as it was."""


def conformed(note: str | None) -> str:
    """:data:`CONFORMED` with the marker's note as the format carried it (None: lost)."""
    text = f"01:00:02:01 {note}"
    if ": " in text.split(" ", 1)[1]:  # plain YAML cannot hold ": " inside a value
        text = f'"{text}"'
    return CONFORMED.replace("{note}", f", notes: {text}" if note else "")
