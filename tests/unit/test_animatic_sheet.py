"""Reading a job payload into the animatic's shot sheet."""

from __future__ import annotations

import pytest

from previz.backends.animatic.sheet import read_sheet
from previz.errors import BackendError
from tests.unit.media_fixtures import cue, make_payload


def test_payload_reads_into_typed_fields() -> None:
    sheet = read_sheet(make_payload(movement="pan", direction="left"), "sc1-010")
    assert sheet.cast[0].color == (0xE4, 0x57, 0x2E)
    assert (sheet.movement.type, sheet.movement.direction) == ("pan", "left")
    assert sheet.focal_length_mm == 35.0


def test_missing_field_is_named_with_its_path() -> None:
    payload = make_payload()
    del payload["shot"]["movement"]["speed"]
    with pytest.raises(BackendError, match=r"shot\.movement\.speed") as caught:
        read_sheet(payload, "sc1-010")
    assert caught.value.shot_id == "sc1-010"


def test_bad_cast_colour_is_refused() -> None:
    payload = make_payload(cast=[{"id": "x", "name": "X", "color": "red"}])
    with pytest.raises(BackendError, match=r"cast\[0\]\.color"):
        read_sheet(payload, "sc1-010")


def test_cue_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(BackendError, match=r"sound\[0\]"):
        read_sheet(make_payload(sound=[cue("sfx", "s", 1.0, 0.5)]), "sc1-010")


def test_repeated_cue_id_is_refused() -> None:
    sound = [cue("sfx", "s", 0.1, 0.2), cue("sfx", "s", 0.5, 0.6)]
    with pytest.raises(BackendError, match="repeats"):
        read_sheet(make_payload(sound=sound), "sc1-010")


def test_cue_that_began_earlier_knows_it_does_not_begin_here() -> None:
    music = cue("music", "m", 0.0, 2.0, cue_offset=3.0, cue_length=12.0)
    (sound,) = read_sheet(make_payload(sound=[music]), "sc1-010").sound
    assert (sound.begins_here, sound.ends_here) == (False, False)
