"""Fixtures every test may use: the repository's paths and a scene-file writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_SCENE = REPO / "scenes" / "night_delivery.yaml"


@pytest.fixture(scope="session", autouse=True)
def _own_product_records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Product records (previz.products) go to the test session's temp folder, not ~/.cache.

    Session-wide and autouse, so pytest sets it up before every other fixture, the shared
    session builds (e.g. ``review_build``) included; a test may still point it elsewhere.
    Commands run in their own process, never in a build server (even under ``pytest -s`` at
    a terminal); the build server's tests ask for one."""
    folder = tmp_path_factory.getbasetemp() / "products"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREVIZ_PRODUCTS_DIR", str(folder))
        patch.setenv("PREVIZ_SERVER", "off")
        yield folder


@pytest.fixture
def demo_scene() -> Path:
    return DEMO_SCENE


@pytest.fixture
def write_scene(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write YAML text (dedented) to ``tmp_path/name`` and return the path."""

    def write(text: str, name: str = "scene.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
