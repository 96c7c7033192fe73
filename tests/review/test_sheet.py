"""``previz shotlist``: the CSV sheet read back with the csv module."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import previz.reports
from previz.cli import cli
from previz.review.sheet import COLUMNS, write_shot_sheet


@pytest.fixture(scope="module")
def sheet(review_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shot_sheet(review_project, tmp_path_factory.mktemp("sheet") / "shots.csv")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_sheet_has_the_columns_in_order_and_a_row_per_shot(sheet: Path) -> None:
    with sheet.open(encoding="utf-8", newline="") as handle:
        header, *body = list(csv.reader(handle))
    assert tuple(header) == COLUMNS
    assert [row[2] for row in body] == ["s1", "s2", "s3", "s4"]


def test_the_sheet_is_utf8_without_a_byte_order_mark_and_crlf_rows(sheet: Path) -> None:
    data = sheet.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "café".encode() in data
    assert data.startswith(b"scene,heading,shot,") and data.count(b"\r\n") >= 5


def test_commas_quotes_and_line_breaks_survive_quoting(sheet: Path) -> None:
    by_shot = {row["shot"]: row for row in rows(sheet)}
    assert by_shot["s2"]["notes"] == 'check the <i>eyeline</i>, Bob\'s a, "b"'
    assert by_shot["s1"]["sound cues"] == "sfx: a bell <u>dings</u> @0.5s"
    assert by_shot["s1"]["dialogue"].endswith('"><svg onload="document.title=\'pwned\'">')


def test_each_row_says_camera_length_cast_and_takes(sheet: Path) -> None:
    s2 = {row["shot"]: row for row in rows(sheet)}["s2"]
    wanted = ("size", "lens", "duration (s)", "duration (frames)", "cast", "takes", "backend")
    picked = {k: s2[k] for k in wanted}
    assert picked == {
        "size": "MCU", "lens": "35mm f/2", "duration (s)": "1.5", "duration (frames)": "36",
        "cast": "Bob", "takes": "2", "backend": "animatic",
    }  # fmt: skip


def test_the_command_writes_the_file_named_with_o(review_project: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["shotlist", str(review_project), "-o", str(tmp_path / "s.csv")]
    )
    assert result.exit_code == 0, result.output
    assert len(rows(tmp_path / "s.csv")) == 4


def test_without_o_the_command_prints_the_sheet(review_project: Path) -> None:
    result = CliRunner().invoke(cli, ["shotlist", str(review_project)])
    assert result.exit_code == 0, result.output
    header, *body = csv.reader(io.StringIO(result.output))
    assert header == list(COLUMNS) and len(body) == 4


def test_estimated_cost_is_every_take_at_list_price(write_scene, tmp_path: Path) -> None:
    scene = write_scene(
        """
        schema_version: 1
        project: {title: Priced, backend: animatic}
        scenes:
          - id: sc1
            heading: EXT. PIER - DAY
            shots:
              - {id: a, action: Gulls., duration: 3s, backend: luma, takes: 2}
              - {id: b, action: Waves., duration: 2s}
        """
    )
    priced = {row["shot"]: row for row in rows(write_shot_sheet(scene, tmp_path / "p.csv"))}
    estimate = previz.reports.estimate(scene)
    one_take = next(j.price for j in estimate.jobs if j.job.shot_id == "a")
    assert one_take > 0
    assert priced["a"]["estimated cost"] == f"{2 * one_take:.2f}"
    assert priced["b"]["estimated cost"] == "0.00"
