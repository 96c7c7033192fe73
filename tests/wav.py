"""Stereo WAV test signals drawn sample by sample by ffmpeg's ``aevalsrc``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from previz.media import find_ffmpeg


def stereo_wav(dest: Path, expr: str, *, samples: int, rate: int, codec: str) -> Path:
    """``samples`` samples at ``rate`` of ``expr`` (an aevalsrc expression) on both channels."""
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"aevalsrc=exprs='{expr}|{expr}':s={rate}:d={samples / rate}", "-c:a", codec,
         str(dest)],
        check=True,
    )  # fmt: skip
    return dest
