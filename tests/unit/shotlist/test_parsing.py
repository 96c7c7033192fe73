"""The quick scene-file reader reads exactly what the reference libyaml loader reads."""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

import pytest
import yaml

from previz.errors import SceneError
from previz.shotlist import parsing
from previz.shotlist.parsing import parse_fast
from tests.varied_scene import varied_scene_text

DOCUMENTS = {
    "yaml 1.2 scalars": (
        "a: [no, yes, on, off, 00:00:02:12, 1_000, 0o17, 0x1F, 010, 1e3, .inf, -.Inf, .nan, ~,\n"
        "    null, '', \"\", true, True, FALSE, 2024-01-01, +5, -3.5, .5, 5., <<x, '12', 3s]\n"
        "b:\n"
    ),
    "explicit tags": "a: !!str 123\nb: !!int '7'\nc: !!float 1\nd: !!binary aGk=\n"
    "e: !!set {x, y}\n",
    "keys that are not text": "1: a\n1.5: b\nnull: c\ntrue: d\n'2': e\n",
    "block scalars": "a: |\n  two\n  lines\nb: >-\n  folded\n  text\n"
    "c: 'it''s'\nd: \"\\t\\u00e9\"\n",
    "nested": "a: [[1, {b: [c, {d: e}]}], []]\nf: {}\n",
    "recursive alias": "a: &r [1, *r]\n",
}


def reference(text: str) -> object:
    return yaml.load(text, Loader=parsing._FastLoader)


@pytest.mark.parametrize("text", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_tricky_documents_read_the_same_as_the_reference_loader(text: str) -> None:
    quick = parse_fast(text, Path("x.yaml"))
    assert repr(quick) == repr(reference(text))
    assert type(quick) is dict


def test_scene_files_read_the_same_as_the_reference_loader(demo_scene: Path) -> None:
    for text in (demo_scene.read_text(encoding="utf-8"), varied_scene_text()):
        assert repr(parse_fast(text, Path("x.yaml"))) == repr(reference(text))


def test_an_alias_is_the_same_object_as_its_anchor() -> None:
    data = parse_fast("a: &x {b: [1, 2]}\nc: *x\n", Path("x.yaml"))
    assert data["c"] is data["a"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: {<<: {c: 1}}\n", "could not determine a constructor for the tag"),
        ("? [a, b]\n: c\n", "found unhashable key"),
        ("a: =\n", "could not determine a constructor for the tag"),
        ("a: !!python/name:os.system x\n", "could not determine a constructor for the tag"),
    ],
)
def test_what_the_quick_reader_refuses_is_reported_as_the_reference_loader_does(
    text: str, message: str
) -> None:
    with pytest.raises(yaml.YAMLError, match=message):
        reference(text)
    with pytest.raises(SceneError, match=message):
        parse_fast(text, Path("x.yaml"))


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("text", ["a: 1\n", "a: 1\na: 2\n"], ids=["valid", "refused"])
def test_reading_leaves_the_cycle_collector_as_it_found_it(enabled: bool, text: str) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with contextlib.suppress(SceneError):
            parse_fast(text, Path("x.yaml"))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
