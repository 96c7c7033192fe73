"""A cache in object storage that a team shares, with a local read-through copy in front.

The remote layout is the local one: ``<prefix>/<aa>/<key>/record.json`` beside the media it
lists. Publishing a take uploads its media first, under names no other writer uses
(``clip.<token>.mp4``), and commits it by creating ``record.json`` with a conditional put
(``If-None-Match: *``). Readers ignore a folder without a record, so a crashed upload is never
seen; when two machines publish one key the second create fails, that writer deletes its own
media and adopts the first one's entry, so the store ends with one entry per key.

A hit is served from the local copy (a plain :class:`~previz.generate.cache.Cache` folder,
bounded in size, least recently used entries evicted first) and downloaded into it once. An
entry whose record is unreadable or whose media is missing or of the wrong size is removed from
the store (record first) and reported as a miss, so the runner generates and publishes it anew.
A take that could not be uploaded stays in the local copy and is published on its next hit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from previz.backends.base import RenderedMedia
from previz.errors import CacheError
from previz.generate.cache import (
    RECORD,
    Cache,
    CachedClip,
    CacheRecord,
    Provenance,
    cache_location,
)
from previz.generate.probing import MediaFacts, probe_facts
from previz.generate.store import Store, is_remote, open_store, store_error

log = logging.getLogger(__name__)

COPY_ENV = "PREVIZ_CACHE_COPY"
COPY_SIZE_ENV = "PREVIZ_CACHE_COPY_SIZE"
DEFAULT_COPY_BYTES = 20 * 1000**3
_UNPUBLISHED = ".unpublished"
_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000**2, "MB": 1000**2, "G": 1000**3}
_UNITS |= {"GB": 1000**3, "T": 1000**4, "TB": 1000**4}


class SharedCache(Cache):
    """The :class:`Cache` interface over a :class:`Store`, with a local copy at ``copy``."""

    def __init__(
        self,
        store: Store,
        copy: Path,
        *,
        copy_bytes: int = DEFAULT_COPY_BYTES,
        probe: Callable[[Path], MediaFacts] = probe_facts,
    ) -> None:
        super().__init__(copy, probe=probe)
        self.store = store
        self.copy_bytes = copy_bytes
        self._copy_used: int | None = None
        self._downloaded: set[str] = set()  # fetched by this process (a peek, then a get)
        self._lock = threading.Lock()  # prefetch downloads in threads
        if not store.atomic:
            log.warning(
                "%s has no conditional writes: two machines may both pay for one take", store.url
            )

    @property
    def location(self) -> str:
        return self.store.url

    def lease_store(self) -> Store:
        return self.store

    def remote_folder(self, key: str) -> str:
        """The entry's folder inside the store."""
        return f"{key.rsplit('-', 1)[-1][:2]}/{key}"

    def get(self, key: str) -> CachedClip | None:
        """The local copy's entry, else the store's (downloaded into the copy), else None."""
        entry = self._local(key)
        if entry is not None:
            self._looked_up(key, "remote" if key in self._downloaded else "local")
            _touch(entry.folder / RECORD)
            if (entry.folder / _UNPUBLISHED).exists():
                self._publish_remote(entry)
            return entry
        try:
            entry = self._download(key)
        except CacheError:
            raise
        except Exception as error:  # the store went away mid-build: say so, never pay blindly
            raise store_error(self.store.url, error) from error
        self._looked_up(key, "remote" if entry is not None else "miss")
        return entry

    def put(
        self,
        key: str,
        media: RenderedMedia,
        provenance: Provenance,
        *,
        facts: MediaFacts | None = None,
    ) -> CachedClip:
        """Store the take in the local copy, then publish it; the store's entry wins a race."""
        entry = super().put(key, media, provenance, facts=facts)
        self._grew(entry)
        (entry.folder / _UNPUBLISHED).touch()
        return self._publish_remote(entry)

    def prefetch(self, keys: Iterable[str], workers: int = 8) -> int:
        """Copy the entries of ``keys`` that the store has and the local copy lacks, ``workers``
        at a time (a build calls this once before planning); returns how many were copied."""
        missing = [key for key in dict.fromkeys(keys) if self._local(key) is None]
        if not missing:
            return 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return sum(entry is not None for entry in pool.map(self._download, missing))

    def remove(self, key: str) -> bool:
        """Delete the entry from the store (record first) and from the local copy."""
        existed = self._drop_remote(key, None)
        return super().remove(key) or existed

    def verify(self, key: str) -> bool:
        """Decode the take fully; a broken one leaves the store too."""
        if super().verify(key):
            return True
        self._drop_remote(key, "video does not decode")
        return False

    def keys(self) -> Iterator[str]:
        """Every key with an object in the store."""
        seen = set()
        for name in self.store.listing():
            shard, _, rest = name.partition("/")
            key = rest.split("/", 1)[0]
            if len(shard) == 2 and key and key not in seen:
                seen.add(key)
                yield key

    def size(self) -> int:
        """Bytes in the store (entries and leases)."""
        return sum(self.store.listing().values())

    def copy_size(self) -> int:
        """Bytes in the local copy."""
        return super().size()

    def _download(self, key: str) -> CachedClip | None:
        folder = self.remote_folder(key)
        stored = self.store.read(f"{folder}/{RECORD}")
        if stored is None:
            return None
        try:
            record = CacheRecord.from_json(stored.data.decode("utf-8"))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            self._repair(key, stored.tag, None, f"unreadable record.json ({error})")
            return None
        if record.key != key or record.video not in record.sizes:
            self._repair(key, stored.tag, None, "record of another key or without a video")
            return None
        temp = self.root / folder.split("/")[0] / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        temp.mkdir(parents=True)
        try:
            problem = self._fetch_media(folder, record, temp)
            if problem:
                self._repair(key, stored.tag, record, problem)
                return None
            (temp / RECORD).write_bytes(stored.data)
            entry = self._publish(temp, self.folder(key), key, record)
        except OSError as error:
            raise CacheError(
                f"cannot copy cache entry {key} from {self.store.url}: {error}",
                path=self.root,
                hint=f"check free space, or move the local copy with ${COPY_ENV}",
            ) from error
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        self._grew(entry)
        self._downloaded.add(key)
        return entry

    def _fetch_media(self, folder: str, record: CacheRecord, temp: Path) -> str | None:
        for name, expected in record.sizes.items():
            try:
                self.store.get_file(f"{folder}/{name}", temp / name)
            except FileNotFoundError:
                return f"{name} is missing"
            actual = (temp / name).stat().st_size
            if actual != expected:
                return f"{name} has {actual} bytes, expected {expected}"
        return None

    def _publish_remote(self, entry: CachedClip) -> CachedClip:
        """Upload media, then create the record; on losing a race adopt the winner's entry."""
        folder = self.remote_folder(entry.key)
        try:
            winner = self._remote_winner(entry.key)
            if winner is None:
                names = self._upload(entry, folder)
                record = _renamed(entry.record, names)
                if (
                    self.store.create(f"{folder}/{RECORD}", record.to_json().encode("utf-8"))
                    is not None
                ):
                    (entry.folder / _UNPUBLISHED).unlink(missing_ok=True)
                    self._tidy(folder, set(names.values()))
                    return entry
                self.store.delete([f"{folder}/{n}" for n in names.values()])
                winner = self._remote_winner(entry.key)
        except Exception as error:  # the clip is safe locally: publish it on its next hit
            log.warning("cannot publish %s to %s (%s)", entry.key, self.store.url, error)
            return entry
        if winner is None:
            return entry
        super().remove(entry.key)
        adopted = self._download(entry.key)
        return adopted if adopted is not None else entry

    def _remote_winner(self, key: str) -> CacheRecord | None:
        """The store's valid record of ``key``; a corrupt one is repaired (removed) first."""
        stored = self.store.read(f"{self.remote_folder(key)}/{RECORD}")
        if stored is None:
            return None
        try:
            record = CacheRecord.from_json(stored.data.decode("utf-8"))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            self._repair(key, stored.tag, None, "unreadable record.json")
            return None
        sizes = self.store.listing(self.remote_folder(key) + "/")
        folder = self.remote_folder(key)
        if any(sizes.get(f"{folder}/{n}") != size for n, size in record.sizes.items()):
            self._repair(key, stored.tag, record, "media missing or of the wrong size")
            return None
        return record

    def _upload(self, entry: CachedClip, folder: str) -> dict[str, str]:
        token = uuid.uuid4().hex[:10]
        names = {}
        for name in entry.record.sizes:
            stem, dot, suffix = name.rpartition(".")
            names[name] = f"{stem}.{token}.{suffix}" if dot else f"{name}.{token}"
            self.store.put_file(entry.folder / name, f"{folder}/{names[name]}")
        return names

    def _tidy(self, folder: str, keep: set[str]) -> None:
        """Remove media a crashed or losing writer left in ``folder`` (ours is committed)."""
        present = self.store.listing(folder + "/")
        stray = [n for n in present if n.rsplit("/", 1)[-1] not in keep | {RECORD}]
        self.store.delete(stray)

    def _repair(self, key: str, tag: str, record: CacheRecord | None, why: str) -> None:
        folder = self.remote_folder(key)
        log.warning(
            "shared cache entry %s/%s is corrupt (%s); removing it", self.location, key, why
        )
        if self.store.drop(f"{folder}/{RECORD}", tag) and record is not None:
            self.store.delete([f"{folder}/{name}" for name in record.sizes])

    def _drop_remote(self, key: str, why: str | None) -> bool:
        folder = self.remote_folder(key)
        stored = self.store.read(f"{folder}/{RECORD}")
        if why is not None:
            log.warning("shared cache entry %s/%s: %s; removing it", self.location, key, why)
        if stored is not None:
            self.store.drop(f"{folder}/{RECORD}", stored.tag)
        objects = list(self.store.listing(folder + "/"))
        self.store.delete(objects)
        return stored is not None or bool(objects)

    def _grew(self, entry: CachedClip) -> None:
        """Account for a new entry in the copy; evict least recently used ones over the bound."""
        with self._lock:
            self._evict_over_bound(entry)

    def _evict_over_bound(self, entry: CachedClip) -> None:
        if self._copy_used is None:
            self._copy_used = super().size()
        else:
            self._copy_used += sum(entry.record.sizes.values())
        if self._copy_used <= self.copy_bytes:
            return
        by_use = sorted(self._copy_entries(), key=lambda item: item[1])
        for folder, _used, size in by_use:
            if self._copy_used <= self.copy_bytes * 0.9:
                break
            if folder == entry.folder:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            self._copy_used -= size

    def _copy_entries(self) -> Iterator[tuple[Path, float, int]]:
        for key in list(super().keys()):
            folder = self.folder(key)
            try:
                used = (folder / RECORD).stat().st_mtime
            except FileNotFoundError:
                used = 0.0
            size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
            yield folder, used, size


def _renamed(record: CacheRecord, names: Mapping[str, str]) -> CacheRecord:
    return replace(
        record,
        video=names[record.video],
        stems={role: names[name] for role, name in record.stems.items()},
        sizes={names[name]: size for name, size in record.sizes.items()},
    )


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def copy_folder(url: str, env: Mapping[str, str] | None = None) -> Path:
    """The local copy of the store at ``url``: ``$PREVIZ_CACHE_COPY``, else the user cache."""
    environ = os.environ if env is None else env
    if environ.get(COPY_ENV):
        return Path(environ[COPY_ENV]).expanduser()
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "previz" / "shared" / hashlib.sha256(url.encode()).hexdigest()[:16]


def copy_limit(env: Mapping[str, str] | None = None) -> int:
    """``$PREVIZ_CACHE_COPY_SIZE`` in bytes (``500MB``, ``20GB``…), else 20 GB."""
    text = (os.environ if env is None else env).get(COPY_SIZE_ENV, "").strip().upper()
    if not text:
        return DEFAULT_COPY_BYTES
    number = text.rstrip("KMGTB ")
    unit = text[len(number) :].strip()
    try:
        return int(float(number) * _UNITS[unit])
    except (ValueError, KeyError):
        raise CacheError(
            f"${COPY_SIZE_ENV} is '{text}', not a size",
            hint="write a number of bytes with an optional unit: 500MB, 20GB",
        ) from None


def open_cache(
    project_dir: Path,
    override: str | Path | None = None,
    *,
    setting: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> Cache:
    """The project's cache wherever it is configured (see :func:`cache_location`).

    A remote store is checked (reachable, credentials accepted, writable) unless ``check`` is
    False, so a bad URL or missing keys fail with a :class:`CacheError` before anything is paid.
    """
    location = cache_location(project_dir, override, env, setting)
    if not isinstance(location, str):
        return Cache(location)
    store = open_store(location)
    if check:
        try:
            store.check()
        except CacheError:
            raise
        except Exception as error:
            raise store_error(store.url, error) from None
    return SharedCache(store, copy_folder(store.url, env), copy_bytes=copy_limit(env))


__all__ = ["SharedCache", "copy_folder", "copy_limit", "is_remote", "open_cache"]
