"""The offline animatic backend: storyboard cards, camera moves, burn-ins and temp sound.

Registered under the entry point ``animatic``; needs nothing but ffmpeg (found by
:func:`previz.media.find_ffmpeg`) and, optionally, ``espeak-ng`` for spoken dialogue.
"""

from __future__ import annotations

from previz.backends.animatic.backend import AnimaticBackend

__all__ = ["AnimaticBackend"]
