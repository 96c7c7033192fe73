"""Scope aspects are letterboxed inside the frame, and names keep their accents."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.media import extract_frame
from tests.unit.media_fixtures import make_job, make_payload, render


@pytest.mark.parametrize("movement", ["static", "dolly_in"])
def test_a_scope_project_is_letterboxed_with_black_bars(tmp_path: Path, movement: str) -> None:
    payload = {**make_payload(movement=movement), "letterbox": 2.39}
    clip = render(make_job(payload, seconds=0.5, width=640, height=360), tmp_path).video
    frame = extract_frame(clip, 0.25).convert("RGB")
    picture = frame.getpixel((320, 180))
    # 2.39 in 640x360 leaves bars of (360 - 640 / 2.39) / 2 = 46 px
    assert max(frame.getpixel((320, 20))) < 16 and max(frame.getpixel((320, 360 - 20))) < 16
    assert max(picture) > 40  # the frame between the bars still shows the card


def test_a_full_frame_project_has_no_bars(tmp_path: Path) -> None:
    clip = render(make_job(make_payload(), seconds=0.5, width=640, height=360), tmp_path).video
    assert max(extract_frame(clip, 0.25).convert("RGB").getpixel((320, 60))) > 16


def test_accented_names_are_lettered_not_boxed() -> None:
    from previz.backends.animatic.fonts import font

    face = font(20)
    notdef = face.getmask("\uffff").getbbox()
    assert face.getmask("É").getbbox() != notdef
    assert face.getmask("ñ").getbbox() != notdef
