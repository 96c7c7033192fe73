""".xges: our serialiser writes the document the old path (OTIO's xges adapter plus previz's
lxml pass for fades and caps, kept in ``tests/xges_reference.py``) wrote, byte for byte, for every
kind of cut previz makes; what it cannot write the same way it refuses with a TimelineError.

The cuts are assembled from takes that need no media on disk (only their paths go in the file):
rates 23.976/24/25/29.97, one shot to 90, dissolves, fades in and out, failed shots
(placeholders), alternate takes, sound stems and a generator's mixed sound, shot and cue markers
(some with a length), names that need escaping; an editor's cut (trims, swap, speed change,
title card, a marker of their own); and the shared cases of ``tests/export_cases.py``. GES
itself renders the result in tests/integration/test_export_engines.py and test_export_edges.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
import yaml
from otio_xges_adapter import xges as adapter  # type: ignore[import-untyped]

from previz.backends.base import Clip
from previz.errors import TimelineError
from previz.shotlist.loader import from_data
from previz.timeline import assemble, gst, xges
from tests import export_cases
from tests.conform_fixtures import SCENE as CONFORM_SCENE
from tests.conform_fixtures import edit_the_cut
from tests.xges_reference import write_reference

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
MEDIA = Path("/media/takes")


def _scene(shots: int, fps: float, title: str = "Export bench", *, fades: bool = True
           ) -> dict[str, Any]:  # fmt: skip
    """``shots`` shots of 1–4 s in scenes of 40: dissolves, fades, alternates, dialogue, SFX."""
    cast = [{"id": f"c{i}", "name": f"Character {i}", "description": f"person {i}"}
            for i in range(3)]  # fmt: skip
    scenes = []
    for first in range(0, shots, 40):
        entries: list[dict[str, Any]] = []
        for n in range(first, min(first + 40, shots)):
            shot: dict[str, Any] = {
                "id": f"sh{n:03d}", "action": f"beat {n}", "cast": [f"c{n % 3}"],
                "duration": f"{24 + (n * 37) % 72}f", "takes": 3 if n % 7 == 0 else 1,
            }  # fmt: skip
            if n % 11 == 3:
                shot["notes"] = 'hold "long" & <quiet>'
            if n % 9 == 8:
                shot["transition_out"] = "dissolve 8f"
            if fades and n % 13 == 0:
                shot["transition_in"] = "fade in 6f"
            if fades and n % 17 == 5:
                shot["transition_out"] = "fade out 10f"
            if n % 3 == 0:
                shot["sound"] = [{"kind": "dialogue", "speaker": f"c{n % 3}", "line": f"line {n}",
                                  "start": 0.25, "end": 0.75}]  # fmt: skip
            if n % 5 == 1:
                shot["sound"] = [{"kind": "sfx", "description": "a door slams"},
                                 {"kind": "music", "description": "strings"}]  # fmt: skip
            entries.append(shot)
        scenes.append({"id": f"sc{first // 40}", "heading": "INT. ROOM - DAY", "shots": entries})
    project = {"title": title, "fps": fps, "resolution": "320x180"}
    return {"schema_version": 1, "project": project, "characters": cast, "scenes": scenes}


def _assembled(data: dict[str, Any], *, failed_every: int = 10) -> otio.schema.Timeline:
    """The cut of ``data`` from takes on (imaginary) disk; every ``failed_every``-th shot failed."""
    shotlist = from_data(data)
    clips: dict[tuple[str, int], Clip] = {}
    for index, shot in enumerate(shotlist.shots):
        if index % failed_every == 4:
            continue
        for take in range(1, shot.takes + 1):
            name = f"{shot.id}_t{take}"
            stems = {} if index % 4 == 0 else {
                role: MEDIA / f"{name}_{role}.wav" for role in ("dialogue", "sfx", "music")
            }  # fmt: skip
            clips[(shot.id, take)] = Clip(
                shot_id=shot.id, take=take, path=MEDIA / f"{name}.mp4",
                duration=shot.seconds + 1.0, fps=float(shotlist.rate), width=320, height=180,
                has_audio=index % 8 == 0, backend="animatic", model="card", prompt=f"{shot.id}",
                template_hash="0" * 16, cache_key=f"v1-{shot.id}-{take}", stems=stems,
            )  # fmt: skip
    failures = {shot.id: "the backend refused" for shot in shotlist.shots[4::failed_every]}
    return assemble(shotlist, clips, failures=failures)


def _edited() -> otio.schema.Timeline:
    """The conform fixtures' editor's cut: trims, a swap, a speed change, a title card."""
    return edit_the_cut(_assembled(yaml.safe_load(CONFORM_SCENE), failed_every=1000))


def _title_beside_a_dissolve() -> otio.schema.Timeline:
    """A gap the adapter turns into a GESTitleClip (a dissolve needs a clip on each side),
    unnamed items, names taken twice, a name GStreamer quotes, a URL with non-ASCII."""
    timeline = otio.schema.Timeline(name="", global_start_time=RT(0, 25))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for name in ("a", "a", "NULL", "", "tab\there, 😀 \\ ~ \x7f"):
        reference = otio.schema.ExternalReference(
            target_url=f"file:///media/{name if name.isalnum() else 'x'} %C3%A9.mp4",
            available_range=TR(RT(0, 25), RT(100, 25)),
        )
        track.append(otio.schema.Clip(name=name, media_reference=reference,
                                      source_range=TR(RT(10, 25), RT(40, 25))))  # fmt: skip
        track.append(otio.schema.Transition(in_offset=RT(3, 25), out_offset=RT(5, 25)))
    track.append(otio.schema.Gap(duration=RT(30, 25)))
    timeline.tracks.append(track)
    return timeline


def _clip(name: str, rate: float, frames: int = 24) -> otio.schema.Clip:
    reference = otio.schema.ExternalReference(
        target_url=f"file:///media/{name}.mp4", available_range=TR(RT(0, rate), RT(96, rate))
    )
    clip = otio.schema.Clip(name=name, media_reference=reference,
                            source_range=TR(RT(6, rate), RT(frames, rate)))  # fmt: skip
    clip.markers.append(otio.schema.Marker(name=name, marked_range=TR(RT(8, rate), RT(2, rate))))
    return clip


def _mixed_rates() -> otio.schema.Timeline:
    """Clips at 24 and 25 fps with markers (where they start is asked of OTIO)."""
    timeline = otio.schema.Timeline(name="mixed")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.extend([_clip("a", 24), _clip("b", 25, 30), _clip("c", 24), _clip("d", 24)])
    timeline.tracks.append(track)
    return timeline


def _one_name_two_kinds(sound: str = "b") -> otio.schema.Timeline:
    """A picture and a sound track of one name: the adapter made one layer of them when
    their items were the same."""
    timeline = otio.schema.Timeline(name="linked")
    for kind, clip in ((otio.schema.TrackKind.Video, "a"), (otio.schema.TrackKind.Audio, sound)):
        track = otio.schema.Track(name="A/V", kind=kind)
        track.append(_clip(clip, 24))
        timeline.tracks.append(track)
    return timeline


CUTS: dict[str, Callable[[], otio.schema.Timeline]] = {
    "24 fps, 90 shots": lambda: _assembled(_scene(90, 24)),
    "23.976 fps": lambda: _assembled(_scene(60, 23.976)),
    "25 fps": lambda: _assembled(_scene(45, 25)),
    "29.97 fps": lambda: _assembled(_scene(45, 29.97)),
    "one shot that fades in": lambda: _assembled(_scene(1, 24)),
    "no fades, a title to escape": lambda: _assembled(
        _scene(12, 24, title='Anna\'s "Letter" & <co> — été', fades=False), failed_every=5
    ),
    "an editor's cut": _edited,
    "a title clip beside dissolves": _title_beside_a_dissolve,
    "clips at two rates": _mixed_rates,
    "a picture and a sound track of one name": _one_name_two_kinds,
    **{f"export case {name}": build for name, build in export_cases.CASES.items()},
}


@pytest.mark.parametrize("cut", list(CUTS))
@pytest.mark.filterwarnings("ignore:The schema LinearTimeWarp")  # the adapter leaves speed out
def test_the_serialiser_writes_the_old_paths_document_byte_for_byte(
    cut: str, tmp_path: Path
) -> None:
    timeline = CUTS[cut]()
    ours, theirs = tmp_path / "ours.xges", tmp_path / "theirs.xges"
    xges.write(timeline, ours, width=320, height=180)
    write_reference(timeline, theirs, width=320, height=180)
    assert ours.read_text() == theirs.read_text()


def test_marker_colours_are_the_adapters() -> None:
    assert gst.MARKER_ARGB == adapter.GESMarker.OTIO_COLOR_TO_ARGB


def _one_clip() -> tuple[otio.schema.Timeline, otio.schema.Clip]:
    timeline = _title_beside_a_dissolve()
    return timeline, timeline.find_clips()[0]


def test_a_track_marker_is_kept_at_record_time(tmp_path: Path) -> None:
    """The old path lost it (its fade pass rebuilt each track without its markers)."""
    timeline, _ = _one_clip()
    marker = otio.schema.Marker(name="", marked_range=TR(RT(12, 25), RT(4, 25)))
    timeline.tracks[0].markers.append(marker)
    metadatas = xges.document(timeline, width=320, height=180).split("<timeline ")[1]
    assert "position=(guint64)480000000; metadatas, marker-color=(uint)4294901760; " in metadatas
    assert "position=(guint64)640000000; metadatas, marker-color" in metadatas


def test_an_effect_ges_would_play_differently_is_refused(tmp_path: Path) -> None:
    timeline, clip = _one_clip()
    clip.effects.append(otio.schema.Effect(name="blur", effect_name="blur"))
    with pytest.raises(TimelineError, match="effect") as raised:
        xges.write(timeline, tmp_path / "t.xges", width=320, height=180)
    assert raised.value.hint


def test_a_stack_inside_a_track_is_refused(tmp_path: Path) -> None:
    timeline, _ = _one_clip()
    timeline.tracks[0].append(otio.schema.Stack(name="nested"))
    with pytest.raises(TimelineError, match="Stack 'nested'"):
        xges.write(timeline, tmp_path / "t.xges", width=320, height=180)


def test_metadata_from_a_read_xges_is_refused(tmp_path: Path) -> None:
    timeline, clip = _one_clip()
    clip.metadata["XGES"] = {"clip": {}}
    with pytest.raises(TimelineError, match="GES metadata"):
        xges.write(timeline, tmp_path / "t.xges", width=320, height=180)


def test_a_marker_before_the_timeline_starts_is_refused_with_a_hint(tmp_path: Path) -> None:
    timeline, clip = _one_clip()
    clip.markers.append(otio.schema.Marker(name="early", marked_range=TR(RT(0, 25), RT(0, 25))))
    with pytest.raises(TimelineError, match=r"'early' lies 0\.400 s before") as raised:
        xges.write(timeline, tmp_path / "t.xges", width=320, height=180)
    assert raised.value.hint


def test_a_control_character_in_a_media_url_is_refused(tmp_path: Path) -> None:
    """The old path wrote it raw: a file no XML parser (nor GES) would read."""
    timeline, clip = _one_clip()
    clip.media_reference.target_url = "file:///media/a\tb.mp4"
    with pytest.raises(TimelineError, match="control character"):
        xges.write(timeline, tmp_path / "t.xges", width=320, height=180)


def test_a_picture_and_a_sound_track_the_adapter_merged_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TimelineError, match="both 'A/V'"):
        xges.write(_one_name_two_kinds(sound="a"), tmp_path / "t.xges", width=320, height=180)


@pytest.mark.parametrize("rate", [24.0, 24000 / 1001, 25.0, 30000 / 1001, 1.0, 48000.0, 0.5])
def test_a_stored_time_is_the_nanoseconds_otio_gives(rate: float) -> None:
    """Plain clips are timed from their stored JSON: the same truncated nanoseconds."""
    from previz.timeline import xges_stored

    for value in (0.0, 1.0, 17.0, 86400.0, 1001.0, 123456.0, 0.1, 2.5, 1e9 + 7):
        time = otio.opentime.RationalTime(value, rate)
        stored = {"value": value, "rate": rate}
        assert xges_stored.ns(stored) == xges_stored.time_ns(time), (value, rate)
