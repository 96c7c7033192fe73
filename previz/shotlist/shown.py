"""Values as an error message shows them: quoted, shortened, control characters escaped.

A scene file can hold anything — a 400-character id, a NUL, a right-to-left override. An error
message echoes what the user wrote so they can find it, but never prints a control character
raw (it would corrupt the terminal) and never floods the screen with one long value.
"""

from __future__ import annotations

import unicodedata

LIMIT = 40
"""Longest value echoed in full; longer ones keep their head and tail around an ellipsis."""


def escape(text: str) -> str:
    """``text`` with control and format characters written as ``\\x00`` / ``\\u200b``."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def shorten(text: str, limit: int = LIMIT) -> str:
    """``text`` escaped, cut to about ``limit`` characters with its length said when cut."""
    text = escape(text)
    if len(text) <= limit:
        return text
    keep = max(limit - 12, 8)
    return f"{text[: keep - 6]}…{text[-6:]} ({len(text)} characters)"


def shown(value: object, limit: int = LIMIT) -> str:
    """A value as a message quotes it: text in single quotes, other values as YAML writes them."""
    if isinstance(value, str):
        return f"'{shorten(value, limit)}'"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return "-.inf" if value < 0 else ".inf"
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return shorten(str(value), limit)
