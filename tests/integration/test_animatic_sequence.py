"""animatic.mp4 is a product of the cut: untouched when unchanged, one shot costs one shot,
and its sound sits on the picture to the frame over the whole cut."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

import previz
from previz.backends.animatic.backend import AnimaticBackend
from previz.backends.base import Job, RenderedMedia
from previz.errors import BackendError
from previz.media import extract_frame
from tests.scene_text import MINIMAL

SMALL = MINIMAL.replace("resolution: 320x180", "resolution: 160x90")
THREE_SHOTS = SMALL.replace(
    "        cast: [ana]\n        duration: 2\n",
    "        cast: [ana]\n        duration: 1\n        transition_in: fade in 6f\n"
    "        transition_out: dissolve 6f\n",
).replace(
    "        cast: [ben]\n        duration: 2\n",
    "        cast: [ben]\n        duration: 1\n"
    "      - id: s3\n        action: They both look up.\n        cast: [ana, ben]\n"
    "        duration: 1\n        transition_out: fade out 6f\n",
)


def identity(path: Path) -> tuple[int, int, bytes]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, path.read_bytes()


def parts(scene: Path) -> dict[str, tuple[int, int]]:
    work = scene.parent / ".previz" / "work" / "sequence"
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in work.glob("*/*") if p.is_file()
    }


@pytest.fixture
def scene(write_scene) -> Path:  # type: ignore[no-untyped-def]
    path = write_scene(THREE_SHOTS)
    assert previz.build(path, out=path.parent / "out", formats=["otio"]).ok
    return path


def test_an_unchanged_cut_does_not_rewrite_the_animatic(scene: Path) -> None:
    animatic = scene.parent / "out" / "animatic.mp4"
    before = identity(animatic)
    previz.build(scene, out=scene.parent / "out", formats=["otio"])
    assert identity(animatic) == before


def test_changing_one_shot_reencodes_only_that_shots_parts(scene: Path) -> None:
    before = parts(scene)
    animatic = scene.parent / "out" / "animatic.mp4"
    old_animatic = identity(animatic)
    scene.write_text(scene.read_text().replace("They both look up.", "They both duck."))
    previz.build(scene, out=scene.parent / "out", formats=["otio"])
    after = parts(scene)
    kept = {name: ident for name, ident in after.items() if name in before}
    new = set(after) - set(before)
    assert kept == {name: before[name] for name in kept}  # not one earlier part was rewritten
    # s3 alone changed: its body, its fade out, its sound and the sound chunk it falls in (the
    # 3 s cut is one chunk) are the only new parts
    assert (len(new), len(kept)) == (4, len(before))
    assert len([name for name in new if name.endswith(".aac")]) == 1
    assert identity(animatic) != old_animatic


def test_the_animatic_is_exactly_as_long_as_the_cut_in_picture_and_sound(scene: Path) -> None:
    with av.open(str(scene.parent / "out" / "animatic.mp4")) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.frames == 72
        assert audio.duration * audio.time_base == 3


class FailingS2(AnimaticBackend):
    """The animatic backend, except that shot s2 fails as a refused generation would."""

    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        if job.shot_id == "s2":
            raise BackendError("refused", shot_id=job.shot_id, backend="animatic")
        return await super().render(job, workdir)


@pytest.fixture
def failed_s2(write_scene) -> previz.BuildResult:  # type: ignore[no-untyped-def]
    path = write_scene(THREE_SHOTS)
    return previz.build(
        path, out=path.parent / "out", formats=["otio"], backends={"animatic": FailingS2()}
    )


def test_a_dissolve_into_a_failed_shot_is_reported_for_its_shot(
    failed_s2: previz.BuildResult,
) -> None:
    assert failed_s2.transition_problems == [
        "s1: dissolve of 6 frames dropped — a shot on either side of the cut has no take"
    ]


def test_a_failed_shot_is_a_slate_exactly_as_long_as_the_shot(
    failed_s2: previz.BuildResult,
) -> None:
    assert failed_s2.animatic is not None
    with av.open(str(failed_s2.animatic)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.frames, audio.duration * audio.time_base) == (72, 3)
    black = extract_frame(failed_s2.animatic, 1.5).convert("RGB").getpixel((80, 45))
    assert max(black) < 20


TWENTY = """
schema_version: 1
project: {title: Onsets, fps: 23.976, resolution: 160x90}
scenes:
  - id: sc1
    heading: INT. ROOM - NIGHT
    shots:
"""


def onsets(audio: np.ndarray, threshold: float) -> list[float]:
    """Seconds where the sound first rises above ``threshold`` after 0.1 s below it."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    quiet = int(0.1 * 48_000)
    found = [int(i) for i in loud if not np.any(np.abs(audio[max(0, i - quiet) : i]) > threshold)]
    return [i / 48_000 for i in found]


def test_every_sfx_in_a_twenty_shot_cut_lands_within_a_frame_of_its_cue(write_scene) -> None:  # type: ignore[no-untyped-def]
    lengths = [0.5 + 0.125 * (i % 3) for i in range(20)]
    shots = "".join(
        f"      - id: s{i:02d}\n        action: A door.\n        duration: {length}\n"
        f"        sound: [{{kind: sfx, description: a knock, start: 0.2}}]\n"
        for i, length in enumerate(lengths)
    )
    path = write_scene(TWENTY + shots)
    result = previz.build(path, out=path.parent / "out", formats=["otio"])
    assert result.ok and result.animatic is not None
    with av.open(str(result.animatic)) as container:
        audio = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    fps = 24000 / 1001
    heads = np.cumsum([0] + [round(length * fps) for length in lengths[:-1]]) / fps
    found = onsets(audio, 0.05)
    assert len(found) == 20
    assert max(abs(f - (h + 0.2)) for f, h in zip(found, heads, strict=True)) < 1 / fps


def test_the_part_files_stay_out_of_the_hand_off_folder(scene: Path) -> None:
    handed_off = {p.name for p in (scene.parent / "out").rglob("*")}
    assert parts(scene) and not handed_off & set(parts(scene))
