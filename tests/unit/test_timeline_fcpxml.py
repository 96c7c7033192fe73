"""FCPXML as Final Cut writes it: spine at tcStart, audio roles, assets that describe the file."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
from lxml import etree

from previz.timeline import fcpxml

RATE = 24.0


def _clip(name: str, url: str, facts: dict[str, object] | None = None) -> otio.schema.Clip:
    whole = otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(48, RATE)
    )
    clip = otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(target_url=url, available_range=whole),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(24, RATE)
        ),
    )
    if facts:
        clip.metadata["previz"] = facts
    return clip


def _document(tmp_path: Path) -> etree._ElementTree:
    timeline = otio.schema.Timeline(
        name="t", global_start_time=otio.opentime.from_timecode("01:00:00:00", RATE)
    )
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    picture.append(_clip("s1", "file:///m/s1_t1.mp4", {"has_audio": True}))
    picture.append(_clip("s2", "file:///m/s2_t1.mp4", {"has_audio": False}))
    timeline.tracks.append(picture)
    for name, stem in (("A1 dialogue", "dialogue"), ("A2 sfx", "sfx"), ("A4 music", "music")):
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        track.append(_clip(f"s1 {stem}", f"file:///m/s1_t1_{stem}.wav"))
        timeline.tracks.append(track)
    path = tmp_path / "t.fcpxml"
    fcpxml.write(timeline, path, width=160, height=90)
    return etree.parse(str(path))


def _asset(document: etree._ElementTree, suffix: str) -> etree._Element:
    return next(a for a in document.iter("asset") if a.get("src", "").endswith(suffix))


def test_the_first_spine_item_sits_at_the_sequences_tc_start(tmp_path: Path) -> None:
    document = _document(tmp_path)
    sequence = document.find(".//sequence")
    spine = document.find(".//spine")
    assert sequence is not None and spine is not None
    assert (sequence.get("tcStart"), spine[0].get("offset")) == ("3600s", "3600s")


def test_sound_clips_carry_their_audio_role(tmp_path: Path) -> None:
    roles = {c.get("name"): c.get("audioRole") for c in _document(tmp_path).iter("asset-clip")}
    assert (roles["s1 dialogue"], roles["s1 sfx"], roles["s1 music"]) == (
        "dialogue.dialogue-1",
        "effects.effects-1",
        "music.music-1",
    )


def test_a_wav_asset_has_no_video_format(tmp_path: Path) -> None:
    wav = _asset(_document(tmp_path), "_dialogue.wav")
    assert (wav.get("hasVideo"), wav.get("format"), wav.get("hasAudio")) == ("0", None, "1")


def test_a_video_asset_says_it_has_sound_when_the_file_has_sound(tmp_path: Path) -> None:
    document = _document(tmp_path)
    assert _asset(document, "s1_t1.mp4").get("hasAudio") == "1"
    assert _asset(document, "s2_t1.mp4").get("hasAudio") is None
