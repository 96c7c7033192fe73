"""Joining clips into one sequence MP4: stream copy when they match, re-encode when they don't.

Clips rendered with the same settings (codec and its parameter sets, size, frame rate, pixel
format, audio layout) are joined with ffmpeg's concat demuxer and copied packet for packet —
fast and lossless. Any mismatch (a cloud clip at another size, a clip without sound) sends the
whole sequence through the concat filter instead: every clip scaled and padded to the first
clip's frame, resampled to its rate, silent audio supplied where a clip has none.
The result is written beside ``dest`` under a temp name and renamed into place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import ffmpeg as ffmpeg_python

from previz.errors import MediaError
from previz.media.encoding import (
    AUDIO_CODEC_ARGS,
    CHANNELS,
    CONTAINER_ARGS,
    PIX_FMT,
    SAMPLE_RATE,
    VIDEO_CODEC_ARGS,
    rate_arg,
)
from previz.media.ffmpeg import run_ffmpeg
from previz.media.files import replacing
from previz.media.probe import MediaInfo, probe


@dataclass(frozen=True)
class _StreamParameters:
    """What must be equal for two clips' packets to follow each other in one file."""

    video_codec: str | None
    video_setup: str
    width: int
    height: int
    fps: Fraction
    pix_fmt: str | None
    audio_codec: str | None
    audio_sample_rate: int | None
    audio_channels: int | None


def concat_clips(paths: Sequence[Path], dest: Path, *, ffmpeg: Path) -> Path:
    """Join ``paths`` in order into the MP4 ``dest`` and return ``dest``."""
    if not paths:
        raise MediaError("nothing to join: no clips given", path=dest)
    infos = [probe(path) for path in paths]
    for info in infos:
        if not info.has_video:
            raise MediaError("a clip to join has no video stream", path=info.path)
    with replacing(dest) as temp:
        if len({_parameters(info) for info in infos}) == 1:
            _copy_join(paths, temp, ffmpeg=ffmpeg)
        else:
            _encode_join(infos, temp, ffmpeg=ffmpeg)
    return dest


def _parameters(info: MediaInfo) -> _StreamParameters:
    try:
        with av.open(str(info.path)) as container:
            extradata = container.streams.video[0].codec_context.extradata or b""
    except (av.FFmpegError, OSError) as error:
        raise MediaError(f"cannot read media: {error}", path=info.path) from error
    return _StreamParameters(
        video_codec=info.video_codec,
        video_setup=hashlib.sha256(extradata).hexdigest(),
        width=info.width,
        height=info.height,
        fps=info.fps,
        pix_fmt=info.pix_fmt,
        audio_codec=info.audio_codec,
        audio_sample_rate=info.audio_sample_rate,
        audio_channels=info.audio_channels,
    )


def _copy_join(paths: Sequence[Path], dest: Path, *, ffmpeg: Path) -> None:
    listing = dest.with_name(dest.name + ".txt")
    lines = [f"file '{_concat_quote(path.resolve())}'\n" for path in paths]
    try:
        listing.write_text("".join(lines), encoding="utf-8")
        # auto_convert 0: the clips share their parameter sets, so packets go through as they
        # are (the default would rewrite every keyframe with in-band SPS/PPS).
        demux = ["-f", "concat", "-safe", "0", "-auto_convert", "0", "-i", str(listing)]
        args = ["-y", *demux, "-map", "0", "-c", "copy"]
        run_ffmpeg([*args, *CONTAINER_ARGS, "-f", "mp4", str(dest)], ffmpeg=ffmpeg, dest=dest)
    finally:
        listing.unlink(missing_ok=True)


def _concat_quote(path: Path) -> str:
    """A path inside single quotes as the concat demuxer reads them."""
    return str(path).replace("'", "'\\''")


def _encode_join(infos: Sequence[MediaInfo], dest: Path, *, ffmpeg: Path) -> None:
    first = infos[0]
    width, height, fps = first.width, first.height, first.fps
    pieces = []
    for info in infos:
        source = ffmpeg_python.input(str(info.path))
        video = (
            source.video.filter("scale", width, height, force_original_aspect_ratio="decrease")
            .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2")
            .filter("setsar", 1)
            .filter("fps", rate_arg(fps))
            .filter("format", PIX_FMT)
        )
        if info.has_audio:
            audio = source.audio.filter("aresample", SAMPLE_RATE).filter(
                "aformat", channel_layouts="stereo"
            )
        else:
            audio = ffmpeg_python.input(
                f"anullsrc=r={SAMPLE_RATE}:cl=stereo", f="lavfi", t=f"{info.duration:.6f}"
            ).audio
        pieces += [video, audio]
    joined = ffmpeg_python.concat(*pieces, v=1, a=1).node
    output = ffmpeg_python.output(joined[0], joined[1], str(dest), f="mp4")
    args = output.compile(cmd="ffmpeg", overwrite_output=True)[1:]
    out_index = args.index(str(dest))
    settings = [*VIDEO_CODEC_ARGS, *AUDIO_CODEC_ARGS, *CONTAINER_ARGS, "-ac", str(CHANNELS)]
    args[out_index:out_index] = settings
    run_ffmpeg(args, ffmpeg=ffmpeg, dest=dest)
