"""Cache keys: the content address of one generated take.

A key is the sha256 of canonical JSON (sorted keys, no whitespace) of everything that changes
the pixels a backend returns: the compiled prompt, the template source hash, the backend id and
its ``version`` (bumped by a backend when its output changes for the same inputs), the model,
the resolved ``payload`` options, the generated length, size and frame rate, the take number,
and the *content* sha256 and role of every reference image. It is prefixed with a scheme
version, so changing what goes into a key never collides with old entries.

Left out on purpose, because they do not change the output: ``scene_id`` and ``label``
(bookkeeping), ``shot_id`` (renaming a shot must not pay for it again), ``shot_seconds`` and
``clip_in`` (the timeline trims the generated ``seconds`` to them), reference paths and owners
(the same image under another name or folder is the same input), output paths and timestamps.

A backend whose output does depend on one of those (the animatic draws the shot id on its card)
gets it through ``payload``, which is keyed.

The backend version is a class attribute, not part of the :class:`Job`, so it is an argument
here; the runner passes ``type(backend).version``.

A build asks for each job's key at every step (prefetch, reuse, cost, plan, run); a :class:`Job`
is frozen, so its key is worked out once per job object and version and remembered for as long
as that object lives (a changed job is a new object: ``dataclasses.replace``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from previz.backends.base import Backend, Job, Reference

SCHEME = "v1"
"""Bump when the set or shape of key fields changes."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values always give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_fields(job: Job, backend_version: str) -> dict[str, Any]:
    """The fields of ``job`` that change its output, as plain JSON values."""
    return {
        "prompt": job.prompt,
        "template_hash": job.template_hash,
        "backend": job.backend,
        "backend_version": backend_version,
        "model": job.model,
        "payload": _plain(job.payload),
        "seconds": float(job.seconds),
        "width": int(job.width),
        "height": int(job.height),
        "fps": float(job.fps),
        "take": int(job.take),
        "references": [_reference_fields(ref) for ref in job.references],
    }


_KEYS: dict[tuple[int, str], tuple[weakref.ref[Job], str]] = {}
"""Keys worked out so far, by job object (its ``id``, checked against a weak reference to it)
and backend version; an entry leaves when its job is collected."""


def cache_key(job: Job, backend_version: str) -> str:
    """``v1-<sha256>``: the content address of ``job`` rendered by a backend at that version."""
    slot = (id(job), backend_version)
    known = _KEYS.get(slot)
    if known is not None and known[0]() is job:
        return known[1]
    text = canonical_json(key_fields(job, backend_version))
    key = f"{SCHEME}-{hashlib.sha256(text.encode('utf-8')).hexdigest()}"
    _KEYS[slot] = (weakref.ref(job, functools.partial(_forget, slot)), key)
    return key


def _forget(slot: tuple[int, str], _: object) -> None:
    _KEYS.pop(slot, None)


def job_key(job: Job, backends: Mapping[str, Backend]) -> str:
    """:func:`cache_key` with the version of the backend ``job`` names (from ``backends``)."""
    return cache_key(job, type(backends[job.backend]).version)


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes (the content hash a :class:`Reference` carries)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reference_fields(ref: Reference) -> dict[str, str]:
    # Order matters (a backend sends references in order), so they stay a list.
    return {"role": ref.role, "sha256": ref.sha256}


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists, so tuples and lists key the same way."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value  # most of a payload: settled before the isinstance checks below
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
