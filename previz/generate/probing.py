"""The facts the runner records about a clip: length, rate, size, sound.

Probed once, when a clip enters the cache (with :func:`previz.media.probe`), and kept in its
record, so a cache hit never opens media. A clip rendered here is checked by decoding its first
frame (:func:`probe_facts`); a clip that came over the network, and every take ``previz cache
--verify`` checks, is decoded whole (:func:`probe_complete`): a clip that does not decode
completely raises :class:`~previz.errors.MediaError` and never enters (or leaves) the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from previz.backends.http.decoding import probe_clip
from previz.errors import MediaError
from previz.media import probe


@dataclass(frozen=True)
class MediaFacts:
    """What a clip is: seconds, frames per second, pixel size, and whether it carries sound."""

    duration: float
    fps: float
    width: int
    height: int
    has_audio: bool


def probe_facts(path: Path) -> MediaFacts:
    """The facts of ``path``, after proving its first video frame decodes."""
    info = probe(path)
    if not info.has_video or info.width <= 0 or info.height <= 0:
        raise MediaError("the clip has no video picture", path=path)
    _first_frame_decodes(path)
    return MediaFacts(
        duration=info.duration,
        fps=float(info.fps),
        width=info.width,
        height=info.height,
        has_audio=info.has_audio,
    )


def probe_complete(path: Path) -> MediaFacts:
    """The facts of ``path``, after proving that every frame it declares decodes.

    A cut body can keep a whole index (an MP4 with ``faststart`` declares every frame up front),
    so the frames that decode are held against the frames the container declares (one may be
    missing).
    """
    info = probe(path)
    if not info.has_video or info.width <= 0 or info.height <= 0:
        raise MediaError("the clip has no video picture", path=path)
    decoded = probe_clip(path).frames  # decodes every frame; MediaError if one fails
    if info.frames and decoded < info.frames - 1:
        raise MediaError(
            f"the clip is incomplete: {decoded} of {info.frames} frames decode",
            path=path,
            hint="a damaged or cut-short transfer; download or generate it again",
        )
    return MediaFacts(
        duration=info.duration,
        fps=float(info.fps),
        width=info.width,
        height=info.height,
        has_audio=info.has_audio,
    )


def _first_frame_decodes(path: Path) -> None:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = 1  # one frame: decoder threads cost more than help
            next(container.decode(stream))
    except (av.FFmpegError, OSError, StopIteration) as error:
        raise MediaError(
            f"the clip does not decode: {error!r}",
            path=path,
            hint="the backend returned broken media; run the build again to regenerate it",
        ) from error
