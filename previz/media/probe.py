"""What a media file holds — length, frame rate, size, codecs, audio — read through PyAV.

Facts come from the container and stream headers (never from ffmpeg's log text). The frame
count is the container's when it records one, else it is counted by demuxing the video packets,
which is exact and needs no decoding. Frame rates stay exact rationals (24000/1001, not 23.976).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from previz.errors import MediaError


@dataclass(frozen=True)
class MediaInfo:
    """The facts of one media file. Video fields are zero/``None`` for audio-only files."""

    path: Path
    duration: float
    fps: Fraction
    frames: int
    width: int
    height: int
    video_codec: str | None
    pix_fmt: str | None
    has_audio: bool
    audio_duration: float | None
    audio_codec: str | None
    audio_sample_rate: int | None
    audio_channels: int | None
    audio_samples: int | None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None


def probe(path: Path) -> MediaInfo:
    """Read the facts of ``path``; a missing or unreadable file is a :class:`MediaError`."""
    try:
        with av.open(str(path)) as container:
            return _facts(path, container)
    except (av.FFmpegError, OSError) as error:
        raise MediaError(
            f"cannot read media: {error}",
            path=path,
            hint="check that the file exists and is a complete video or audio file",
        ) from error


def _facts(path: Path, container: av.container.InputContainer) -> MediaInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    container_seconds = container.duration / 1_000_000 if container.duration else 0.0
    fps = Fraction(0)
    frames = width = height = 0
    video_seconds = container_seconds
    if video is not None:
        fps = Fraction(video.average_rate or video.base_rate or 0)
        width, height = video.codec_context.width, video.codec_context.height
        if video.duration is not None and video.time_base is not None:
            video_seconds = float(video.duration * video.time_base)
    audio_seconds: float | None = None
    audio_samples: int | None = None
    if audio is not None:
        audio_samples = _audio_samples(audio)
        if audio_samples is not None and audio.codec_context.sample_rate:
            audio_seconds = audio_samples / audio.codec_context.sample_rate
        elif audio.duration is not None and audio.time_base is not None:
            audio_seconds = float(audio.duration * audio.time_base)
        else:
            audio_seconds = container_seconds
    if video is not None:
        frames = video.frames or _count_packets(path, video.index)
    return MediaInfo(
        path=path,
        duration=video_seconds if video is not None else (audio_seconds or container_seconds),
        fps=fps,
        frames=frames,
        width=width,
        height=height,
        video_codec=video.codec_context.name if video is not None else None,
        pix_fmt=video.codec_context.pix_fmt if video is not None else None,
        has_audio=audio is not None,
        audio_duration=audio_seconds,
        audio_codec=audio.codec_context.name if audio is not None else None,
        audio_sample_rate=audio.codec_context.sample_rate if audio is not None else None,
        audio_channels=audio.codec_context.channels if audio is not None else None,
        audio_samples=audio_samples,
    )


def _audio_samples(audio: av.audio.stream.AudioStream) -> int | None:
    """Samples the stream plays: for PCM the header's count; for coded audio its duration."""
    rate = audio.codec_context.sample_rate
    if audio.duration is None or audio.time_base is None or not rate:
        return None
    return round(audio.duration * audio.time_base * rate)


def _count_packets(path: Path, index: int) -> int:
    with av.open(str(path)) as container:
        stream = container.streams[index]
        return sum(1 for packet in container.demux(stream) if packet.size)
