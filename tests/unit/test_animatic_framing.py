"""The framing diagram: figure scale follows shot size, the horizon follows the angle."""

from __future__ import annotations

import pytest
from PIL import Image

from previz.backends.animatic.framing import draw_framing
from previz.backends.animatic.sheet import read_sheet
from tests.unit.media_fixtures import MARA, make_payload

RED = (0xE4, 0x57, 0x2E)


def _diagram(**shot: object) -> Image.Image:
    sheet = read_sheet(make_payload(**shot), "sc1-010")  # type: ignore[arg-type]
    return draw_framing(sheet, 320, 180, 0.0)


def _share(image: Image.Image, colour: tuple[int, int, int]) -> float:
    pixels = list(image.getdata())
    return sum(1 for p in pixels if p == colour) / len(pixels)


def _horizon_rows(image: Image.Image, column: int) -> list[int]:
    """Rows where the bright horizon line crosses ``column`` (a night scene is dark elsewhere)."""
    return [y for y in range(image.height) if min(image.getpixel((column, y))) > 150]


def test_figure_grows_from_extreme_wide_to_close_up() -> None:
    shares = [_share(_diagram(size=size), RED) for size in ("EWS", "WS", "MS", "CU")]
    assert shares == sorted(shares)
    assert shares[0] < 0.002 < 0.2 < shares[-1]


def test_extreme_close_up_is_a_face_filling_the_frame_top_to_bottom() -> None:
    image = _diagram(size="ECU")
    assert image.getpixel((160, 0)) == RED
    assert image.getpixel((160, 179)) == RED
    assert _share(image, RED) > 0.35


def test_low_angle_puts_the_horizon_lower_than_high_angle() -> None:
    low = _horizon_rows(_diagram(size="EWS", angle="low", cast=[]), 10)
    high = _horizon_rows(_diagram(size="EWS", angle="high", cast=[]), 10)
    assert min(low) > 120 and max(high) < 60


def test_dutch_angle_tilts_the_horizon() -> None:
    image = _diagram(size="EWS", angle="dutch", cast=[])
    left = _horizon_rows(image, 20)
    right = _horizon_rows(image, 300)
    assert left and right
    assert abs(min(left) - min(right)) > 30


def test_each_cast_member_is_drawn_in_their_colour() -> None:
    jo = {"id": "jo", "name": "Jo", "color": "#2E86E4"}
    image = _diagram(size="MS", cast=[MARA, jo])
    assert _share(image, RED) > 0.05
    assert _share(image, (0x2E, 0x86, 0xE4)) > 0.05


@pytest.mark.parametrize("angle", ["eye_level", "high", "low", "dutch", "overhead", "worms_eye"])
@pytest.mark.parametrize("size", ["EWS", "FS", "MS", "ECU", "INSERT", "TWO_SHOT", "OTS", "POV"])
def test_every_size_and_angle_draws_at_the_frame_size(size: str, angle: str) -> None:
    jo = {"id": "jo", "name": "Jo", "color": "#2E86E4"}
    assert _diagram(size=size, angle=angle, cast=[MARA, jo]).size == (320, 180)
