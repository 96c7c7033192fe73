"""Where an export points for its media: absolute ``file://`` URLs, or paths relative to a folder.

A built timeline references each generated clip by an absolute ``file://`` URL. Exports keep
that by default (any machine that mounts the same path opens it); ``relative_to`` rewrites the
references relative to a folder (usually the export folder) so a build can be moved or shared
as a whole; ``.otioz`` bundles the media inside instead.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from urllib.parse import quote_from_bytes, unquote, urlparse

import opentimelineio as otio

from previz.errors import TimelineError

# a ``file:///`` URL with nothing ``urlparse`` strips or splits off (query, fragment, controls)
PLAIN_FILE_URL = re.compile(r"file:///[^?#\x00-\x20\x7f]*\Z")
# a path of characters ``quote`` never escapes and ``unquote`` never changes
PLAIN_PATH = re.compile(r"/[A-Za-z0-9_.~/-]*\Z")


def local_path(url: str) -> Path:
    """The filesystem path a ``file://`` URL or a plain path names."""
    if PLAIN_FILE_URL.match(url):  # what ``urlparse`` would split off is not there
        return Path(unquote(url[7:]))
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise TimelineError(
            f"media reference {url!r} is not a local file",
            hint="previz exports reference generated files on disk; download the media first",
        )
    return Path(url)


class RealPaths:
    """``Path(p).resolve()`` for many files in few folders: each folder is resolved once, then
    each file costs one ``lstat`` (is it a link?) instead of one per component of its path."""

    def __init__(self) -> None:
        self._folders: dict[str, tuple[str, str]] = {}  # folder → (its real place + "/", quoted)

    def __call__(self, path: Path) -> Path:
        place = self._place(path)
        if place is None:
            return path.resolve()
        joined = place[0] + place[2]
        return Path(joined).resolve() if os.path.islink(joined) else Path(joined)

    def url(self, path: Path) -> str:
        """``self(path).as_uri()``, spelt without building a ``Path`` for a file that is not a
        link (``as_uri``'s own spelling on POSIX: ``file://`` and the quoted bytes; quoting
        goes byte by byte, so the folder's part is quoted once)."""
        place = self._place(path)
        if place is None or os.name != "posix" or os.path.islink(place[0] + place[2]):
            return self(path).as_uri()
        return place[1] + quote_from_bytes(os.fsencode(place[2]))

    def still_in_place(self) -> bool:
        """Whether every folder resolved so far still resolves to where it did then."""
        return all(
            os.path.join(str(Path(folder).resolve()), "") == place[0]
            for folder, place in self._folders.items()
        )

    def _place(self, path: Path) -> tuple[str, str, str] | None:
        """The real place of the path's folder (ending in ``/``), its ``file://`` URL, and
        the file's name (None for a bare name, ``.`` or ``..``)."""
        folder, name = os.path.split(path)
        if not folder or name in ("", ".", ".."):
            return None
        known = self._folders.get(folder)
        if known is None:
            real = os.path.join(str(Path(folder).resolve()), "")
            known = self._folders[folder] = (real, "file://" + quote_from_bytes(os.fsencode(real)))
        return known[0], known[1], name


def media_path(url: str, relative_to: Path | None) -> Path:
    """The media file ``url`` names: absolute, or relative to ``relative_to`` when given."""
    path = local_path(url)
    if relative_to is None:
        return path.resolve() if not path.is_absolute() else path
    if not path.is_absolute():
        return path
    return Path(os.path.relpath(path, relative_to.resolve()))


def media_path_text(url: str, relative_to: Path | None) -> str:
    """``str(media_path(url, relative_to))``, without building a path for a URL that is
    already the absolute ``file://`` URL of its path (a built cut's are)."""
    if relative_to is None and _canonical_file_url(url):
        return unquote(url[7:])  # ``Path(path).as_uri() == url``: ``str(Path(path)) == path``
    return str(media_path(url, relative_to))


def media_url(url: str, relative_to: Path | None) -> str:
    """``url`` as an absolute ``file://`` URL, or as a relative POSIX path with ``relative_to``."""
    if relative_to is None and _canonical_file_url(url):
        return url  # already the URL it would become (a built cut's are)
    return _policy_url(url, relative_to)


def _policy_url(url: str, relative_to: Path | None) -> str:
    path = media_path(url, relative_to)
    if relative_to is None:
        return path.as_uri()
    return path.as_posix()


def is_absolute_media_url(url: str) -> bool:
    """``media_url(url, None) == url``: ``url`` is already the absolute ``file://`` URL the
    default policy writes (as every built cut's are)."""
    canonical = _canonical_file_url(url)
    return canonical if canonical is not None else _policy_url(url, None) == url


@functools.lru_cache(maxsize=1 << 16)  # asked per clip by several writers of one process
def _canonical_file_url(url: str) -> bool | None:
    """Whether ``url`` is what ``Path(...).as_uri()`` writes for its path, answered without
    building the path; ``None`` where only building it can tell."""
    if not PLAIN_FILE_URL.match(url):
        return None
    plain = PLAIN_PATH.match(url, 7) is not None  # spelt as ``quote`` spells it (most URLs)
    path = url[7:] if plain else unquote(url[7:])
    normal = path.startswith("/") and not path.startswith("//") and "//" not in path
    if not normal or "/./" in path or path.endswith(("/", "/.")):
        return None
    return plain or url[7:] == quote_from_bytes(os.fsencode(path))  # ``str(Path(path)) == path``


def with_media_policy(
    timeline: otio.schema.Timeline, relative_to: Path | None
) -> otio.schema.Timeline:
    """A copy of ``timeline`` whose external references follow the media path policy."""
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
            reference.target_url = media_url(reference.target_url, relative_to)
    return copy


def anchored(timeline: otio.schema.Timeline, folder: Path) -> otio.schema.Timeline:
    """A copy of ``timeline`` whose relative media references are made absolute from ``folder``.

    A timeline saved with relative paths (``--relative``) names media relative to the folder
    it was saved in, not to wherever the reading process happens to run.
    """
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
            path = local_path(reference.target_url)
            if not path.is_absolute():
                reference.target_url = (folder / path).resolve().as_uri()
    return copy
