"""Media paths resolved the fast way are the paths ``Path.resolve`` and ``urlparse`` give."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from previz.timeline.media import (
    RealPaths,
    is_absolute_media_url,
    local_path,
    media_path,
    media_path_text,
    media_url,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "cache" / "ab").mkdir(parents=True)
    (tmp_path / "cache" / "ab" / "take.mp4").write_bytes(b"x")
    (tmp_path / "linked").symlink_to(tmp_path / "cache" / "ab")
    (tmp_path / "cache" / "ab" / "alias.mp4").symlink_to(tmp_path / "cache" / "ab" / "take.mp4")
    return tmp_path


@pytest.mark.parametrize("name", ["cache/ab/take.mp4", "linked/take.mp4", "linked/alias.mp4",
                                  "cache/ab/missing.mp4", "cache/ab/../ab/take.mp4", "linked/..",
                                  "linked", "cache/ab/"])  # fmt: skip
def test_real_paths_are_what_path_resolve_gives(tree: Path, name: str) -> None:
    resolve = RealPaths()
    for path in (tree / name, Path(os.path.relpath(tree / name))):
        assert resolve(path) == path.resolve()
        assert resolve(path) == path.resolve()  # and again, from the folder cache


@pytest.mark.parametrize("name", ["cache/ab/take.mp4", "linked/take.mp4", "linked/alias.mp4",
                                  "cache/ab/missing.mp4", "cache/ab/../ab/take.mp4", "linked/..",
                                  "linked", "cache/ab/", "cache/ab/a b%20é#?.mp4",
                                  "cache/a b%é#?/take.mp4"])  # fmt: skip
def test_real_path_urls_are_what_path_as_uri_gives(tree: Path, name: str) -> None:
    resolve = RealPaths()
    for path in (tree / name, Path(os.path.relpath(tree / name))):
        assert resolve.url(path) == path.resolve().as_uri()
        assert resolve.url(path) == path.resolve().as_uri()  # and again, from the folder cache


@pytest.mark.parametrize("url", ["file:///media/a%20b.mp4", "file:///media/a?b.mp4",
                                 "file:///media/a#b", "file:///m/\tx.mp4", "file://host/m/x.mp4",
                                 "file:////m/x.mp4", "clips/x.mp4", "file:///m/é.mp4"])  # fmt: skip
def test_a_file_url_names_the_path_urlparse_finds(url: str) -> None:
    parsed = urlparse(url)
    expected = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(url)
    assert local_path(url) == expected


@pytest.mark.parametrize("url", ["file:///media/a%20b.mp4", "file:///media/a b.mp4",
                                 "file:///m//x.mp4", "file:///m/./x.mp4", "file:///m/x/",
                                 "file:///m/x/.", "file:////m/x", "file:///m/%7Ex", "file:///m/~x",
                                 "file:///m/%C3%A9.mp4", "file:///m/é.mp4", "file:///m/a%2Fb",
                                 "file:///m/../x", "file:///m/a?b", "clips/x.mp4", "file:///m/%ff",
                                 "file:///m/100%25.mp4", "file:///m/%zz",
                                 "file:///m/a%2F%2Fb", "file:///m/A-z_0.9~/x.mp4",
                                 "file:///m/a.b/", "file:///m/a/./b.mp4"])  # fmt: skip
def test_an_absolute_media_url_is_the_one_a_path_writes(url: str) -> None:
    parsed = urlparse(url)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(url)
    written = (path if path.is_absolute() else path.resolve()).as_uri()  # what the policy writes
    assert media_url(url, None) == written
    assert is_absolute_media_url(url) == (written == url)
    assert media_path_text(url, None) == str(media_path(url, None))
