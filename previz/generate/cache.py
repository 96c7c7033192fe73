"""The clip cache: finished takes stored under their content address.

An entry is a folder ``<root>/<aa>/<key>/`` holding the clip (``clip.mp4``), its sound stems
(``stem-<role>.wav``) and ``record.json`` — where the clip came from (prompt, backend, model,
remote job id, cost, created) plus the facts probed from the media when it was stored, so a
cache hit never decodes anything. Entries are written into a hidden temp folder beside their
final place and renamed into it with :func:`os.replace`, so a reader (or a run killed half-way)
never sees half an entry. An entry whose record is unreadable or whose files are missing or of
the wrong size is logged, removed and reported as a miss; the runner then generates it again.

Derived artifacts (the last frame used for continuity) live in the entry too, but outside the
record: they can be recomputed, so losing one never invalidates the clip.

The cache may live anywhere fsspec reaches: :func:`open_cache` turns a folder or ``file://`` URL
into a :class:`Cache` and a remote URL (``s3://bucket/prefix``) into a
:class:`~previz.generate.shared.SharedCache` — the same interface over object storage, with a
local read-through copy. Either way ``leases/<key>`` beside the entries lets several machines
agree on who pays for a take (:mod:`previz.generate.lease`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from previz.backends.base import RenderedMedia
from previz.errors import CacheError
from previz.generate.hits import add_counts, read_counts
from previz.generate.probing import MediaFacts, probe_complete, probe_facts
from previz.generate.store import FolderStore, Store, is_remote, local_path, public_url
from previz.products import settled

log = logging.getLogger(__name__)

CACHE_ENV = "PREVIZ_CACHE_DIR"
RECORD = "record.json"
LAST_FRAME = "last_frame.png"
STATS = ".stats.json"
_TEMP_PREFIX = ".tmp-"


def cache_location(
    project_dir: Path,
    override: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    setting: str | None = None,
) -> str | Path:
    """Where the cache lives: ``override`` (``--cache-dir``), else ``$PREVIZ_CACHE_DIR``, else
    the project's ``cache:`` setting, else ``.previz/cache``. A URL stays a string; a relative
    folder in the project setting is taken from the project folder."""
    if override is not None and str(override):
        return override if is_remote(override) else local_path(override)
    environ = os.environ if env is None else env
    moved = environ.get(CACHE_ENV)
    if moved:
        return moved if is_remote(moved) else local_path(moved)
    if setting:
        return setting if is_remote(setting) else project_dir / local_path(setting)
    return project_dir / ".previz" / "cache"


def cache_root(
    project_dir: Path, override: Path | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The cache folder when the cache is local (see :func:`cache_location` for URLs)."""
    location = cache_location(project_dir, override, env)
    if isinstance(location, str):
        raise CacheError(
            f"the cache {public_url(location)} is remote, not a folder",
            hint="open it with previz.generate.open_cache",
        )
    return location


@dataclass(frozen=True)
class Provenance:
    """Where a clip came from; the runner knows this, the cache stores it with the clip."""

    prompt: str
    backend: str
    backend_version: str
    model: str
    template_hash: str
    seconds: float
    take: int
    shot_id: str
    remote_id: str | None = None
    cost: float = 0.0
    created: str = ""


@dataclass(frozen=True)
class CacheRecord:
    """``record.json``: provenance, the probed facts, and every file with its byte size."""

    key: str
    provenance: Provenance
    facts: MediaFacts
    video: str
    stems: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CacheRecord:
        data: dict[str, Any] = json.loads(text)
        return cls(
            key=str(data["key"]),
            provenance=Provenance(**data["provenance"]),
            facts=MediaFacts(**data["facts"]),
            video=str(data["video"]),
            stems={str(k): str(v) for k, v in data.get("stems", {}).items()},
            sizes={str(k): int(v) for k, v in data["sizes"].items()},
        )


@dataclass(frozen=True)
class CachedClip:
    """A valid cache entry: its folder, files and record."""

    key: str
    folder: Path
    record: CacheRecord

    @property
    def video(self) -> Path:
        return self.folder / self.record.video

    @property
    def stems(self) -> dict[str, Path]:
        return {role: self.folder / name for role, name in self.record.stems.items()}


class Cache:
    """Content-addressed store of finished takes under ``root``."""

    def __init__(self, root: Path, *, probe: Callable[[Path], MediaFacts] = probe_facts) -> None:
        self.root = Path(root)
        self._probe = probe
        self.lookups: dict[str, str] = {}
        """The first lookup of each key in this process: "hit" or "miss" (for hit rates)."""
        self._records: dict[str, tuple[tuple[int, int, int, int], CacheRecord]] = {}
        self._folders: dict[str, Path] = {}

    @property
    def location(self) -> str:
        """Where the takes are, as shown to people."""
        return str(self.root)

    def lease_store(self) -> Store:
        """Where the team leases live: ``leases/`` beside the entries."""
        return FolderStore(self.root)

    def _looked_up(self, key: str, outcome: str) -> None:
        self.lookups.setdefault(key, outcome)

    def folder(self, key: str) -> Path:
        """The entry folder of ``key`` (whether or not it exists)."""
        folder = self._folders.get(key)
        if folder is None:
            folder = self._folders[key] = self.root / key.rsplit("-", 1)[-1][:2] / key
        return folder

    def get(self, key: str) -> CachedClip | None:
        """The entry for ``key``, or ``None`` on a miss; corrupt entries are evicted as misses."""
        entry = self._local(key)
        self._looked_up(key, "hit" if entry is not None else "miss")
        return entry

    def prefetch(self, keys: Iterable[str]) -> int:
        """Bring the entries of ``keys`` close before a run looks them up one by one (a local
        folder has nothing to fetch; a shared store copies them, several at once)."""
        return 0

    def peek(self, key: str) -> CachedClip | None:
        """:meth:`get` that does not count as a lookup (for probing keys a run may not use)."""
        had = key in self.lookups
        entry = self.get(key)
        if not had:
            self.lookups.pop(key, None)
        return entry

    def _local(self, key: str) -> CachedClip | None:
        folder = self.folder(key)
        try:
            record = self._record(key, os.path.join(folder, RECORD))
        except FileNotFoundError:
            if folder.exists():
                self._evict(folder, "no record.json")
            return None
        except (ValueError, KeyError, TypeError) as error:
            self._evict(folder, f"unreadable record.json ({error})")
            return None
        problem = _size_problem(folder, record) if record.key == key else "record of another key"
        if problem:
            self._evict(folder, problem)
            return None
        return CachedClip(key, folder, record)

    def _record(self, key: str, path: str) -> CacheRecord:
        """``record.json`` of ``key``, parsed — or as parsed before in this process when it is
        the same file, unchanged since (inode, size, modification and change times) and settled.

        A build looks each take up several times (reuse, cost, plan, run): the record is read
        and parsed once; every lookup still stats it and checks the media files' sizes, so an
        entry damaged or removed in between is still found corrupt or missing."""
        stat = os.stat(path)
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        seen = self._records.get(key)
        if seen is not None and seen[0] == identity:
            return seen[1]
        with open(path, encoding="utf-8") as stream:
            record = CacheRecord.from_json(stream.read())
        if settled(stat.st_mtime_ns, time.time_ns()):  # else read again at each lookup
            self._records[key] = (identity, record)
        return record

    def put(
        self,
        key: str,
        media: RenderedMedia,
        provenance: Provenance,
        *,
        facts: MediaFacts | None = None,
    ) -> CachedClip:
        """Move ``media`` into the entry for ``key`` atomically and return it.

        The video is probed unless ``facts`` are given; media that does not decode raises
        :class:`~previz.errors.MediaError` and nothing is stored.
        """
        facts = facts if facts is not None else self._probe(media.video)
        folder = self.folder(key)
        temp = folder.parent / f"{_TEMP_PREFIX}{key}-{uuid.uuid4().hex[:8]}"
        try:
            temp.mkdir(parents=True)
            record = _fill(temp, key, media, provenance, facts)
            (temp / RECORD).write_text(record.to_json(), encoding="utf-8")
            return self._publish(temp, folder, key, record)
        except OSError as error:
            raise CacheError(
                f"cannot write cache entry {key}: {error}",
                path=folder,
                hint=f"check free space and permissions, or move the cache with ${CACHE_ENV}",
            ) from error
        finally:
            if temp.exists():
                shutil.rmtree(temp, ignore_errors=True)

    def last_frame(self, key: str, extract: Callable[[Path, Path], object]) -> Path | None:
        """The entry's last frame as PNG, made once by ``extract(video, dest)``; None if missing."""
        entry = self.get(key)
        if entry is None:
            return None
        dest = entry.folder / LAST_FRAME
        if not dest.exists():
            temp = entry.folder / f"{_TEMP_PREFIX}{uuid.uuid4().hex[:8]}.png"
            try:
                extract(entry.video, temp)
                os.replace(temp, dest)
            finally:
                temp.unlink(missing_ok=True)
        return dest

    def existing_last_frame(self, key: str) -> Path | None:
        """The last frame if it was already made (no extraction, no validation)."""
        dest = self.folder(key) / LAST_FRAME
        return dest if dest.exists() else None

    def remove(self, key: str) -> bool:
        """Delete the entry for ``key``; True if there was one."""
        folder = self.folder(key)
        self._records.pop(key, None)
        if not folder.exists():
            return False
        _remove_tree(folder)
        return True

    def verify(self, key: str) -> bool:
        """Decode every frame of the entry's video (slow); evict it and return False if broken."""
        entry = self.get(key)
        if entry is None:
            return False
        try:
            probe_complete(entry.video)
        except Exception as error:
            self._evict(entry.folder, f"video does not decode ({error})")
            return False
        return True

    def keys(self) -> Iterator[str]:
        """Every key with a folder in the cache (valid or not)."""
        if not self.root.exists():
            return
        for shard in sorted(self.root.iterdir()):
            if shard.is_dir() and len(shard.name) == 2 and not shard.name.startswith("."):
                for folder in sorted(shard.iterdir()):
                    if folder.is_dir() and not folder.name.startswith("."):
                        yield folder.name

    def entries(self) -> Iterator[CachedClip]:
        """Every valid entry (corrupt ones are evicted on the way)."""
        for key in list(self.keys()):
            entry = self.get(key)
            if entry is not None:
                yield entry

    def size(self) -> int:
        """Bytes used by the cache, temp folders included.

        Other builds and downloads publish and remove ``.tmp-`` folders while this counts: a
        file or folder gone by the time it is reached is not counted (``os.walk`` passes over a
        folder it cannot list)."""
        total = 0
        for folder, _, files in os.walk(self.root):
            for name in files:
                try:
                    stat = os.stat(os.path.join(folder, name))
                except FileNotFoundError:
                    continue
                if S_ISREG(stat.st_mode):
                    total += stat.st_size
        return total

    def stats(self) -> dict[str, int]:
        """Lookups so far, across runs: ``hit`` and ``miss`` counts (more kinds when shared)."""
        return read_counts(self.root / STATS)

    def close(self) -> None:
        """Add this process's lookups to the stored hit counts (if the cache folder exists)."""
        if self.root.is_dir():
            add_counts(self.root / STATS, self.lookups.values(), _TEMP_PREFIX)
        self.lookups.clear()

    def sweep_partial(self, older_than: float = 3600.0, now: float | None = None) -> int:
        """Remove temp folders left by killed runs, older than ``older_than`` seconds."""
        if not self.root.exists():
            return 0
        cutoff = (time.time() if now is None else now) - older_than
        stale = [p for p in self.root.glob(f"*/{_TEMP_PREFIX}*") if p.stat().st_mtime < cutoff]
        for path in stale:
            _remove_tree(path) if path.is_dir() else path.unlink(missing_ok=True)
        return len(stale)

    def _publish(self, temp: Path, folder: Path, key: str, record: CacheRecord) -> CachedClip:
        try:
            os.replace(temp, folder)
        except OSError:
            # Another writer won the race with the same content, or a corrupt leftover sits there.
            existing = self._local(key)
            if existing is not None:
                return existing
            os.replace(temp, folder)
        return CachedClip(key, folder, record)

    def _evict(self, folder: Path, why: str) -> None:
        log.warning("cache entry %s is corrupt (%s); removing it", folder, why)
        self._records.pop(folder.name, None)
        _remove_tree(folder)


def _fill(
    temp: Path, key: str, media: RenderedMedia, provenance: Provenance, facts: MediaFacts
) -> CacheRecord:
    video = "clip" + (media.video.suffix or ".mp4")
    shutil.move(str(media.video), temp / video)
    stems: dict[str, str] = {}
    for role, path in sorted(media.stems.items()):
        stems[role] = f"stem-{role}{path.suffix or '.wav'}"
        shutil.move(str(path), temp / stems[role])
    sizes = {name: (temp / name).stat().st_size for name in [video, *stems.values()]}
    return CacheRecord(key, provenance, facts, video, stems, sizes)


def _size_problem(folder: Path, record: CacheRecord) -> str | None:
    base = os.fspath(folder)
    for name, expected in record.sizes.items():
        try:
            actual = os.stat(os.path.join(base, name)).st_size
        except FileNotFoundError:
            return f"{name} is missing"
        if actual != expected:
            return f"{name} has {actual} bytes, expected {expected}"
    if record.video not in record.sizes:
        return "record lists no video size"
    return None


def _remove_tree(folder: Path) -> None:
    """Rename first, then delete, so a half-deleted entry never looks like an entry."""
    trash = folder.parent / f"{_TEMP_PREFIX}trash-{uuid.uuid4().hex[:8]}"
    try:
        os.replace(folder, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)
