"""A downloaded clip decoded whole: what it turned out to be, or why it is unusable.

Apart from :mod:`previz.backends.http.delivery` (which re-exports it) because the cache checks
clips with it too, and should not import httpx to do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from previz.errors import MediaError
from previz.media.probe import probe


@dataclass(frozen=True)
class ClipProbe:
    """What a downloaded clip turned out to be."""

    duration: float
    width: int
    height: int
    has_audio: bool
    frames: int = 0
    fps: float = 0.0


def probe_clip(path: Path) -> ClipProbe:
    """The facts of ``path`` (read by :func:`previz.media.probe.probe`) once every frame decodes.

    Decoding the whole video stream is what tells a complete clip from one whose body was cut:
    the container may still open and its first frames play.
    """
    info = probe(path)
    if not info.has_video:
        raise MediaError("file has no video stream", path=path)
    frames = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            for _ in container.decode(stream):
                frames += 1
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(
            f"file does not decode after {frames} frame(s): {exc}", path=path
        ) from None
    if frames == 0:
        raise MediaError("video stream has no decodable frame", path=path)
    return ClipProbe(
        duration=info.duration,
        width=info.width,
        height=info.height,
        has_audio=info.has_audio,
        frames=frames,
        fps=rate,
    )
