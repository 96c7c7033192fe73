"""Benchmark: the animatic as a product — first join, no-op rebuild, one-shot change.

Makes ``--shots`` takes (a coloured clip with a tone, plus a dialogue and an ambience stem, each
2–4 s, a dissolve every fifth cut), then times :func:`previz.media.sequence.build_sequence`:

- **full**: every part encoded, the sound mixed, the whole joined (the baseline, = 1.00);
- **no-op**: the same cut again: the product key matches, the file is not touched;
- **one shot changed**: one take replaced: only its parts are encoded, the rest re-joined by
  stream copy and the sound re-mixed once.

Prints each against the full build in the same run (ratios), and the parts encoded.

Usage: ``.venv/bin/python bench/sequence.py [--shots 24] [--width 640] [--height 360]
[--fps 24]``
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from previz.media import find_ffmpeg
from previz.media.sequence import (
    PicturePart,
    SequenceResult,
    SoundPart,
    SoundSource,
    Source,
    build_sequence,
)
from previz.timebase import exact_rate, frames_in, samples_at

DISSOLVE = 8


def _take(folder: Path, index: int, seconds: float, size: str, fps: str, seed: int) -> Path:
    path = folder / f"take{index}_{seed}.mp4"
    colour = f"0x{random.Random(seed * 1000 + index).randrange(0xFFFFFF):06X}"
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c={colour}:s={size}:r={fps}:d={seconds}", "-f", "lavfi", "-i",
         f"sine=f={200 + 40 * index}:r=48000:d={seconds}", "-c:v", "libx264", "-preset",
         "ultrafast", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _stem(folder: Path, name: str, source: str, seconds: float) -> Path:
    path = folder / f"{name}.wav"
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t",
         f"{seconds}", "-ac", "2", "-ar", "48000", str(path)],
        check=True,
    )  # fmt: skip
    return path


def cut(
    takes: list[tuple[Path, Path, Path]], lengths: list[int], fps: Fraction
) -> tuple[list[PicturePart], list[SoundPart]]:
    """Bodies, a dissolve into every fifth shot (from the previous take's tail), and sound."""
    pictures: list[PicturePart] = []
    sounds: list[SoundPart] = []
    head = 0
    for index, ((video, dialogue, bed), frames) in enumerate(zip(takes, lengths, strict=True)):
        dissolve = DISSOLVE if index % 5 == 4 else 0
        key = str(video)
        if dissolve:
            before = takes[index - 1][0]
            pictures.append(PicturePart(dissolve, Source(before, str(before), lengths[index - 1]),
                                        Source(video, key), dissolve=True))  # fmt: skip
        pictures.append(PicturePart(frames - dissolve, Source(video, key, dissolve)))
        samples = samples_at(head + frames, fps, 48_000) - samples_at(head, fps, 48_000)
        placed = tuple(SoundSource(Source(p, str(p)), 0, samples) for p in (dialogue, bed))
        sounds.append(SoundPart(samples, placed))
        head += frames
    return pictures, sounds


def timed(run: object) -> tuple[float, SequenceResult]:
    start = time.perf_counter()
    result = run()  # type: ignore[operator]
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", type=int, default=24)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=float, default=24)
    args = parser.parse_args()
    fps = exact_rate(args.fps)
    rate = f"{fps.numerator}/{fps.denominator}"
    size = f"{args.width}x{args.height}"
    pick = random.Random(3)
    seconds = [pick.choice([2.0, 2.5, 3.0, 3.5, 4.0]) for _ in range(args.shots)]
    lengths = [frames_in(s, fps) for s in seconds]
    with tempfile.TemporaryDirectory(prefix="previz-bench-sequence-") as name:
        folder = Path(name)
        takes = [
            (_take(folder, i, s + 0.5, size, rate, 1),
             _stem(folder, f"d{i}", f"sine=f={300 + 20 * i}:r=48000,volume=0.3", s + 0.5),
             _stem(folder, f"a{i}", f"anoisesrc=color=brown:seed={i}:r=48000:a=0.03", s + 0.5))
            for i, s in enumerate(seconds)
        ]  # fmt: skip
        dest, work = folder / "animatic.mp4", folder / "work"

        def build(parts: tuple[list[PicturePart], list[SoundPart]]) -> SequenceResult:
            return build_sequence(*parts, dest, ffmpeg=find_ffmpeg(), width=args.width,
                                  height=args.height, fps=fps, workdir=work)  # fmt: skip

        full, first = timed(lambda: build(cut(takes, lengths, fps)))
        noop, same = timed(lambda: build(cut(takes, lengths, fps)))
        changed = list(takes)
        middle = args.shots // 2
        changed[middle] = (_take(folder, middle, seconds[middle] + 0.5, size, rate, 2),
                           *takes[middle][1:])  # fmt: skip
        one, rebuilt = timed(lambda: build(cut(changed, lengths, fps)))
    total = sum(lengths) / float(fps)
    print(
        f"animatic sequence: {args.shots} shots, {total:.0f} s of cut at {size}, {args.fps:g} fps"
    )
    print(f"  full build        {full:6.2f} s  1.00   parts encoded {len(first.encoded)}")
    print(f"  no-op rebuild     {noop:6.2f} s  {noop / full:.3f}  rewritten {same.written}")
    print(f"  one shot changed  {one:6.2f} s  {one / full:.3f}  parts encoded "
          f"{len(rebuilt.encoded)}")  # fmt: skip


if __name__ == "__main__":
    main()
