"""Export documents and their memos are written through temporary files no one can foresee:
a link planted beside them (a shared out or products folder) is never written through."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from previz.products import ProductStore, file_mode
from previz.timeline.export import export_products
from tests.export_cases import assembled


def _plant(link: Path, victim: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)


def test_an_export_is_not_written_through_a_link_at_its_old_temporary_name(
    tmp_path: Path,
) -> None:
    victim, out = tmp_path / "victim.txt", tmp_path / "out"
    victim.write_text("mine")
    _plant(out / f".timeline.{os.getpid()}.partial.otio", victim)
    export_products(assembled("24"), out, ["otio"], parallel=False)
    assert victim.read_text() == "mine"
    assert not (out / "timeline.otio").is_symlink()


def test_a_memo_is_not_written_through_a_link_at_its_old_temporary_name(
    tmp_path: Path,
) -> None:
    victim, out = tmp_path / "victim.txt", tmp_path / "out"
    victim.write_text("mine")
    records = ProductStore(out).records
    _plant(records / f".timeline.otio.fragments.{os.getpid()}.tmp", victim)
    export_products(assembled("24"), out, ["otio"], parallel=False)
    assert victim.read_text() == "mine"
    assert (records / "timeline.otio.fragments").stat().st_size > 0
    assert not (records / "timeline.otio.fragments").is_symlink()


def test_an_export_file_is_made_with_the_users_umask(tmp_path: Path) -> None:
    written = export_products(assembled("24"), tmp_path, ["otio"], parallel=False).files["otio"]
    assert stat.S_IMODE(written[0].stat().st_mode) == file_mode()
