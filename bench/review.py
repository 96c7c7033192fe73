"""Benchmark: the review page and the PDF boards of a generated 300-shot build.

The build is the export bench's scene (300 shots of 1–4 s, a second take on every fifth shot,
every tenth shot failed) with real media: one small H.264 clip copied under each take's name
with a distinct ``free`` box appended, so every take has its own bytes (its own hash, its own
poster) and still decodes. The timeline is assembled and written as a build would.

Prints, measured in the same run:

- the baseline: reading the build back (``read_build``: timeline.otio + build.json), warm;
- the first ``write_review`` (a poster decoded and written per take, the page rendered);
- ``write_review`` again with nothing changed (clips hashed, page rendered, nothing written);
- ``write_boards`` (posters already there);

and the unchanged rewrite as a ratio of the first write and of the baseline.

Usage: ``.venv/bin/python bench/review.py [--shots 300]``
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.export import clips_for, scene_data
from previz.backends.base import Clip
from previz.review import read_build, write_boards, write_review
from previz.shotlist.loader import from_data
from previz.timeline import assemble, export_timeline


def distinct_media(clips: dict[tuple[str, int], Clip]) -> None:
    """Give every take its own bytes: replace each hard link by a copy with a ``free`` box."""
    for (shot_id, take), clip in clips.items():
        data = clip.path.read_bytes()
        clip.path.unlink()
        tag = f"{shot_id}/{take}".encode()
        clip.path.write_bytes(data + (8 + len(tag)).to_bytes(4, "big") + b"free" + tag)


def timed(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="previz-bench-review-") as scratch:
        root = Path(scratch)
        out = root / "out"
        (root / "media").mkdir()
        shotlist = from_data(scene_data(args.shots, 24, random.Random(7)), base_dir=root)
        clips = clips_for(shotlist, root / "media")
        distinct_media(clips)
        failures = {s.id: "blocked" for s in shotlist.shots if (s.id, 1) not in clips}
        export_timeline(assemble(shotlist, clips, failures=failures), out, ["otio"])
        failed = [{"shot": s, "take": 1, "reason": r} for s, r in failures.items()]
        summary = {"generated": len(clips), "cached": 0, "spent_usd": 0.0, "failures": failed}
        (out / "build.json").write_text(json.dumps(summary))
        read_build(out)  # warm: OTIO's adapter manifest loads on first use
        baseline = timed(lambda: read_build(out))
        first = timed(lambda: write_review(out))
        page = out / "review" / "index.html"
        stamp = page.stat().st_mtime_ns
        again = timed(lambda: write_review(out))
        assert page.stat().st_mtime_ns == stamp, "an unchanged build rewrote the page"
        boards = timed(lambda: write_boards(out))
        posters = len(list((out / "review" / "posters").glob("*.jpg")))
        print(f"{args.shots} shots, {len(clips)} takes with media, {posters} posters")
        print(f"baseline: read the build back    {baseline:6.2f} s")
        print(
            f"write_review, first              {first:6.2f} s  ({first / baseline:.1f}× baseline)"
        )
        print(f"write_review, nothing changed    {again:6.2f} s  "
              f"({again / baseline:.2f}× baseline, {again / first:.3f}× the first)")  # fmt: skip
        print(f"write_boards                     {boards:6.2f} s  "
              f"({(out / 'boards.pdf').stat().st_size / 1e6:.1f} MB)")  # fmt: skip
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
