"""FCPXML as Final Cut writes it: spine at tcStart, audio roles, assets that describe the file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

import opentimelineio as otio
import pytest
from lxml import etree

from previz.timebase import exact_rate
from previz.timeline import fcpxml, fcpxml_assets

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


@pytest.mark.parametrize("fps", [23.976, 24, 25, 29.97])
def test_a_cut_with_fades_and_a_dissolve_is_valid_against_the_dtd(
    fps: float, tmp_path: Path
) -> None:
    """Fades at the storyline's ends are transitions there, with no empty gap before them."""
    xmllint = shutil.which("xmllint")
    dtd = Path(__file__).resolve().parents[1] / "data" / "fcpxml-dtd" / "FCPXMLv1_8.dtd"
    if xmllint is None or not dtd.exists():
        pytest.skip("xmllint (apt: libxml2-utils) or the FCPXML DTD is missing")
    rate = float(exact_rate(fps))
    timeline = otio.schema.Timeline(
        name="t", global_start_time=otio.opentime.from_timecode("01:00:00:00", rate)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    step = otio.opentime.RationalTime

    def edge(before: int, after: int) -> otio.schema.Transition:
        return otio.schema.Transition(in_offset=step(before, rate), out_offset=step(after, rate))

    track.extend([otio.schema.Gap(duration=step(0, rate)), edge(0, 6)])
    for name in ("s1", "s2"):
        clip = _clip(name, f"file:///m/{name}_t1.mp4")
        clip.source_range = otio.opentime.TimeRange(step(0, rate), step(24, rate))
        track.append(clip)
        if name == "s1":
            track.append(edge(0, 8))
    track.extend([edge(6, 0), otio.schema.Gap(duration=step(0, rate))])
    timeline.tracks.append(track)
    path = tmp_path / "t.fcpxml"
    fcpxml.write(timeline, path, width=160, height=90)
    result = subprocess.run([xmllint, "--noout", "--dtdvalid", str(dtd), str(path)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    spine = etree.parse(str(path)).find(".//spine")
    assert spine is not None and [e.tag for e in spine] == [
        "transition",
        "asset-clip",
        "transition",
        "asset-clip",
        "transition",
    ]


@pytest.mark.parametrize("src", ["file:///m/sh001_t1.mp4", "file:///m/a.b/take.WAV", "take.mp4",
                                 "clips/x/", "clips/x/.", "file:///m/.hidden", "file:///m/x.",
                                 "../media/a b.tar.gz", "file:///", "a//b.mov"])  # fmt: skip
def test_an_assets_name_and_kind_are_what_a_path_of_its_src_says(src: str) -> None:
    path = PurePosixPath(src)
    assert fcpxml_assets.stem_and_suffix(src) == (path.stem, path.suffix)
