"""Proof that a clip is whole: every video frame it declares decodes.

A download cut short can still look complete to HTTP (a ``Content-Length`` that matches the
short body) and to a header probe (an MP4 whose index sits at the front declares every frame,
present or not); decoding the first frame proves nothing either. :func:`decode_fully` decodes
the whole video stream and compares what came out with what the container declares and, when
given, with what was ordered — within one frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from previz.errors import MediaError
from previz.media.probe import probe


@dataclass(frozen=True)
class Decoded:
    """What decoding a whole clip found: frames out of the decoder, and the seconds they span."""

    frames: int
    declared_frames: int
    seconds: float
    fps: float


def decode_fully(path: Path, *, expected_seconds: float | None = None, threads: int = 1) -> Decoded:
    """Decode every video frame of ``path``; :class:`MediaError` unless the clip is whole.

    Whole: no decoder error, at least one frame, the frames the container declares all decode
    (one may be missing), and — with ``expected_seconds`` — the decoded length is within one
    frame of it.
    """
    info = probe(path)
    if not info.has_video:
        raise MediaError("the clip has no video picture", path=path)
    fps = float(info.fps) if info.fps else 0.0
    frames, last_end = _decode(path, threads)
    seconds = last_end if last_end is not None else (frames / fps if fps else 0.0)
    decoded = Decoded(frames, info.frames, seconds, fps)
    problem = _problem(decoded, expected_seconds)
    if problem is not None:
        raise MediaError(
            f"the clip is incomplete: {problem}",
            path=path,
            hint="a damaged or cut-short transfer; download or generate it again",
        )
    return decoded


def _decode(path: Path, threads: int) -> tuple[int, float | None]:
    """(frames decoded, end time in seconds of the last one) — decoder errors as MediaError."""
    frames = 0
    end: float | None = None
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = threads
            base = stream.time_base
            for frame in container.decode(stream):
                frames += 1
                if frame.pts is not None and base is not None:
                    step = float(frame.duration * base) if frame.duration else 0.0
                    end = float(frame.pts * base) + step
    except (av.FFmpegError, OSError) as error:
        raise MediaError(
            f"the clip does not decode after {frames} frame(s): {error}",
            path=path,
            hint="a damaged or cut-short transfer; download or generate it again",
        ) from error
    return frames, end


def _problem(decoded: Decoded, expected_seconds: float | None) -> str | None:
    if decoded.frames == 0:
        return "no frame decodes"
    if decoded.declared_frames and decoded.frames < decoded.declared_frames - 1:
        return f"{decoded.frames} of {decoded.declared_frames} frames decode"
    if expected_seconds is not None and decoded.fps > 0:
        one_frame = 1.0 / decoded.fps
        if abs(decoded.seconds - expected_seconds) > one_frame + 1e-6:
            return f"it runs {decoded.seconds:.3f}s, {expected_seconds:g}s was ordered"
    return None
