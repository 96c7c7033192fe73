"""The cut's sound, encoded in chunks, joins like one encode: exact length, no drift, no seams.

A 6 s cut of four parts (a tone with a click in each) is encoded with chunks of 24 AAC frames
(~0.5 s: eleven joins, the later ones with the whole 3.2 s pre-roll behind them), muxed by stream
copy, and decoded by ffmpeg; the reference is the same samples encoded in one go.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from previz.media import find_ffmpeg, soundtrack
from previz.media.encoding import AUDIO_CODEC_ARGS
from previz.media.ffmpeg import run_ffmpeg
from previz.media.parts import SoundPart, SoundSource, Source, sound_key
from previz.media.soundtrack import FRAME, Soundtrack, copy_args, encode_soundtrack
from tests.wav import stereo_wav

RATE = 48_000
CHUNK = 24  # frames: joins at every 24 * 1024 samples
PARTS = (60_000, 81_000, 75_777, 70_223)  # 287,000 samples: not a whole number of frames
CLICKS = (5_000, 100_000, 200_000, 270_000)  # one per part, at these samples of the cut


def tone_with_click(dest: Path, *, samples: int, click: int) -> Path:
    """A stereo WAV: a 330 Hz tone at 0.2 and a click (+0.7) on sample ``click``."""
    expr = f"0.2*sin(2*PI*330*t)+0.7*lt(abs(t*{RATE}-{click}),0.5)"
    return stereo_wav(dest, expr, samples=samples, rate=RATE, codec="pcm_f32le")


def cut(folder: Path, *, changed: int | None = None) -> list[SoundPart]:
    parts, start = [], 0
    for index, (samples, click) in enumerate(zip(PARTS, CLICKS, strict=True)):
        moved = 1_000 if index == changed else 0
        name = f"part{index}{'b' if moved else ''}.wav"
        wav = tone_with_click(folder / name, samples=samples, click=click - start + moved)
        parts.append(SoundPart(samples, (SoundSource(Source(wav, name), 0, samples),), str(index)))
        start += samples
    return parts


def encode(folder: Path, parts: list[SoundPart]) -> tuple[Soundtrack, Path]:
    """The chunked soundtrack and its stream copy into an .m4a."""
    work = folder / "work" / "sound"
    work.mkdir(parents=True, exist_ok=True)
    track = encode_soundtrack(
        parts, [sound_key(p) for p in parts], folder / "track.aac", work,
        ffmpeg=find_ffmpeg(), chunk_frames=CHUNK,
    )  # fmt: skip
    muxed = folder / "track.m4a"
    run_ffmpeg(["-y", "-f", "aac", "-i", str(track.path), *copy_args(track), str(muxed)],
               ffmpeg=find_ffmpeg())  # fmt: skip
    return track, muxed


def decoded(path: Path) -> np.ndarray:
    """The left channel as ffmpeg plays it (edit list applied)."""
    raw = subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype="<f4")[0::2]


def one_encode(folder: Path, parts: list[SoundPart]) -> np.ndarray:
    pcm = folder / "whole.f32"
    run_ffmpeg(["-y", *(a for p in parts for a in ("-i", str(p.sources[0].source.path))),
                "-filter_complex", f"concat=n={len(parts)}:v=0:a=1", "-f", "f32le", "-ac", "2",
                str(pcm)], ffmpeg=find_ffmpeg())  # fmt: skip
    whole = folder / "whole.m4a"
    run_ffmpeg(["-y", "-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", str(pcm),
                *AUDIO_CODEC_ARGS, str(whole)], ffmpeg=find_ffmpeg())  # fmt: skip
    return decoded(whole)


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    folder = tmp_path_factory.mktemp("soundtrack")
    parts = cut(folder)
    _track, muxed = encode(folder, parts)
    return decoded(muxed), one_encode(folder, parts)


def test_the_joined_chunks_play_exactly_the_cuts_samples(
    chunked: tuple[np.ndarray, np.ndarray],
) -> None:
    sound, _reference = chunked
    assert len(sound) == sum(PARTS)


def test_a_click_in_every_chunk_lands_on_its_sample(
    chunked: tuple[np.ndarray, np.ndarray],
) -> None:
    sound, _reference = chunked
    landed = [at - 300 + int(np.argmax(sound[at - 300 : at + 300])) for at in CLICKS]
    assert [abs(got - want) <= 2 for got, want in zip(landed, CLICKS, strict=True)] == [True] * 4


def test_the_joins_sound_like_one_encode(chunked: tuple[np.ndarray, np.ndarray]) -> None:
    sound, reference = chunked
    quiet = np.ones(len(sound), dtype=bool)
    for at in CLICKS:  # pre-echo around a click is the codec's, not a join's
        quiet[at - 3 * FRAME : at + 3 * FRAME] = False
    apart = np.abs(sound - reference)[quiet]  # at the joins and after them
    assert apart.max() < 0.01


def test_changing_one_part_encodes_only_the_chunks_its_sound_falls_in(tmp_path: Path) -> None:
    first, _ = encode(tmp_path, cut(tmp_path))
    chunks = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "work" / "soundtrack").iterdir()}
    again, _ = encode(tmp_path, cut(tmp_path, changed=3))  # samples 216,777 to the end
    assert len(first.encoded) == len(chunks) + 4 == 12 + 4  # four parts mixed, twelve chunks
    # its part mixed again; the four chunks from sample 196,608 (the first whose samples or
    # post-roll reach the part) encoded again
    assert len(again.encoded) == 1 + 4
    kept = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "work" / "soundtrack").iterdir()}
    assert {n: t for n, t in kept.items() if n in chunks} == chunks


def test_without_preroll_the_joins_would_click(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: with one frame of pre-roll the joins do not overlap-add."""
    monkeypatch.setattr(soundtrack, "PREROLL_FRAMES", 1)
    parts = cut(tmp_path)
    sound = decoded(encode(tmp_path, parts)[1])
    assert float(np.abs(sound - one_encode(tmp_path, parts)).max()) > 0.05
