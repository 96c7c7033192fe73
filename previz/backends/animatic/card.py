"""The storyboard card's lettering: slate, scene and location, action, subtitles.

The lettering stays put while the framing diagram beneath it moves with the camera, so each
block is its own small transparent panel with a position; ffmpeg lays them over the moving
picture (only their own area is blended each frame, which keeps renders cheap). For a still
board the same panels are pasted onto the diagram in Pillow. The bottom strip is left for the
live burn-ins (timecode, frame counter) that ffmpeg draws.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from previz.backends.animatic.fonts import font
from previz.backends.animatic.sheet import ShotSheet, SoundCue

INK = (245, 245, 240, 255)
DIM = (200, 200, 195, 255)
BACKING = (0, 0, 0, 170)
Row = tuple[str, tuple[int, int, int, int], float]  # text, colour, size relative to the body


@dataclass(frozen=True)
class Panel:
    """A transparent RGBA image and where its top-left corner sits on the frame."""

    image: Image.Image
    x: int
    y: int


@dataclass(frozen=True)
class Layout:
    """Type sizes and regions of the lettering for one frame size."""

    width: int
    height: int

    @property
    def text_size(self) -> int:
        return max(8, round(self.height / 32))

    @property
    def margin(self) -> int:
        return max(4, round(self.height / 60))

    @property
    def strip_height(self) -> int:
        """The bottom strip where the burn-ins sit."""
        return round(self.text_size * 1.6)

    @property
    def strip_top(self) -> int:
        return self.height - self.strip_height


def lens_text(sheet: ShotSheet) -> str:
    if sheet.focal_length_mm is None:
        return "lens not set"
    text = f"{sheet.focal_length_mm:g}mm"
    return text + (f" f/{sheet.aperture:g}" if sheet.aperture is not None else "")


def movement_text(sheet: ShotSheet) -> str:
    move = sheet.movement
    if move.type == "static":
        return move.label
    direction = f" {move.direction}" if move.direction else ""
    return f"{move.label}{direction}, {move.speed}"


def slate(sheet: ShotSheet, take: int, layout: Layout) -> Panel:
    """Top left: scene, shot number and id, take, lens, size, angle and move."""
    lines = [
        (f"SC {sheet.scene_number}   SHOT {sheet.shot_number}   TAKE {take}", INK, 1.25),
        (sheet.shot_id, INK, 1.0),
        (lens_text(sheet), DIM, 1.0),
        (f"{sheet.size_label}, {sheet.angle_label}", DIM, 1.0),
        (movement_text(sheet), DIM, 1.0),
    ]
    return _block(lines, layout, anchor_right=False)


def heading(sheet: ShotSheet, layout: Layout) -> Panel:
    """Top right: the scene heading, the location, the project title."""
    lines = [(sheet.scene_heading, INK, 1.0)]
    if sheet.location:
        lines.append((sheet.location, DIM, 1.0))
    lines.append((sheet.title, DIM, 0.85))
    return _block(lines, layout, anchor_right=True)


def action(sheet: ShotSheet, layout: Layout) -> Panel:
    """Above the burn-in strip: the action (two lines at most), lighting, notes, and the id."""
    size = layout.text_size
    chars = max(20, int(layout.width / (size * 0.55)))
    lines = textwrap.wrap(sheet.action, chars)[:2] or [""]
    extras = [text for text in (sheet.lighting, sheet.notes or "") if text]
    rows = [(line, INK, 1.0) for line in lines]
    if extras:
        rows.append(
            (textwrap.shorten("  /  ".join(extras), chars + 10, placeholder=" ..."), DIM, 0.85)
        )
    block = _render_rows(rows, layout, full_width=True)
    strip = Image.new("RGBA", (layout.width, layout.strip_height), BACKING)
    draw = ImageDraw.Draw(strip)
    draw.text(
        (layout.margin, layout.strip_height // 2),
        sheet.shot_id,
        font=font(size),
        fill=INK,
        anchor="lm",
    )
    panel = Image.new("RGBA", (layout.width, block.height + strip.height), (0, 0, 0, 0))
    panel.paste(block, (0, 0))
    panel.paste(strip, (0, block.height))
    return Panel(panel, 0, layout.height - panel.height)


def subtitle_text(cue: SoundCue) -> str:
    """A line as the subtitle shows it: ``MARA (V.O.): …`` keeps how the line is heard."""
    speaker = f"{cue.speaker} ({cue.extension})" if cue.speaker and cue.extension else cue.speaker
    return f"{speaker}: {cue.text}" if speaker else cue.text


def subtitle(cue: SoundCue, layout: Layout, above: int) -> Panel:
    """A dialogue line, centred, its bottom edge at ``above`` pixels from the top."""
    size = max(8, round(layout.text_size * 1.15))
    chars = max(16, int(layout.width * 0.8 / (size * 0.55)))
    said = subtitle_text(cue)
    lines = textwrap.wrap(said, chars)[:3] or [""]
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    face = font(size)
    widths = [measure.textlength(line, font=face) for line in lines]
    pad = max(3, size // 3)
    line_h = round(size * 1.25)
    panel = Image.new(
        "RGBA", (round(max(widths)) + 2 * pad, line_h * len(lines) + 2 * pad), BACKING
    )
    draw = ImageDraw.Draw(panel)
    for index, line in enumerate(lines):
        draw.text(
            (panel.width / 2, pad + line_h * index + line_h / 2),
            line,
            font=face,
            fill=(255, 255, 120, 255),
            anchor="mm",
        )
    return Panel(
        panel, (layout.width - panel.width) // 2, max(0, above - panel.height - layout.margin)
    )


def bar_height(width: int, height: int, aspect: float | None) -> int:
    """Height of each black bar that letterboxes ``aspect`` inside the frame (0 for none)."""
    if aspect is None or width / height >= aspect:
        return 0
    return max(0, round((height - width / aspect) / 2))


def letterboxed(diagram: Image.Image, bar: int) -> Image.Image:
    """The diagram with black bars of ``bar`` pixels at the top and bottom."""
    if bar <= 0:
        return diagram
    boxed = diagram.copy()
    draw = ImageDraw.Draw(boxed)
    draw.rectangle((0, 0, boxed.width, bar - 1), fill="black")
    draw.rectangle((0, boxed.height - bar, boxed.width, boxed.height), fill="black")
    return boxed


def board(diagram: Image.Image, panels: list[Panel]) -> Image.Image:
    """The still card: the diagram (frame-sized) with every panel laid over it."""
    card = diagram.convert("RGBA")
    for panel in panels:
        card.alpha_composite(panel.image, (panel.x, panel.y))
    return card.convert("RGB")


def _block(rows: Sequence[Row], layout: Layout, *, anchor_right: bool) -> Panel:
    image = _render_rows(rows, layout, full_width=False)
    x = layout.width - image.width - layout.margin if anchor_right else layout.margin
    return Panel(image, max(0, x), layout.margin)


def _render_rows(rows: Sequence[Row], layout: Layout, *, full_width: bool) -> Image.Image:
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    sized = [(text, ink, max(7, round(layout.text_size * scale))) for text, ink, scale in rows]
    pad = layout.margin
    widths = [measure.textlength(text, font=font(size)) for text, _, size in sized]
    heights = [round(size * 1.3) for _, _, size in sized]
    width = layout.width if full_width else min(layout.width // 2, round(max(widths)) + 2 * pad)
    image = Image.new("RGBA", (width, sum(heights) + 2 * pad), BACKING)
    draw = ImageDraw.Draw(image)
    y = pad
    for (text, ink, size), line_h in zip(sized, heights, strict=True):
        draw.text((pad, y + line_h / 2), text, font=font(size), fill=ink, anchor="lm")
        y += line_h
    return image
