"""Registering backends in-process, and a listing that survives a broken plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import previz
from previz.backends import Capabilities, Job, LocalBackend, RenderedMedia, register_backend
from previz.backends.registry import backend_class, backend_names, unregister_backend
from previz.cli import cli
from previz.errors import BackendError, UnknownBackendError
from tests.scene_text import MINIMAL


class Sketch(LocalBackend):
    """A backend defined by a script."""

    name = "sketch"

    def capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(cost_per_second=0.0)

    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        raise NotImplementedError("listing only")


class Broken(Sketch):
    """A plugin whose constructor fails (a missing dependency, a bad config)."""

    name = "broken"

    def __init__(self) -> None:
        raise RuntimeError("needs the 'sketchlib' package")


@pytest.fixture
def registered() -> Iterator[None]:
    register_backend(Sketch)
    register_backend(Broken)
    yield
    unregister_backend("sketch")
    unregister_backend("broken")


def test_registered_backend_is_found_by_name(registered: None) -> None:
    assert backend_class("sketch") is Sketch and "sketch" in backend_names()


def test_unregistered_backend_is_unknown_and_the_error_lists_what_exists(
    registered: None,
) -> None:
    unregister_backend("sketch")
    with pytest.raises(UnknownBackendError, match=r"available: .*animatic"):
        backend_class("sketch")


def test_register_backend_refuses_what_is_not_a_backend() -> None:
    with pytest.raises(BackendError, match="not a previz Backend"):
        register_backend(dict)  # type: ignore[type-var]


def test_register_backend_works_as_a_decorator_under_another_name() -> None:
    decorated = register_backend(Sketch, name="sketch2")
    try:
        assert decorated is Sketch and backend_class("sketch2") is Sketch
    finally:
        unregister_backend("sketch2")


def test_backends_lists_the_rest_when_one_fails_to_load(registered: None) -> None:
    result = CliRunner().invoke(cli, ["backends"])
    assert result.exit_code == 0, result.output
    assert "sketch" in result.stdout and "animatic" in result.stdout
    assert "backend 'broken' failed to load: needs the 'sketchlib' package" in result.stderr


def test_a_plugin_ships_its_own_prompt_template(tmp_path: Path, monkeypatch, write_scene) -> None:
    package = tmp_path / "storyboarder"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from previz.backends import Capabilities, LocalBackend\n"
        "class Storyboarder(LocalBackend):\n"
        "    name = 'storyboarder'\n"
        "    def capabilities(self, model=None):\n"
        "        return Capabilities()\n"
        "    async def render(self, job, workdir):\n"
        "        raise NotImplementedError\n"
    )
    (package / "templates" / "storyboarder.j2").write_text("PANEL: {{ shot.id }}")
    monkeypatch.syspath_prepend(str(tmp_path))
    from storyboarder import Storyboarder  # type: ignore[import-not-found]

    register_backend(Storyboarder)
    try:
        prompts = previz.compile_prompts(write_scene(MINIMAL), "storyboarder")
    finally:
        unregister_backend("storyboarder")
    assert (prompts[0].template, prompts[0].text) == ("storyboarder.j2", "PANEL: s1")
