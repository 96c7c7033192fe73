"""Outputs as products: a file is written again only when its content key changed."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from previz.products import (
    ProductStore,
    file_mode,
    product_key,
    read_private,
    write_private,
    write_product,
)


def identity(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def writer(text: str, calls: list[str]):
    def write(tmp: Path) -> None:
        calls.append(text)
        tmp.write_text(text)

    return write


def test_an_unchanged_key_leaves_the_file_untouched(tmp_path: Path) -> None:
    target, calls = tmp_path / "cut.txt", []
    assert write_product(target, "k1", writer("one", calls))
    before = identity(target)
    assert not write_product(target, "k1", writer("one", calls))
    assert identity(target) == before
    assert calls == ["one"]


def test_a_changed_key_rewrites_the_file(tmp_path: Path) -> None:
    target, calls = tmp_path / "cut.txt", []
    write_product(target, "k1", writer("one", calls))
    assert write_product(target, "k2", writer("two", calls))
    assert target.read_text() == "two"


def test_a_file_edited_since_it_was_written_is_written_again(tmp_path: Path) -> None:
    target, calls = tmp_path / "cut.txt", []
    write_product(target, "k1", writer("one", calls))
    target.write_text("someone else's edit")
    assert write_product(target, "k1", writer("one", calls))
    assert target.read_text() == "one"


def test_a_deleted_file_is_written_again(tmp_path: Path) -> None:
    target, calls = tmp_path / "cut.txt", []
    write_product(target, "k1", writer("one", calls))
    target.unlink()
    assert write_product(target, "k1", writer("one", calls))
    assert target.exists()


def test_a_failing_writer_keeps_the_previous_file_and_record(tmp_path: Path) -> None:
    target, calls = tmp_path / "cut.txt", []
    write_product(target, "k1", writer("one", calls))

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("encoder died")

    with pytest.raises(RuntimeError):
        write_product(target, "k2", broken)
    assert target.read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["cut.txt"]
    assert ProductStore(tmp_path).current("cut.txt", "k1")


def test_records_stay_out_of_the_output_folder(tmp_path: Path) -> None:
    write_product(tmp_path / "cut.txt", "k1", writer("one", []))
    assert [p.name for p in tmp_path.iterdir()] == ["cut.txt"]


def test_product_keys_differ_by_every_part_and_not_by_dict_order() -> None:
    assert product_key("a", {"x": 1, "y": 2}) == product_key("a", {"y": 2, "x": 1})
    assert product_key("a", "bc") != product_key("ab", "c")
    assert product_key("a", b"\x00") != product_key("a", b"\x01")


def test_the_current_key_is_the_recorded_one_while_its_files_are_untouched(
    tmp_path: Path,
) -> None:
    write_product(tmp_path / "cut.txt", "k1", writer("one", []))
    store = ProductStore(tmp_path)
    assert store.current_key("cut.txt") == "k1"
    assert store.current_key("never-written.txt") is None
    (tmp_path / "cut.txt").write_text("two")
    assert store.current_key("cut.txt") is None


def test_a_private_write_replaces_a_link_planted_at_its_place(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own text")
    planted = tmp_path / "shared" / "kept.json"
    planted.parent.mkdir()
    planted.symlink_to(victim)
    write_private(planted, b"kept")
    assert victim.read_text() == "the user's own text"
    assert not planted.is_symlink() and read_private(planted) == b"kept"
    assert planted.stat().st_mode & 0o777 == 0o600


def test_a_private_read_refuses_a_file_others_may_write(tmp_path: Path) -> None:
    write_private(tmp_path / "kept", b"code")
    assert read_private(tmp_path / "kept") == b"code"
    (tmp_path / "kept").chmod(0o620)
    assert read_private(tmp_path / "kept") is None


def test_a_product_is_not_written_through_a_link_at_its_old_temporary_name(
    tmp_path: Path,
) -> None:
    victim, target = tmp_path / "victim.txt", tmp_path / "out" / "build.json"
    victim.write_text("mine")
    target.parent.mkdir()
    (target.parent / f".build.{os.getpid()}.partial.json").symlink_to(victim)
    write_product(target, "k1", lambda tmp: tmp.write_text("{}"))
    assert victim.read_text() == "mine" and target.read_text() == "{}"
    assert not target.is_symlink() and stat.S_IMODE(target.stat().st_mode) == file_mode()


def test_a_record_is_not_written_through_a_link_at_its_old_temporary_name(
    tmp_path: Path,
) -> None:
    victim, out = tmp_path / "victim.txt", tmp_path / "out"
    victim.write_text("mine")
    out.mkdir()
    (out / "cut.edl").write_text("edl")
    store = ProductStore(out)
    record = store._record_path("cut.edl")
    record.parent.mkdir(parents=True, exist_ok=True)
    (record.parent / f".{record.name}.{os.getpid()}.tmp").symlink_to(victim)
    store.record("cut.edl", "k1", [out / "cut.edl"])
    assert victim.read_text() == "mine" and store.current("cut.edl", "k1")


def test_a_private_read_refuses_a_fifo_without_waiting_on_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "kept", 0o600)  # a writer would never come: the read must not wait
    found: list[bytes | None] = []
    reader = threading.Thread(target=lambda: found.append(read_private(tmp_path / "kept")))
    reader.daemon = True
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # let the blocked open go before failing
        with open(tmp_path / "kept", "wb"):
            pass
    assert found == [None]
