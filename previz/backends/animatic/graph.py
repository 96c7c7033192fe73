"""The one ffmpeg command that renders a shot: picture, burn-ins, four stems and the mix.

The picture starts from a single PNG decoded once (held with ``loop``, or expanded to every
frame by ``zoompan``), is moved by the camera filter, gets the lettering panels and the
subtitles laid over it, and the timecode and frame counter drawn on. The sound stems are built
in the same graph; each is split into its WAV and the AAC mix. One process per shot keeps the
shot's cost close to a bare encode of a still.

All file names in the graph are relative to the render's scratch folder (ffmpeg runs there), so
no path needs filter-graph escaping; outputs are given as plain arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg as ffmpeg_python

from previz.backends.animatic.motion import CameraMove
from previz.backends.animatic.sound import Stream, mixdown
from previz.media.encoding import (
    AUDIO_CODEC_ARGS,
    CONTAINER_ARGS,
    PIX_FMT,
    SAMPLE_RATE,
    VIDEO_CODEC_ARGS,
    rate_arg,
)

FONT_FILE = "burnin.ttf"
COUNTER_FILE = "counter.txt"
COUNTER_TEXT = "F %{eif:n:d:5}"  # counts from 0, as the timecode does
STEM_ARGS: tuple[str, ...] = (
    "-c:a", "pcm_s16le",
    "-ar", str(SAMPLE_RATE),
    "-ac", "2",
    "-flags:a", "+bitexact",
    "-map_metadata", "-1",
    "-fflags", "+bitexact",
)  # fmt: skip


@dataclass(frozen=True)
class Overlay:
    """A PNG (in the scratch folder) laid at x, y — always, or from ``start`` to ``end`` s."""

    name: str
    x: int
    y: int
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class Picture:
    """Everything the picture half of the graph needs."""

    width: int
    height: int
    fps: Fraction
    frames: int
    still: str
    move: CameraMove | None
    overlays: Sequence[Overlay]
    text_size: int
    strip_top: int
    strip_height: int
    bar: int = 0  # letterbox bar height, drawn after the camera move, under the lettering


def picture(plan: Picture) -> Stream:
    """The video stream: still held or moved, lettering laid over, burn-ins drawn."""
    rate = rate_arg(plan.fps)
    video = ffmpeg_python.input(plan.still).video.filter("format", PIX_FMT)
    if plan.move is not None and plan.move.filter == "zoompan":
        video = video.filter("zoompan", **plan.move.options)
    else:
        video = video.filter("loop", loop=plan.frames - 1, size=1).filter(
            "setpts", f"N/({rate})/TB"
        )
        if plan.move is not None:
            video = video.filter(plan.move.filter, **plan.move.options)
    if plan.bar > 0 and plan.move is not None:  # a still card has its bars drawn in already
        bars = {"x": 0, "w": "iw", "h": plan.bar, "color": "black", "t": "fill"}
        video = video.filter("drawbox", y=0, **bars).filter("drawbox", y=f"ih-{plan.bar}", **bars)
    for overlay in plan.overlays:
        layer = ffmpeg_python.input(overlay.name).video
        options: dict[str, object] = {"x": overlay.x, "y": overlay.y, "eof_action": "repeat"}
        if overlay.start is not None and overlay.end is not None:
            options["enable"] = f"between(t,{overlay.start:.4f},{overlay.end:.4f})"
        video = video.overlay(layer, **options)
    middle = plan.strip_top + plan.strip_height // 2
    text = {
        "fontfile": FONT_FILE,
        "fontsize": plan.text_size,
        "fontcolor": "white",
        "y": f"{middle}-th/2",
    }
    video = video.drawtext(
        timecode="00:00:00:00", timecode_rate=rate, x=f"w-tw-{plan.text_size * 7}", **text
    )
    video = video.drawtext(textfile=COUNTER_FILE, x=f"w-tw-{plan.text_size // 2}", **text)
    # An exact frame count in the graph, not -frames:v, which would cut the audio's tail.
    return video.filter("trim", end_frame=plan.frames)


def command(
    plan: Picture, stems: Mapping[str, Stream], video_out: Path, stem_outs: Mapping[str, Path]
) -> list[str]:
    """ffmpeg arguments (without the binary) writing the clip and every stem."""
    halves = {kind: stream.filter_multi_output("asplit", 2) for kind, stream in stems.items()}
    mix = mixdown([half[1] for half in halves.values()])
    outputs = [ffmpeg_python.output(picture(plan), mix, str(video_out), f="mp4")]
    outputs += [
        ffmpeg_python.output(halves[kind][0], str(stem_outs[kind]), f="wav") for kind in stems
    ]
    args: list[str] = ffmpeg_python.merge_outputs(*outputs).compile(
        cmd="ffmpeg", overwrite_output=True
    )[1:]
    frames_args = ["-r", rate_arg(plan.fps)]
    _settings_before(
        args, str(video_out), [*frames_args, *VIDEO_CODEC_ARGS, *AUDIO_CODEC_ARGS, *CONTAINER_ARGS]
    )
    for path in stem_outs.values():
        _settings_before(args, str(path), list(STEM_ARGS))
    return args


def _settings_before(args: list[str], output: str, settings: list[str]) -> None:
    """Insert output options just before the output's file name."""
    index = args.index(output)
    args[index:index] = settings
