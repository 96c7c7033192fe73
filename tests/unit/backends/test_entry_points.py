"""Backends installed by another distribution are found through the ``previz.backends`` group.

A tiny distribution is "installed" into a folder on ``sys.path`` (a ``.dist-info`` with its
``entry_points.txt``, which is all ``importlib.metadata`` reads): one working plugin and one
whose module fails to import.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.backends.registry import _entry_points, backend_class, backend_names
from previz.cli import cli
from previz.errors import BackendError

PLUGIN = """
from previz.backends import Capabilities, LocalBackend


class Flipbook(LocalBackend):
    name = "flipbook"

    def capabilities(self, model=None):
        return Capabilities(cost_per_second=0.0)

    async def render(self, job, workdir):
        raise NotImplementedError
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "flipbook_plugin.py").write_text(PLUGIN)
    (tmp_path / "broken_plugin.py").write_text("import a_module_nobody_installed\n")
    info = tmp_path / "previz_flipbook-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: previz-flipbook\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[previz.backends]\nflipbook = flipbook_plugin:Flipbook\nbroken = broken_plugin:Broken\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    _entry_points.cache_clear()
    yield
    _entry_points.cache_clear()


def test_an_installed_plugin_is_found_by_its_entry_point(installed: None) -> None:
    assert "flipbook" in backend_names() and backend_class("flipbook").name == "flipbook"


def test_a_plugin_that_fails_to_import_is_a_backend_error_naming_it(installed: None) -> None:
    with pytest.raises(BackendError, match="failed to load") as caught:
        backend_class("broken")
    assert caught.value.backend == "broken"


def test_backends_lists_the_rest_when_a_plugin_fails_to_import(installed: None) -> None:
    result = CliRunner().invoke(cli, ["backends"])
    assert result.exit_code == 0, result.output
    assert "flipbook" in result.stdout and "animatic" in result.stdout
    assert "backend 'broken' failed to load" in result.stderr
    assert "a_module_nobody_installed" in result.stderr
