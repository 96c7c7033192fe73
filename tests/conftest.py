"""Fixtures every test may use: the repository's paths and a scene-file writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_SCENE = REPO / "scenes" / "night_delivery.yaml"


@pytest.fixture(autouse=True)
def _own_product_records(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Product records (previz.products) go to the test session's temp folder, not ~/.cache."""
    monkeypatch.setenv("PREVIZ_PRODUCTS_DIR", str(tmp_path_factory.getbasetemp() / "products"))


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
