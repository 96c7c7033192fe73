"""Shared helpers for the media and animatic tests: real ffmpeg, real clips, real payloads.

Import the fixtures you use into a test module (``from tests.unit.media_fixtures import
ffmpeg_bin``); the helpers are plain functions. Clips are tiny (320x180, a second or two) so
the tests stay fast on two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import wave
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from previz.backends.animatic import AnimaticBackend
from previz.backends.base import Job, RenderedMedia
from previz.media import find_ffmpeg
from previz.media.encoding import AUDIO_CODEC_ARGS, CONTAINER_ARGS, VIDEO_CODEC_ARGS

MARA = {"id": "mara", "name": "Mara", "color": "#E4572E"}
JO = {"id": "jo", "name": "Jo", "color": "#2E86E4"}


@pytest.fixture(scope="session")
def ffmpeg_bin() -> Path:
    return find_ffmpeg()


def make_clip(
    ffmpeg: Path,
    dest: Path,
    *,
    seconds: float = 0.5,
    size: str = "320x180",
    rate: str = "24",
    audio: bool = True,
    source: str = "testsrc2",
) -> Path:
    """A small clip encoded with previz's own settings (so it can be stream-copied)."""
    args = [str(ffmpeg), "-v", "error", "-y", "-f", "lavfi", "-i", f"{source}=s={size}:r={rate}"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=f=440:r=48000"]
    args += ["-t", str(seconds), *VIDEO_CODEC_ARGS]
    args += [*AUDIO_CODEC_ARGS] if audio else []
    subprocess.run([*args, *CONTAINER_ARGS, str(dest)], check=True)
    return dest


def cue(
    kind: str, cue_id: str, start: float, end: float, text: str = "", **more: Any
) -> dict[str, Any]:
    """A sound cue in the payload's shape; it begins and ends in this shot unless told."""
    return {
        "kind": kind,
        "id": cue_id,
        "start": start,
        "end": end,
        "text": text,
        "speaker": more.get("speaker"),
        "cue_offset": more.get("cue_offset", 0.0),
        "cue_length": more.get("cue_length", end - start),
    }


def make_payload(
    shot_id: str = "sc1-010",
    *,
    number: int = 1,
    size: str = "MS",
    angle: str = "eye_level",
    movement: str = "static",
    direction: str | None = None,
    speed: str = "medium",
    cast: list[dict[str, str]] | None = None,
    sound: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A planner-shaped payload for one shot."""
    return {
        "title": "Night Shift",
        "scene": {"id": "sc1", "heading": "INT. WAREHOUSE - NIGHT", "number": 1},
        "shot": {
            "id": shot_id,
            "number": number,
            "size": size,
            "size_label": size.lower(),
            "angle": angle,
            "angle_label": angle.replace("_", " "),
            "movement": {
                "type": movement,
                "label": movement.replace("_", " "),
                "direction": direction,
                "speed": speed,
            },
            "lens": {"focal_length_mm": 35.0, "aperture": 2.8},
            "action": "Mara slides the case across the table.",
            "location": {"id": "warehouse", "name": "Warehouse"},
            "cast": [MARA] if cast is None else cast,
            "notes": None,
            "lighting": "low-key, hard key light, 3200K, noir",
        },
        "sound": sound or [],
    }


def make_job(
    payload: dict[str, Any] | None = None,
    *,
    seconds: float = 1.0,
    fps: float = 24.0,
    width: int = 320,
    height: int = 180,
    take: int = 1,
) -> Job:
    payload = payload or make_payload()
    return Job(
        shot_id=payload["shot"]["id"],
        take=take,
        backend="animatic",
        model="card",
        prompt="",
        template_hash="",
        seconds=seconds,
        shot_seconds=seconds,
        width=width,
        height=height,
        fps=fps,
        payload=payload,
    )


def render(job: Job, workdir: Path, backend: AnimaticBackend | None = None) -> RenderedMedia:
    backend = backend or AnimaticBackend(espeak=False)
    return asyncio.run(backend.render(job, workdir))


def read_wav(path: Path) -> tuple[int, array[int]]:
    """(sample rate, interleaved 16-bit samples) of a WAV file."""
    with wave.open(str(path), "rb") as sound:
        samples = array("h")
        samples.frombytes(sound.readframes(sound.getnframes()))
        return sound.getframerate(), samples


def rms(samples: array[int], rate: int, start: float, end: float, channels: int = 2) -> float:
    """Root-mean-square level (0..1) of ``samples`` between ``start`` and ``end`` seconds."""
    window = samples[int(start * rate) * channels : int(end * rate) * channels]
    if not window:
        return 0.0
    return (sum(s * s for s in window) / len(window)) ** 0.5 / 32768


@contextlib.contextmanager
def tiny_disk(where: Path, size: str = "96k", *, read_only: bool = False) -> Iterator[Path]:
    """A real, nearly full (or read-only) tmpfs at ``where``; skips when mounting is not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@contextlib.contextmanager
def unwritable_dir(where: Path) -> Iterator[Path]:
    """A folder nothing can be written into: read-only mount as root, mode 0555 otherwise."""
    if os.geteuid() == 0:
        with tiny_disk(where, read_only=True) as folder:
            yield folder
        return
    where.mkdir(parents=True, exist_ok=True)
    where.chmod(0o555)
    try:
        yield where
    finally:
        where.chmod(0o755)
