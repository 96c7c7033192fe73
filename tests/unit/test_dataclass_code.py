"""Dataclass methods compiled once and kept between runs (:mod:`previz.dataclass_code`).

Each test makes its classes with :func:`dataclasses.make_dataclass` under a name of its own, so
their sources are new to the process; the file lives in the test's folder.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import subprocess
import sys
from pathlib import Path
from types import FunctionType

from previz import dataclass_code

FIELDS = [("shot", str), ("take", int), ("notes", list, dataclasses.field(default_factory=list))]


def _make(name: str) -> type:
    return dataclasses.make_dataclass(name, FIELDS, frozen=True, order=True)


METHODS = ("__init__", "__repr__", "__eq__", "__lt__", "__hash__", "__setattr__", "__delattr__")


def _method(cls: type, name: str) -> FunctionType:
    method = vars(cls)[name]
    assert isinstance(method, FunctionType)
    return method


def _same_code(a: FunctionType, b: FunctionType) -> bool:
    x, y = a.__code__, b.__code__
    return (x.co_code, x.co_consts, x.co_names, x.co_varnames, x.co_flags, x.co_filename) == (
        y.co_code, y.co_consts, y.co_names, y.co_varnames, y.co_flags, y.co_filename,
    )  # fmt: skip


def test_kept_methods_are_the_methods_exec_makes(tmp_path: Path) -> None:
    plain = _make("PlainTake")
    with dataclass_code.kept(tmp_path):
        first = _make("KeptTake")
    with dataclass_code.kept(tmp_path):  # from the file this time
        second = _make("KeptTake")
    for cls in (first, second):
        for name in METHODS:
            assert _same_code(_method(cls, name), _method(plain, name)), name
        # no __future__ flag inherited from previz's module: annotations are objects, not text
        assert inspect.get_annotations(_method(cls, "__init__")) == inspect.get_annotations(
            _method(plain, "__init__")
        )
        assert cls("sh1", 2) == cls("sh1", 2, []) and cls("sh1", 1) < cls("sh1", 2)
        assert repr(cls("sh1", 2)) == f"{cls.__qualname__}(shot='sh1', take=2, notes=[])"


def test_a_source_met_before_is_not_compiled_again(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path):
        _make("OnceTake")
    path = dataclass_code.code_file(tmp_path)
    written = path.stat().st_mtime_ns
    assert dataclass_code.load(path)
    compiler = dataclass_code._Compiler(dataclass_code.load(path))
    dataclasses.exec = compiler  # type: ignore[attr-defined]
    try:
        _make("OnceTake")
    finally:
        del dataclasses.exec  # type: ignore[attr-defined]
    assert not compiler.missed
    with dataclass_code.kept(tmp_path):
        _make("OnceTake")
    assert path.stat().st_mtime_ns == written  # nothing new: the file is left alone


def test_the_module_exec_is_restored_after_the_block(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path):
        assert "exec" in vars(dataclasses)
    assert "exec" not in vars(dataclasses)


def test_a_damaged_file_is_ignored_and_written_again(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path):
        _make("DamagedTake")
    path = dataclass_code.code_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"self.", b"selx.", 1))  # still marshal: only the CRC tells
    assert dataclass_code.load(path) == {}
    with dataclass_code.kept(tmp_path):
        cls = _make("DamagedTake")
    assert cls("sh1", 1).take == 1
    assert dataclass_code.load(path)  # whole again


def test_another_interpreters_file_is_ignored(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path):
        _make("ForeignTake")
    path = dataclass_code.code_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data.replace(sys.version.encode(), b"3.99.0 (other build)", 1))
    assert dataclass_code.load(path) == {}


def test_an_unwritable_folder_costs_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with dataclass_code.kept(blocker / "code"):
        cls = _make("HomelessTake")
    assert cls("sh1", 1).shot == "sh1"


def test_the_command_line_keeps_the_code_of_the_command_it_imports(tmp_path: Path) -> None:
    products = tmp_path / "products"
    env = {**os.environ, "PREVIZ_PRODUCTS_DIR": str(products)}
    subprocess.run(
        [sys.executable, "-m", "previz", "build", "--help"],
        env=env, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    kept = dataclass_code.load(dataclass_code.code_file(products / dataclass_code.FOLDER))
    assert any("def __init__" in text for text in kept)


def test_a_command_that_builds_nothing_keeps_no_code(tmp_path: Path) -> None:
    products = tmp_path / "products"
    env = {**os.environ, "PREVIZ_PRODUCTS_DIR": str(products)}
    subprocess.run(
        [sys.executable, "-m", "previz", "--help"],
        env=env, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    assert not (products / dataclass_code.FOLDER).exists()


def test_code_others_may_write_is_not_run(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path):
        _make("SharedTake")
    path = dataclass_code.code_file(tmp_path)
    assert dataclass_code.load(path)  # the user's own private file: kept
    path.chmod(0o664)  # writable by the group: anyone in it could have written the code
    assert dataclass_code.load(path) == {}


def test_code_reached_through_a_link_is_not_run(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path / "mine"):
        _make("LinkedTake")
    planted = dataclass_code.code_file(tmp_path / "shared")
    planted.parent.mkdir()
    planted.symlink_to(dataclass_code.code_file(tmp_path / "mine"))
    assert dataclass_code.load(planted) == {}


def test_only_the_code_met_is_read_and_a_damaged_one_is_compiled_again(tmp_path: Path) -> None:
    with dataclass_code.kept(tmp_path):
        _make("EntryTake")
    kept = dataclass_code.load(dataclass_code.code_file(tmp_path))
    damaged = {text: b"not marshal" for text in kept}  # every method's code unreadable
    compiler = dataclass_code._Compiler({**damaged, "never met": b"not marshal either"})
    dataclasses.exec = compiler  # type: ignore[attr-defined]
    try:
        cls = _make("EntryTake")
    finally:
        del dataclasses.exec  # type: ignore[attr-defined]
    assert cls("sh1", 2) == cls("sh1", 2, []) and compiler.missed
    assert "never met" not in compiler.used
