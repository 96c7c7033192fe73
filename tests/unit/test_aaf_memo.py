"""The AAF writer copies unchanged clips' mobs from its last file: the same bytes as a full write.

Each test writes a cut once to warm the memo (the "last build"), then the cut under test with
the memo and without it, and compares the files byte for byte. The warming cut differs from
the one written: a clip's facts changed (longer: its streams take more mini sectors, so every
copied run after it moves), a clip trimmed (its master mob and the composition change), shots
removed or added (copied runs move in the directory), another frame rate (nothing to copy).
A memo that is damaged, truncated, from another writer version, or that describes a file which
never replaced the document (a crash between the two) is ignored: full write, same bytes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio
import pytest

from previz.errors import TimelineError
from previz.timeline import aaf, aaf_memo, serialised
from previz.timeline.fragments import Memo as MemoPlace
from tests.export_cases import CASES, assembled

Cut = Callable[[], otio.schema.Timeline]


def _v1(timeline: otio.schema.Timeline) -> otio.schema.Track:
    return next(track for track in timeline.tracks if track.name == "V1")


def _facts_changed() -> otio.schema.Timeline:
    timeline = assembled("24")
    clip = _v1(timeline).find_clips()[5]
    clip.metadata["previz"]["action"] = "rewritten: " + "a much longer action line " * 12
    return timeline


def _trimmed() -> otio.schema.Timeline:
    timeline = assembled("24")
    clip = _v1(timeline).find_clips()[2]
    kept = clip.source_range
    clip.source_range = otio.opentime.TimeRange(
        kept.start_time, kept.duration - otio.opentime.RationalTime(3, kept.duration.rate)
    )
    return timeline


def _slipped() -> otio.schema.Timeline:
    """A clip slipped: it shows its take two frames later, as long as before (only the start
    its source clip shows changes in the composition)."""
    timeline = assembled("24")
    clip = _v1(timeline).find_clips()[2]
    kept = clip.source_range
    clip.source_range = otio.opentime.TimeRange(
        kept.start_time + otio.opentime.RationalTime(2, kept.duration.rate), kept.duration
    )
    return timeline


def _marker_renamed() -> otio.schema.Timeline:
    """One locator changes: the others are copied."""
    timeline = assembled("24")
    marked = [clip for clip in _v1(timeline).find_clips() if clip.markers]
    marked[3].markers[0].name = "renamed"
    return timeline


def _dissolve_lengthened() -> otio.schema.Timeline:
    """The dissolve on V1 two frames longer: the clips beside it show more (their mark in
    and out move), their own text does not change."""
    timeline = CASES["representative"]()
    dissolve = next(i for i in _v1(timeline) if isinstance(i, otio.schema.Transition))
    dissolve.in_offset += otio.opentime.RationalTime(2, dissolve.in_offset.rate)
    return timeline


def _take_repeated_earlier() -> otio.schema.Timeline:
    """Clip 2 of V1 now shows clip 6's take: clip 6, unchanged itself, becomes that take's
    second use, whose mobs get ids of their own (and so does every composition slot showing
    it)."""
    timeline = assembled("24")
    clips = _v1(timeline).find_clips()
    clips[2].media_reference = clips[6].media_reference.clone()
    clips[2].source_range = clips[6].source_range
    return timeline


def _swapped() -> otio.schema.Timeline:
    """Two of V1's shots swapped: their mobs are copied, each from where the other's were
    (the copied runs of the last file are no longer in its order)."""
    timeline = assembled("24")
    track = _v1(timeline)
    first, second = (track.index(clip) for clip in track.find_clips()[3:9:5])
    later = track[second].clone()
    track[second] = track[first].clone()
    track[first] = later
    return timeline


def _picture_dissolves_dropped() -> otio.schema.Timeline:
    """The representative cut without its picture dissolves: the sound tracks keep their
    parts, but the file registers other definitions (no picture dissolve's parameters), so
    every weak reference after them moves in the file's table."""
    timeline = CASES["representative"]()
    for track in timeline.video_tracks():
        for item in [i for i in track if isinstance(i, otio.schema.Transition)]:
            track.remove(item)
    return timeline


PAIRS: dict[str, tuple[Cut, Cut]] = {
    "facts changed": (lambda: assembled("24"), _facts_changed),
    "facts changed back": (_facts_changed, lambda: assembled("24")),
    "trimmed": (lambda: assembled("24"), _trimmed),
    "shots removed": (lambda: assembled("24"), lambda: assembled("24", count=17)),
    "shots added": (lambda: assembled("24", count=17), lambda: assembled("24")),
    "another rate": (CASES["cut-25"], CASES["cut-29.97"]),
    "23.976 from 24": (CASES["cut-24"], CASES["cut-23.976"]),
    "representative from a cut": (CASES["cut-23.976"], CASES["representative"]),
    "representative again": (CASES["representative"], CASES["representative"]),
    "dissolve lengthened": (CASES["representative"], _dissolve_lengthened),
    "a take repeated earlier": (lambda: assembled("24"), _take_repeated_earlier),
    "shots swapped": (lambda: assembled("24"), _swapped),
    "slipped": (lambda: assembled("24"), _slipped),
    "marker renamed": (lambda: assembled("24"), _marker_renamed),
    "picture dissolves dropped": (CASES["representative"], _picture_dissolves_dropped),
    "picture dissolves added": (_picture_dissolves_dropped, CASES["representative"]),
}


FIXED_COPIED = {"facts changed", "facts changed back", "trimmed", "representative again",
                "dissolve lengthened", "a take repeated earlier", "shots swapped",
                "slipped", "marker renamed"}  # fmt: skip
SLOTS_COPIED = {"facts changed": 6, "facts changed back": 6, "trimmed": 5,
                "representative again": 3, "dissolve lengthened": 2,
                "a take repeated earlier": 5, "shots swapped": 5, "slipped": 5,
                "marker renamed": 6}  # fmt: skip
LOCATORS_REBUILT = {"facts changed": 0, "marker renamed": 1}  # per pair, of all the cut's
NOTHING_ALIKE = {"another rate", "23.976 from 24", "representative from a cut"}


def _memo(folder: Path, document: Path, version: str = "writer 1") -> MemoPlace:
    return MemoPlace(folder / "records" / "timeline.aaf.memo", document, version)


def _warm(folder: Path, cut: otio.schema.Timeline, version: str = "writer 1") -> MemoPlace:
    """The last build's write: the document and its memo."""
    document = folder / "timeline.aaf"
    place = _memo(folder, document, version)
    aaf.write(cut, document, place)
    return place


def _incremental(place: MemoPlace, cut: otio.schema.Timeline) -> tuple[bytes, int]:
    written = place.document.with_name("next.aaf")
    copied = aaf.write(cut, written, place)
    return written.read_bytes(), copied.clips


def _full(folder: Path, cut: otio.schema.Timeline) -> bytes:
    aaf.write(cut, folder / "full.aaf")
    return (folder / "full.aaf").read_bytes()


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_a_write_from_the_last_files_memo_equals_a_full_write(pair: str, tmp_path: Path) -> None:
    before, now = PAIRS[pair]
    place = _warm(tmp_path, before())
    written = place.document.with_name("next.aaf")
    copied = aaf.write(now(), written, place)
    assert written.read_bytes() == _full(tmp_path, now())
    if pair not in NOTHING_ALIKE:
        assert copied.clips > 0  # the test copied mobs, it did not just write in full
    # the tracks whose slots did not change were copied (a clip's facts are not in them)
    assert copied.slots == SLOTS_COPIED.get(pair, 0)
    if pair in LOCATORS_REBUILT:  # so were the locators alike
        marked = sum(len(clip.markers) for clip in now().find_clips())
        assert copied.locators == marked + len(now().tracks.markers) - LOCATORS_REBUILT[pair]


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_the_fixed_part_is_copied_without_pyaaf2_when_definitions_match(
    pair: str, tmp_path: Path
) -> None:
    """The header, dictionary and meta-dictionary come from the last file (no pyaaf2 file
    made) when the two cuts register the same definitions and the memo holds every layout
    and encoding the new cut needs; the bytes are a full write's either way."""
    before, now = PAIRS[pair]
    place = _warm(tmp_path, before())
    written = place.document.with_name("next.aaf")
    copied = aaf.write(now(), written, place)
    assert written.read_bytes() == _full(tmp_path, now())
    if pair in FIXED_COPIED:
        assert copied.fixed


def test_an_unchanged_clip_is_copied_and_a_changed_one_is_not(tmp_path: Path) -> None:
    place = _warm(tmp_path, assembled("24"))
    clips = len(assembled("24").find_clips())
    _written, reused = _incremental(place, _facts_changed())
    assert reused == clips - 1


def _damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-40] ^= 0x01
    path.write_bytes(bytes(data))


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


@pytest.mark.parametrize("spoil", [_damaged, _truncated], ids=["damaged", "truncated"])
def test_a_spoilt_memo_is_ignored(spoil: Callable[[Path], None], tmp_path: Path) -> None:
    place = _warm(tmp_path, assembled("24"))
    spoil(place.path)
    written, reused = _incremental(place, _facts_changed())
    assert reused == 0
    assert written == _full(tmp_path, _facts_changed())


def test_a_memo_of_another_writer_version_is_ignored(tmp_path: Path) -> None:
    place = _warm(tmp_path, assembled("24"), version="writer 1")
    other = _memo(tmp_path, place.document, version="writer 2")
    written, reused = _incremental(other, _facts_changed())
    assert reused == 0
    assert written == _full(tmp_path, _facts_changed())


def test_a_memo_of_a_file_that_never_replaced_the_document_is_ignored(tmp_path: Path) -> None:
    """A crash after the new file and its memo were written, before the file replaced the
    document: the memo describes the new file, the document is still the old one."""
    place = _warm(tmp_path, assembled("24", count=17))
    aaf.write(assembled("24"), tmp_path / ".timeline.123.partial.aaf", place)  # crash here
    written, reused = _incremental(place, _facts_changed())
    assert reused == 0
    assert written == _full(tmp_path, _facts_changed())


def test_a_document_changed_since_its_memo_is_not_copied_from(tmp_path: Path) -> None:
    place = _warm(tmp_path, assembled("24"))
    place.document.write_bytes(place.document.read_bytes())  # same bytes, a new file
    _written, reused = _incremental(place, _facts_changed())
    assert reused == 0


def test_without_the_clips_own_text_the_key_spells_the_clip_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the cut's text is not laid out as OTIO writes it there are no item digests: the
    key is made of the clip's name, media, ranges and comments instead."""
    plain = serialised.tracks_and_digests
    monkeypatch.setattr(serialised, "tracks_and_digests", lambda t: (plain(t)[0], None))
    place = _warm(tmp_path, assembled("24"))
    written, reused = _incremental(place, _facts_changed())
    assert reused == len(assembled("24").find_clips()) - 1
    assert written == _full(tmp_path, _facts_changed())


def test_a_write_copying_the_fixed_part_does_not_import_pyaaf2(tmp_path: Path) -> None:
    """In a fresh process (an export worker), a write whose needs are all in the memo never
    imports pyaaf2 (~20 ms of a worker's start)."""
    place = _warm(tmp_path, assembled("24"))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from previz.timeline import aaf\n"
        "from previz.timeline.fragments import Memo\n"
        "from tests.unit.test_aaf_memo import _facts_changed\n"
        f"place = Memo(Path({str(place.path)!r}), Path({str(place.document)!r}), 'writer 1')\n"
        f"copied = aaf.write(_facts_changed(), Path({str(tmp_path / 'next.aaf')!r}), place)\n"
        "print(copied.fixed, 'aaf2' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parents[2], check=True)  # fmt: skip
    assert done.stdout.split() == ["True", "False"]
    assert (tmp_path / "next.aaf").read_bytes() == _full(tmp_path, _facts_changed())


def test_a_clip_at_another_rate_is_refused_when_the_rest_is_copied(tmp_path: Path) -> None:
    """Every item's rate is checked, the copied clips' from what their record kept."""
    place = _warm(tmp_path, assembled("24"))
    cut = assembled("24")
    clip = _v1(cut).find_clips()[4]
    clip.source_range = otio.opentime.TimeRange(duration=otio.opentime.RationalTime(25, 25))
    with pytest.raises(TimelineError, match=f"aaf export: Clip {clip.name!r}"):
        aaf.write(cut, tmp_path / "next.aaf", place)


def test_a_memo_saved_by_an_incremental_write_serves_the_next_one(tmp_path: Path) -> None:
    """Where a write put the mobs and slots it copied (in runs) is what the next one copies."""
    place = _warm(tmp_path, assembled("24"))
    for cut in (_facts_changed, _swapped, _facts_changed):
        written = tmp_path / "next.aaf"
        copied = aaf.write(cut(), written, place)
        assert written.read_bytes() == _full(tmp_path, cut())
        assert copied.clips > 0 and copied.slots > 0
        written.replace(place.document)  # it becomes the document its memo describes


def test_a_memo_naming_a_run_outside_its_document_is_ignored(tmp_path: Path) -> None:
    """Checksum and document intact, but a clip's run reaches past the document's directory:
    nothing is copied from it."""
    place = _warm(tmp_path, assembled("24"))
    version, _checksum, body = place.path.read_bytes()[len(aaf_memo.MAGIC) :].split(b"\n", 2)
    (length,) = aaf_memo.LENGTH.unpack_from(body, aaf_memo.DOCUMENT.size)
    at = aaf_memo.DOCUMENT.size + aaf_memo.LENGTH.size + length  # the first clip's record
    record = list(aaf_memo.CLIP.unpack_from(body, at))
    record[13] += 1_000_000  # its tape mob's run of directory entries
    body = body[:at] + aaf_memo.CLIP.pack(*record) + body[at + aaf_memo.CLIP.size :]
    checksum = hashlib.sha256(body).hexdigest().encode("ascii")
    place.path.write_bytes(b"\n".join((aaf_memo.MAGIC + version, checksum, body)))
    written, reused = _incremental(place, _facts_changed())
    assert reused == 0
    assert written == _full(tmp_path, _facts_changed())
