"""Benchmark: joining the animatic — our MP4 writer against ffmpeg's concat mux, same inputs.

Makes ``--parts`` picture parts at 160x90 (eight distinct ones, 1-2.5 s each with B-frames,
cycled: the join reads every one as its own file) and the cut's chunked AAC soundtrack (a tone),
then joins them ``--rounds`` times each way, alternating:

- **ffmpeg**: the concat demuxer, stream copy, the AAC shifted by its priming frame (the way
  the animatic was joined until session 4, and still the fallback) — the baseline, = 1.00;
- **ours**: :func:`previz.media.join.join_animatic` (the same packets, proven in
  ``tests/unit/test_media_join.py``).

Prints CPU (this process and its children) and wall, best of the rounds, and the ratio.

Usage: ``.venv/bin/python bench/join.py [--parts 200] [--fps 24] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from previz.media import find_ffmpeg
from previz.media.encoding import sample_count
from previz.media.join import join_animatic
from previz.media.parts import Frame, PicturePart, SoundPart, encode_picture, picture_key
from previz.media.sequence import _mux_with_ffmpeg
from previz.media.soundtrack import Soundtrack, encode_soundtrack
from previz.timebase import exact_rate


def cpu() -> float:
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """CPU (with children) and wall of one run."""
    wall, used = time.perf_counter(), cpu()
    run()
    return cpu() - used, time.perf_counter() - wall


def inputs(folder: Path, count: int, fps: Fraction) -> tuple[list[Path], Soundtrack]:
    frame = Frame(160, 90, fps)
    lengths = [int(fps * s) for s in (1, 1.5, 2, 2.5, 1.25, 1.75, 2.25, 1.1)]
    distinct = []
    for index, length in enumerate(lengths):
        part = PicturePart(length, None, record=index)
        path = folder / f"{picture_key(part, frame)}.mp4"
        encode_picture(part, path, frame, ffmpeg=find_ffmpeg())
        distinct.append(path)
    parts = [distinct[i % len(distinct)] for i in range(count)]
    frames = sum(lengths[i % len(lengths)] for i in range(count))
    sound = [SoundPart(sample_count(frames, fps), ())]
    (folder / "sound").mkdir()
    track = encode_soundtrack(
        sound, ["silence"], folder / "cut.aac", folder / "sound", ffmpeg=find_ffmpeg()
    )
    return parts, track


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=200)
    parser.add_argument("--fps", default="24")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        parts, track = inputs(folder, args.parts, exact_rate(Fraction(args.fps)))
        ours, theirs = folder / "ours.mp4", folder / "ffmpeg.mp4"
        results: dict[str, list[tuple[float, float]]] = {"ffmpeg": [], "ours": []}

        def join_with_ffmpeg() -> None:
            _mux_with_ffmpeg(parts, track, theirs, "bench", ffmpeg=find_ffmpeg())

        def join_ours() -> None:
            join_animatic(parts, track, ours, comment="previz-animatic:bench")

        for _ in range(args.rounds):  # alternating, so both see the same machine load
            results["ffmpeg"].append(timed(join_with_ffmpeg))
            results["ours"].append(timed(join_ours))
        base = min(c for c, _ in results["ffmpeg"])
        print(
            f"{args.parts} parts, {track.frames} AAC frames, {args.fps} fps, best of {args.rounds}"
        )
        for name, runs in results.items():
            used, wall = min(c for c, _ in runs), min(w for _, w in runs)
            print(f"{name:<7} {used:6.3f} s CPU  {used / base:5.2f}x   {wall:6.3f} s wall")


if __name__ == "__main__":
    main()
