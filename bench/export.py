"""Benchmark: assemble a generated 2,000-shot scene and export it to every format.

Prints the wall time of ``previz.timeline.assemble`` and of ``export_timeline`` for each format
(and all together), with the size of what was written. The scene has 2,000 shots of 1–4 s in
20 scenes, one to three cast, a dialogue line in a third of the shots, a dissolve every tenth
cut, a second take for every fifth shot (an alternates track) and every tenth shot failed (a
placeholder). Every clip is a real file on disk: one small H.264/AAC clip (5 s, 320x180) and
four tiny WAV stems, hard-linked under 2,000 names, so ``.otioz`` bundles ~11,000 files as it
would for real (its time grows with the media's bytes, which here are kept small).

Then, in the same run, every format again in one ``export_products`` call (the build's path:
stale formats written in parallel forked processes, slowest first), against the serial sum,
and once more with nothing changed (every export current: nothing is written).

Usage: ``.venv/bin/python bench/export.py [--shots 2000] [--fps 24] [--keep DIR] [--format F]``
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.backends.base import Clip
from previz.media import find_ffmpeg
from previz.shotlist.loader import from_data
from previz.shotlist.resolve import ResolvedShotList
from previz.timeline import FORMATS, assemble, export_timeline
from previz.timeline.export import PARALLEL_MIN_CLIPS, export_products
from previz.timeline.media import local_path

ROLES = ("dialogue", "sfx", "ambience", "music")


def scene_data(shots: int, fps: float, rng: random.Random) -> dict[str, Any]:
    """A scene file's data: ``shots`` shots in scenes of 100."""
    characters = [
        {"id": f"c{i}", "name": f"Character {i}", "description": f"character number {i}"}
        for i in range(6)
    ]
    scenes = []
    for s in range(0, shots, 100):
        entries = []
        for n in range(s, min(s + 100, shots)):
            cast = rng.sample([c["id"] for c in characters], rng.randint(1, 3))
            shot: dict[str, Any] = {
                "id": f"sh{n:05d}", "action": f"beat {n}", "cast": cast,
                "duration": f"{rng.randint(24, 96)}f", "takes": 2 if n % 5 == 0 else 1,
            }  # fmt: skip
            if n % 10 == 9:
                shot["transition_out"] = "dissolve 12f"
            if n % 3 == 0:
                shot["sound"] = [{"kind": "dialogue", "speaker": cast[0], "line": f"line {n}"}]
            entries.append(shot)
        scenes.append({"id": f"sc{s // 100:02d}", "heading": "INT. ROOM - DAY", "shots": entries})
    return {
        "schema_version": 1,
        "project": {"title": "Export bench", "fps": fps, "resolution": "320x180"},
        "characters": characters,
        "scenes": scenes,
    }


def media_files(folder: Path, seconds: float) -> tuple[Path, dict[str, Path]]:
    """One real clip and four stems that every shot's files are hard-linked from."""
    clip = folder / "source.mp4"
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c=0x336699:s=320x180:r=24:d={seconds}", "-f", "lavfi", "-i",
         f"sine=f=440:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
         "-shortest", str(clip)],
        check=True,
    )  # fmt: skip
    stems = {}
    for role in ROLES:
        stems[role] = folder / f"source_{role}.wav"
        subprocess.run([str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i",
                        "anullsrc=r=8000:cl=mono:d=1", str(stems[role])],
                       check=True)  # fmt: skip
    return clip, stems


def clips_for(shotlist: ResolvedShotList, folder: Path) -> dict[tuple[str, int], Clip]:
    """A clip for every take of every shot but each tenth (those failed), as real files."""
    source, stems = media_files(folder, 5.0)
    clips: dict[tuple[str, int], Clip] = {}
    for index, shot in enumerate(shotlist.shots):
        if index % 10 == 4:
            continue
        for take in range(1, shot.takes + 1):
            path = folder / f"{shot.id}_t{take}.mp4"
            os.link(source, path)
            own = {}
            for role, stem in stems.items():
                own[role] = folder / f"{shot.id}_t{take}_{role}.wav"
                os.link(stem, own[role])
            clips[(shot.id, take)] = Clip(
                shot_id=shot.id, take=take, path=path, duration=shot.seconds + 1.0,
                fps=float(shotlist.rate), width=320, height=180, has_audio=True,
                backend="animatic", model="card", prompt=f"prompt for {shot.id}",
                template_hash="0" * 16, cache_key=f"v1-{shot.id}-{take}", stems=own,
            )  # fmt: skip
    return clips


def clock() -> tuple[float, float]:
    """Wall time, and CPU time of this process plus its finished children (export workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return time.perf_counter(), cpu


def since(start: tuple[float, float]) -> tuple[float, float]:
    now = clock()
    return now[0] - start[0], now[1] - start[1]


def size_of(paths: list[Path]) -> str:
    total = sum(p.stat().st_size for p in paths)
    return f"{total / 1e6:.1f} MB" if total >= 1e6 else f"{total / 1e3:.0f} kB"


def copy_media(timeline: Any, target: Path) -> list[Path]:
    """Baseline for ``.otioz``: read every media file the cut references and write the same
    bytes into one file (the least any bundle must do)."""
    sources = list(dict.fromkeys(
        local_path(clip.media_reference.target_url) for clip in timeline.find_clips()
        if isinstance(clip.media_reference, otio.schema.ExternalReference)
    ))  # fmt: skip
    with target.open("wb") as out:
        for source in sources:
            with source.open("rb") as media:
                shutil.copyfileobj(media, out, 1 << 20)
    return [target]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--fps", type=float, default=24)
    parser.add_argument("--keep", type=Path, help="write here and keep the files")
    parser.add_argument("--format", dest="formats", action="append", choices=FORMATS,
                        help="only these formats (repeatable; default every one)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="previz-bench-export-") as scratch:
        root = args.keep or Path(scratch)
        media, out = root / "media", root / "out"
        media.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        shotlist = from_data(scene_data(args.shots, args.fps, random.Random(7)), base_dir=root)
        loaded = time.perf_counter()
        clips = clips_for(shotlist, media)
        began_clock = clock()
        timeline = assemble(shotlist, clips)
        assembled, assembled_cpu = since(began_clock)
        print(
            f"{args.shots} shots at {args.fps} fps, {len(clips)} clips "
            f"({len(timeline.tracks)} tracks, {len(list(timeline.find_clips()))} OTIO clips)"
        )
        print(f"load + resolve the scene: {loaded - started:6.2f} s")
        print(f"assemble:                 {assembled:6.2f} s wall {assembled_cpu:6.2f} s CPU")
        total = total_cpu = 0.0
        for fmt in args.formats or FORMATS:
            began = clock()
            written = export_timeline(timeline, out, [fmt])[fmt]
            spent, cpu = since(began)
            total, total_cpu = total + spent, total_cpu + cpu
            print(f"export {fmt:<9}         {spent:6.2f} s wall {cpu:6.2f} s CPU  "
                  f"{len(written)} file(s), {size_of(written)}")  # fmt: skip
            if fmt == "otioz":
                began = clock()
                copied = copy_media(timeline, out / "baseline.bytes")
                base, base_cpu = since(began)
                print(f"  baseline: copy the same media bytes {base:6.2f} s wall "
                      f"{base_cpu:6.2f} s CPU  {size_of(copied)}; .otioz = {cpu / base_cpu:.1f}x "
                      "its CPU")  # fmt: skip
                copied[0].unlink()
        print(f"export, every format:     {total:6.2f} s wall {total_cpu:6.2f} s CPU  (one after "
              "another)")  # fmt: skip
        print(f"assemble + export:        {assembled + total:6.2f} s")
        chosen = args.formats or list(FORMATS)
        began = clock()
        together = export_products(timeline, root / "parallel", chosen)
        spent, cpu = since(began)
        how = (f"stale formats in parallel processes, {os.cpu_count()} cores"
               if sum(len(t) for t in timeline.tracks) >= PARALLEL_MIN_CLIPS
               else "serial: a cut this small is not worth forking for")  # fmt: skip
        print(f"every format in one export_products call ({how}): {spent:6.2f} s wall = "
              f"{spent / total:.2f}x the serial sum; {cpu:6.2f} s CPU")  # fmt: skip
        began = clock()
        again = export_products(timeline, root / "parallel", chosen)
        spent, cpu = since(began)
        print(
            f"the same again, nothing changed: {spent:6.2f} s wall {cpu:6.2f} s CPU, "
            f"{len(again.rewritten)} format(s) rewritten of {len(together.rewritten)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
