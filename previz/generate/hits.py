"""Cache hit counts across runs: ``.stats.json`` in the cache folder, one counter per outcome.

Each run adds its lookups' outcomes (``hit``, ``miss``; a shared cache also ``local`` and
``remote``) when it closes the cache; ``previz cache stats`` reads them. Counting is best
effort: a count that cannot be written is logged and lost, never an error, and the file is
replaced atomically, so a reader never sees half of it.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)


def read_counts(path: Path) -> dict[str, int]:
    """The counts in ``path`` (empty when it is missing or damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def add_counts(path: Path, outcomes: Iterable[str], temp_prefix: str) -> None:
    """Add one to ``path``'s JSON counter of each outcome (best effort, atomic replace through
    a temporary file beside it whose name starts with ``temp_prefix``)."""
    added: dict[str, int] = {}
    for outcome in outcomes:
        added[outcome] = added.get(outcome, 0) + 1
    if not added:
        return
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        counts = {}
    if not isinstance(counts, dict):
        counts = {}
    for outcome, n in added.items():
        counts[outcome] = int(counts.get(outcome, 0)) + n
    temp = path.with_name(f"{temp_prefix}{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_text(json.dumps(counts, sort_keys=True), encoding="utf-8")
        os.replace(temp, path)
    except OSError as error:
        log.warning("cannot record cache hit counts in %s: %s", path, error)
        temp.unlink(missing_ok=True)
