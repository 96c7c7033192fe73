"""The README's "Writing a backend" examples work: both pass the contract suite previz ships.

The two examples are third-party backends as a plugin author would write them, registered
with ``register_backend``: ``GreyCards`` (local) renders; ``Dreamboard`` (on ``HttpBackend``)
runs against a fake of its made-up service (:mod:`tests.fakes.dreamboard`).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import previz
from previz.backends import Job, LocalBackend
from previz.backends.registry import backend_class, unregister_backend
from previz.testing import LocalBackendContract, LocalSetup, RemoteBackendContract, RemoteSetup
from tests.fakes.contract_faults import counting
from tests.fakes.dreamboard import DEFAULT_KEY, create_app
from tests.fakes.serve import serving
from tests.scene_text import MINIMAL

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def examples() -> list[str]:
    """The Python blocks of the README's "Writing a backend" section, in order."""
    section = README.split("### Writing a backend", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def load_example(index: int, name: str, folder: Path) -> ModuleType:
    source = folder / f"{name}.py"
    source.write_text(examples()[index], encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def greycards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    yield load_example(0, "readme_greycards", tmp_path_factory.mktemp("readme"))
    unregister_backend("greycards")
    sys.modules.pop("readme_greycards", None)


@pytest.fixture
def dreamboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    yield load_example(1, "readme_dreamboard", tmp_path_factory.mktemp("readme"))
    unregister_backend("dreamboard")
    sys.modules.pop("readme_dreamboard", None)


def job(backend: str, **changes: Any) -> Job:
    fields: dict[str, Any] = dict(
        shot_id="s1", take=1, backend=backend, model="", prompt="Ana waits.",
        template_hash="t", seconds=4.0, shot_seconds=3.0, width=1280, height=720, fps=24.0,
    )  # fmt: skip
    fields.update(changes)
    return Job(**fields)


def test_the_local_example_is_under_40_lines() -> None:
    assert len(examples()[0].strip().splitlines()) < 40


def test_the_examples_register_themselves(greycards: ModuleType, dreamboard: ModuleType) -> None:
    assert backend_class("greycards") is greycards.GreyCards
    assert backend_class("dreamboard") is dreamboard.Dreamboard


def test_a_registered_example_builds_a_scene(
    greycards: ModuleType, write_scene, tmp_path: Path
) -> None:
    scene = write_scene(MINIMAL.replace("  fps: 24\n", "  fps: 24\n  backend: greycards\n"))
    result = previz.build(scene, formats=["otio"], cache_dir=tmp_path / "cache")
    assert result.ok and result.report.generated == 2 and result.animatic is not None


class TestGreyCardsContract(LocalBackendContract):
    """The README's local backend passes the local contract suite."""

    @pytest.fixture
    def contract(self, greycards: ModuleType) -> LocalSetup:
        backend = greycards.GreyCards()
        assert isinstance(backend, LocalBackend)
        return LocalSetup(backend=backend, job=job("greycards", width=64, height=36, seconds=1.0))


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[Starlette, str]]:
    app = create_app()
    with serving(app) as base_url:
        yield app, base_url + "/v1"


class TestDreamboardContract(RemoteBackendContract):
    """The README's remote backend passes the remote contract suite against its fake."""

    @pytest.fixture
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=10) as client:
            yield client

    @pytest.fixture
    def contract(
        self, dreamboard: ModuleType, service: tuple[Starlette, str], client: httpx.AsyncClient
    ) -> RemoteSetup:
        app, base_url = service
        app.state.faults.__init__()  # a fresh set of faults per test
        app.state.clips.clear()

        def with_key(key: str | None) -> Any:
            return dreamboard.Dreamboard(client=client, base_url=base_url, api_key=key, env={})

        return RemoteSetup(
            backend=with_key(DEFAULT_KEY), job=job("dreamboard", model="db-1"),
            inject=counting(lambda: app.state.faults), with_key=with_key, secret=DEFAULT_KEY,
        )  # fmt: skip
