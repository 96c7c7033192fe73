"""Compiled templates are kept between runs, and never used when they could be wrong."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader

from previz.prompts import compiled, environment
from previz.prompts.compiled import FOLDER, compiled_templates


class _Counting(Environment):
    """An environment that counts the templates it had to compile."""

    compiles = 0

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        type(self).compiles += 1
        return super().compile(*args, **kwargs)


@pytest.fixture
def products(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PREVIZ_PRODUCTS_DIR", str(tmp_path / "products"))
    _Counting.compiles = 0
    return tmp_path / "products"


def _render(folder: Path, *setup: Any) -> str:
    env = _Counting(loader=FileSystemLoader(str(folder)), bytecode_cache=compiled_templates(*setup))
    return env.get_template("page.j2").render(name="Mara")


def _templates(tmp_path: Path, text: str = "Hello {{ name }}") -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "page.j2").write_text(text)
    return folder


def test_a_template_compiled_once_is_loaded_by_the_next_run(products: Path, tmp_path: Path) -> None:
    folder = _templates(tmp_path)
    assert _render(folder, compiled) == "Hello Mara"
    assert _render(folder, compiled) == "Hello Mara"
    assert _Counting.compiles == 1
    assert len(list((products / FOLDER).glob("*.j2c"))) == 1


def test_an_edited_template_is_compiled_again(products: Path, tmp_path: Path) -> None:
    _render(_templates(tmp_path), compiled)
    assert _render(_templates(tmp_path, "Bye {{ name }}"), compiled) == "Bye Mara"
    assert _Counting.compiles == 2


def test_environments_set_up_by_other_code_do_not_share_compiled_code(
    products: Path, tmp_path: Path
) -> None:
    folder = _templates(tmp_path)
    _render(folder, compiled)
    _render(folder, environment)  # another module's options could compile it differently
    assert _Counting.compiles == 2


def test_a_damaged_compiled_file_is_compiled_again(products: Path, tmp_path: Path) -> None:
    folder = _templates(tmp_path)
    _render(folder, compiled)
    for kept in (products / FOLDER).glob("*.j2c"):
        kept.write_bytes(kept.read_bytes()[:40] + b"\x00garbage")
    assert _render(folder, compiled) == "Hello Mara"
    assert _Counting.compiles == 2


def test_an_unwritable_cache_folder_only_costs_a_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("PREVIZ_PRODUCTS_DIR", str(blocked))
    assert _render(_templates(tmp_path), sys.modules[__name__]) == "Hello Mara"


def test_code_whose_source_cannot_be_read_keeps_no_compiled_templates(
    products: Path, tmp_path: Path
) -> None:
    unreadable = types.ModuleType("zipped")
    unreadable.__file__ = str(tmp_path / "archive.zip" / "zipped.py")
    assert compiled_templates(unreadable) is None
    assert _render(_templates(tmp_path), unreadable) == "Hello Mara"


def test_compiled_code_others_may_write_is_not_run(products: Path, tmp_path: Path) -> None:
    folder = _templates(tmp_path)
    _render(folder, compiled)
    (kept,) = (products / FOLDER).glob("*.j2c")
    kept.chmod(0o666)  # anyone could have written the code
    assert _render(folder, compiled) == "Hello Mara"
    assert _Counting.compiles == 2
