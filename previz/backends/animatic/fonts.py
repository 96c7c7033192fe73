"""The one typeface of the animatic, shipped inside the package so no system font is needed.

A fresh machine may have no fonts and no fontconfig at all. previz carries DejaVu Sans Condensed
(Bitstream Vera licence, see ``typeface/LICENSE``), which covers the Latin, Greek and Cyrillic
alphabets — names like Élodie, José or Ørsted letter correctly on the cards. The cards are drawn
with it, and the same file is handed to ffmpeg's ``drawtext`` so the burn-ins match.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from PIL import ImageFont

from previz.errors import MediaError

TYPEFACE = Path(__file__).resolve().parent / "typeface" / "DejaVuSansCondensed.ttf"


@functools.lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The card typeface at ``size`` pixels."""
    try:
        return ImageFont.truetype(str(TYPEFACE), size)
    except ImportError:
        raise MediaError(
            "this Pillow was built without FreeType, so the animatic cannot letter its cards",
            backend="animatic",
            hint="install Pillow from PyPI wheels (they include FreeType)",
        ) from None
    except OSError as error:
        raise MediaError(
            f"the animatic's typeface cannot be read: {error}",
            path=TYPEFACE,
            backend="animatic",
            hint="reinstall previz",
        ) from None


def write_font_file(dest: Path) -> Path:
    """Put the typeface at ``dest`` for ffmpeg's ``fontfile=`` (a link: it costs no disk)."""
    try:
        dest.symlink_to(TYPEFACE)
    except OSError:  # no symlinks here (some Windows setups): copy the file instead
        shutil.copyfile(TYPEFACE, dest)
    return dest
