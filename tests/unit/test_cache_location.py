"""Where the cache is: --cache-dir, then $PREVIZ_CACHE_DIR, then the project's cache: setting."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from previz.errors import CacheError
from previz.generate.cache import cache_location
from previz.generate.shared import copy_folder, copy_limit
from previz.generate.store import is_remote, public_url


def test_the_cache_dir_flag_beats_the_environment_and_the_project_setting() -> None:
    env = {"PREVIZ_CACHE_DIR": "s3://env-bucket/x"}
    where = cache_location(Path("/p"), "s3://flag-bucket/y", env, setting="s3://setting/z")
    assert where == "s3://flag-bucket/y"


def test_the_environment_beats_the_project_setting() -> None:
    env = {"PREVIZ_CACHE_DIR": "s3://env-bucket/x"}
    assert cache_location(Path("/p"), None, env, setting="s3://setting/z") == "s3://env-bucket/x"


def test_the_project_setting_is_used_when_nothing_overrides_it() -> None:
    assert cache_location(Path("/p"), None, {}, setting="s3://team/prefix") == "s3://team/prefix"


def test_a_relative_project_cache_folder_is_taken_from_the_project_folder() -> None:
    assert cache_location(Path("/p"), None, {}, setting="shared/cache") == Path("/p/shared/cache")


def test_a_file_url_is_a_local_folder() -> None:
    assert cache_location(Path("/p"), "file:///mnt/team/cache", {}) == Path("/mnt/team/cache")
    assert not is_remote("file:///mnt/team/cache") and is_remote("s3://b/p")


def test_without_any_setting_the_cache_is_in_the_project() -> None:
    assert cache_location(Path("/p"), None, {}) == Path("/p/.previz/cache")


def test_a_user_and_password_in_a_url_are_never_shown() -> None:
    assert public_url("s3://AKIAXX:s3cr3t@bucket/prefix") == "s3://bucket/prefix"


def test_the_local_copy_of_a_store_is_per_url_unless_placed() -> None:
    home = {"XDG_CACHE_HOME": "/home/ana/.cache"}
    a, b = copy_folder("s3://team/a", home), copy_folder("s3://team/b", home)
    assert a != b and a.parent == Path("/home/ana/.cache/previz/shared")
    assert copy_folder("s3://team/a", {"PREVIZ_CACHE_COPY": "/fast/copy"}) == Path("/fast/copy")


def test_the_local_copy_size_takes_units() -> None:
    assert copy_limit({"PREVIZ_CACHE_COPY_SIZE": "500MB"}) == 500_000_000
    assert copy_limit({"PREVIZ_CACHE_COPY_SIZE": "2 GB"}) == 2_000_000_000
    assert copy_limit({}) == 20_000_000_000


def test_a_local_copy_size_that_is_not_a_size_is_a_clear_error() -> None:
    with pytest.raises(CacheError, match="not a size"):
        copy_limit({"PREVIZ_CACHE_COPY_SIZE": "lots"})


def test_a_build_whose_store_cannot_be_reached_stops_before_generating(
    write_scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from previz.cli import cli
    from tests.scene_text import MINIMAL

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for name, value in {"AWS_ENDPOINT_URL": dead, "AWS_ACCESS_KEY_ID": "k",
                        "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    scene = write_scene(MINIMAL)
    result = CliRunner().invoke(cli, ["build", str(scene), "--cache-dir", "s3://team/cache"])
    assert result.exit_code == 2
    assert "cannot reach the cache s3://team/cache" in result.output
    assert "AWS_ENDPOINT_URL" in result.output
    assert not (tmp_path / "out").exists()
