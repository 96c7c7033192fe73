"""A finished take into the cache: its provenance, the atomic put, and the scratch folder.

The runner downloads (or renders) into a scratch folder ``<workdir>/<key>``; the clip moves
into the cache with what the runner knows of where it came from, and the scratch folder goes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from previz.backends.base import Backend, Job, RenderedMedia
from previz.generate.cache import Cache, CachedClip, Provenance
from previz.generate.journal import Journal
from previz.generate.probing import MediaFacts


def provenance_of(
    job: Job, backend: Backend, remote_id: str | None, price: float, journal: Journal
) -> Provenance:
    """Where the take came from, stamped with the journal's clock."""
    return Provenance(
        prompt=job.prompt,
        backend=job.backend,
        backend_version=type(backend).version,
        model=job.model,
        template_hash=job.template_hash,
        seconds=job.seconds,
        take=job.take,
        shot_id=job.shot_id,
        remote_id=remote_id,
        cost=price,
        created=journal.stamp(),
    )


def store_take(
    cache: Cache,
    key: str,
    media: RenderedMedia,
    provenance: Provenance,
    facts: MediaFacts | None,
    scratch: Path,
) -> CachedClip:
    """Put the take in the cache (``facts`` when already probed), then drop its scratch folder."""
    entry = cache.put(key, media, provenance, facts=facts)
    shutil.rmtree(scratch, ignore_errors=True)
    return entry


def empty_folder(folder: Path) -> None:
    """A fresh scratch folder: one mkdir, unless a killed run left a partial download there."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
