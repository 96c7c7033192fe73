"""The framing diagram: what the camera sees, drawn as a storyboard artist would block it.

Shot size sets how large the figures are against the frame (a speck on the horizon for an EWS,
a face that overflows it for an ECU); the angle sets where the horizon sits and how the figures
foreshorten (low angle: horizon low, legs long, head small; high angle: the reverse; overhead:
seen from above; dutch: the whole view rolled). Each cast member is a figure filled with the
character's colour and labelled with the name. The diagram may be drawn larger than the frame
(``overscan``) so that a camera move has picture to travel over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw

from previz.backends.animatic.fonts import font
from previz.backends.animatic.sheet import CastMember, ShotSheet

# Figure height as a fraction of frame height, per shot size.
FIGURE_SCALE = {
    "ESTABLISHING": 0.05,
    "EWS": 0.07,
    "WS": 0.34,
    "FS": 0.84,
    "POV": 0.8,
    "MWS": 1.3,
    "TWO_SHOT": 1.5,
    "MS": 1.85,
    "OTS": 2.3,
    "MCU": 2.6,
    "CU": 4.0,
    "ECU": 9.0,
}
HORIZON = {"eye_level": 0.45, "high": 0.16, "low": 0.8, "worms_eye": 1.08, "dutch": 0.45}
DUTCH_DEGREES = 12.0
RGB = tuple[int, int, int]
Layer = Literal["whole", "set", "cast"]


@dataclass(frozen=True)
class Palette:
    sky: tuple[int, int, int]
    ground: tuple[int, int, int]
    grid: tuple[int, int, int]


def palette(lighting: str, heading: str) -> Palette:
    """Night or low-key scenes read dark, golden-hour warm, day neutral."""
    words = f"{lighting} {heading}".lower()
    if any(w in words for w in ("night", "low-key", "noir", "dark")):
        return Palette(sky=(24, 26, 38), ground=(40, 38, 44), grid=(70, 70, 82))
    if any(w in words for w in ("golden", "dusk", "dawn", "sunset", "warm")):
        return Palette(sky=(120, 90, 70), ground=(84, 66, 52), grid=(130, 104, 84))
    return Palette(sky=(92, 104, 120), ground=(70, 72, 74), grid=(110, 112, 116))


def draw_framing(
    sheet: ShotSheet, width: int, height: int, overscan: float, layer: Layer = "whole"
) -> Image.Image:
    """The diagram for a ``width``×``height`` frame, extended by ``overscan`` on every side.

    ``layer`` draws it whole, or only the set (sky, ground, horizon) or only the cast (on a
    transparent RGBA image) — a dolly zoom moves the set behind a cast that holds still.
    """
    pad_x, pad_y = round(width * overscan), round(height * overscan)
    if sheet.angle == "dutch":
        extra = 0.25
        big = _scene(
            sheet, width, height, pad_x + round(width * extra), pad_y + round(height * extra), layer
        )
        rolled = big.rotate(DUTCH_DEGREES, resample=Image.Resampling.BICUBIC)
        left, top = round(width * extra), round(height * extra)
        return rolled.crop((left, top, left + width + 2 * pad_x, top + height + 2 * pad_y))
    return _scene(sheet, width, height, pad_x, pad_y, layer)


def _scene(
    sheet: ShotSheet, width: int, height: int, pad_x: int, pad_y: int, layer: Layer
) -> Image.Image:
    colours = palette(sheet.lighting, f"{sheet.scene_heading} {sheet.time_of_day or ''}")
    size = (width + 2 * pad_x, height + 2 * pad_y)
    if layer == "cast":
        image = Image.new("RGBA", size, (0, 0, 0, 0))
    else:
        image = Image.new("RGB", size, colours.sky)
    canvas = _Canvas(ImageDraw.Draw(image), width, height, pad_x, pad_y)
    if sheet.angle == "overhead":
        if layer != "cast":
            canvas.ground_from_above(colours)
        if layer != "set":
            canvas.figures_from_above(sheet.cast, FIGURE_SCALE.get(sheet.size, 1.0))
        return image
    horizon = HORIZON.get(sheet.angle, 0.45) * height
    if layer != "cast":
        canvas.ground(horizon, colours)
    if layer != "set":
        _people(canvas, sheet, horizon)
    return image


def _people(canvas: _Canvas, sheet: ShotSheet, horizon: float) -> None:
    """Whoever (or whatever) the shot is of, at the scale of the shot size."""
    width = canvas.width
    if sheet.size == "INSERT":
        canvas.insert_prop(sheet.action)
    elif sheet.size == "OTS" and len(sheet.cast) >= 2:
        canvas.figure(sheet.cast[1], 0.64 * width, FIGURE_SCALE["MCU"], sheet.angle, horizon)
        canvas.shoulder(sheet.cast[0])
    elif not sheet.cast:
        # Nobody is in the shot: the set alone, or in a close shot the thing the action names
        if sheet.size in ("CU", "ECU", "MCU"):
            canvas.insert_prop(sheet.action)
    else:
        # A close-up is of one person: the first of the cast.
        cast = sheet.cast[:1] if sheet.size in ("CU", "ECU") else sheet.cast
        scale = FIGURE_SCALE.get(sheet.size, 1.0)
        for index, member in enumerate(cast):
            x = width * (index + 1) / (len(cast) + 1)
            canvas.figure(member, x, scale, sheet.angle, horizon, room=width / len(cast))
    if sheet.size == "POV":
        canvas.iris()


class _Canvas:
    """Draws in frame coordinates (0..width, 0..height) on an overscanned image."""

    def __init__(self, draw: ImageDraw.ImageDraw, width: int, height: int, px: int, py: int):
        self.draw, self.width, self.height, self.px, self.py = draw, width, height, px, py

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x + self.px, y + self.py)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0 + self.px, y0 + self.py, x1 + self.px, y1 + self.py)

    def ground(self, horizon: float, colours: Palette) -> None:
        full_w, full_h = self.width + 2 * self.px, self.height + 2 * self.py
        top = horizon + self.py
        if top >= full_h:  # the horizon is below the picture: all sky (a worm's-eye view)
            return
        self.draw.rectangle((0, top, full_w, full_h), fill=colours.ground)
        vanish = self.xy(self.width / 2, horizon)
        for step in range(-12, 13):
            self.draw.line([vanish, (vanish[0] + step * full_w / 6, full_h)], fill=colours.grid)
        depth = full_h - top
        for row in range(1, 9):
            y = top + depth * (row / 8) ** 2
            self.draw.line([(0, y), (full_w, y)], fill=colours.grid)
        self.draw.line([(0, top), (full_w, top)], fill=(200, 200, 210), width=2)

    def ground_from_above(self, colours: Palette) -> None:
        full_w, full_h = self.width + 2 * self.px, self.height + 2 * self.py
        self.draw.rectangle((0, 0, full_w, full_h), fill=colours.ground)
        cell = max(8, self.height // 8)
        for x in range(0, full_w, cell):
            self.draw.line([(x, 0), (x, full_h)], fill=colours.grid)
        for y in range(0, full_h, cell):
            self.draw.line([(0, y), (full_w, y)], fill=colours.grid)

    def figure(
        self,
        member: CastMember,
        x: float,
        scale: float,
        angle: str,
        horizon: float,
        room: float | None = None,
    ) -> None:
        """A standing figure ``scale`` frame-heights tall, foreshortened for the angle.

        ``room`` is the width the figure may take (shoulders are narrowed to fit beside others).
        """
        tall = scale * self.height
        head_k, leg_k = {"low": (0.85, 1.15), "worms_eye": (0.7, 1.3), "high": (1.2, 0.8)}.get(
            angle, (1.0, 1.0)
        )
        head = 0.13 * tall * head_k
        top = self._head_top(tall, head, horizon)
        neck = top + head
        hip = neck + 0.36 * tall
        feet = hip + 0.47 * tall * leg_k
        narrow = min(1.0, 0.9 * room / (0.27 * tall)) if room else 1.0
        shoulders = 0.27 * tall * narrow * (head_k if angle == "high" else 1.0)
        hips = 0.19 * tall * narrow * (leg_k if angle in ("low", "worms_eye") else 1.0)
        fill, edge = member.color, _shade(member.color)
        self._legs(x, hip, feet, hips, 0.02 * tall, leg_k, edge)
        torso = [
            self.xy(x - shoulders / 2, neck + 0.02 * tall),
            self.xy(x + shoulders / 2, neck + 0.02 * tall),
            self.xy(x + hips / 2, hip),
            self.xy(x - hips / 2, hip),
        ]
        self.draw.polygon(torso, fill=fill, outline=edge)
        self.draw.ellipse(
            self.box(x - head * 0.4, top, x + head * 0.4, neck), fill=fill, outline=edge
        )
        if head > self.height * 0.25:
            self._face(x, top, head)
        if tall < 0.25 * self.height:  # a small figure: its name floats above its head
            self.label(member.name, x, top - 0.04 * self.height, fill)
        else:
            self.label(member.name, x, _clamp((neck + hip) / 2, top, self.height), fill)

    def _legs(
        self, x: float, hip: float, feet: float, hips: float, gap: float, flare: float, ink: RGB
    ) -> None:
        for side in (-1, 1):
            leg = [
                self.xy(x + side * gap, hip),
                self.xy(x + side * hips / 2, hip),
                self.xy(x + side * hips / 2 * flare, feet),
                self.xy(x + side * gap, feet),
            ]
            self.draw.polygon(leg, fill=ink)

    def _head_top(self, tall: float, head: float, horizon: float) -> float:
        if tall <= 0.1 * self.height:  # far away: stands near the horizon
            return min(horizon, self.height * 0.9) + 0.02 * self.height - tall
        if tall <= 0.9 * self.height:  # whole figure in frame: feet near the bottom
            return self.height * 0.94 - tall
        if tall >= 6 * self.height:  # extreme close-up: the eyes sit on the centre line
            return self.height * 0.45 - 0.45 * head
        return self.height * 0.08

    def _face(self, x: float, top: float, head: float) -> None:
        eye_y, eye_dx, eye_r = top + 0.45 * head, 0.15 * head, 0.035 * head
        for side in (-1, 1):
            ex = x + side * eye_dx
            self.draw.ellipse(
                self.box(ex - eye_r, eye_y - eye_r, ex + eye_r, eye_y + eye_r), fill=(20, 20, 20)
            )
        self.draw.line(
            [self.xy(x, eye_y + 0.05 * head), self.xy(x - 0.03 * head, top + 0.66 * head)],
            fill=(30, 30, 30),
            width=max(1, round(head / 120)),
        )
        self.draw.line(
            [
                self.xy(x - 0.1 * head, top + 0.78 * head),
                self.xy(x + 0.1 * head, top + 0.78 * head),
            ],
            fill=(30, 30, 30),
            width=max(1, round(head / 100)),
        )

    def shoulder(self, member: CastMember) -> None:
        """Over the shoulder: the near character's shoulder and head, out of focus, frame left."""
        w, h = self.width, self.height
        self.draw.ellipse(
            self.box(-0.12 * w, 0.55 * h, 0.42 * w, 1.5 * h), fill=_shade(member.color)
        )
        self.draw.ellipse(
            self.box(0.02 * w, 0.12 * h, 0.3 * w, 0.75 * h), fill=_shade(member.color)
        )
        self.label(member.name, 0.16 * w, 0.8 * h, _shade(member.color))

    def figures_from_above(self, cast: tuple[CastMember, ...], scale: float) -> None:
        radius = max(4.0, min(scale, 3.0) * self.height * 0.08)
        for index, member in enumerate(cast):
            x = self.width * (index + 1) / (len(cast) + 1)
            y = self.height * 0.5
            self.draw.ellipse(
                self.box(x - radius * 1.6, y - radius * 0.7, x + radius * 1.6, y + radius * 0.7),
                fill=_shade(member.color),
            )
            self.draw.ellipse(
                self.box(x - radius * 0.7, y - radius * 0.7, x + radius * 0.7, y + radius * 0.7),
                fill=member.color,
            )
            self.label(member.name, x, y + radius * 1.4, member.color)

    def insert_prop(self, action: str) -> None:
        w, h = self.width, self.height
        self.draw.rounded_rectangle(
            self.box(0.2 * w, 0.25 * h, 0.8 * w, 0.78 * h),
            radius=h * 0.04,
            fill=(176, 160, 128),
            outline=(60, 50, 40),
            width=max(2, h // 120),
        )
        self.label("INSERT", w / 2, 0.5 * h, (176, 160, 128))

    def iris(self) -> None:
        """A POV is seen through eyes: darken the edges of the frame."""
        w, h = self.width, self.height
        thick = max(4, round(h * 0.05))
        self.draw.ellipse(
            self.box(-0.05 * w, -0.1 * h, 1.05 * w, 1.1 * h), outline=(0, 0, 0), width=thick
        )

    def label(self, text: str, x: float, y: float, under: tuple[int, int, int]) -> None:
        if not text:
            return
        size = max(10, round(self.height * 0.045))
        ink = (0, 0, 0) if _luma(under) > 140 else (255, 255, 255)
        x = _clamp(x, self.width * 0.08, self.width * 0.92)
        y = _clamp(y, self.height * 0.12, self.height * 0.62)
        self.draw.text(
            self.xy(x, y),
            text,
            font=font(size),
            fill=ink,
            anchor="mm",
            stroke_width=max(1, size // 12),
            stroke_fill=under,
        )


def _shade(color: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = color
    return (r * 3 // 5, g * 3 // 5, b * 3 // 5)


def _luma(color: tuple[int, int, int]) -> float:
    r, g, b = color
    return 0.299 * r + 0.587 * g + 0.114 * b


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
