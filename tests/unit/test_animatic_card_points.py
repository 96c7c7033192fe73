"""The card as reviewers read it: nobody drawn where no one is cast, lines kept apart and
labelled as they are heard."""

from __future__ import annotations

from typing import Any

from previz.backends.animatic import card
from previz.backends.animatic.backend import _subtitles
from previz.backends.animatic.framing import draw_framing
from previz.backends.animatic.sheet import read_sheet
from tests.unit.media_fixtures import make_payload


def _line(cue_id: str, speaker: str, text: str, **more: Any) -> dict[str, Any]:
    return {"kind": "dialogue", "id": cue_id, "start": 0.2, "end": 1.5, "text": text,
            "speaker": speaker, "cue_offset": 0.0, "cue_length": 1.3, **more}  # fmt: skip


def test_a_shot_with_no_cast_draws_no_person() -> None:
    sheet = read_sheet(make_payload(size="WS", cast=[]), "sc1-010")
    assert draw_framing(sheet, 320, 180, 0.0) == draw_framing(sheet, 320, 180, 0.0, "set")


def test_dual_dialogue_subtitles_do_not_overlap() -> None:
    sound = [_line("a", "MARA", "Now."), _line("b", "TEO", "Not now.")]
    sheet = read_sheet(make_payload(size="TWO", sound=sound), "sc1-010")
    layout = card.Layout(320, 180)
    (_, first, _), (_, second, _) = _subtitles(sheet, layout, 2.0, above=150)
    assert second.y + second.image.height <= first.y


def test_a_voice_over_line_keeps_its_extension_in_the_subtitle() -> None:
    sound = [_line("a", "MARA", "I knew.", extension="V.O.")]
    cue = read_sheet(make_payload(sound=sound), "sc1-010").sound[0]
    assert card.subtitle_text(cue) == "MARA (V.O.): I knew."
