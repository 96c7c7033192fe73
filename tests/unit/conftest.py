"""Fixtures of the runner's tests: one tiny real clip, and a project folder with its stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.backend import Project, make_tiny_clip


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, tiny H.264 clip the fake backends hand out (made once per test session)."""
    return make_tiny_clip(tmp_path_factory.mktemp("media") / "tiny.mp4")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project folder with a cache and a journal, on a fake clock."""
    return Project(tmp_path)
