"""Varied cuts for the writer equivalence tests: built without media, byte-for-byte repeatable.

Each case is a timeline as ``assemble`` (or an editor) makes it, referencing media under a
fixed absolute folder that need not exist (the FCPXML, Kdenlive and EDL writers never open
media). Golden documents written from these cases by the writers as they were before their
rewrite live in ``tests/data/golden/exports/``; the equivalence test writes each case again
and compares. ``python -m tests.export_cases`` rewrites the golden files (only ever from a
writer known to be right).

What the cases cover: dissolves (also shortened to the handle there is), fades in at the head,
in and out inside the cut and out at the tail, an editor's gap, placeholders for failed shots,
alternate takes on tracks below V1, clip and timeline markers (shot heads, sound cues, a bed),
four sound stems and a clip with only its own mixed sound, head-trimmed takes, names that need
escaping, at 23.976, 24, 25 and 29.97 fps; plus the hand-built representative cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.shotlist.loader import from_data
from previz.timeline import assemble

MEDIA = Path("/media/previz-golden")
RELATIVE_TO = Path("/media/previz-golden/out")
GOLDEN = Path(__file__).parent / "data" / "golden" / "exports"
RATES = ("23.976", "24", "25", "29.97")
ROLES = ("dialogue", "sfx", "ambience", "music")


@dataclass(frozen=True)
class _Take:
    """A take as the timeline reads it (the :class:`previz.timeline.take.Take` facts)."""

    shot_id: str
    take: int
    path: Path
    duration: float
    fps: float
    has_audio: bool = True
    stems: dict[str, Path] = field(default_factory=dict)
    width: int = 320
    height: int = 180
    backend: str = "animatic"
    model: str = "card"
    template_hash: str = "0" * 16
    cost: float = 0.0
    remote_id: str | None = None

    @property
    def prompt(self) -> str:
        return f"prompt for {self.shot_id} & <take {self.take}>"

    @property
    def cache_key(self) -> str:
        return f"v1-{self.shot_id}-{self.take}"


def _shot(n: int, count: int) -> dict[str, Any]:
    cast = [f"c{(n + k) % 4}" for k in range(1 + n % 3)]
    shot: dict[str, Any] = {
        "id": f"sh{n:03d}", "action": f"beat {n}: \"quoted\" & <angled>", "cast": cast,
        "duration": f"{18 + (n * 7) % 41}f", "takes": 2 if n % 5 == 0 else 1,
    }  # fmt: skip
    if n == 0:
        shot["transition_in"] = "fade in 6f"
    if n == count - 1:
        shot["transition_out"] = "fade out 8f"
    elif n % 7 == 3:
        shot["transition_out"] = "dissolve 12f"
    elif n % 11 == 6:
        shot["transition_out"] = "fade out 4f"
    elif n % 11 == 8:
        shot["transition_in"] = "fade in 5f"
    elif n == 13:
        shot["transition_out"] = "dissolve 20f"  # longer than the tail handle: shortened
    if n % 3 == 0:
        shot["sound"] = [{"kind": "dialogue", "speaker": cast[0], "line": f"line {n}"}]
    if n % 4 == 1:
        shot.setdefault("sound", []).append({"kind": "sfx", "description": f"door {n}"})
    if n % 6 == 2:
        shot.setdefault("sound", []).append(
            {"kind": "music", "description": "cue", "duration": "12f"}
        )
    return shot


def _scene_data(count: int, fps: str) -> dict[str, Any]:
    characters = [
        {"id": f"c{i}", "name": f"Character {i}", "description": f"character {i}"} for i in range(4)
    ]
    scenes = []
    for s in range(0, count, 10):
        shots = [_shot(n, count) for n in range(s, min(s + 10, count))]
        scenes.append({"id": f"sc{s // 10:02d}", "heading": "INT. ROOM - DAY", "shots": shots})
    scenes[0]["shots"][0].setdefault("sound", []).append(
        {"kind": "ambience", "description": "room tone", "until": f"sh{min(count, 10) - 1:03d}"}
    )
    return {
        "schema_version": 1,
        "project": {"title": f"Golden & <cut> {fps}", "fps": float(fps),
                    "resolution": "320x180"},
        "characters": characters,
        "scenes": scenes,
    }  # fmt: skip


def _takes(shotlist: Any) -> dict[tuple[str, int], _Take]:
    takes: dict[tuple[str, int], _Take] = {}
    for index, shot in enumerate(shotlist.shots):
        if index % 9 == 4:
            continue  # failed: a placeholder
        for number in range(1, shot.takes + 1):
            name = f"{shot.id}_t{number}"
            stems = {
                role: MEDIA / f"{name}_{role}.wav"
                for k, role in enumerate(ROLES)
                if (index + k) % 3 != 0
            }
            mixed_only = index % 8 == 7  # a service's clip with its own sound and no stems
            takes[(shot.id, number)] = _Take(
                shot_id=shot.id, take=number, path=MEDIA / f"{name}.mp4",
                duration=shot.seconds + (0.25 if index == 13 else 1.0), fps=float(shotlist.rate),
                stems={} if mixed_only else stems,
            )  # fmt: skip
    return takes


def assembled(fps: str, count: int = 24) -> otio.schema.Timeline:
    """``count`` shots at ``fps`` cut by ``assemble``, with an editor's gap after the 3rd."""
    shotlist = from_data(_scene_data(count, fps), base_dir=MEDIA)
    failures = {s.id: "content policy" for i, s in enumerate(shotlist.shots) if i % 9 == 4}
    timeline = assemble(shotlist, _takes(shotlist), failures=failures)
    rate = float(shotlist.rate)
    for track in timeline.tracks:
        names = [item.name.split(" ")[0] for item in track]
        if "sh002" in names:
            at = names.index("sh002")
            track.insert(at + 1, otio.schema.Gap(duration=otio.opentime.RationalTime(10, rate)))
    return timeline


def representative() -> otio.schema.Timeline:
    """The hand-built cut of ``tests.timeline_fixtures`` (gap, dissolve, alternate, markers)."""
    from tests import timeline_fixtures as fixtures

    takes = (*fixtures.SHOTS, fixtures.ALTERNATE)
    return fixtures.representative_cut(
        Fraction(24000, 1001), {s.name: MEDIA / f"{s.name}.mp4" for s in takes}
    )


CASES: dict[str, Callable[[], otio.schema.Timeline]] = {
    **{f"cut-{fps}": (lambda fps=fps: assembled(fps)) for fps in RATES},
    "short-25": lambda: assembled("25", count=2),
    "representative": representative,
}


def write_all(folder: Path, case: str, timeline: otio.schema.Timeline) -> list[Path]:
    """Every golden document of ``case``: FCPXML, Kdenlive (absolute and relative), the EDLs."""
    from previz.timeline import edl, fcpxml, kdenlive
    from previz.timeline.export import frame_size
    from previz.timeline.media import with_media_policy

    out = folder / case
    out.mkdir(parents=True, exist_ok=True)
    width, height = frame_size(timeline)
    absolute = with_media_policy(timeline, None)
    relative = with_media_policy(timeline, RELATIVE_TO)
    written = [out / "timeline.fcpxml", out / "relative.fcpxml", out / "timeline.kdenlive",
               out / "relative.kdenlive"]  # fmt: skip
    fcpxml.write(absolute, written[0], width=width, height=height)
    fcpxml.write(relative, written[1], width=width, height=height, relative_to=RELATIVE_TO)
    kdenlive.write(absolute, written[2], width=width, height=height)
    kdenlive.write(relative, written[3], width=width, height=height, relative_to=RELATIVE_TO)
    for index, name in enumerate(edl.track_names(timeline)):
        path = out / f"timeline.{name}.edl"
        edl.write_track(absolute, index, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for case, build in CASES.items():
        for path in write_all(GOLDEN, case, build()):
            print(path.relative_to(GOLDEN), path.stat().st_size)


def with_media_files(timeline: otio.schema.Timeline, folder: Path) -> otio.schema.Timeline:
    """``timeline`` referencing small real files under ``folder`` (bytes named for the file)."""
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference):
            path = folder / Path(reference.target_url).name
            if not path.exists():
                folder.mkdir(parents=True, exist_ok=True)
                path.write_bytes(path.name.encode() * 50)
            reference.target_url = path.as_uri()
    return copy


def bundle_summary(path: Path) -> dict[str, Any]:
    """What an ``.otioz`` holds, less what differs between two writes (member dates)."""
    import hashlib
    import zipfile

    with zipfile.ZipFile(path) as bundle:
        members = [
            [info.filename, info.compress_type, info.file_size, info.CRC]
            for info in bundle.infolist()
        ]
        content = bundle.read("content.otio")
    return {"members": members, "content.otio": hashlib.sha256(content).hexdigest()}
