"""Regular expressions compiled once and kept between runs (:mod:`previz.regex_code`).

Each test compiles patterns of its own (with :func:`re.purge` first, so :mod:`re`'s own cache
does not answer); the file lives in the test's folder.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from previz import dataclass_code, regex_code

PATTERNS: list[tuple[str | bytes, int]] = [
    (r"(?P<shot>sh\d{4})_t(?P<take>\d+)\.mp4$", 0),
    (r"ÉCLAIR|straße", re.IGNORECASE),
    (r"""
        (\d+)   # the frames
        \s*f    # and their unit
     """, re.VERBOSE),
    (b"^(?P<number>\\d{3,})\\s+(\\S+)", re.MULTILINE),
    ("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", 0),
    (r"(a)(b|c)(?<=ab)", re.ASCII | re.DOTALL),
]  # fmt: skip


def _compiled(tag: str) -> list[re.Pattern[str] | re.Pattern[bytes]]:
    re.purge()
    made: list[re.Pattern[str] | re.Pattern[bytes]] = []
    for pattern, flags in PATTERNS:
        suffix = f"(?:{tag})?" if isinstance(pattern, str) else f"(?:{tag})?".encode()
        made.append(re.compile(pattern + suffix, flags))  # type: ignore[operator]
    return made


def test_kept_patterns_are_the_patterns_re_makes(tmp_path: Path) -> None:
    plain = _compiled("kept")
    with regex_code.kept(tmp_path):
        first = _compiled("kept")
    assert len(regex_code.load(regex_code.code_file(tmp_path))) >= 5
    with regex_code.kept(tmp_path):  # from the file this time
        second = _compiled("kept")
    for made in (first, second):
        for mine, theirs in zip(made, plain, strict=True):
            assert mine == theirs  # same flags, same program
            assert (mine.groups, mine.groupindex) == (theirs.groups, theirs.groupindex)
    assert second[0].match("sh0017_t2.mp4").groupdict() == {"shot": "sh0017", "take": "2"}  # type: ignore[union-attr]
    assert second[1].search("éclair") is not None and second[4].search("a\x00") is not None


def test_a_pattern_met_before_is_not_parsed_again(tmp_path: Path) -> None:
    with regex_code.kept(tmp_path):
        _compiled("once")
    path = regex_code.code_file(tmp_path)
    written = path.stat().st_mtime_ns
    with regex_code.kept(tmp_path), pytest.MonkeyPatch.context() as patch:
        from re import _parser  # type: ignore[attr-defined]

        patch.setattr(_parser, "parse", lambda *a: pytest.fail("parsed again"))
        _compiled("once")
    assert path.stat().st_mtime_ns == written  # nothing new: the file is left alone


def test_a_pattern_whose_parsing_warns_warns_every_run(tmp_path: Path) -> None:
    for _ in range(2):
        re.purge()
        with regex_code.kept(tmp_path), pytest.warns(FutureWarning, match="nested set"):
            re.compile(r"[[:alpha:]]x-kept")


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    with regex_code.kept(tmp_path):
        _compiled("damaged")
    path = regex_code.code_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    assert regex_code.load(path) == {}
    plain = _compiled("damaged")
    with regex_code.kept(tmp_path):
        assert _compiled("damaged") == plain


def test_re_compiles_as_always_after_the_block(tmp_path: Path) -> None:
    from re import _compiler  # type: ignore[attr-defined]

    original = _compiler.compile
    with regex_code.kept(tmp_path):
        assert _compiler.compile is not original
    assert _compiler.compile is original


def test_the_commands_kept_code_keeps_regular_expressions_too(tmp_path: Path) -> None:
    with warnings.catch_warnings(), dataclass_code.kept(tmp_path):
        _compiled("commands")
    assert regex_code.load(regex_code.code_file(tmp_path))


def test_an_interpreter_without_re_compiler_compiles_as_always(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regex_code, "COMPILER", None)  # Python 3.10: it is sre_compile
    with regex_code.kept(tmp_path):
        assert re.compile("a+b", re.IGNORECASE).match("AAB")
    assert list(tmp_path.iterdir()) == []
