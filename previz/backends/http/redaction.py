"""Secrets kept out of text: API keys, tokens and a service's masked echo of them.

Apart from :mod:`previz.backends.http.status` (which re-exports it) because the review page
redacts too, and should not import httpx to do it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MASKED_SECRET = re.compile(r"[A-Za-z0-9_\-]*\*{3,}[A-Za-z0-9_\-]*")


def redact(text: str, hidden: Iterable[str | None]) -> str:
    """``text`` with every secret in ``hidden``, and any masked echo of one, replaced by ``***``.

    Services echo a rejected key half-masked (``sk-ab***wxyz``); even that stays out of logs.
    """
    for secret in hidden:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _MASKED_SECRET.sub("***", text)
