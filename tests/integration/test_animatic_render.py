"""The animatic backend, judged by decoding what it renders."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from previz.backends.animatic import AnimaticBackend
from previz.backends.base import RenderedMedia
from previz.errors import MediaError, OutputError
from previz.media import extract_frame, probe
from tests.unit.media_fixtures import (
    JO,
    MARA,
    cue,
    make_job,
    make_payload,
    read_wav,
    render,
    rms,
    tiny_disk,
    unwritable_dir,
)

SPEECH = cue("dialogue", "d1", 0.4, 0.9, "You're late.", speaker="Mara")
SLAM = cue("sfx", "s1", 0.6, 0.8, "door slam")


@pytest.fixture(scope="module")
def talking_shot(tmp_path_factory: pytest.TempPathFactory) -> RenderedMedia:
    """One 1.5 s shot with a line, a door slam, a bed and a pad, rendered once for many checks."""
    sound = [SPEECH, SLAM, cue("ambience", "a1", 0.0, 1.5), cue("music", "m1", 0.0, 1.5)]
    job = make_job(make_payload(sound=sound), seconds=1.5)
    return render(job, tmp_path_factory.mktemp("talking"))


def _share_near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 40) -> float:
    """The fraction of pixels within ``tolerance`` of ``colour`` on every channel."""
    pixels = image.convert("RGB").getdata()
    near = sum(
        1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True))
    )
    return near / len(pixels)


def _hex(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def test_clip_lasts_exactly_its_frames_at_24(talking_shot: RenderedMedia) -> None:
    info = probe(talking_shot.video)
    assert (info.frames, info.fps, info.width, info.height) == (36, Fraction(24), 320, 180)


@pytest.mark.parametrize(
    ("fps", "seconds", "rate", "frames"),
    [(23.976, 1.25, Fraction(24000, 1001), 30), (29.97, 1.0, Fraction(30000, 1001), 30)],
)
def test_ntsc_clip_has_the_exact_rational_rate_and_count(
    tmp_path: Path, fps: float, seconds: float, rate: Fraction, frames: int
) -> None:
    clip = render(make_job(seconds=seconds, fps=fps), tmp_path)
    info = probe(clip.video)
    assert (info.fps, info.frames) == (rate, frames)
    _, samples = read_wav(clip.stems["music"])
    assert len(samples) == 2 * round(frames / rate * 48000)


def test_clip_carries_aac_stereo_of_the_clip_length(talking_shot: RenderedMedia) -> None:
    info = probe(talking_shot.video)
    assert (info.audio_codec, info.audio_sample_rate, info.audio_channels) == ("aac", 48000, 2)
    assert info.audio_duration == pytest.approx(1.5, abs=0.001)


def test_every_stem_is_exactly_as_long_as_the_clip(talking_shot: RenderedMedia) -> None:
    assert sorted(talking_shot.stems) == ["ambience", "dialogue", "music", "sfx"]
    for stem in talking_shot.stems.values():
        rate, samples = read_wav(stem)
        assert (rate, len(samples)) == (48000, 2 * 72000)


def test_sfx_energy_sits_at_the_cue_time(talking_shot: RenderedMedia) -> None:
    rate, samples = read_wav(talking_shot.stems["sfx"])
    assert rms(samples, rate, 0.6, 0.7) > 0.05
    assert rms(samples, rate, 0.0, 0.55) == 0.0


def test_placeholder_voice_speaks_only_during_the_line(talking_shot: RenderedMedia) -> None:
    rate, samples = read_wav(talking_shot.stems["dialogue"])
    assert rms(samples, rate, 0.45, 0.85) > 0.02
    assert rms(samples, rate, 1.0, 1.5) == 0.0


def _changed_box(before: Image.Image, after: Image.Image) -> tuple[int, int, int, int] | None:
    """Where two frames of a static shot differ, above the burn-in strip (None: nowhere)."""
    upper = (0, 0, before.width, before.height * 3 // 4)
    difference = ImageChops.difference(before.crop(upper), after.crop(upper)).convert("L")
    return difference.point(lambda level: 255 if level > 40 else 0).getbbox()


def test_subtitle_is_on_screen_during_the_line(talking_shot: RenderedMedia) -> None:
    before = extract_frame(talking_shot.video, 0.2)
    changed = _changed_box(before, extract_frame(talking_shot.video, 0.6))
    assert changed is not None
    left, _, right, _ = changed
    assert abs((left + right) / 2 - before.width / 2) < 8  # a centred line of text


def test_subtitle_is_gone_after_the_line(talking_shot: RenderedMedia) -> None:
    before = extract_frame(talking_shot.video, 0.2)
    assert _changed_box(before, extract_frame(talking_shot.video, 1.2)) is None


def test_card_of_each_shot_shows_its_cast_colour(tmp_path: Path) -> None:
    mara = render(make_job(make_payload("sc1-010", cast=[MARA])), tmp_path)
    jo = render(make_job(make_payload("sc1-020", number=2, cast=[JO])), tmp_path)
    frame_mara, frame_jo = extract_frame(mara.video, 0.5), extract_frame(jo.video, 0.5)
    assert _share_near(frame_mara, _hex(MARA["color"])) > 0.05
    assert _share_near(frame_mara, _hex(JO["color"])) < 0.005
    assert _share_near(frame_jo, _hex(JO["color"])) > 0.05


def test_static_shot_shows_its_card_throughout(tmp_path: Path) -> None:
    clip = render(make_job(), tmp_path)
    with Image.open(tmp_path / "sc1-010_t1_card.png") as card:
        for moment in (0.0, 0.9):
            frame = extract_frame(clip.video, moment)
            difference = ImageStat.Stat(ImageChops.difference(frame, card.convert("RGB"))).mean
            assert max(difference) < 6  # encoding noise and the ticking burn-ins only


def test_timecode_and_frame_counter_tick_in_the_bottom_right(tmp_path: Path) -> None:
    clip = render(make_job(), tmp_path)
    first, later = extract_frame(clip.video, 0.0), extract_frame(clip.video, 0.5)
    mask = ImageChops.difference(first, later).convert("L").point(lambda v: 255 if v > 40 else 0)
    changed = mask.getbbox()
    assert changed is not None
    left, top, _, _ = changed
    assert left > first.width // 2 and top > first.height * 0.9


def test_push_in_enlarges_the_figure(tmp_path: Path) -> None:
    payload = make_payload(movement="dolly_in", speed="fast", size="FS")
    clip = render(make_job(payload, seconds=2.0), tmp_path)
    colour = _hex(MARA["color"])
    first = _share_near(extract_frame(clip.video, 0.0), colour)
    last = _share_near(extract_frame(clip.video, 1.95), colour)
    assert last > first * 1.15


def test_dolly_zoom_moves_the_set_and_keeps_the_figure_size(tmp_path: Path) -> None:
    payload = make_payload(movement="dolly_zoom", speed="fast", size="MS")
    clip = render(make_job(payload, seconds=2.0), tmp_path)
    first, last = extract_frame(clip.video, 0.0), extract_frame(clip.video, 1.95)
    colour = _hex(MARA["color"])
    assert _share_near(last, colour) == pytest.approx(_share_near(first, colour), rel=0.03)
    assert _changed_box(first, last) is not None


def _offset_of(earlier: Image.Image, later: Image.Image, *, vertical: bool = False) -> int:
    """How many pixels the picture moved (sideways, or up/down) between two frames."""
    band = (60, 70, 260, 110) if not vertical else (100, 60, 220, 100)
    reference = earlier.convert("L").crop(band)

    def mismatch(shift: int) -> float:
        dx, dy = (0, shift) if vertical else (shift, 0)
        moved = later.convert("L").crop((band[0] + dx, band[1] + dy, band[2] + dx, band[3] + dy))
        return float(ImageStat.Stat(ImageChops.difference(reference, moved)).mean[0])

    return min(range(-50, 51), key=mismatch)


@pytest.mark.parametrize(("direction", "sign"), [("right", -1), ("left", 1)])
def test_pan_drifts_the_picture_against_the_camera_turn(
    tmp_path: Path, direction: str, sign: int
) -> None:
    """Panning right, what was on screen slides left (and the other way round)."""
    payload = make_payload(movement="pan", direction=direction, speed="fast", size="WS")
    clip = render(make_job(payload, seconds=1.0), tmp_path)
    shift = _offset_of(extract_frame(clip.video, 0.0), extract_frame(clip.video, 0.95))
    assert shift * sign > 10


@pytest.mark.parametrize(("direction", "sign"), [("up", 1), ("down", -1)])
def test_tilt_drifts_the_picture_against_the_camera_tilt(
    tmp_path: Path, direction: str, sign: int
) -> None:
    """Tilting up, what was on screen slides down (and the other way round)."""
    payload = make_payload(movement="tilt", direction=direction, speed="fast", size="FS")
    clip = render(make_job(payload, seconds=1.0), tmp_path)
    first, last = extract_frame(clip.video, 0.0), extract_frame(clip.video, 0.95)
    assert _offset_of(first, last, vertical=True) * sign > 5


def test_fast_pan_travels_further_than_slow_pan(tmp_path: Path) -> None:
    travel = {}
    for speed in ("slow", "fast"):
        payload = make_payload(f"sc1-{speed}", movement="pan", direction="left", speed=speed)
        clip = render(make_job(payload, seconds=1.0), tmp_path)
        travel[speed] = _offset_of(extract_frame(clip.video, 0.0), extract_frame(clip.video, 0.95))
    assert travel["fast"] > 2 * travel["slow"] > 0


def test_same_job_renders_the_same_bytes(tmp_path: Path) -> None:
    payload = make_payload(movement="handheld", sound=[SPEECH, SLAM])
    first = render(make_job(payload), tmp_path / "a")
    second = render(make_job(payload), tmp_path / "b")
    assert first.video.read_bytes() == second.video.read_bytes()
    for kind, stem in first.stems.items():
        assert stem.read_bytes() == second.stems[kind].read_bytes()


def test_music_cue_continues_across_the_cut(tmp_path: Path) -> None:
    head = cue("music", "theme", 0.0, 1.0, cue_offset=0.0, cue_length=2.0)
    tail = cue("music", "theme", 0.0, 1.0, cue_offset=1.0, cue_length=2.0)
    one = render(make_job(make_payload("sc1-010", sound=[head])), tmp_path)
    two = render(make_job(make_payload("sc1-020", number=2, sound=[tail])), tmp_path)
    _, end_of_one = read_wav(one.stems["music"])
    _, start_of_two = read_wav(two.stems["music"])
    step = abs(end_of_one[-2] - start_of_two[0])
    assert max(abs(s) for s in start_of_two[:200]) > 1000  # mid-cue: no fade-in after the cut
    assert step < 800  # the waveform carries on where it left off


def test_zero_length_sfx_cue_is_a_hit_at_that_instant(tmp_path: Path) -> None:
    payload = make_payload(sound=[cue("sfx", "thud", 0.5, 0.5, "thud")])
    rate, samples = read_wav(render(make_job(payload), tmp_path).stems["sfx"])
    assert rms(samples, rate, 0.5, 0.6) > 0.05


def test_zero_length_line_renders_silence_and_no_subtitle(tmp_path: Path) -> None:
    payload = make_payload(sound=[cue("dialogue", "d0", 0.5, 0.5, "Hm.", speaker="Jo")])
    clip = render(make_job(payload), tmp_path)
    rate, samples = read_wav(clip.stems["dialogue"])
    assert (len(samples), rms(samples, rate, 0.0, 1.0)) == (96000, 0.0)
    assert _share_near(extract_frame(clip.video, 0.5), (255, 255, 120)) == 0.0


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_speaks_the_line_inside_its_cue(tmp_path: Path) -> None:
    payload = make_payload(sound=[cue("dialogue", "d1", 0.2, 0.9, "You're late.", speaker="Mara")])
    clip = render(make_job(payload), tmp_path, AnimaticBackend(espeak=None))
    rate, samples = read_wav(clip.stems["dialogue"])
    assert rms(samples, rate, 0.2, 0.9) > 0.02
    assert rms(samples, rate, 0.0, 0.19) == 0.0


def test_unwritable_output_folder_is_an_output_error(tmp_path: Path) -> None:
    with unwritable_dir(tmp_path / "locked") as folder, pytest.raises(OutputError) as caught:
        render(make_job(), folder)
    assert caught.value.shot_id == "sc1-010"


def test_full_disk_is_an_output_error_and_earlier_clips_stay(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", size="640k") as disk:
        earlier = render(make_job(make_payload("sc1-010"), seconds=0.25), disk)
        kept = earlier.video.read_bytes()
        with pytest.raises(OutputError, match="disk is full") as caught:
            render(make_job(make_payload("sc1-020", number=2), seconds=3.0), disk)
        assert caught.value.shot_id == "sc1-020"
        assert earlier.video.read_bytes() == kept
        assert (
            sorted(p.name for p in disk.iterdir() if p.name.startswith(("sc1-020", ".sc1"))) == []
        )


def test_broken_ffmpeg_names_the_shot_and_spares_earlier_clips(tmp_path: Path) -> None:
    earlier = render(make_job(make_payload("sc1-010")), tmp_path)
    kept = earlier.video.read_bytes()
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'codec exploded' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    backend = AnimaticBackend(ffmpeg=broken, espeak=False)
    with pytest.raises(MediaError, match="codec exploded") as caught:
        render(make_job(make_payload("sc1-020", number=2)), tmp_path, backend)
    assert caught.value.shot_id == "sc1-020"
    assert earlier.video.read_bytes() == kept
    assert not (tmp_path / "sc1-020_t1.mp4").exists()
