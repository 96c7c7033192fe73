"""The code of forward references compiled once and kept between runs (:mod:`previz.typing_code`).

Each test makes forward references to texts of its own; the file lives in the test's folder.
"""

from __future__ import annotations

import collections
import typing
from pathlib import Path

import pytest

from previz import typing_code


def _same_code(a: typing.ForwardRef, b: typing.ForwardRef) -> bool:
    x, y = a.__forward_code__, b.__forward_code__
    return (x.co_code, x.co_consts, x.co_names, x.co_flags, x.co_filename) == (
        y.co_code, y.co_consts, y.co_names, y.co_flags, y.co_filename,
    )  # fmt: skip


def test_kept_forward_references_are_the_ones_typing_makes(tmp_path: Path) -> None:
    text = "dict[str, list[int | None]] | KeptTake"
    plain = typing.ForwardRef(text)
    with typing_code.kept(tmp_path):
        first = typing.ForwardRef(text)
    assert text in typing_code.load(typing_code.code_file(tmp_path))
    with typing_code.kept(tmp_path):  # from the file this time
        second = typing.ForwardRef(text)
    for made in (first, second):
        assert _same_code(made, plain)  # no __future__ flag from previz's own module
        hints = typing.get_type_hints(_annotated(made.__forward_arg__), localns={"KeptTake": int})
        assert hints["x"] == dict[str, list[int | None]] | int


def _annotated(text: str) -> typing.Any:
    def f(x: typing.Any) -> None: ...

    f.__annotations__ = {"x": text}
    return f


def test_a_text_that_does_not_compile_raises_as_before(tmp_path: Path) -> None:
    with typing_code.kept(tmp_path), pytest.raises(SyntaxError, match="must be an expression"):
        typing.ForwardRef("list[int")
    assert not typing_code.code_file(tmp_path).exists()


def test_kept_named_tuples_are_the_ones_collections_makes(tmp_path: Path) -> None:
    fields = ["shot", "take", "kept_notes"]
    plain = collections.namedtuple("KeptRow", fields, defaults=[()])
    for _ in range(2):  # the second time from the file
        with typing_code.kept(tmp_path):
            made = collections.namedtuple("KeptRow", fields, defaults=[()])
        assert made.__new__.__code__.co_code == plain.__new__.__code__.co_code
        assert made.__new__.__code__.co_flags == plain.__new__.__code__.co_flags
        assert made("sh1", 2) == ("sh1", 2, ()) and made("sh1", 2)._asdict()["take"] == 2
    assert "lambda _cls, shot, take, kept_notes" in " ".join(
        typing_code.load(typing_code.code_file(tmp_path))
    )


def test_typing_and_collections_compile_as_always_after_the_block(tmp_path: Path) -> None:
    with typing_code.kept(tmp_path):
        assert "compile" in vars(typing) and "eval" in vars(collections)
    assert "compile" not in vars(typing) and "eval" not in vars(collections)
