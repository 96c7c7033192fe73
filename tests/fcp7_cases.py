"""Timelines the FCP7 writer is proven on: every kind of cut previz makes, and OTIO-made edits.

Each case is built deterministically, without media on disk (``assemble`` only needs paths), so
the document written for it can be compared byte for byte with a golden file. The goldens in
``tests/data/fcp7`` were written by the previous FCP7 path (``otio-fcp-adapter`` with
minidom, then lxml fix-up passes) before previz wrote FCP7 XML itself.
``python -m tests.fcp7_cases`` rewrites them (only ever from a writer known to be right, e.g.
after a change to a case).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.backends.base import Clip
from previz.shotlist.loader import from_data
from previz.timeline import assemble
from tests.conform_fixtures import edit_the_cut

MEDIA = Path("/previz-golden/media")
ROLES = ("dialogue", "sfx", "ambience", "music")
RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange


def _shot(n: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"sh{n:03d}0", "action": f"beat {n}", "duration": f"{24 + (n * 7) % 41}f",
            **extra}  # fmt: skip


def _scene(fps: float, shots: list[dict[str, Any]], title: str = "Golden") -> dict[str, Any]:
    characters = [
        {"id": "anna", "name": "Anna", "description": "a woman in a red coat"},
        {"id": "ben", "name": "Ben & Co", "description": "a man <at> the desk"},
    ]
    return {
        "schema_version": 1,
        "project": {"title": title, "fps": fps, "resolution": "320x180"},
        "characters": characters,
        "scenes": [{"id": "sc1", "heading": "INT. FLAT - NIGHT", "shots": shots}],
    }


def _takes(
    scene: dict[str, Any], *, failed: set[str] = frozenset(), stems: tuple[str, ...] = ROLES,
    mixed: set[str] = frozenset(),
) -> tuple[Any, dict[tuple[str, int], Clip]]:  # fmt: skip
    shotlist = from_data(scene, base_dir=MEDIA)
    clips: dict[tuple[str, int], Clip] = {}
    for shot in shotlist.shots:
        if shot.id in failed:
            continue
        for take in range(1, shot.takes + 1):
            own = {} if shot.id in mixed else {
                role: MEDIA / f"{shot.id}_t{take}_{role}.wav" for role in stems
            }  # fmt: skip
            clips[(shot.id, take)] = Clip(
                shot_id=shot.id, take=take, path=MEDIA / f"{shot.id}_t{take}.mp4",
                duration=shot.seconds + 1.0, fps=float(shotlist.rate), width=320, height=180,
                has_audio=shot.id not in failed, backend="animatic", model="card",
                prompt=f"prompt for {shot.id}", template_hash="0" * 16,
                cache_key=f"v1-{shot.id}-{take}", stems=own,
            )  # fmt: skip
    return shotlist, clips


def featured(fps: float) -> otio.schema.Timeline:
    """Fade in at the head, dissolves, a failed shot, alternates, cues, notes, mixed sound."""
    shots = [
        _shot(1, transition_in="fade in 6f", transition_out="dissolve 8f", takes=2,
              cast=["anna"], notes="hold on the door\nthen cut"),
        _shot(2, cast=["anna", "ben"],
              sound=[{"kind": "dialogue", "speaker": "anna", "line": "Who's \"there\" & why?",
                      "delivery": "whispering"},
                     {"kind": "sfx", "description": "a door <creaks>", "start": "6f"}]),
        _shot(3, transition_out="dissolve 12f"),
        _shot(4, takes=3, sound=[{"kind": "music", "description": "strings", "until": "sh0060"}]),
        _shot(5, action="Anna reads — é → ü", transition_out="fade out 4f"),
        _shot(6, transition_in="fade in 4f"),
        _shot(7, transition_out="fade out 10f"),
    ]  # fmt: skip
    shotlist, clips = _takes(_scene(fps, shots), failed={"sh0030"}, mixed={"sh0050"})
    return assemble(shotlist, clips, failures={"sh0030": "the backend refused"})


def one_shot() -> otio.schema.Timeline:
    shotlist, clips = _takes(_scene(24, [_shot(1)], title="One"), stems=("dialogue",))
    return assemble(shotlist, clips)


def long_cut(shots: int = 60) -> otio.schema.Timeline:
    """A cut like the export bench's: dissolves, alternates, cues and failed shots."""
    entries = []
    for n in range(shots):
        extra: dict[str, Any] = {"takes": 2 if n % 5 == 0 else 1}
        if n % 10 == 9:
            extra["transition_out"] = "dissolve 12f"
        if n % 3 == 0:
            extra["sound"] = [{"kind": "dialogue", "speaker": "anna", "line": f"line {n}"}]
        entries.append(_shot(n, **extra))
    failed = {f"sh{n:03d}0" for n in range(shots) if n % 10 == 4}
    shotlist, clips = _takes(_scene(24, entries, title="Long"), failed=failed)
    return assemble(shotlist, clips)


def all_failed() -> otio.schema.Timeline:
    """Placeholders only: equal placeholders share one file, silent tracks hold only gaps."""
    shots = [_shot(1, duration="24f"), _shot(2, duration="24f"), _shot(3)]
    shotlist, clips = _takes(_scene(25, shots), failed={"sh0010", "sh0020", "sh0030"})
    timeline = assemble(shotlist, clips)
    timeline.name = ""  # the sequence is then named after the stack
    return timeline


def edited() -> otio.schema.Timeline:
    """The conform fixture's edit of a cut: trims, a swap, a title card without media, speed."""
    shots = [_shot(1, duration="24f"), _shot(2, duration="24f"), _shot(3),
             _shot(4, takes=2), _shot(5)]  # fmt: skip
    shotlist, clips = _takes(_scene(24, shots), stems=("dialogue",))
    timeline = assemble(shotlist, clips)
    for old, new in (("sh0010", "s1"), ("sh0020", "s2"), ("sh0030", "s3"), ("sh0040", "s4"),
                     ("sh0050", "s5")):  # fmt: skip
        for clip in timeline.find_clips():
            clip.name = clip.name.replace(old, new)
    return edit_the_cut(timeline)


def _clip(name: str, url: str, frames: int = 24, start: int = 0) -> otio.schema.Clip:
    return otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(
            target_url=url, available_range=TR(RT(0, 24), RT(frames + 24, 24))
        ),
        source_range=TR(RT(start, 24), RT(frames, 24)),
    )


def shared_clips() -> otio.schema.Timeline:
    """Hand-made OTIO: one clip on a picture and a sound track, a clip used twice, audio first."""
    timeline = otio.schema.Timeline(name="shared", global_start_time=RT(86400, 24))
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    both = _clip("both", "file:///m/both.mov")
    both.markers.append(otio.schema.Marker(name="m1", marked_range=TR(RT(2, 24), RT(3, 24))))
    both.markers.append(otio.schema.Marker(name="m2", marked_range=TR(RT(5, 24), RT(0, 24)),
                                           comment="second"))  # fmt: skip
    sound.append(_clip("sound only", "file:///m/sound.wav", 12, start=3))
    sound.append(otio.schema.Gap(duration=RT(6, 24)))
    sound.append(both.clone())
    picture.append(_clip("twice", "file:///m/twice.mov"))
    picture.append(otio.schema.Transition(in_offset=RT(4, 24), out_offset=RT(4, 24)))
    picture.append(both)
    picture.append(_clip("twice", "file:///m/twice.mov"))
    picture.append(otio.schema.Transition(name="out", in_offset=RT(6, 24), out_offset=RT(0, 24)))
    timeline.tracks.extend([sound, picture, otio.schema.Track(name="A2", kind="Audio")])
    timeline.tracks.markers.append(
        otio.schema.Marker(name="seq", marked_range=TR(RT(10, 24), RT(4, 24)), comment="a & b")
    )
    return timeline


def picture_then_sound() -> otio.schema.Timeline:
    """A clip on the picture track repeated on sound tracks, where a dissolve moves its cut."""
    timeline = otio.schema.Timeline(name="expanded", global_start_time=RT(0, 24))
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    shared = _clip("shared", "file:///m/shared.mov", start=5)
    shared.markers.append(otio.schema.Marker(name="head", marked_range=TR(RT(5, 24), RT(1, 24)),
                                             comment="note"))  # fmt: skip
    shared.metadata["previz"] = {"has_audio": True, "shot": "a"}
    picture.extend(
        [
            _clip("first", "file:///m/first.mov"),
            otio.schema.Transition(in_offset=RT(3, 24), out_offset=RT(5, 24)),
            shared,
        ]
    )
    dialogue = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    dialogue.extend([otio.schema.Gap(duration=RT(24, 24)), shared.clone(), shared.clone()])
    music = otio.schema.Track(name="A2", kind=otio.schema.TrackKind.Audio)
    music.extend([shared.clone(), _clip("first", "file:///m/first.mov")])
    timeline.tracks.extend([picture, dialogue, music])
    return timeline


def odd_rates() -> otio.schema.Timeline:
    """Hand-made OTIO whose clips, media and transitions run at rates other than the cut's."""
    timeline = otio.schema.Timeline(name="odd rates", global_start_time=RT(3600, 24))
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    fast = otio.schema.Clip(
        name="",
        media_reference=otio.schema.ExternalReference(
            target_url="file:///m/high%20rate.mov;v=1?x#y",
            available_range=TR(RT(10, 30), RT(90, 30)),
        ),
        source_range=TR(RT(30, 48), RT(37, 48)),
    )
    named = _clip("named", "http://host/path/clip.mp4", 17, start=2)
    named.media_reference.name = "the clip"
    picture.extend([fast, otio.schema.Transition(in_offset=RT(5, 48), out_offset=RT(3, 25)),
                    named, otio.schema.Gap(duration=RT(7, 30))])  # fmt: skip
    placeholder = otio.schema.Clip(
        name="card", media_reference=otio.schema.MissingReference(),
        source_range=TR(RT(0, 25), RT(13, 25)),
    )  # fmt: skip
    picture.append(placeholder)
    timeline.tracks.append(picture)
    return timeline


def fades_at_both_ends() -> otio.schema.Timeline:
    """The FCP7 unit test's cut: black, a fade up, two shots, a fade out, black."""
    timeline = otio.schema.Timeline(name="t", global_start_time=RT(86400, 24))
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    black = otio.schema.Gap(duration=RT(0, 24))
    picture.extend([black, otio.schema.Transition(in_offset=RT(0, 24), out_offset=RT(6, 24))])
    picture.append(_clip("s1", "file:///m/s1_t1.mp4"))
    picture.append(_clip("s2", "file:///m/s2_t1.mp4"))
    picture.extend([otio.schema.Transition(in_offset=RT(6, 24), out_offset=RT(0, 24)),
                    otio.schema.Gap(duration=RT(0, 24))])  # fmt: skip
    picture[2].metadata["previz"] = {"has_audio": True}
    picture[3].metadata["previz"] = {"has_audio": False}
    sound = otio.schema.Track(name="A1 dialogue", kind=otio.schema.TrackKind.Audio)
    sound.append(_clip("s1 dialogue", "file:///m/s1_t1_dialogue.wav"))
    sound[0].metadata["previz"] = {"role": "dialogue"}
    timeline.tracks.extend([picture, sound])
    return timeline


CASES: dict[str, Callable[[], otio.schema.Timeline]] = {
    "featured-24": lambda: featured(24),
    "featured-23.976": lambda: featured(23.976),
    "featured-25": lambda: featured(25),
    "featured-29.97": lambda: featured(29.97),
    "one-shot": one_shot,
    "long-cut": long_cut,
    "all-failed": all_failed,
    "edited": edited,
    "shared-clips": shared_clips,
    "picture-then-sound": picture_then_sound,
    "odd-rates": odd_rates,
    "fades-at-both-ends": fades_at_both_ends,
}


def write_golden(folder: Path) -> list[Path]:
    """Every golden FCP7 document: these cases at 320x180, export_cases' at their frame size."""
    import gzip

    from previz.timeline import fcp7
    from previz.timeline.export import frame_size
    from tests import export_cases

    cases = {name: (build, (320, 180)) for name, build in CASES.items()}
    cases |= {f"exports-{name}": (build, None) for name, build in export_cases.CASES.items()}
    written = []
    for name, (build, size) in cases.items():
        timeline = build()
        width, height = size or frame_size(timeline)
        plain = folder / f"{name}.xml"
        fcp7.write(timeline, plain, width=width, height=height)
        if plain.stat().st_size > 100_000:  # the long ones are kept compressed
            packed = plain.with_suffix(".xml.gz")
            packed.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
            plain.unlink()
            plain = packed
        written.append(plain)
    return written


if __name__ == "__main__":
    for path in write_golden(Path(__file__).parent / "data" / "fcp7"):
        print(path.name, path.stat().st_size)
