"""FCP7 XML describes its media the way Premiere and Resolve read it."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
from lxml import etree

from previz.timeline import fcp7

RATE = 24.0


def _clip(name: str, url: str, facts: dict[str, object]) -> otio.schema.Clip:
    clip = otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(
            target_url=url,
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(48, RATE)
            ),
        ),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(24, RATE)
        ),
    )
    clip.metadata["previz"] = facts
    return clip


def _fade(before: int, after: int) -> otio.schema.Transition:
    return otio.schema.Transition(
        in_offset=otio.opentime.RationalTime(before, RATE),
        out_offset=otio.opentime.RationalTime(after, RATE),
    )


def _black() -> otio.schema.Gap:
    return otio.schema.Gap(duration=otio.opentime.RationalTime(0, RATE))


def _document(tmp_path: Path) -> etree._ElementTree:
    timeline = otio.schema.Timeline(
        name="t", global_start_time=otio.opentime.from_timecode("01:00:00:00", RATE)
    )
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    picture.extend([_black(), _fade(0, 6)])
    picture.append(_clip("s1", "file:///m/s1_t1.mp4", {"has_audio": True}))
    picture.append(_clip("s2", "file:///m/s2_t1.mp4", {"has_audio": False}))
    picture.extend([_fade(6, 0), _black()])
    timeline.tracks.append(picture)
    sound = otio.schema.Track(name="A1 dialogue", kind=otio.schema.TrackKind.Audio)
    sound.append(_clip("s1 dialogue", "file:///m/s1_t1_dialogue.wav", {"role": "dialogue"}))
    timeline.tracks.append(sound)
    path = tmp_path / "t.xml"
    fcp7.write(timeline, path, width=160, height=90)
    return etree.parse(str(path))


def _file(document: etree._ElementTree, name: str) -> etree._Element:
    return next(f for f in document.iter("file") if f.findtext("name") == name)


def test_a_wav_file_has_audio_with_its_channel_count_and_no_video(tmp_path: Path) -> None:
    wav = _file(_document(tmp_path), "s1_t1_dialogue.wav")
    assert wav.find("media/video") is None
    assert wav.findtext("media/audio/channelcount") == "2"
    assert wav.findtext("media/audio/samplecharacteristics/samplerate") == "48000"


def test_a_video_file_describes_its_picture_and_only_the_sound_it_has(tmp_path: Path) -> None:
    document = _document(tmp_path)
    with_sound, silent = _file(document, "s1_t1.mp4"), _file(document, "s2_t1.mp4")
    assert with_sound.findtext("media/video/samplecharacteristics/width") == "160"
    assert with_sound.findtext("media/audio/channelcount") == "2"
    assert silent.find("media/audio") is None


def test_every_audio_clipitem_names_the_source_channel_it_plays(tmp_path: Path) -> None:
    clipitems = list(_document(tmp_path).iterfind(".//sequence/media/audio/track/clipitem"))
    assert clipitems and all(
        (c.findtext("sourcetrack/mediatype"), c.findtext("sourcetrack/trackindex"))
        == ("audio", "1")
        for c in clipitems
    )


def test_the_sequence_declares_its_stereo_outputs(tmp_path: Path) -> None:
    group = _document(tmp_path).find(".//sequence/media/audio/outputs/group")
    assert group is not None and group.findtext("numchannels") == "2"


def test_a_clipitem_has_one_rate(tmp_path: Path) -> None:
    assert all(len(c.findall("rate")) == 1 for c in _document(tmp_path).iter("clipitem"))


def test_fades_are_written_from_and_to_black(tmp_path: Path) -> None:
    alignments = [t.findtext("alignment") for t in _document(tmp_path).iter("transitionitem")]
    assert alignments == ["start-black", "end-black"]
