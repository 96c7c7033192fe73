"""Assembly: a resolved shot list and generated clips (real files) become the editor's cut."""

from __future__ import annotations

import dataclasses
import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image

from previz.backends.base import Clip
from previz.errors import TimelineError
from previz.shotlist.loader import load
from previz.shotlist.resolve import ResolvedShotList
from previz.timeline import assemble
from tests.timeline_fixtures import HANDLE_FRAMES, ShotMedia, make_shot_media

SCENE = """
schema_version: 1
project:
  title: The Letter
  fps: {fps}
  resolution: 320x180
  style:
    look: tungsten noir
characters:
  - id: anna
    name: Anna
    description: a tall woman in her forties, silver bob
    wardrobe: a long camel coat
    voice: low and calm
    references: [anna.png]
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - id: sh010
        action: Anna opens the door.
        cast: [anna]
        duration: 1s
        notes: hold on the handle
        transition_out: dissolve 8f
        sound:
          - kind: dialogue
            speaker: anna
            line: Who's there?
            start: 0.5
            end: 0.9
      - id: sh020
        action: The hallway, empty.
        duration: 30f
        takes: 2
        selected_take: 2
        sound:
          - kind: sfx
            description: a door slams upstairs
            start: 0.25
      - id: sh030
        action: Anna reads the letter.
        cast: [anna]
        duration: 1s
"""


def _png(path: Path) -> Path:
    Image.new("RGB", (8, 8), (200, 180, 160)).save(path)
    return path


def _wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(b"\0\0" * int(48_000 * seconds))
    return path


@pytest.fixture
def shotlist(write_scene: Callable[[str, str], Path], tmp_path: Path) -> ResolvedShotList:
    _png(tmp_path / "anna.png")
    return load(write_scene(SCENE.format(fps=24), "scene.yaml"))


def _clip(shot_id: str, take: int, frames: int, tmp_path: Path, stems: bool = True) -> Clip:
    media = ShotMedia(shot_id, take, (200, 40, 40), 440, frames, "")
    path = make_shot_media(media, Fraction(24), tmp_path / "media")
    seconds = (frames + 2 * HANDLE_FRAMES) / 24
    roles = ("dialogue", "sfx", "ambience", "music") if stems else ()
    return Clip(
        shot_id=shot_id, take=take, path=path, duration=seconds, fps=24, width=320, height=180,
        has_audio=True, backend="animatic", model="card", prompt=f"{shot_id} prompt",
        template_hash="t" * 8, cache_key=f"v1-{shot_id}-{take}", cost=0.25,
        stems={role: _wav(tmp_path / f"{shot_id}_{take}_{role}.wav", seconds) for role in roles},
    )  # fmt: skip


@pytest.fixture
def clips(tmp_path: Path) -> dict[tuple[str, int], Clip]:
    return {
        ("sh010", 1): _clip("sh010", 1, 24, tmp_path),
        ("sh020", 1): _clip("sh020", 1, 30, tmp_path),
        ("sh020", 2): _clip("sh020", 2, 30, tmp_path),
    }


def _track(timeline: otio.schema.Timeline, name: str) -> otio.schema.Track:
    return next(t for t in timeline.tracks if t.name == name)


def test_the_cut_runs_at_the_project_rate_from_one_hour(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    timeline = assemble(shotlist, clips)
    assert timeline.global_start_time == otio.opentime.RationalTime(86400, 24)
    assert timeline.duration().value == 24 + 30 + 24


def test_selected_takes_sit_on_v1_trimmed_from_frame_zero_named_by_shot(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    v1 = _track(assemble(shotlist, clips), "V1")
    placed = [(c.name, c.source_range.start_time.value, c.source_range.duration.value)
              for c in v1.find_clips()]  # fmt: skip
    assert placed == [("sh010", 0, 24), ("sh020", 0, 30), ("sh030", 0, 24)]
    assert v1.find_clips()[1].media_reference.target_url == clips[("sh020", 2)].path.as_uri()
    assert v1.find_clips()[0].available_range().duration.value == 24 + 2 * HANDLE_FRAMES


def test_a_failed_shot_is_a_placeholder_of_its_length_with_the_reason(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    v1 = _track(assemble(shotlist, clips, failures={"sh030": "content policy"}), "V1")
    placeholder = v1.find_clips()[2]
    assert isinstance(placeholder.media_reference, otio.schema.MissingReference)
    assert placeholder.duration().value == 24
    assert placeholder.metadata["previz"]["missing"] == "content policy"


def test_alternate_takes_sit_below_v1_under_their_shot(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    timeline = assemble(shotlist, clips)
    names = [t.name for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    assert names == ["ALT1", "V1"]
    alternate = _track(timeline, "ALT1").find_clips()[0]
    assert alternate.name == "sh020 take 1"
    assert alternate.trimmed_range_in_parent().start_time.value == 24


def test_sound_stems_fill_a1_to_a4_by_role(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    timeline = assemble(shotlist, clips)
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert [t.name for t in audio] == ["A1 dialogue", "A2 sfx", "A3 ambience", "A4 music"]
    first = audio[1].find_clips()[0]
    assert first.media_reference.target_url == clips[("sh010", 1)].stems["sfx"].as_uri()
    assert [round(c.duration().value) for c in audio[0]] == [24, 30, 24]


def test_mixed_sound_without_stems_goes_to_a1_as_the_clips_own_audio(
    shotlist: ResolvedShotList, tmp_path: Path
) -> None:
    clips = {("sh010", 1): _clip("sh010", 1, 24, tmp_path, stems=False)}
    timeline = assemble(shotlist, clips)
    dialogue = _track(timeline, "A1 dialogue").find_clips()
    assert [c.media_reference.target_url for c in dialogue] == [clips[("sh010", 1)].path.as_uri()]
    assert _track(timeline, "A2 sfx").find_clips() == []


def test_a_dissolve_starts_at_the_cut_and_uses_the_outgoing_tail_handle(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    timeline = assemble(shotlist, clips)
    transition = _track(timeline, "V1")[1]
    assert isinstance(transition, otio.schema.Transition)
    assert (transition.in_offset.value, transition.out_offset.value) == (0, 8)
    assert transition.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve


def test_a_dissolve_longer_than_the_tail_handle_is_shortened_to_it(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    short = dataclasses.replace(clips[("sh010", 1)], duration=27 / 24)  # 3 frames of tail
    timeline = assemble(shotlist, {**clips, ("sh010", 1): short})
    transition = _track(timeline, "V1")[1]
    assert transition.out_offset.value == 3
    assert transition.metadata["previz"]["requested_frames"] == 8


def test_markers_at_each_shot_head_and_each_sound_cue(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    timeline = assemble(shotlist, clips)
    head = _track(timeline, "V1").find_clips()[0].markers[0]
    assert head.name == "sh010"
    assert head.comment == "Anna opens the door. — cast: Anna\nNote: hold on the handle"
    cues = [(m.name.split(":")[0], m.marked_range.start_time.value, m.comment)
            for m in timeline.tracks.markers]  # fmt: skip
    assert cues == [("dialogue", 12, "ANNA: Who's there?"), ("sfx", 30, "a door slams upstairs")]


def test_clip_metadata_carries_what_conform_needs(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    timeline = assemble(shotlist, clips)
    facts = _track(timeline, "V1").find_clips()[1].metadata["previz"]
    assert (facts["shot"], facts["scene"], facts["take"], facts["selected"]) == (
        "sh020", "sc1", 2, True,
    )  # fmt: skip
    assert facts["cache_key"] == "v1-sh020-2" and facts["template_hash"] == "t" * 8
    assert facts["prompt"] == "sh020 prompt" and facts["cost"] == 0.25
    assert facts["camera"]["size"] and "lighting" in facts
    assert "v1-sh020-2" in otio.adapters.write_to_string(timeline, "otio_json")


def test_timeline_metadata_holds_the_character_bible_with_reference_hashes(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip], tmp_path: Path
) -> None:
    timeline = assemble(shotlist, clips)
    previz = timeline.metadata["previz"]
    anna = previz["characters"]["anna"]
    assert anna["description"] == "a tall woman in her forties, silver bob"
    assert anna["voice"] == "low and calm"
    reference = anna["references"][0]
    assert reference["path"] == str((tmp_path / "anna.png").resolve())
    assert len(reference["sha256"]) == 64
    assert dict(previz["style"]) == {"look": "tungsten noir"}
    assert list(previz["resolution"]) == [320, 180]


def test_nothing_secret_reaches_the_timeline(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")
    text = otio.adapters.write_to_string(assemble(shotlist, clips), "otio_json")
    assert "sk-test-secret-value" not in text and "api_key" not in text.lower()


def test_a_start_timecode_that_is_not_one_is_a_timeline_error(
    shotlist: ResolvedShotList, clips: dict[tuple[str, int], Clip]
) -> None:
    with pytest.raises(TimelineError):
        assemble(shotlist, clips, start_timecode="one hour")


def test_at_23976_the_cut_uses_the_exact_ntsc_rate(
    write_scene: Callable[[str, str], Path], tmp_path: Path
) -> None:
    _png(tmp_path / "anna.png")
    shotlist = load(write_scene(SCENE.format(fps=23.976), "ntsc.yaml"))
    timeline = assemble(shotlist, {})
    assert timeline.global_start_time.rate == pytest.approx(24000 / 1001)
    assert list(timeline.metadata["previz"]["rate"]) == [24000, 1001]
