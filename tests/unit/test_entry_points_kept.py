"""Entry points kept between runs for one state of the installation (:mod:`previz.entry_points`).

A distribution is "installed" as tests/unit/backends/test_entry_points.py does: a
``.dist-info`` with its ``entry_points.txt`` in a folder put on ``sys.path``. The kept file is
in the test's own product-records folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic.plugin import _loader

from previz import entry_points


@pytest.fixture(autouse=True)
def _records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "products"
    monkeypatch.setenv("PREVIZ_PRODUCTS_DIR", str(folder))
    return folder / entry_points.FILE


def _install(folder: Path, text: str) -> Path:
    info = folder / "previz_flipbook-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: previz-flipbook\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(text)
    return info / "entry_points.txt"


FLIPBOOK = "[previz.backends]\nflipbook = flipbook_plugin:Flipbook\n"


def test_the_same_installation_is_answered_from_the_kept_file(_records: Path) -> None:
    found = entry_points.named("previz.backends")
    assert ("animatic", "previz.backends.animatic:AnimaticBackend") in found
    kept = json.loads(_records.read_text())
    kept["states"][0]["groups"]["previz.backends"].append(["marked", "kept:Only"])
    _records.write_text(json.dumps(kept))  # only the file says so: proves it is what is read
    assert entry_points.named("previz.backends") == [*found, ("marked", "kept:Only")]


def test_a_distribution_installed_since_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert ("flipbook", "flipbook_plugin:Flipbook") not in entry_points.named("previz.backends")
    _install(site, FLIPBOOK)
    assert ("flipbook", "flipbook_plugin:Flipbook") in entry_points.named("previz.backends")


def test_an_entry_points_file_edited_in_place_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    listed = _install(site, FLIPBOOK)
    monkeypatch.syspath_prepend(str(site))
    assert ("flipbook", "flipbook_plugin:Flipbook") in entry_points.named("previz.backends")
    with open(listed, "a", encoding="utf-8") as stream:  # same file, same folder listing
        stream.write("flipbook2 = flipbook_plugin:Flipbook\n")
    assert ("flipbook2", "flipbook_plugin:Flipbook") in entry_points.named("previz.backends")


def test_the_last_states_are_all_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = entry_points.named("previz.backends")
    site = tmp_path / "site"
    _install(site, FLIPBOOK)
    with monkeypatch.context() as patch:
        patch.syspath_prepend(str(site))
        entry_points.named("previz.backends")  # another path: another state, kept beside
    states = json.loads((Path(os.environ["PREVIZ_PRODUCTS_DIR"]) / entry_points.FILE).read_text())
    assert len(states["states"]) == 2
    assert entry_points.named("previz.backends") == plain


def test_a_damaged_file_means_a_scan(_records: Path) -> None:
    found = entry_points.named("previz.backends")
    _records.write_text(_records.read_text()[:-7])
    assert entry_points.named("previz.backends") == found


def test_pydantic_is_told_it_has_no_plugins_only_when_none_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    monkeypatch.setattr(_loader, "_plugins", None)
    assert entry_points.no_pydantic_plugins() and _loader._plugins == {}
    monkeypatch.setattr(_loader, "_plugins", None)
    _install(tmp_path / "site", "[pydantic]\nwatcher = flipbook_plugin:plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert not entry_points.no_pydantic_plugins() and _loader._plugins is None


def test_a_kept_file_others_may_write_is_not_trusted(_records: Path) -> None:
    entry_points.named("previz.backends")
    kept = json.loads(_records.read_text())
    kept["states"][0]["groups"]["previz.backends"] = [["animatic", "planted_module:Backend"]]
    _records.write_text(json.dumps(kept))
    assert ("animatic", "planted_module:Backend") in entry_points.named("previz.backends")
    _records.chmod(0o666)  # anyone could have planted that name
    found = entry_points.named("previz.backends")
    assert ("animatic", "previz.backends.animatic:AnimaticBackend") in found
