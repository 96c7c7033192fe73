"""The scene format: vocabulary normalisation, shorthand forms, and what each field accepts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from previz.shotlist.models import Lens, Lighting, Movement, Project, Shot, SoundCue, Transition


@pytest.mark.parametrize(
    "spelling", ["CU", "close-up", "close up", "Close Up", "closeup", "close-up shot"]
)
def test_shot_size_spellings_normalise_to_one_code(spelling: str) -> None:
    assert Shot(id="s", action="a", size=spelling).size == "CU"


def test_unknown_shot_size_suggests_the_nearest_term() -> None:
    with pytest.raises(ValidationError, match="did you mean 'ecu'"):
        Shot(id="s", action="a", size="ECUU")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("slow dolly in", {"type": "dolly_in", "direction": None, "speed": "slow"}),
        ("push in", {"type": "dolly_in", "direction": None, "speed": "medium"}),
        ("fast truck left", {"type": "truck", "direction": "left", "speed": "fast"}),
        ("pan to the right", {"type": "pan", "direction": "right", "speed": "medium"}),
        ("whip pan left", {"type": "pan", "direction": "left", "speed": "fast"}),
        ("crane up", {"type": "crane", "direction": "up", "speed": "medium"}),
        ("hand-held", {"type": "handheld", "direction": None, "speed": "medium"}),
    ],
)
def test_movement_text_is_parsed_into_type_direction_speed(text: str, expected: dict) -> None:
    assert Movement.model_validate(text).model_dump() == expected


def test_pan_and_truck_are_different_moves() -> None:
    assert Movement.model_validate("pan left").type != Movement.model_validate("truck left").type


@pytest.mark.parametrize(
    ("value", "focal", "aperture"),
    [(35, 35.0, None), ("50mm", 50.0, None), ("85mm f/1.8", 85.0, 1.8), ("24 mm T2.8", 24.0, 2.8)],
)
def test_lens_accepts_number_and_text(value: object, focal: float, aperture: float | None) -> None:
    lens = Lens.model_validate(value)
    assert (lens.focal_length, lens.aperture) == (focal, aperture)


def test_lens_rejects_text_without_millimetres() -> None:
    with pytest.raises(ValidationError, match="not a lens"):
        Lens.model_validate("wide")


def test_colour_temperature_accepts_kelvin_suffix() -> None:
    assert Lighting(color_temperature="5600K").color_temperature == 5600


def test_lighting_ratio_must_be_key_to_fill() -> None:
    with pytest.raises(ValidationError, match="key-to-fill"):
        Lighting(ratio="bright")


def test_dissolve_without_length_defaults_to_twelve_frames() -> None:
    assert Transition.model_validate("dissolve").duration == "12f"


def test_transition_text_carries_its_length() -> None:
    transition = Transition.model_validate("dissolve 8f")
    assert (transition.type, transition.duration) == ("dissolve", "8f")


def test_dialogue_needs_a_speaker_and_a_line() -> None:
    with pytest.raises(ValidationError, match="needs 'speaker'"):
        SoundCue(kind="dialogue", line="hello")


def test_sfx_needs_a_description() -> None:
    with pytest.raises(ValidationError, match="needs a 'description'"):
        SoundCue(kind="sfx")


def test_cue_takes_end_or_duration_not_both() -> None:
    with pytest.raises(ValidationError, match="either 'end' or 'duration'"):
        SoundCue(kind="sfx", description="x", end=1, duration=1)


@pytest.mark.parametrize("fps", [23.976, 24, 25, 29.97, 30, 48, 50, 60])
def test_project_accepts_every_supported_rate(fps: float) -> None:
    assert Project(title="t", fps=fps).fps == fps


def test_project_rejects_an_unsupported_rate() -> None:
    with pytest.raises(ValidationError, match="not a project rate"):
        Project(title="t", fps=27)


@pytest.mark.parametrize("shot_id", ["../x", "a/b", ".hidden", "a..b", "", "x" * 65])
def test_shot_ids_must_be_path_safe(shot_id: str) -> None:
    with pytest.raises(ValidationError, match="not a safe id"):
        Shot(id=shot_id, action="a")


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Shot.model_validate({"id": "s", "action": "a", "acton": "typo"})


@pytest.mark.parametrize(
    ("aspect", "expected"), [(2.39, "2.39"), (1.85, "1.85"), ("16:9", "16:9"), (1.78, "1.78")]
)
def test_an_unquoted_aspect_number_means_the_ratio(aspect: object, expected: str) -> None:
    assert Project(title="t", aspect=aspect).aspect == expected


@pytest.mark.parametrize(
    ("aspect", "resolution", "size"),
    [
        ("16:9", "720p", (1280, 720)),
        ("9:16", "1080p", (1080, 1920)),
        ("16:9", "4k", (3840, 2160)),
        ("1:1", "720p", (720, 720)),
        ("16:9", "1280x720", (1280, 720)),
        ("9:16", None, (1080, 1920)),
    ],
)
def test_frame_size_follows_resolution_and_aspect(
    aspect: str, resolution: str | None, size: tuple[int, int]
) -> None:
    from previz.shotlist.resolve import frame_size

    project = Project(title="t", aspect=aspect, resolution=resolution)
    assert frame_size(project)[:2] == size


def _models(base: type) -> list[type]:
    return [base, *(m for sub in base.__subclasses__() for m in _models(sub))]


def test_no_scene_model_defaults_a_field_with_the_builtin_list() -> None:
    """pydantic reads each default factory's signature as the models are built: for ``list``
    it parses the builtin's text signature (~0.7 ms a field, at every start of the CLI)."""
    from previz.shotlist.fields import Strict

    builtin = [
        f"{model.__name__}.{name}"
        for model in _models(Strict)
        for name, field in model.model_fields.items()
        if field.default_factory is list
    ]
    assert builtin == []


def test_a_list_field_left_out_is_a_new_empty_list_each_time() -> None:
    first, second = Shot(id="a", action="x"), Shot(id="b", action="y")
    assert first.cast == [] and first.cast is not second.cast
