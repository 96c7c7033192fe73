"""Bench: one-line edits of a long scene file (what `previz select` and `previz conform` do).

A generated scene of N shots; each round sets one shot's ``duration`` and writes the file.
SceneEdit (libyaml marks, text splicing, then a validating save) is compared with the baseline
measured in the same run: ruamel's round trip (load, change, dump) — what `previz select` did
before, and the least a whole-file rewrite costs. Prints seconds per edit and the ratio.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from previz.shotlist.edit import SceneEdit


def scene_text(shots: int) -> str:
    body = "".join(
        f'      - id: s{i}   # shot {i}\n        action: "Shot {i}: a figure crosses."\n'
        f"        duration: 2s\n        cast: [ ana ]\n"
        for i in range(shots)
    )
    return (
        'schema_version: 1\nproject:\n  title: Bench\n  aspect: "16:9"\ncharacters:\n'
        "  - {id: ana, name: Ana, description: a woman}\nscenes:\n  - id: sc1\n"
        f"    heading: INT. HALL - DAY\n    shots:\n{body}"
    )


def ruamel_round_trip(path: Path, shot: int) -> None:
    yaml = YAML(typ="rt")
    data = yaml.load(path.read_text())
    data["scenes"][0]["shots"][shot]["duration"] = "3s"
    out = io.StringIO()
    yaml.dump(data, out)
    path.write_text(out.getvalue())


def scene_edit(path: Path, shot: int) -> None:
    edit = SceneEdit(path)
    edit.set_field(f"s{shot}", "duration", "3s")
    edit.save()


def per_edit(run: object, path: Path, edits: int, shots: int) -> float:
    start = time.perf_counter()
    for n in range(edits):
        run(path, n * shots // edits)  # type: ignore[operator]
    return (time.perf_counter() - start) / edits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=300)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scene.yaml"
        path.write_text(scene_text(args.shots))
        baseline = per_edit(ruamel_round_trip, path, args.edits, args.shots)
        path.write_text(scene_text(args.shots))
        ours = per_edit(scene_edit, path, args.edits, args.shots)
    print(f"{args.shots} shots, {args.edits} edits each")
    print(f"baseline ruamel round trip: {baseline * 1000:.0f} ms/edit")
    print(f"SceneEdit (splice + validate + save): {ours * 1000:.0f} ms/edit")
    print(f"ratio: {ours / baseline:.2f}x the baseline")


if __name__ == "__main__":
    main()
