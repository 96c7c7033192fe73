"""The AAF's compound file read by a reader that is not pyaaf2's: olefile, strict.

``previz.timeline.cfb`` writes the MS-CFB container itself, and the equivalence tests read it
back with pyaaf2 (the library that also wrote the old files). olefile parses the container on
its own terms (header, FAT/DIFAT/MiniFAT chains, directory red-black tree) and is told to raise
on any defect short of a fatal one, then must have noted none but the one AAF makes on purpose:
an AAF file carries the AAF signature as the header's class id where plain CFB has zeros (pyaaf2
and Avid write it so). Every stream it finds must hold the bytes pyaaf2
reads, and the two must list the same entries.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import olefile  # type: ignore[import-untyped]
import pytest
from aaf2.cfb import CompoundFileBinary

from previz.timeline import aaf
from tests.timeline_fixtures import representative_timeline


def _pyaaf2_streams(path: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    with path.open("rb") as handle:
        storage = CompoundFileBinary(handle, "rb")

        def walk(entry: object, prefix: str) -> None:
            for child in entry.listdir():  # type: ignore[attr-defined]
                name = f"{prefix}{child.name}"
                if child.type == "stream":
                    found[name] = child.open("r").read()
                else:
                    walk(child, f"{name}/")

        walk(storage.find("/"), "")
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    media = tmp_path_factory.getbasetemp() / "timeline-media" / "container"
    timeline, _ = representative_timeline(Fraction(24000, 1001), media)
    path = tmp_path_factory.mktemp("aaf") / "cut.aaf"
    aaf.write(timeline, path)
    return path


# what the AAF specification puts in the compound file header's class id
AAF_SIGNATURE = bytes.fromhex("0102010d00020000060e2b3403020101")


def _open(path: Path) -> olefile.OleFileIO:
    return olefile.OleFileIO(str(path), raise_defects=olefile.DEFECT_FATAL)


def test_olefile_reads_the_container_without_a_defect(written: Path) -> None:
    assert olefile.isOleFile(str(written))
    assert written.read_bytes()[8:24] == AAF_SIGNATURE
    with _open(written) as ole:
        assert [message for _kind, message in ole.parsing_issues] == [
            "incorrect CLSID in OLE header"
        ]
        assert ole.listdir(streams=True, storages=False)


def test_olefile_and_pyaaf2_see_the_same_streams_and_bytes(written: Path) -> None:
    with _open(written) as ole:
        theirs = {"/".join(parts): ole.openstream(parts).read()
                  for parts in ole.listdir(streams=True, storages=False)}  # fmt: skip
    ours = _pyaaf2_streams(written)
    assert sorted(theirs) == sorted(ours)
    assert all(theirs[name] == ours[name] for name in ours)
