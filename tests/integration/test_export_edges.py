"""Fades, a dissolve, a gap and a failed shot, exported and rendered by GES and melt at 23.976,
24, 25 and 29.97 fps: every frame shows what the cut says, and the sound is the sum of the
stems (the residual of the render against that sum stays small, so a quiet bed counts)."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from previz.timebase import samples_at
from previz.timeline import export_timeline
from tests.timeline_fixtures import nearest_shot, rendered_frames
from tests.transition_fixtures import EdgeLayout, edges_cut, rendered_sound

pytestmark = pytest.mark.engine
RATES = {"23.976": Fraction(24000, 1001), "24": Fraction(24), "25": Fraction(25),
         "29.97": Fraction(30000, 1001)}  # fmt: skip
RAW = ["vcodec=rawvideo", "pix_fmt=yuv420p", "acodec=pcm_s16le", "real_time=-1"]


def _render(engine: str, project: Path, render: Path) -> None:
    binary = shutil.which("melt" if engine == "melt" else "ges-launch-1.0")
    if binary is None:
        pytest.skip(f"{engine} is not installed (apt: see .ci/run)")
    command = (
        [binary, str(project), "-quiet", "-consumer", f"avformat:{render}", *RAW]
        if engine == "melt"
        else [binary, "-l", str(project), "-o", render.as_uri(),
              "-f", "video/x-matroska:video/x-raw,format=I420:audio/x-raw"]
    )  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=180)


def _brightness(rgb: tuple[float, float, float]) -> float:
    return sum(rgb) / 3


def picture_problems(path: Path, layout: EdgeLayout) -> list[str]:
    frames = rendered_frames(path, layout.rate)
    problems = [f"frame {i} missing" for i in range(layout.total) if i not in frames]
    if problems:
        return problems
    for shot_id, (first, end) in layout.shots.items():
        problems += [f"frame {i}: expected {shot_id}, saw {nearest_shot(frames[i])}"
                     for i in range(first, end) if nearest_shot(frames[i]) != shot_id]  # fmt: skip
    problems += [f"frame {i}: expected black, saw {frames[i]}"
                 for i in range(*layout.black) if _brightness(frames[i]) > 20]  # fmt: skip
    full_in = _brightness(frames[layout.fade_in[1]])
    first_in = _brightness(frames[layout.fade_in[0]])
    if not first_in < 0.45 * full_in:
        problems.append(f"fade in: first frame {first_in:.0f} of {full_in:.0f}, not from black")
    full_out = _brightness(frames[layout.fade_out[0] - 1])
    last_out = _brightness(frames[layout.fade_out[1] - 1])
    if not last_out < 0.45 * full_out:
        problems.append(f"fade out: last frame {last_out:.0f} of {full_out:.0f}, not to black")
    middle = frames[(layout.dissolve[0] + layout.dissolve[1]) // 2]
    if (
        nearest_shot(middle) in ("sh010", "sh020")
        and min(
            sum((a - b) ** 2 for a, b in zip(middle, frames[edge], strict=True))
            for edge in (layout.dissolve[0] - 1, layout.dissolve[1])
        )
        < 30**2
    ):
        problems.append(f"dissolve: a hard cut, the middle frame is {middle}")
    return problems


def residual(path: Path, expected: np.ndarray, layout: EdgeLayout) -> float:
    """RMS of (render - sum of stems) relative to the RMS of the sum, shot by shot.

    Each shot may sit up to two samples off (42 µs): at 29.97 a frame boundary falls between
    samples, and GES rounds nanoseconds where previz rounds half up; inaudible, but a 1 kHz
    tone shifted by a sample leaves a residual of 0.14.
    """
    rendered = rendered_sound(path)
    heard = np.zeros(len(expected) + 4)
    heard[2 : 2 + min(len(rendered), len(expected))] = rendered[: len(expected)]
    error = 0.0
    edits = [0, 24, 54, 90, layout.total]
    for first, end in itertools.pairwise(edits):
        lo, hi = samples_at(first, layout.rate, 48_000), samples_at(end, layout.rate, 48_000)
        want = expected[lo:hi]
        error += min(float(np.sum((heard[lo + 2 + lag : hi + 2 + lag] - want) ** 2))
                     for lag in range(-2, 3))  # fmt: skip
    return float(np.sqrt(error / len(expected)) / np.sqrt(np.mean(expected**2)))


@pytest.mark.parametrize("label", sorted(RATES))
@pytest.mark.parametrize(("engine", "fmt"), [("melt", "kdenlive"), ("ges", "xges")])
def test_an_engine_renders_fades_a_dissolve_a_gap_and_a_failed_shot_with_the_stems_summed(
    engine: str, fmt: str, label: str, write_scene: Callable[[str, str], Path], tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    media = tmp_path_factory.getbasetemp() / "edges-media" / label
    timeline, layout, expected = edges_cut(write_scene, media, label, RATES[label])
    project = export_timeline(timeline, tmp_path, [fmt])[fmt][0]
    render = tmp_path / f"{engine}.mkv"
    _render(engine, project, render)
    assert picture_problems(render, layout) == []
    assert residual(render, expected, layout) < 0.05
