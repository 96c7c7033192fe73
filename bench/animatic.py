"""Benchmark: render a generated 40-shot scene with the animatic backend, then join it.

Prints
- output seconds per wall second for the whole scene (shots rendered in parallel, one per core);
- our render time against ONE bare ffmpeg encode of a still image of the same total length with
  the same encoder settings (H.264 + AAC, same preset, one x264 thread), run in the same process
  right after ours — wall-clock ratio (target <= 1.5x) and CPU-time ratio (which does not depend
  on how many cores were free);
- the time of ``previz.media.concat_clips`` on the 40 clips against MoviePy's
  ``concatenate_videoclips`` + ``write_videofile`` on the same clips (target >= 10x faster).

Usage: ``.venv/bin/python bench/animatic.py [--shots 40] [--width 1280] [--height 720]
[--fps 24] [--out DIR] [--skip-moviepy] [--still]`` (``--still`` locks every camera off, to
show what the moves cost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from previz.backends.animatic import AnimaticBackend
from previz.backends.base import Job, RenderedMedia
from previz.media import concat_clips, find_ffmpeg, frame_count, probe
from previz.media.encoding import AUDIO_CODEC_ARGS, CONTAINER_ARGS, VIDEO_CODEC_ARGS, rate_arg

SIZES = ["EWS", "WS", "FS", "MWS", "MS", "MCU", "CU", "ECU", "TWO_SHOT", "OTS", "POV", "INSERT"]
ANGLES = ["eye_level", "eye_level", "high", "low", "dutch", "overhead", "worms_eye"]
MOVES = [
    ("static", None), ("static", None), ("dolly_in", None), ("dolly_out", None),
    ("pan", "right"), ("pan", "left"), ("tilt", "up"), ("truck", "left"), ("zoom_in", None),
    ("handheld", None), ("pedestal", "down"), ("steadicam", None), ("crane", "up"),
]  # fmt: skip
CAST = [
    {"id": "mara", "name": "Mara", "color": "#E4572E"},
    {"id": "jo", "name": "Jo", "color": "#2E86E4"},
    {"id": "ines", "name": "Ines", "color": "#76B041"},
]
LINES = ["You're late.", "I said ten o'clock, not eleven.", "Open it.", "Who else knows?"]


def scene_jobs(
    count: int, width: int, height: int, fps: float, seed: int = 7, *, still: bool = False
) -> list[Job]:
    """``count`` shots of a made-up scene, each 2-5 s, with dialogue, SFX, a bed and a score.

    ``still`` locks every camera off (to measure what the camera moves cost).
    """
    pick = random.Random(seed)
    lengths = [pick.choice([2.0, 2.5, 3.0, 3.5, 4.0, 5.0]) for _ in range(count)]
    jobs, elapsed = [], 0.0
    for index, seconds in enumerate(lengths):
        shot = _shot(pick, index)
        if still:
            shot["movement"] = {"type": "static", "label": "static", "direction": None,
                                "speed": "medium"}  # fmt: skip
        payload = {
            "title": "Bench",
            "scene": {"id": "sc1", "heading": "INT. WAREHOUSE - NIGHT", "number": 1},
            "shot": shot,
            "sound": _sound(pick, shot, seconds, elapsed, sum(lengths)),
        }
        jobs.append(
            Job(shot_id=shot["id"], take=1, backend="animatic", model="card", prompt="",
                template_hash="", seconds=seconds, shot_seconds=seconds, width=width,
                height=height, fps=fps, payload=payload)
        )  # fmt: skip
        elapsed += seconds
    return jobs


def _shot(pick: random.Random, index: int) -> dict[str, Any]:
    move, direction = pick.choice(MOVES)
    size, angle = pick.choice(SIZES), pick.choice(ANGLES)
    return {
        "id": f"sc1-{(index + 1) * 10:03d}", "number": index + 1,
        "size": size, "size_label": size.lower(), "angle": angle, "angle_label": angle,
        "movement": {"type": move, "label": move.replace("_", " "), "direction": direction,
                     "speed": pick.choice(["slow", "medium", "fast"])},
        "lens": {"focal_length_mm": pick.choice([24.0, 35.0, 50.0, 85.0]), "aperture": 2.8},
        "action": "Mara slides the case across the table; Jo does not touch it.",
        "location": {"id": "warehouse", "name": "Warehouse"},
        "cast": pick.sample(CAST, pick.randint(0, 2)), "notes": None,
        "lighting": "low-key, hard key light, 3200K, noir",
    }  # fmt: skip


def _sound(
    pick: random.Random, shot: dict[str, Any], seconds: float, elapsed: float, total: float
) -> list[dict[str, Any]]:
    """A room bed and a score running through the scene, a line and a door slam here and there."""
    sound = [
        _cue("ambience", "room", 0.0, seconds, "warehouse hum", elapsed, total),
        _cue("music", "theme", 0.0, seconds, "low synth drone", elapsed, total),
    ]
    if shot["cast"] and pick.random() < 0.6:
        line, speaker = pick.choice(LINES), shot["cast"][0]["name"]
        end = seconds - 0.3
        sound.append(_cue("dialogue", f"{shot['id']}-d1", 0.3, end, line, 0.0, end - 0.3, speaker))
    if pick.random() < 0.5:
        at = round(pick.uniform(0.2, seconds - 0.5), 2)
        sound.append(_cue("sfx", f"{shot['id']}-s1", at, at + 0.3, "door slam", 0.0, 0.3))
    return sound


def _cue(kind: str, cue_id: str, start: float, end: float, text: str, offset: float,
         length: float, speaker: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"kind": kind, "id": cue_id, "start": start, "end": end, "text": text,
            "speaker": speaker, "cue_offset": offset, "cue_length": length}  # fmt: skip


def _cpu_seconds() -> float:
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


async def render_all(
    jobs: list[Job], workdir: Path, backend: AnimaticBackend
) -> list[RenderedMedia]:
    gate = asyncio.Semaphore(backend.capabilities().max_concurrency)

    async def one(job: Job) -> RenderedMedia:
        async with gate:
            return await backend.render(job, workdir)

    return await asyncio.gather(*(one(job) for job in jobs))


def bare_still_encode(
    ffmpeg: Path, still: Path, frames: int, fps: float, dest: Path, *, held: bool = False
) -> None:
    """One ffmpeg encode of a still with silent stereo sound: the floor we compare with.

    The usual way loops the image file (``-loop 1``: the PNG is decoded again for every frame);
    ``held`` decodes it once and repeats the frame with the ``loop`` filter, as our renders do.
    """
    samples = round(frames / float(fps) * 48000)
    hold = f"loop=loop={frames - 1}:size=1,setpts=N/({rate_arg(fps)})/TB"
    looping = [] if held else ["-loop", "1", "-framerate", rate_arg(fps)]
    args = [str(ffmpeg), "-v", "error", "-y", *looping, "-i", str(still), "-f", "lavfi",
            "-i", "anullsrc=r=48000:cl=stereo", *(["-vf", hold] if held else []),
            "-frames:v", str(frames), "-r", rate_arg(fps),
            "-af", f"atrim=end_sample={samples}",
            *VIDEO_CODEC_ARGS, *AUDIO_CODEC_ARGS, *CONTAINER_ARGS, str(dest)]  # fmt: skip
    subprocess.run(args, check=True)


def moviepy_join(paths: list[Path], dest: Path, fps: float) -> None:
    from moviepy import VideoFileClip, concatenate_videoclips

    clips = [VideoFileClip(str(path)) for path in paths]
    try:
        joined = concatenate_videoclips(clips)
        joined.write_videofile(str(dest), fps=fps, codec="libx264", audio_codec="aac",
                               preset="veryfast", threads=1, logger=None)  # fmt: skip
    finally:
        for clip in clips:
            clip.close()


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shots", type=int, default=40)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=24.0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--still", action="store_true", help="lock every camera off")
    return parser.parse_args()


def measure_render(jobs: list[Job], out: Path, ffmpeg: Path, fps: float) -> list[RenderedMedia]:
    """Render the scene, then the bare still encode of the same length; print both."""
    backend = AnimaticBackend(ffmpeg)
    total_frames = sum(frame_count(job.seconds, job.fps) for job in jobs)
    seconds_out = sum(job.seconds for job in jobs)
    print(f"ffmpeg {ffmpeg}; espeak-ng {'yes' if backend.espeak else 'no'}; {os.cpu_count()} cores")
    print(f"scene: {len(jobs)} shots, {seconds_out:.1f} s, {total_frames} frames, "
          f"{jobs[0].width}x{jobs[0].height} @ {fps:g} fps")  # fmt: skip
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    rendered = asyncio.run(render_all(jobs, out / "clips", backend))
    ours_wall, ours_cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    made = sum(probe(media.video).frames for media in rendered)
    assert made == total_frames, f"rendered {made} frames, expected {total_frames}"
    print(f"render: {ours_wall:.2f} s wall, {ours_cpu:.2f} s CPU -> "
          f"{seconds_out / ours_wall:.1f} output seconds per wall second")  # fmt: skip
    still = out / "clips" / f"{jobs[0].shot_id}_t1_card.png"
    for held, name in ((False, "looped PNG (-loop 1)"), (True, "held frame (loop filter)")):
        cpu0, wall0 = _cpu_seconds(), time.perf_counter()
        bare_still_encode(ffmpeg, still, total_frames, fps, out / "bare_still.mp4", held=held)
        bare_wall, bare_cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
        print(f"bare still encode, {name}: {bare_wall:.2f} s wall, {bare_cpu:.2f} s CPU -> "
              f"ours / bare: wall {ours_wall / bare_wall:.2f}x (target <= 1.5x), "
              f"CPU {ours_cpu / bare_cpu:.2f}x")  # fmt: skip
    return rendered


def measure_concat(paths: list[Path], out: Path, ffmpeg: Path, fps: float, moviepy: bool) -> None:
    """Join the clips with previz and (unless skipped) with MoviePy; print both times."""
    wall0 = time.perf_counter()
    concat_clips(paths, out / "animatic.mp4", ffmpeg=ffmpeg)
    ours = time.perf_counter() - wall0
    joined = probe(out / "animatic.mp4")
    print(f"concat_clips: {ours:.2f} s ({joined.frames} frames, "
          f"audio {joined.audio_duration:.3f} s of {joined.duration:.3f} s)")  # fmt: skip
    if moviepy:
        wall0 = time.perf_counter()
        moviepy_join(paths, out / "animatic_moviepy.mp4", fps)
        theirs = time.perf_counter() - wall0
        print(f"moviepy concatenate_videoclips: {theirs:.2f} s -> ours is "
              f"{theirs / ours:.0f}x faster (target >= 10x)")  # fmt: skip


def main() -> None:
    options = _options()
    out = options.out or Path(tempfile.mkdtemp(prefix="previz-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    ffmpeg = find_ffmpeg()
    jobs = scene_jobs(
        options.shots, options.width, options.height, options.fps, still=options.still
    )
    rendered = measure_render(jobs, out, ffmpeg, options.fps)
    paths = [media.video for media in rendered]
    measure_concat(paths, out, ffmpeg, options.fps, not options.skip_moviepy)
    print(f"files in {out}")


if __name__ == "__main__":
    sys.exit(main())
