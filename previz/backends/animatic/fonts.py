"""The one typeface of the animatic, carried inside Pillow so no system font is needed.

A fresh machine may have no fonts and no fontconfig at all. Pillow (≥ 10.1) embeds a FreeType
font (Aileron Regular, public domain) behind ``ImageFont.load_default(size=...)``; the cards are
drawn with it, and its bytes are written out for ffmpeg's ``drawtext`` so the burn-ins match.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import ImageFont

from previz.errors import MediaError


@functools.lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The card typeface at ``size`` pixels."""
    loaded = ImageFont.load_default(size=size)
    if not isinstance(loaded, ImageFont.FreeTypeFont):
        raise MediaError(
            "this Pillow was built without FreeType, so the animatic cannot letter its cards",
            backend="animatic",
            hint="install Pillow from PyPI wheels (they include FreeType)",
        )
    return loaded


def write_font_file(dest: Path) -> Path:
    """Write the typeface as a TrueType file at ``dest`` (for ffmpeg's ``fontfile=``)."""
    dest.write_bytes(font(12).font_bytes)
    return dest
