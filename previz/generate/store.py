"""Object storage for a shared cache: any fsspec URL, with the conditional writes S3 offers.

A :class:`Store` is a folder of named objects (``"ab/<key>/record.json"``, ``"leases/<key>"``)
under one root URL. Besides plain reads, writes, listings and deletes it offers the three
conditional operations a team cache needs to be safe with many writers:

- :meth:`Store.create` writes an object only if none exists (S3 ``If-None-Match: *``; on a
  local or mounted folder a hard link, which fails when the name is taken);
- :meth:`Store.swap` replaces an object only if it is still the version read (S3 ``If-Match``
  on its ETag; on a folder, under an exclusive ``flock``);
- :meth:`Store.drop` deletes an object only if it is still the version read.

Other fsspec protocols (``gs://``, ``sftp://``…) get the same operations as check-then-write,
which two machines can race; :attr:`Store.atomic` says so and the cache warns once. For GCS use
its S3-compatible endpoint (``s3://`` with ``AWS_ENDPOINT_URL``) to get real conditional writes.

Credentials and the endpoint come from the standard environment (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``…); they are never part of the URL the store shows.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from previz.errors import CacheError

_LOCAL = ("file", "local")


@dataclass(frozen=True)
class StoredObject:
    """An object's bytes and the version tag a conditional write compares against."""

    data: bytes
    tag: str


def is_remote(location: str | Path) -> bool:
    """True when ``location`` is a URL of a non-local fsspec protocol (``s3://``, ``gs://``…)."""
    text = str(location)
    if "://" not in text:
        return False
    return text.split("://", 1)[0].lower() not in _LOCAL


def local_path(location: str | Path) -> Path:
    """A plain path or ``file://`` URL as a :class:`Path` (``~`` expanded)."""
    text = str(location)
    if text.lower().startswith("file://"):
        text = text[len("file://") :]
    return Path(text).expanduser()


def public_url(url: str) -> str:
    """``url`` without any user or password part, for messages and summaries."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class Store:
    """Named objects under ``url`` (an fsspec URL); see the module docstring."""

    atomic = False

    def __init__(self, fs: Any, root: str, url: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.url = public_url(url)

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def read(self, name: str) -> StoredObject | None:
        """The object ``name`` with its version tag, or None if there is none."""
        try:
            data = self.fs.cat_file(self.path(name))
            tag = str(self.fs.info(self.path(name)).get("ETag") or hashlib.sha256(data).hexdigest())
        except FileNotFoundError:
            return None
        return StoredObject(bytes(data), tag)

    def get_file(self, name: str, dest: Path) -> None:
        """Download ``name`` to ``dest`` (FileNotFoundError if it is gone)."""
        self.fs.get_file(self.path(name), str(dest))

    def put_file(self, source: Path, name: str) -> None:
        """Upload ``source`` as ``name``, replacing whatever was there."""
        self.fs.put_file(str(source), self.path(name))

    def create(self, name: str, data: bytes) -> str | None:
        """Write ``name`` only if it does not exist; its version tag, or None if it existed."""
        if self.fs.exists(self.path(name)):
            return None
        self.fs.pipe_file(self.path(name), data)
        fresh = self.read(name)
        return fresh.tag if fresh is not None else None

    def swap(self, name: str, data: bytes, tag: str) -> str | None:
        """Replace ``name`` if it is still version ``tag``; the new tag, or None if it changed."""
        current = self.read(name)
        if current is None or current.tag != tag:
            return None
        self.fs.pipe_file(self.path(name), data)
        fresh = self.read(name)
        return fresh.tag if fresh is not None else None

    def drop(self, name: str, tag: str) -> bool:
        """Delete ``name`` if it is still version ``tag``; False if it changed or is gone."""
        current = self.read(name)
        if current is None or current.tag != tag:
            return False
        self.delete([name])
        return True

    def delete(self, names: list[str]) -> None:
        """Delete every object in ``names`` that exists."""
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self.path(name))

    def listing(self, prefix: str = "") -> dict[str, int]:
        """Every object under ``prefix`` (relative name → bytes)."""
        base = self.path(prefix).rstrip("/")
        try:
            found = self.fs.find(base, detail=True)
        except FileNotFoundError:
            return {}
        cut = len(self.root) + 1
        return {
            path[cut:]: int(info.get("size") or 0)
            for path, info in found.items()
            if info.get("type", "file") == "file"
        }

    def check(self) -> None:
        """Prove the store can be listed and written, or raise :class:`CacheError` saying why."""
        probe = f"leases/.probe-{uuid.uuid4().hex[:12]}"
        try:
            self.fs.pipe_file(self.path(probe), b"previz")
            self.delete([probe])
        except Exception as error:
            raise store_error(self.url, error) from None


class S3Store(Store):
    """An S3-compatible bucket through s3fs, with real conditional writes."""

    atomic = True

    def _bucket_key(self, name: str) -> tuple[str, str]:
        bucket, _, key = self.path(name).partition("/")
        return bucket, key

    def read(self, name: str) -> StoredObject | None:
        bucket, key = self._bucket_key(name)
        try:
            reply = self.fs.call_s3("get_object", Bucket=bucket, Key=key)
        except FileNotFoundError:
            return None
        return StoredObject(_read_body(self.fs, reply["Body"]), str(reply["ETag"]))

    def create(self, name: str, data: bytes) -> str | None:
        bucket, key = self._bucket_key(name)
        try:
            reply = self.fs.call_s3(
                "put_object", Bucket=bucket, Key=key, Body=data, IfNoneMatch="*"
            )
        except (FileExistsError, OSError) as error:
            if isinstance(error, FileExistsError) or _precondition_failed(error):
                return None
            raise
        return str(reply["ETag"])

    def swap(self, name: str, data: bytes, tag: str) -> str | None:
        bucket, key = self._bucket_key(name)
        try:
            reply = self.fs.call_s3("put_object", Bucket=bucket, Key=key, Body=data, IfMatch=tag)
        except (FileNotFoundError, OSError) as error:
            if isinstance(error, FileNotFoundError) or _precondition_failed(error):
                return None
            raise
        return str(reply["ETag"])

    def drop(self, name: str, tag: str) -> bool:
        bucket, key = self._bucket_key(name)
        try:
            self.fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=tag)
        except (FileNotFoundError, OSError) as error:
            if isinstance(error, FileNotFoundError) or _precondition_failed(error):
                return False
            raise
        return True

    def delete(self, names: list[str]) -> None:
        if names:
            self.fs.rm([self.path(n) for n in names])

    def check(self) -> None:
        bucket = self.root.split("/", 1)[0]
        retries, self.fs.retries = self.fs.retries, 1  # a dead endpoint answers now, not in 10 s
        try:
            self.fs.call_s3("head_bucket", Bucket=bucket)
        except Exception as error:
            raise store_error(self.url, error) from None
        finally:
            self.fs.retries = retries
        super().check()


class FolderStore(Store):
    """A local or mounted folder: hard links for create, ``flock`` for swap and drop."""

    atomic = True

    def __init__(self, root: Path) -> None:
        super().__init__(_LocalFileSystem(), str(root), str(root))
        self.folder = root

    def read(self, name: str) -> StoredObject | None:
        try:
            data = (self.folder / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return StoredObject(data, hashlib.sha256(data).hexdigest())

    def create(self, name: str, data: bytes) -> str | None:
        target = self.folder / name
        temp = self._temp(target, data)
        try:
            os.link(temp, target)
        except FileExistsError:
            return None
        finally:
            temp.unlink(missing_ok=True)
        return hashlib.sha256(data).hexdigest()

    def swap(self, name: str, data: bytes, tag: str) -> str | None:
        with self._locked(name):
            current = self.read(name)
            if current is None or current.tag != tag:
                return None
            target = self.folder / name
            os.replace(self._temp(target, data), target)
        return hashlib.sha256(data).hexdigest()

    def drop(self, name: str, tag: str) -> bool:
        with self._locked(name):
            current = self.read(name)
            if current is None or current.tag != tag:
                return False
            (self.folder / name).unlink(missing_ok=True)
        return True

    def _temp(self, target: Path, data: bytes) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
        temp.write_bytes(data)
        return temp

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        lock = (self.folder / name).parent / ".lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class _LocalFileSystem:
    """fsspec's local file system, imported when first used: a build that finds its takes in
    a local cache never lists or copies through it, and importing fsspec (which scans every
    installed package's entry points) cost ~20 ms of every ``previz build``."""

    def __getattr__(self, name: str) -> Any:
        from fsspec.implementations.local import LocalFileSystem

        return getattr(LocalFileSystem(), name)


def open_store(url: str) -> Store:
    """The store at ``url``; a bad URL or a protocol that is not installed is a CacheError."""
    if not is_remote(url):
        return FolderStore(local_path(url))
    try:
        options: dict[str, Any] = {"skip_instance_cache": True}
        if url.split("://", 1)[0].lower() in ("s3", "s3a"):
            # s3fs retries failed calls itself; botocore's own 5 attempts on top of that would
            # make a dead endpoint take a minute to report.
            options["config_kwargs"] = {"retries": {"max_attempts": 2, "mode": "standard"}}
        import fsspec  # a remote store: fsspec and its protocol's package

        fs, root = fsspec.url_to_fs(url, **options)
    except (ValueError, ImportError) as error:
        raise store_error(public_url(url), error) from None
    if not root or root == "/":
        raise CacheError(
            f"the cache URL {public_url(url)} names no bucket or folder",
            hint="write it as s3://BUCKET/PREFIX",
        )
    if type(fs).__name__ == "S3FileSystem":
        return S3Store(fs, root, url)
    return Store(fs, root, url)


def store_error(url: str, error: BaseException) -> CacheError:
    """A :class:`CacheError` that says what is wrong with the store at ``url`` and how to fix it."""
    name = type(error).__name__
    text = str(error).splitlines()[0] if str(error) else name
    if isinstance(error, ImportError) or "Install" in text:
        return CacheError(
            f"cannot open the cache {url}: {text}",
            hint="install the fsspec package for that protocol (s3fs for s3://)",
        )
    if isinstance(error, ValueError) and "Protocol" in text:
        return CacheError(
            f"cannot open the cache {url}: {text}",
            hint="use s3://BUCKET/PREFIX, file:///PATH or a folder path",
        )
    if "Credentials" in name or "credentials" in text.lower():
        return CacheError(
            f"no credentials for the cache {url}",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
        )
    if isinstance(error, PermissionError):
        return CacheError(
            f"the cache {url} refused access: {text}",
            hint="check the keys in AWS_ACCESS_KEY_ID/AWS_PROFILE can read and write the bucket",
        )
    if isinstance(error, FileNotFoundError):
        return CacheError(
            f"the cache {url} does not exist: {text}",
            hint="create the bucket first, or fix the bucket name",
        )
    return CacheError(
        f"cannot reach the cache {url}: {name}: {text}",
        hint="check the URL and AWS_ENDPOINT_URL, and that the storage server is running",
    )


def _read_body(fs: Any, body: Any) -> bytes:
    from fsspec.asyn import sync

    async def read() -> bytes:
        try:
            return bytes(await body.read())
        finally:
            body.close()

    return bytes(sync(fs.loop, read))


def _precondition_failed(error: BaseException) -> bool:
    """True when S3 refused a conditional write (412, or 409 for a concurrent one)."""
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code", ""))
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (
                409,
                412,
            )
        seen = seen.__cause__
    return getattr(error, "errno", None) == errno.EINVAL and "recondition" in str(error)
