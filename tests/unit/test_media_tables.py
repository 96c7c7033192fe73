"""The memo of the parts' sample tables and the chunks' frame layouts: trusted file by file.

A join from a memo warmed by another cut (parts shared, added, dropped; another rate) writes
the same bytes as a join that reads every part; a damaged or foreign memo is ignored; a file
rewritten under the same name is read again. The animatic writes no joined sound file unless
ffmpeg joins it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from previz.media import find_ffmpeg, soundtrack
from previz.media import sequence as sequence_module
from previz.media.encoding import sample_count
from previz.media.join import join_animatic
from previz.media.mp4 import Track, UnsupportedMovie, read_track
from previz.media.parts import PicturePart, SoundPart, SoundSource, Source
from previz.media.sequence import build_sequence
from previz.media.soundtrack import AdtsLayout, Soundtrack, adts_payloads
from previz.media.tables import TableMemo
from tests.unit import test_media_join
from tests.unit.test_media_join import make_parts, make_sound, sequence

tone = test_media_join.tone  # the tone fixture (a module-scoped wav)
layout_of = soundtrack._layout_of


def fail() -> AdtsLayout:
    raise AssertionError("read from the file although the memo holds it")


class Reads:
    """A reader through a memo that counts the files it had to read."""

    def __init__(self, memo: TableMemo[Track]) -> None:
        self.memo, self.files = memo, 0

    def __call__(self, path: Path) -> Track:
        return self.memo.read(path, lambda: self.count(path))

    def count(self, path: Path) -> Track:
        self.files += 1
        return read_track(path)


def joined(folder: Path, parts: list[Path], track: Soundtrack, memo: Path | None) -> bytes:
    dest = folder / "joined.mp4"
    if memo is None:
        join_animatic(parts, track, dest, comment="previz-animatic:test")
    else:
        tables = TableMemo(memo, Track)
        join_animatic(parts, track, dest, comment="previz-animatic:test", read=Reads(tables))
        tables.save()
    return dest.read_bytes()


def test_a_join_from_a_memo_of_another_cut_writes_the_same_file(
    tmp_path: Path, tone: Source
) -> None:
    memo = tmp_path / "picture.tables"
    (tmp_path / "other").mkdir()
    other = make_parts(tmp_path / "other", "24000/1001", (7, 1))  # another rate: other files
    joined(tmp_path, other, make_sound(tmp_path / "other", tone, 8, "24000/1001"), memo)
    warm = make_parts(tmp_path, "24", (1, 2, 3, 5, 13, 24))
    joined(tmp_path, warm, make_sound(tmp_path, tone, 48, "24"), memo)
    new = make_parts(tmp_path, "24", (8, 37))
    cut = [warm[2], *new, warm[0], warm[4], warm[1]]  # shared, moved, new, dropped
    sound = make_sound(tmp_path, tone, 64, "24")
    reads = Reads(TableMemo(memo, Track))
    join_animatic(cut, sound, tmp_path / "memo.mp4", comment="previz-animatic:test", read=reads)
    assert reads.files == len(set(cut) - set(warm)) == 2  # the shared parts from the memo
    assert joined(tmp_path, cut, sound, None) == (tmp_path / "memo.mp4").read_bytes()


def test_a_damaged_memo_is_ignored(tmp_path: Path, tone: Source) -> None:
    memo = tmp_path / "picture.tables"
    parts = make_parts(tmp_path, "24", (5, 13, 2))
    sound = make_sound(tmp_path, tone, 20, "24")
    joined(tmp_path, parts, sound, memo)
    data = bytearray(memo.read_bytes())
    data[-10] ^= 0x01  # a bit of a part's tables
    memo.write_bytes(bytes(data))
    reads = Reads(TableMemo(memo, Track))
    assert [reads(path) for path in parts] == [read_track(path) for path in parts]
    assert reads.files == 3
    reads.memo.save()
    memo.write_bytes(memo.read_bytes()[:-100])  # cut short
    again = Reads(TableMemo(memo, Track))
    assert again(parts[0]) == read_track(parts[0]) and again.files == 1


def test_a_memo_of_other_records_is_ignored(tmp_path: Path, tone: Source) -> None:
    track = make_sound(tmp_path, tone, 30, "24")  # a memo of the chunks' frame layouts
    chunk = track.files[0]
    assert TableMemo(tmp_path / "soundtrack.tables", AdtsLayout).read(chunk, fail) is not None
    reads = Reads(TableMemo(tmp_path / "soundtrack.tables", Track))
    with pytest.raises(UnsupportedMovie):  # read from the file, not taken from the memo
        reads(chunk)


def test_a_part_rewritten_under_its_name_is_read_again(tmp_path: Path, tone: Source) -> None:
    memo = tmp_path / "picture.tables"
    short, long = make_parts(tmp_path, "24", (5, 13))
    joined(tmp_path, [short], make_sound(tmp_path, tone, 5, "24"), memo)
    shutil.copy(long, tmp_path / "new.mp4")
    (tmp_path / "new.mp4").replace(short)  # as a part is written: a temp file renamed
    reads = Reads(TableMemo(memo, Track))
    assert len(reads(short).sizes) == 13 and reads.files == 1


def test_the_soundtrack_from_its_memo_is_the_chunks_frames(tmp_path: Path, tone: Source) -> None:
    make_sound(tmp_path, tone, 30, "24")  # warms the memo of the chunks' layouts
    track = make_sound(tmp_path, tone, 40, "24")  # chunks shared, changed, added
    assert (tmp_path / "soundtrack.tables").is_file()
    assert track.chunks == [adts_payloads(path.read_bytes()) for path in track.files]


def test_the_animatic_writes_no_joined_sound_file_when_it_joins_itself(
    tmp_path: Path, tone: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Soundtrack, dest: Path) -> None:
        raise AssertionError(f"the joined sound was written to {dest}")

    monkeypatch.setattr(Soundtrack, "write_adts", refuse)
    animatic = sequence(tmp_path, tone, (12, 5))
    assert animatic.is_file()


def test_scenes_sharing_a_work_folder_keep_their_own_memos(
    tmp_path: Path, tone: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scene A, scene B, then A with one shot changed (same work folder, as a project's
    scenes share it): only A's new part is read from its file, and no sound chunk."""
    red = test_media_join.colour(tmp_path, "red", "24")
    samples = sample_count(17, 24)

    def build(dest: str, starts: tuple[int, int]) -> None:  # each scene its own sound
        at = 0 if dest == "a.mp4" else 4_800
        sounds = [SoundPart(samples, (SoundSource(tone, at=at, samples=samples),))]
        pictures = [
            PicturePart(n, Source(red.path, red.key, s))
            for n, s in zip((5, 12), starts, strict=True)
        ]
        build_sequence(
            pictures, sounds, tmp_path / dest, ffmpeg=find_ffmpeg(), width=64, height=36,
            fps=24, workdir=tmp_path / "work",
        )  # fmt: skip

    build("a.mp4", (0, 1))
    build("b.mp4", (2, 3))
    parts, chunks = [], []
    monkeypatch.setattr(sequence_module, "read_track", lambda p: parts.append(p) or read_track(p))
    monkeypatch.setattr(soundtrack, "_layout_of", lambda p: chunks.append(p) or layout_of(p))
    build("a.mp4", (0, 4))
    assert (len(parts), chunks) == (1, [])
