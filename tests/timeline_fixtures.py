"""Small real media and a representative cut, for proving exports in real editing engines.

Every shot is a solid-colour clip whose colour says which shot it is, with a sine tone whose
pitch says the same thing for the ear. Each generated clip is longer than its shot: a grey,
silent head and tail handle surround the coloured, toned body, exactly as a backend's extra
generated length would. So a rendered frame that shows grey means an engine took the wrong
source in-point, a frame of the neighbouring colour means a cut landed on the wrong frame, and
a tone in the wrong window means the sound slipped.

The cut (:func:`representative_timeline`) has what every export must survive: a global start
timecode, four shots with handles trimmed by ``source_range``, a gap, a dissolve, an alternate
take on a track *below* the selected takes, a dialogue track cut with the picture, clip markers
at each shot's head, a timeline marker, and ``metadata["previz"]`` on every clip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import opentimelineio as otio

from previz.backends.base import Clip
from previz.shotlist.loader import load
from previz.timeline import assemble

WIDTH, HEIGHT = 320, 180
SAMPLE_RATE = 48_000
HANDLE_FRAMES = 6
DISSOLVE_IN, DISSOLVE_OUT = 4, 4
GAP_FRAMES = 12
HANDLE_RGB = (128, 128, 128)
RATES = {"24": Fraction(24), "23.976": Fraction(24000, 1001)}


@dataclass(frozen=True)
class ShotMedia:
    """One generated take: which shot, its colour and tone, and how many body frames."""

    shot_id: str
    take: int
    rgb: tuple[int, int, int]
    tone_hz: int
    frames: int
    action: str
    head: int = HANDLE_FRAMES
    tail: int = HANDLE_FRAMES

    @property
    def name(self) -> str:
        return f"{self.shot_id}_t{self.take}"

    @property
    def hex(self) -> str:
        return "0x{:02X}{:02X}{:02X}".format(*self.rgb)


SHOTS = (
    ShotMedia("sh010", 1, (230, 30, 30), 440, 24, "ANNA opens the door"),
    ShotMedia("sh020", 1, (30, 200, 30), 660, 30, "BEN looks up from the desk"),
    ShotMedia("sh030", 1, (30, 30, 230), 880, 24, "ANNA crosses to the window"),
    ShotMedia("sh040", 1, (230, 220, 30), 1100, 36, "close on the letter"),
)
ALTERNATE = ShotMedia("sh010", 2, (220, 40, 220), 550, 24, "ANNA opens the door (take 2)")


def ffmpeg_exe() -> str:
    """The ffmpeg the tests render fixtures with (the one imageio-ffmpeg ships)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def make_shot_media(shot: ShotMedia, rate: Fraction, folder: Path) -> Path:
    """Render ``shot`` as a 320x180 H.264/AAC clip with grey, silent handles at both ends."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{shot.name}.mp4"
    if path.exists():
        return path
    head, body = shot.head, shot.frames
    total = head + body + shot.tail
    seconds = float(total / rate)
    body_start, body_end = float(head / rate), float((head + body) / rate)
    video = (
        f"color=c={shot.hex}:s={WIDTH}x{HEIGHT}:r={rate.numerator}/{rate.denominator}"
        f":d={seconds},drawbox=x=0:y=0:w=iw:h=ih:color=0x808080:t=fill"
        f":enable='lt(n\\,{head})+gte(n\\,{head + body})',format=yuv420p[v]"
    )
    audio = (
        f"sine=f={shot.tone_hz}:r={SAMPLE_RATE}:d={seconds},"
        f"volume=volume=0:enable='lt(t\\,{body_start})+gte(t\\,{body_end})'[a]"
    )
    partial = path.with_suffix(".part.mp4")
    command = [
        ffmpeg_exe(), "-v", "error", "-y",
        "-filter_complex", f"{video};{audio}",
        "-map", "[v]", "-map", "[a]", "-frames:v", str(total),
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "12",
        "-c:a", "aac", "-b:a", "96k", "-shortest", str(partial),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    partial.replace(path)
    return path


@dataclass(frozen=True)
class Layout:
    """Where each shot must appear in the rendered cut, in record frames from the first frame."""

    rate: Fraction
    shots: dict[str, tuple[int, int]]  # shot id -> [first, end) record frame
    gap: tuple[int, int]
    dissolve: tuple[int, int]  # frames blended between the two shots of ``blended``
    total: int
    blended: tuple[str, str] = ("sh030", "sh040")


def _clip(shot: ShotMedia, path: Path, rate: float) -> otio.schema.Clip:
    total = HANDLE_FRAMES + shot.frames + HANDLE_FRAMES
    reference = otio.schema.ExternalReference(
        target_url=path.resolve().as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(total, rate)
        ),
    )
    head = otio.opentime.RationalTime(HANDLE_FRAMES, rate)
    clip = otio.schema.Clip(
        name=shot.shot_id if shot.take == 1 else f"{shot.shot_id} take {shot.take}",
        media_reference=reference,
        source_range=otio.opentime.TimeRange(head, otio.opentime.RationalTime(shot.frames, rate)),
    )
    clip.markers.append(
        otio.schema.Marker(
            name=shot.shot_id,
            marked_range=otio.opentime.TimeRange(head, otio.opentime.RationalTime(0, rate)),
            color=otio.schema.MarkerColor.RED,
            metadata={"previz": {"kind": "shot", "action": shot.action}},
            comment=shot.action,
        )
    )
    clip.metadata["previz"] = {
        "shot": shot.shot_id,
        "scene": "sc01",
        "take": shot.take,
        "backend": "animatic",
        "prompt": f"{shot.action}, wide shot, tungsten practicals",
        "cache_key": f"v1-{shot.name}",
    }
    return clip


def _gap(frames: int, rate: float) -> otio.schema.Gap:
    return otio.schema.Gap(duration=otio.opentime.RationalTime(frames, rate))


def _cut_track(
    name: str, kind: str, media: dict[str, Path], rate: float, dissolve: bool
) -> otio.schema.Track:
    track = otio.schema.Track(name=name, kind=kind)
    sh010, sh020, sh030, sh040 = SHOTS
    track.append(_clip(sh010, media[sh010.name], rate))
    track.append(_clip(sh020, media[sh020.name], rate))
    track.append(_gap(GAP_FRAMES, rate))
    track.append(_clip(sh030, media[sh030.name], rate))
    if dissolve:
        track.append(
            otio.schema.Transition(
                name="dissolve",
                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=otio.opentime.RationalTime(DISSOLVE_IN, rate),
                out_offset=otio.opentime.RationalTime(DISSOLVE_OUT, rate),
            )
        )
    track.append(_clip(sh040, media[sh040.name], rate))
    return track


def representative_cut(rate: Fraction, media: dict[str, Path]) -> otio.schema.Timeline:
    """The representative cut, referencing ``media`` (file per take name: "sh010_t1"…)."""
    fps = float(rate)
    timeline = otio.schema.Timeline(
        name="sc01 previz",
        global_start_time=otio.opentime.from_timecode("01:00:00:00", fps),
    )
    timeline.metadata["previz"] = {"project": "The Letter", "fps": str(rate)}
    alternates = otio.schema.Track(name="V0 alternates", kind=otio.schema.TrackKind.Video)
    alternates.append(_clip(ALTERNATE, media[ALTERNATE.name], fps))
    timeline.tracks.append(alternates)
    timeline.tracks.append(_cut_track("V1", otio.schema.TrackKind.Video, media, fps, True))
    timeline.tracks.append(_cut_track("A1", otio.schema.TrackKind.Audio, media, fps, False))
    timeline.tracks.markers.append(
        otio.schema.Marker(
            name="cue: door slam",
            marked_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(12, fps), otio.opentime.RationalTime(0, fps)
            ),
            color=otio.schema.MarkerColor.ORANGE,
            comment="SFX door slam",
        )
    )
    return timeline


def representative_timeline(rate: Fraction, media_dir: Path) -> tuple[otio.schema.Timeline, Layout]:
    """The cut every export test uses, and where each shot must land when it is rendered."""
    media = {s.name: make_shot_media(s, rate, media_dir) for s in (*SHOTS, ALTERNATE)}
    timeline = representative_cut(rate, media)
    sh010, sh020, sh030, sh040 = SHOTS
    a = sh010.frames
    b = a + sh020.frames
    c = b + GAP_FRAMES
    d = c + sh030.frames
    layout = Layout(
        rate=rate,
        shots={"sh010": (0, a), "sh020": (a, b), "sh030": (c, d), "sh040": (d, d + sh040.frames)},
        gap=(b, c),
        dissolve=(d - DISSOLVE_IN, d + DISSOLVE_OUT),
        total=d + sh040.frames,
    )
    return timeline, layout


def nearest_shot(rgb: tuple[float, float, float]) -> str:
    """Which shot (or "handle", "black", the alternate) a rendered colour is closest to."""
    palette: dict[str, tuple[int, int, int]] = {s.shot_id: s.rgb for s in SHOTS}
    palette["alternate"] = ALTERNATE.rgb
    palette["handle"] = HANDLE_RGB
    palette["black"] = (0, 0, 0)
    return min(
        palette, key=lambda k: sum((a - b) ** 2 for a, b in zip(palette[k], rgb, strict=True))
    )


def frame_colours(path: Path) -> list[tuple[float, float, float]]:
    """The mean colour of the centre of every decoded video frame of ``path``."""
    colours: list[tuple[float, float, float]] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            h, w, _ = image.shape
            centre = image[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].reshape(-1, 3).mean(axis=0)
            colours.append((float(centre[0]), float(centre[1]), float(centre[2])))
    return colours


def audio_samples(path: Path) -> tuple[np.ndarray, int]:
    """The first audio stream of ``path`` as mono float samples placed at their timestamps.

    Samples are laid out by each decoded frame's timestamp, not merely concatenated, so a hole
    an engine leaves in the sound stays a hole (silence) instead of pulling what follows early.
    """
    placed: list[tuple[int, np.ndarray]] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            at = round(float(frame.pts * frame.time_base) * rate) if frame.pts is not None else None
            chunk = np.concatenate(
                [m.to_ndarray().reshape(-1).astype(np.float64) for m in resampler.resample(frame)]
                or [np.zeros(0)]
            )
            if at is None:
                at = placed[-1][0] + len(placed[-1][1]) if placed else 0
            placed.append((at, chunk))
    end = max((at + len(chunk) for at, chunk in placed), default=0)
    samples = np.zeros(end)
    for at, chunk in placed:
        samples[max(at, 0) : at + len(chunk)] = chunk[max(-at, 0) :]
    return samples, rate


def dominant_tone(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """The strongest frequency in ``samples`` and the window's RMS level."""
    rms = float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), n=sample_rate))
    return float(np.argmax(spectrum)), rms


def tone_of(shot_id: str) -> int:
    """The pitch that identifies ``shot_id`` (selected take)."""
    return next(s.tone_hz for s in SHOTS if s.shot_id == shot_id)


def rendered_frames(path: Path, rate: Fraction) -> dict[int, tuple[float, float, float]]:
    """Each decoded video frame's centre colour, keyed by its record frame (from its timestamp).

    When two frames share a timestamp, the later one is kept: it is the one a player that
    honours timestamps leaves on screen (see :func:`repeated_timestamps`).
    """
    frames: dict[int, tuple[float, float, float]] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.pts is None or frame.time_base is None:
                continue
            index = round(Fraction(frame.pts) * frame.time_base * rate)
            image = frame.to_ndarray(format="rgb24").astype(np.float64)
            h, w, _ = image.shape
            centre = image[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].reshape(-1, 3).mean(axis=0)
            frames[index] = (float(centre[0]), float(centre[1]), float(centre[2]))
    return frames


def repeated_timestamps(path: Path, rate: Fraction) -> list[int]:
    """Record frames for which the render holds more than one picture."""
    seen: list[int] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.pts is not None and frame.time_base is not None:
                seen.append(round(Fraction(frame.pts) * frame.time_base * rate))
    return sorted({index for index in seen if seen.count(index) > 1})


def picture_problems(path: Path, layout: Layout) -> list[str]:
    """Every record frame that does not show what the cut says it must, as readable lines."""
    frames = rendered_frames(path, layout.rate)
    problems = [f"frame {i} missing" for i in range(layout.total) if i not in frames]
    expected: dict[int, str] = {}
    for shot_id, (first, end) in layout.shots.items():
        expected.update({i: shot_id for i in range(first, end)})
    expected.update({i: "black" for i in range(*layout.gap)})
    for i in range(*layout.dissolve):
        expected.pop(i, None)
    for i, want in sorted(expected.items()):
        if i in frames and (seen := nearest_shot(frames[i])) != want:
            problems.append(f"frame {i}: expected {want}, saw {seen} {frames[i]}")
    middle = (layout.dissolve[0] + layout.dissolve[1]) // 2
    blend = frames.get(middle)
    palette = {s.shot_id: s.rgb for s in SHOTS}
    if blend is not None and any(
        sum((a - b) ** 2 for a, b in zip(palette[shot], blend, strict=True)) < 50**2
        for shot in layout.blended
    ):
        problems.append(f"frame {middle}: no dissolve, saw a hard cut {blend}")
    return problems


def sound_problems(path: Path, layout: Layout) -> list[str]:
    """Every shot whose tone is missing or slipped at its first or last frame, or a noisy gap."""
    samples, sample_rate = audio_samples(path)
    frame_seconds = 1 / layout.rate
    problems: list[str] = []

    def window(frame: int) -> np.ndarray:
        start = float((frame + Fraction(1, 10)) * frame_seconds)
        end = float((frame + Fraction(9, 10)) * frame_seconds)
        return samples[int(start * sample_rate) : int(end * sample_rate)]

    for shot_id, (first, end) in layout.shots.items():
        for frame in (first, end - 1):
            tone, level = dominant_tone(window(frame), sample_rate)
            if level < 0.02 or abs(tone - tone_of(shot_id)) > 15:
                problems.append(
                    f"{shot_id} frame {frame}: expected {tone_of(shot_id)} Hz, "
                    f"heard {tone:.0f} Hz at level {level:.3f}"
                )
    gap_middle = (layout.gap[0] + layout.gap[1]) // 2
    if (level := dominant_tone(window(gap_middle), sample_rate)[1]) > 0.01:
        problems.append(f"gap frame {gap_middle}: expected silence, level {level:.3f}")
    return problems


TAIL = 12
SCENE = """
schema_version: 1
project: {{title: Assembled, fps: {fps}, resolution: 320x180}}
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - {{id: sh010, action: door, duration: 24f, transition_out: dissolve 8f}}
      - {{id: sh020, action: hall, duration: 30f}}
      - {{id: sh030, action: letter, duration: 24f}}
      - {{id: sh040, action: window, duration: 24f}}
"""


def assembled_cut(
    write_scene: Callable[[str, str], Path], media: Path, rate: Fraction
) -> tuple[otio.schema.Timeline, Layout]:
    """The cut ``assemble`` makes of a 4-shot scene (sh030 failed), and where shots must land."""
    shotlist = load(write_scene(SCENE.format(fps=round(float(rate), 3)), "scene.yaml"))
    clips: dict[tuple[str, int], Clip] = {}
    for shot in (s for s in SHOTS if s.shot_id != "sh030"):  # sh030 failed to generate
        frames = next(r.frames for r in shotlist.shots if r.id == shot.shot_id) + TAIL
        generated = ShotMedia(shot.shot_id, 1, shot.rgb, shot.tone_hz, frames, "", head=0, tail=0)
        path = make_shot_media(generated, rate, media)
        clips[(shot.shot_id, 1)] = Clip(
            shot_id=shot.shot_id, take=1, path=path, duration=float(frames / rate),
            fps=float(rate), width=320, height=180, has_audio=True, backend="animatic",
            model="card", prompt="", template_hash="", cache_key=shot.shot_id,
        )  # fmt: skip
    timeline = assemble(shotlist, clips, failures={"sh030": "content policy"})
    layout = Layout(
        rate=rate,
        shots={"sh010": (0, 24), "sh020": (32, 54), "sh040": (78, 102)},
        gap=(54, 78),  # the failed shot: black, silent, 24 frames
        dissolve=(24, 32),
        total=102,
        blended=("sh010", "sh020"),
    )
    return timeline, layout
