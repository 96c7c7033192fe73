"""The compound-file writer AAF is stored in, read back with pyaaf2's own reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from aaf2.cfb import CompoundFileBinary

from previz.timeline import cfb, cfb_tables

CLASS = bytes(range(16))
SIZES = (0, 1, 63, 64, 65, 4095, 4096, 4097, 9000, 20000)


def _tree() -> cfb.Storage:
    """Streams of sizes either side of the mini-stream cutoff and sector sizes, a wide
    storage (100 siblings, names of mixed length and case) and a deep one."""
    wide = cfb.Storage("wide", CLASS, [cfb.Stream(f"{'Ab' * (n % 7)}s{n}", bytes([n]) * n)
                                       for n in range(100)])  # fmt: skip
    deep = cfb.Storage("deep", CLASS)
    node = deep
    for depth in range(20):
        inner = cfb.Storage(f"level{depth}", CLASS, [cfb.Stream("properties", b"x" * depth)])
        node.children.append(inner)
        node = inner
    sized = [cfb.Stream(f"size{n}", bytes(n % 251 for n in range(n))) for n in SIZES]
    return cfb.Storage("Root Entry", CLASS, [wide, deep, *sized])


def _read(storage: CompoundFileBinary, entry: object) -> dict[str, object]:
    found: dict[str, object] = {}
    for child in entry.listdir():  # type: ignore[attr-defined]
        if child.type == "stream":
            found[child.name] = child.open("r").read()
        else:
            found[child.name] = (child.class_id.bytes_le, _read(storage, child))
    return found


def _expected(storage: cfb.Storage) -> dict[str, object]:
    return {
        c.name: c.data if isinstance(c, cfb.Stream) else (c.class_id, _expected(c))
        for c in storage.children
    }


def test_every_stream_and_storage_reads_back_from_the_written_file(tmp_path: Path) -> None:
    tree = _tree()
    path = tmp_path / "tree.cfb"
    cfb.write(path, tree, CLASS)
    with path.open("rb") as handle:
        storage = CompoundFileBinary(handle, "rb")
        assert _read(storage, storage.find("/")) == _expected(tree)


def test_siblings_form_a_valid_red_black_search_tree(tmp_path: Path) -> None:
    """MS-CFB 2.6.4: ordered by (name length, upper-cased name), no red node with a red
    child, the same number of black nodes on every path (readers binary-search the names)."""
    path = tmp_path / "tree.cfb"
    cfb.write(path, _tree(), CLASS)
    with path.open("rb") as handle:
        storage = CompoundFileBinary(handle, "rb")
        wide = storage.find("/wide")
        assert _black_height(wide.child()) > 0
        assert len(wide.listdir()) == 100


def _black_height(node: object) -> int:
    if node is None:
        return 1
    left, right = node.left(), node.right()  # type: ignore[attr-defined]
    for child in (left, right):
        if child is not None and node.red:  # type: ignore[attr-defined]
            assert not child.red, f"red {child.name} under red {node.name}"  # type: ignore[attr-defined]
    if left is not None:
        assert (len(left.name), left.name.upper()) < (len(node.name), node.name.upper())  # type: ignore[attr-defined]
    if right is not None:
        assert (len(right.name), right.name.upper()) > (len(node.name), node.name.upper())  # type: ignore[attr-defined]
    heights = {_black_height(left), _black_height(right)}
    assert len(heights) == 1, f"unequal black heights under {node.name}"  # type: ignore[attr-defined]
    return heights.pop() + (0 if node.red else 1)  # type: ignore[attr-defined]


def test_a_file_too_big_for_the_header_lists_its_fat_in_difat_sectors() -> None:
    """Past 109 FAT sectors (~450 MB) the FAT's own sector numbers continue in DIFAT sectors;
    every sector of the file, tables included, is covered by the FAT."""
    plan = cfb_tables.Plan.of(big_sectors=200_000, mini=5_000, entries=300_000)
    assert plan.difat_sectors == 1
    fat = plan.fat([200_000 * cfb_tables.SECTOR])
    assert len(fat) >= plan.difat_start + plan.difat_sectors
    assert fat[plan.fat_start : plan.difat_start] == [cfb_tables.FATSECT] * plan.fat_sectors
    assert fat[plan.difat_start] == cfb_tables.DIFSECT


def test_a_watched_storage_inside_another_gets_its_own_region_and_the_outer_one_too(
    tmp_path: Path,
) -> None:
    """Where a storage's descendants are (its run of entries and mini sectors) is known for
    storages nested in each other (a composition mob and its copied track slots)."""
    tree = _tree()
    deep = tree.children[1]
    inner = deep.children[0].children[1]  # level1, two levels down
    assert isinstance(deep, cfb.Storage) and isinstance(inner, cfb.Storage)
    regions = cfb.write(tmp_path / "tree.cfb", tree, CLASS, {id(deep), id(inner)})
    outer, within = regions[id(deep)], regions[id(inner)]
    assert outer is not None and within is not None
    assert (outer.length, within.length) == (20 + 20, 1 + 18 + 18)  # with their streams
    assert outer.mini <= within.mini
    assert within.mini + within.mini_count == outer.mini + outer.mini_count


@pytest.mark.parametrize("name", ["n" * 32, "\U0001f3ac" * 16], ids=["ascii", "astral"])
def test_a_name_longer_than_31_utf16_units_is_refused_naming_it(name: str, tmp_path: Path) -> None:
    """MS-CFB names hold 31 UTF-16 code units (a character outside the BMP takes two)."""
    tree = cfb.Storage("Root Entry", CLASS, [cfb.Stream("short", b"x"), cfb.Stream(name, b"y")])
    with pytest.raises(ValueError, match="longer than 31"):
        cfb.write(tmp_path / "tree.cfb", tree, CLASS)
