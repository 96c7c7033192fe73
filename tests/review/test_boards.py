"""``previz boards``: the PDF read back with poppler (pdftotext, pdfinfo)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.pipeline import BuildResult
from previz.review.boards import grid, write_boards
from tests.review.conftest import TITLE

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="reading the PDF back needs poppler-utils (apt install poppler-utils)",
)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return {
        k.strip(): v.strip()
        for k, _, v in (line.partition(":") for line in out.stdout.splitlines())
    }


@pytest.fixture(scope="module")
def boards(review_build: BuildResult) -> Path:
    return write_boards(review_build.out_dir, today=dt.date(2026, 11, 30))


def test_every_shot_id_is_on_the_boards(boards: Path) -> None:
    text = pdf_text(boards)
    assert all(shot_id in text for shot_id in ("s1", "s2", "s3", "s4"))


def test_the_cover_has_title_date_running_time_and_shot_count(boards: Path) -> None:
    cover = pdf_text(boards).split("\f")[0]
    assert TITLE in " ".join(cover.split())
    assert "30 November 2026" in cover
    assert "00:00:04:12" in cover  # 1 s + 1.5 s + 1 s + 1 s at 24 fps
    assert "Shots" in cover and " 4\n" in cover


def test_each_scene_starts_a_page_under_its_heading_and_pages_are_numbered(boards: Path) -> None:
    pages = pdf_text(boards).split("\f")
    assert int(pdf_info(boards)["Pages"]) == 3
    assert "INT. LOBBY <b>bold</b> - NIGHT" in pages[1] and "EXT. ROOF - DAY" in pages[2]
    assert "page 2 of 3" in pages[1] and "page 3 of 3" in pages[2]


def test_a_panel_carries_camera_action_dialogue_and_duration(boards: Path) -> None:
    page = " ".join(pdf_text(boards).split("\f")[1].split())
    assert "WS · eye-level · slow dolly in · 35mm f/2" in page
    assert "Eve crosses the lobby," in page and "café lights" in page
    assert "1.0s · 01:00:00:00" in page and "1.5s · 01:00:01:00" in page
    assert "svg onload" in page


def test_a_failed_shot_is_marked_on_its_panel(boards: Path) -> None:
    assert "blocked by policy" in pdf_text(boards).split("\f")[2]


def test_letter_paper_and_panels_per_page(review_build: BuildResult, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["boards", str(review_build.out_dir), "-o", str(tmp_path / "b.pdf"),
              "--per-page", "1", "--paper", "letter"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    info = pdf_info(tmp_path / "b.pdf")
    assert info["Page size"].startswith("792 x 612")
    assert int(info["Pages"]) == 1 + 4


def test_panels_are_laid_out_wider_than_tall() -> None:
    assert [(g.columns, g.rows) for g in map(grid, (1, 2, 4, 6, 9, 12))] == [
        (1, 1), (2, 1), (2, 2), (3, 2), (5, 2), (4, 3)
    ]  # fmt: skip
