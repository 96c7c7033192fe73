"""A sound part mixes to the same samples whether its WAV stems are read by their header alone
or probed in full, and only plain PCM WAVs skip the probing."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.media import find_ffmpeg
from previz.media.parts import SoundPart, SoundSource, Source, mix_sound_parts, sound_key
from tests.wav import stereo_wav

SAMPLES = 30_000


def junk_first(wav: Path) -> Path:
    """The same WAV with a JUNK chunk before its ``fmt`` chunk: valid, but not plain."""
    data = wav.read_bytes()
    junk = b"JUNK" + (28).to_bytes(4, "little") + bytes(28)
    body = data[12:]
    out = wav.with_name(f"junk-{wav.name}")
    out.write_bytes(b"RIFF" + (4 + len(junk) + len(body)).to_bytes(4, "little") + b"WAVE"
                    + junk + body)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def stems(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("stems")
    return [
        stereo_wav(folder / "tone.wav", "0.3*sin(2*PI*440*t)", samples=SAMPLES, rate=48_000,
                   codec="pcm_f32le"),
        stereo_wav(folder / "low.wav", "0.2*sin(2*PI*97*t)", samples=SAMPLES, rate=44_100,
                   codec="pcm_s16le"),
        stereo_wav(folder / "deep.wav", "0.1*sin(2*PI*51*t)+0.05", samples=SAMPLES, rate=48_000,
                   codec="pcm_s24le"),
    ]  # fmt: skip


def logging_ffmpeg(folder: Path) -> tuple[Path, Path]:
    """The real ffmpeg behind a script that logs each run's arguments, one run a line."""
    log, script = folder / "runs.log", folder / "ffmpeg-logging"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{find_ffmpeg()}" "$@"\n', "utf-8")
    script.chmod(0o755)
    return script, log


def mixed(stems: list[Path], work: Path, ffmpeg: Path) -> bytes:
    sources = tuple(
        SoundSource(Source(path, path.name, start=500), at=700 * index, samples=20_000)
        for index, path in enumerate(stems)
    )
    part = SoundPart(24_000, sources, shot_id="s1")
    work.mkdir()
    (block,), _ = mix_sound_parts([part], [sound_key(part)], work, ffmpeg=ffmpeg)
    assert block is not None
    return block.read_bytes()


def test_plain_wavs_mix_to_the_same_samples_as_fully_probed_ones(
    tmp_path: Path, stems: list[Path]
) -> None:
    ffmpeg, log = logging_ffmpeg(tmp_path)
    quick = mixed(stems, tmp_path / "plain", ffmpeg)
    probed = mixed([junk_first(path) for path in stems], tmp_path / "junk", ffmpeg)
    plain_run, junk_run = log.read_text("utf-8").splitlines()
    assert (plain_run.count("-probesize 32"), junk_run.count("-probesize")) == (3, 0)
    assert len(quick) == 24_000 * 8 and any(quick) and quick == probed
