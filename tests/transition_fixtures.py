"""An assembled cut with every kind of edge a shot list asks for, and what it must sound like.

Four shots as ``assemble`` cuts them: ``sh010`` fades in and dissolves into ``sh020``; a gap an
editor left follows; ``sh030`` failed (black, silent); ``sh040`` fades out. Every take has two
stems: a tone whose pitch names the shot (dialogue) and a quiet brown-noise bed (ambience), so
the sound of a render can be compared with the *sum of the stems* sample for sample: the
residual, not a per-track correlation, so a quiet bed that went missing still shows.
"""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio

from previz.backends.base import Clip
from previz.shotlist.loader import load
from previz.timebase import samples_at
from previz.timeline import assemble
from tests.timeline_fixtures import SHOTS, ShotMedia, ffmpeg_exe, make_shot_media

SAMPLE_RATE = 48_000
TAIL = 12
GAP = 12
FADE = 6
DISSOLVE = 8
SCENE = """
schema_version: 1
project: {{title: Edges, fps: {fps}, resolution: 320x180}}
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - {{id: sh010, action: door, duration: 24f, transition_in: fade in {fade}f,
          transition_out: dissolve {dissolve}f}}
      - {{id: sh020, action: hall, duration: 30f}}
      - {{id: sh030, action: letter, duration: 24f}}
      - {{id: sh040, action: window, duration: 24f, transition_out: fade out {fade}f}}
"""


@dataclass(frozen=True)
class EdgeLayout:
    """Where everything lands, in record frames from the first frame."""

    rate: Fraction
    shots: dict[str, tuple[int, int]]  # frames that show only that shot at full brightness
    black: tuple[int, int]  # the gap and the failed shot
    fade_in: tuple[int, int]
    dissolve: tuple[int, int]
    fade_out: tuple[int, int]
    total: int


def _stem(dest: Path, source: str, seconds: float) -> Path:
    if not dest.exists():
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", f"{seconds}",
             "-ac", "2", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(dest)],
            check=True,
        )  # fmt: skip
    return dest


def _take(shot: ShotMedia, frames: int, rate: Fraction, media: Path, index: int) -> Clip:
    generated = ShotMedia(shot.shot_id, 1, shot.rgb, shot.tone_hz, frames, "", head=0, tail=0)
    path = make_shot_media(generated, rate, media)
    seconds = float(frames / rate)
    tone = f"sine=f={shot.tone_hz}:r={SAMPLE_RATE},volume=0.3"
    bed = f"anoisesrc=color=brown:seed={index + 7}:r={SAMPLE_RATE}:a=0.03"
    stems = {
        "dialogue": _stem(media / f"{generated.name}_dialogue.wav", tone, seconds),
        "ambience": _stem(media / f"{generated.name}_ambience.wav", bed, seconds),
    }
    return Clip(
        shot_id=shot.shot_id, take=1, path=path, duration=seconds, fps=float(rate), width=320,
        height=180, has_audio=True, backend="animatic", model="card", prompt="",
        template_hash="", cache_key=f"edges-{shot.shot_id}-{rate}", stems=stems,
    )  # fmt: skip


def _with_gap(timeline: otio.schema.Timeline, rate: float) -> None:
    """The gap an editor opened after sh020, on every track."""
    for track in timeline.tracks:
        names = [item.name for item in track]
        at = next((i for i, name in enumerate(names) if name.split(" ")[0] == "sh020"), None)
        if at is not None:
            track.insert(at + 1, otio.schema.Gap(duration=otio.opentime.RationalTime(GAP, rate)))


def edges_cut(
    write_scene: Callable[[str, str], Path], media: Path, label: str, rate: Fraction
) -> tuple[otio.schema.Timeline, EdgeLayout, np.ndarray]:
    """The cut, where it lands, and its expected sound (mono, the stems summed)."""
    shotlist = load(write_scene(SCENE.format(fps=label, fade=FADE, dissolve=DISSOLVE), "s.yaml"))
    media.mkdir(parents=True, exist_ok=True)
    lengths = {shot.id: shot.frames for shot in shotlist.shots}
    clips = {
        (shot.shot_id, 1): _take(shot, lengths[shot.shot_id] + TAIL, rate, media, index)
        for index, shot in enumerate(SHOTS)
        if shot.shot_id != "sh030"
    }
    timeline = assemble(shotlist, clips, failures={"sh030": "content policy"})
    _with_gap(timeline, float(rate))
    heads = {"sh010": 0, "sh020": 24, "sh040": 24 + 30 + GAP + 24}
    total = heads["sh040"] + 24
    layout = EdgeLayout(
        rate=rate,
        shots={"sh010": (FADE, 24), "sh020": (24 + DISSOLVE, 54), "sh040": (90, 114 - FADE)},
        black=(54, 90), fade_in=(0, FADE), dissolve=(24, 24 + DISSOLVE),
        fade_out=(total - FADE, total), total=total,
    )  # fmt: skip
    expected = np.zeros(samples_at(total, rate, SAMPLE_RATE))
    for (shot_id, _), clip in clips.items():
        first = samples_at(heads[shot_id], rate, SAMPLE_RATE)
        end = samples_at(heads[shot_id] + lengths[shot_id], rate, SAMPLE_RATE)
        for stem in clip.stems.values():
            expected[first:end] += _mono(stem)[: end - first]
    return timeline, layout, expected


def _mono(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as source:
        data = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    return data.reshape(-1, 2).astype(np.float64).mean(axis=1) / 32768.0


def rendered_sound(path: Path) -> np.ndarray:
    """A render's sound as the mean of its two channels, sample for sample from its start.

    (A mono downmix by the resampler would scale a centred sound by √2.)
    """
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SAMPLE_RATE)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().astype(np.float64).mean(axis=0))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().astype(np.float64).mean(axis=0))
    return np.concatenate(chunks) if chunks else np.zeros(0)
