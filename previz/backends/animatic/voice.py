"""Dialogue spoken by ``espeak-ng`` when it is installed, and the syllable count of a line.

espeak-ng is optional: the backend finds it on PATH (or is told not to use it), and falls back
to a hummed placeholder whose rhythm follows the syllables counted here. Each speaker gets a
stable espeak pitch from their name, so a character sounds the same in every shot.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path

from previz.errors import BackendError

_VOWEL_GROUPS = re.compile(r"[aeiouy]+", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z']+")


@dataclass(frozen=True)
class Speech:
    """A spoken line on disk and how long it plays."""

    path: Path
    seconds: float


def syllables(text: str) -> int:
    """Syllables in ``text``, counted as vowel groups per word (a silent final 'e' dropped)."""
    count = 0
    for word in _WORDS.findall(text):
        groups = len(_VOWEL_GROUPS.findall(word))
        if word.lower().endswith("e") and groups > 1 and not word.lower().endswith("le"):
            groups -= 1
        count += max(1, groups)
    return count


def find_espeak(choice: str | bool | None) -> str | None:
    """The espeak-ng to use: a given path, the one on PATH (``None``), or none (``False``)."""
    if choice is False:
        return None
    if isinstance(choice, str):
        return choice
    return shutil.which("espeak-ng")


async def speak(text: str, speaker: str | None, dest: Path, *, espeak: str, shot_id: str) -> Speech:
    """Say ``text`` into the WAV ``dest`` with espeak-ng and return it with its length."""
    script = dest.with_suffix(".txt")
    script.write_text(text, encoding="utf-8")
    pitch = 30 + zlib.crc32((speaker or "").encode("utf-8")) % 40
    command = [
        espeak,
        "-v",
        "en",
        "-s",
        "165",
        "-p",
        str(pitch),
        "-w",
        str(dest),
        "-f",
        str(script),
    ]
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await process.communicate()
    except OSError as error:
        raise _failed(f"cannot start espeak-ng: {error.strerror or error}", shot_id) from error
    if process.returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip()[-400:]
        raise _failed(f"espeak-ng failed (exit status {process.returncode}): {tail}", shot_id)
    with wave.open(str(dest), "rb") as spoken:
        seconds = spoken.getnframes() / spoken.getframerate()
    return Speech(dest, seconds)


def _failed(message: str, shot_id: str) -> BackendError:
    return BackendError(
        message,
        shot_id=shot_id,
        backend="animatic",
        hint="reinstall espeak-ng, or construct AnimaticBackend(espeak=False) for hummed lines",
    )
