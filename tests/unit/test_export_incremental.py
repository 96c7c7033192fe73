"""Incremental export writing: a document written from the fragments of a DIFFERENT previous
cut is byte-identical to the same document written from scratch, and a memo that cannot be
trusted (damaged, truncated, another writer version, its document changed) is ignored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio
import pytest

from previz.products import ProductStore
from previz.timeline.builtin_formats import BUILTIN
from previz.timeline.export import export_products
from previz.timeline.formats import ExportContext
from previz.timeline.fragments import Fragments, Memo
from tests.export_cases import CASES, RELATIVE_TO, assembled, representative

INCREMENTAL = ("fcpxml", "edl", "kdenlive", "fcp7", "otio")


def _retaken(shot: str) -> Callable[[otio.schema.Timeline], otio.schema.Timeline]:
    """One shot given a new take: its files (picture and stems) and facts change."""

    def change(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
        copy = timeline.deepcopy()
        for clip in copy.find_clips():
            if clip.name.split(" ")[0] != shot:
                continue
            reference = clip.media_reference
            if isinstance(reference, otio.schema.ExternalReference):
                reference.target_url = reference.target_url.replace(f"{shot}_t", f"{shot}_t9")
            facts = clip.metadata.get("previz")
            if facts is not None and "cache_key" in facts:
                facts["cache_key"] = facts["cache_key"] + "-retaken"
        return copy

    return change


def _described(shot: str) -> Callable[[otio.schema.Timeline], otio.schema.Timeline]:
    """Only the facts of one shot's picture change (not its file, nor its sound)."""

    def change(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
        copy = timeline.deepcopy()
        for clip in copy.tracks[1].find_clips():
            if clip.name == shot:
                clip.metadata["previz"]["action"] = "described again"
        return copy

    return change


def _renamed(
    shot: str, to: str | None = None
) -> Callable[[otio.schema.Timeline], otio.schema.Timeline]:
    """Only the name of one shot's picture clip changes (same file, same facts); ``to``:
    another clip's name (which that clip then shares)."""

    def change(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
        copy = timeline.deepcopy()
        for clip in copy.tracks[1].find_clips():
            if clip.name == shot:
                clip.name = to or f"{shot} renamed"
        return copy

    return change


def _started_later(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The whole cut starts 10 s later: every record time moves, nothing else."""
    copy = timeline.deepcopy()
    start = copy.global_start_time
    copy.global_start_time = start + otio.opentime.RationalTime(10 * start.rate, start.rate)
    return copy


def _failed(shot: str) -> Callable[[otio.schema.Timeline], otio.schema.Timeline]:
    """One shot's picture has no media any more (its take failed): a placeholder."""

    def change(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
        copy = timeline.deepcopy()
        for clip in copy.tracks[1].find_clips():
            if clip.name == shot:
                clip.media_reference = otio.schema.MissingReference()
        return copy

    return change


def _dissolve_lengthened(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The picture's first dissolve two frames longer on each side (its clips unchanged)."""
    copy = timeline.deepcopy()
    for item in copy.tracks[1]:
        if isinstance(item, otio.schema.Transition) and item.in_offset.value > 2:
            two = otio.opentime.RationalTime(2, item.in_offset.rate)
            item.in_offset, item.out_offset = item.in_offset + two, item.out_offset + two
            break
    return copy


def _last_dropped(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The last item of each sound track taken out: the one before it ends its track."""
    copy = timeline.deepcopy()
    for track in copy.tracks:
        if track.kind == otio.schema.TrackKind.Audio and len(track) > 1:
            del track[len(track) - 1]
    return copy


def _alternates_dropped(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The alternates' track removed: every track below the picture moves up a lane."""
    copy = timeline.deepcopy()
    del copy.tracks[0]
    return copy


def _marker_moved(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A timeline marker two frames later (its clip under it stays the same)."""
    copy = timeline.deepcopy()
    marker = copy.tracks.markers[1]
    start = marker.marked_range.start_time
    marker.marked_range = otio.opentime.TimeRange(
        start + otio.opentime.RationalTime(2, start.rate), marker.marked_range.duration
    )
    return copy


def _shortened(
    clip_name: str, frames: int, track: int = 1
) -> Callable[[otio.schema.Timeline], otio.schema.Timeline]:
    """One clip of track ``track`` ``frames`` shorter (longer when negative): everything
    after it there moves."""

    def change(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
        copy = timeline.deepcopy()
        for clip in copy.tracks[track].find_clips():
            if clip.name == clip_name:
                source = clip.source_range
                cut = otio.opentime.RationalTime(frames, source.duration.rate)
                clip.source_range = otio.opentime.TimeRange(source.start_time,
                                                            source.duration - cut)  # fmt: skip
        return copy

    return change


def _media_lengthened(shot: str) -> Callable[[otio.schema.Timeline], otio.schema.Timeline]:
    """One shot's picture file 10 frames longer (same file name, same clip range)."""

    def change(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
        copy = timeline.deepcopy()
        for clip in copy.tracks[1].find_clips():
            if clip.name == shot:
                available = clip.media_reference.available_range
                ten = otio.opentime.RationalTime(10, available.duration.rate)
                clip.media_reference.available_range = otio.opentime.TimeRange(
                    available.start_time, available.duration + ten)  # fmt: skip
        return copy

    return change


def _heard_through_sound() -> otio.schema.Timeline:
    """A cut whose second shot's picture file has no sound of its own, played by a sound
    clip too (so that file is heard)."""
    timeline = assembled("24")
    picture = next(c for c in timeline.tracks[1].find_clips() if c.name == "sh001")
    picture.metadata["previz"]["has_audio"] = False
    sound = next(iter(timeline.tracks[2].find_clips()))
    sound.media_reference = picture.media_reference.deepcopy()
    return timeline


def _unheard(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The sound clip playing a picture file plays a stem again: that file is not heard any
    more (its picture clip unchanged)."""
    copy = timeline.deepcopy()
    sound = next(iter(copy.tracks[2].find_clips()))
    sound.media_reference = otio.schema.ExternalReference(
        "file:///media/previz-golden/sh001_t9_dialogue.wav",
        sound.media_reference.available_range)  # fmt: skip
    return copy


# (previous cut, next cut): a one-shot change, moved clips, shots added and removed, another
# rate, another cut altogether
PAIRS: dict[str, tuple[Callable[[], otio.schema.Timeline], Callable[..., otio.schema.Timeline]]] = {
    "retaken-24": (lambda: assembled("24"), _retaken("sh005")),
    "retaken-23.976": (lambda: assembled("23.976"), _retaken("sh010")),
    "retaken-alternate-29.97": (lambda: assembled("29.97"), _retaken("sh000")),
    "described-24": (lambda: assembled("24"), _described("sh006")),
    "renamed-24": (lambda: assembled("24"), _renamed("sh000")),
    "name-taken-24": (lambda: assembled("24"), _renamed("sh000", to="sh001")),
    "started-later-25": (lambda: assembled("25"), _started_later),
    "shortened-25": (lambda: assembled("25"), _shortened("sh003", 5)),
    "sound-shortened-29.97": (lambda: assembled("29.97"), _shortened("sh001 dialogue", 3, 2)),
    "sound-lengthened-24": (lambda: assembled("24"), _shortened("sh001 dialogue", -2, 2)),
    "marker-moved-24": (lambda: assembled("24"), _marker_moved),
    "alternates-dropped-24": (lambda: assembled("24"), _alternates_dropped),
    "shot-failed-25": (lambda: assembled("25"), _failed("sh007")),
    "dissolve-lengthened-24": (lambda: assembled("24"), _dissolve_lengthened),
    "last-dropped-23.976": (lambda: assembled("23.976"), _last_dropped),
    "media-lengthened-24": (lambda: assembled("24"), _media_lengthened("sh003")),
    "file-unheard-24": (_heard_through_sound, _unheard),
    "shots-added": (lambda: assembled("24", count=17), lambda _t: assembled("24")),
    "shots-removed": (lambda: assembled("24"), lambda _t: assembled("24", count=13)),
    "other-rate": (lambda: assembled("25"), lambda _t: assembled("29.97")),
    "other-cut": (lambda: assembled("23.976"), lambda _t: representative()),
    "short-from-long": (lambda: assembled("25"), lambda _t: assembled("25", count=2)),
}


def _files(exported: dict[str, list[Path]], fmt: str) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in exported[fmt]}


def _export(timeline: otio.schema.Timeline, out: Path, fmt: str,
            relative: bool = False) -> dict[str, bytes]:  # fmt: skip
    exported = export_products(timeline, out, [fmt], parallel=False,
                               relative_to=RELATIVE_TO if relative else None)  # fmt: skip
    return _files(exported.files, fmt)


def _memo(out: Path, fmt: str) -> Memo:
    spec = BUILTIN[fmt]
    product = f"timeline{spec.suffix}"
    return Memo(ProductStore(out).records / f"{product}.fragments", out / product, spec.version)


@pytest.mark.parametrize("fmt", INCREMENTAL)
@pytest.mark.parametrize("pair", PAIRS)
def test_a_document_from_the_fragments_of_another_cut_is_the_full_write(
    tmp_path: Path, fmt: str, pair: str
) -> None:
    make_previous, change = PAIRS[pair]
    previous = make_previous()
    following = change(previous)
    _export(previous, tmp_path / "kept", fmt)
    assert Fragments(_memo(tmp_path / "kept", fmt)).kept > 0
    incremental = _export(following, tmp_path / "kept", fmt)
    assert incremental == _export(following, tmp_path / "fresh", fmt)


@pytest.mark.parametrize("fmt", [f for f in INCREMENTAL if BUILTIN[f].relative_media])
def test_relative_media_documents_from_fragments_are_the_full_write(
    tmp_path: Path, fmt: str
) -> None:
    previous = assembled("24")
    _export(previous, tmp_path / "kept", fmt, relative=True)
    following = _retaken("sh007")(previous)
    incremental = _export(following, tmp_path / "kept", fmt, relative=True)
    assert incremental == _export(following, tmp_path / "fresh", fmt, relative=True)


@pytest.mark.parametrize("fmt", [f for f in INCREMENTAL if BUILTIN[f].relative_media])
def test_relative_media_from_the_fragments_of_absolute_media_is_the_full_write(
    tmp_path: Path, fmt: str
) -> None:
    timeline = assembled("24")
    _export(timeline, tmp_path / "kept", fmt)
    incremental = _export(timeline, tmp_path / "kept", fmt, relative=True)
    assert incremental == _export(timeline, tmp_path / "fresh", fmt, relative=True)


@pytest.mark.parametrize("fmt", INCREMENTAL)
def test_a_one_shot_change_renders_only_that_shots_fragments(tmp_path: Path, fmt: str) -> None:
    previous = assembled("24")
    _export(previous, tmp_path, fmt)
    rewritten = Fragments(_memo(tmp_path, fmt))
    _write_with(fmt, _retaken("sh005")(previous), tmp_path / "again", rewritten)
    assert 0 < rewritten.rendered <= RENDERED[fmt]
    assert rewritten.reused > 10 * rewritten.rendered


# the most fragments a one-shot change renders again: FCPXML, the storyline items its
# picture, alternate and sound are connected to (the shot's own, the one before it where a
# dissolve starts the shot early) and the assets of the shot's files (picture, alternate, stems)
# EDL, the shot's event on each track it is on (and the dissolve event after it, which names
# the clip it starts from)
# Kdenlive, the bin producers of the shot's files (picture, alternate, stems)
# FCP7, the shot's clipitems (picture, alternate, stems)
# .otio, the shot's track items (picture, alternate, stems)
RENDERED = {"fcpxml": 8, "edl": 8, "kdenlive": 6, "fcp7": 6, "otio": 6}


def _write_with(fmt: str, timeline: otio.schema.Timeline, target: Path,
                fragments: Fragments) -> None:  # fmt: skip
    from previz.timeline import edl, fcp7, fcpxml, kdenlive, otio_document

    if fmt == "fcp7":
        fcp7.write(timeline, target, width=320, height=180, fragments=fragments)
    elif fmt == "kdenlive":
        kdenlive.write(timeline, target, width=320, height=180, fragments=fragments)
    elif fmt == "fcpxml":
        fcpxml.write(timeline, target, width=320, height=180, fragments=fragments)
    elif fmt == "otio":
        otio_document.write(timeline, target, fragments)
    elif fmt == "edl":
        for index in range(len(timeline.tracks)):
            edl.write_track(timeline, index, target, fragments)


def _damage(memo: Memo, how: str, documents: list[Path]) -> Memo:
    data = memo.path.read_bytes()
    if how == "truncated":
        memo.path.write_bytes(data[: len(data) * 2 // 3])
    elif how == "flipped":
        at = len(data) - 10
        memo.path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    elif how == "garbage":
        memo.path.write_bytes(b"not a memo\n" + data)
    elif how == "empty":
        memo.path.write_bytes(b"")
    elif how == "foreign-version":
        return Memo(memo.path, memo.document, memo.version + "-other")
    elif how == "document-changed":  # by hand, or by a write that failed before its memo
        documents[-1].write_bytes(documents[-1].read_bytes() + b"\n")
    elif how == "document-removed":
        documents[-1].unlink()
    return memo


@pytest.mark.parametrize("fmt", INCREMENTAL)
@pytest.mark.parametrize("how", ["truncated", "flipped", "garbage", "empty", "foreign-version",
                                 "document-changed", "document-removed"])  # fmt: skip
def test_a_memo_that_cannot_be_trusted_is_ignored(tmp_path: Path, fmt: str, how: str) -> None:
    written = export_products(assembled("24"), tmp_path, [fmt], parallel=False).files[fmt]
    assert Fragments(_memo(tmp_path, fmt)).kept > 0
    memo = _damage(_memo(tmp_path, fmt), how, written)
    assert Fragments(memo).kept == 0


@pytest.mark.parametrize("fmt", INCREMENTAL)
def test_a_damaged_memo_leaves_a_full_write(tmp_path: Path, fmt: str) -> None:
    previous = assembled("24")
    _export(previous, tmp_path / "kept", fmt)
    _damage(_memo(tmp_path / "kept", fmt), "flipped", [])
    following = _retaken("sh005")(previous)
    assert _export(following, tmp_path / "kept", fmt) == _export(following, tmp_path / "new", fmt)


@pytest.mark.parametrize("fmt", [f for f in INCREMENTAL if not BUILTIN[f].multi_file])
def test_a_write_that_never_replaced_its_document_leaves_no_trusted_memo(
    tmp_path: Path, fmt: str
) -> None:
    """The memo is saved with the temporary document; a crash before that replaces the old
    document leaves a memo that does not match the document there: it is ignored."""
    _export(assembled("24"), tmp_path, fmt)
    memo = _memo(tmp_path, fmt)
    spec = BUILTIN[fmt]
    partial = tmp_path / f".partial{spec.suffix}"
    spec.write(_retaken("sh005")(assembled("24")), partial, ExportContext(320, 180, None, memo))
    assert Fragments(memo).kept == 0
    partial.replace(memo.document)  # the write completes after all: the memo matches again
    assert Fragments(memo).kept > 0


@pytest.mark.parametrize("case", ["cut-23.976", "representative"])
def test_an_otio_item_reads_alone_as_in_the_whole_document(case: str) -> None:
    """What the ``.otio`` writer relies on: OTIO's text of a track item alone, indented to
    its depth, is its text in the whole document, where its indentation finds it."""
    from previz.timeline import otio_document

    timeline = CASES[case]()
    whole = otio.adapters.otio_json.write_to_string(timeline).encode("utf-8")
    counts = [len(track) for track in timeline.tracks]
    found = [whole[start:end] for start, end in otio_document._item_spans(whole, counts) or []]
    alone = [otio_document._item_text(timeline, track, index)
             for track, count in enumerate(counts) for index in range(count)]  # fmt: skip
    assert found == alone


def test_an_otio_downgraded_by_the_environment_is_otios_own_from_a_warm_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTIO's schema downgrade changes the text, not the cut: the document is written whole."""
    previous = assembled("24")
    _export(previous, tmp_path / "kept", "otio")
    monkeypatch.setenv("OTIO_DEFAULT_TARGET_VERSION_FAMILY_LABEL", "OTIO_CORE:0.14.0")
    following = _retaken("sh005")(previous)
    written = _export(following, tmp_path / "kept", "otio")["timeline.otio"]
    otio.adapters.write_to_file(following, str(tmp_path / "own.otio"), adapter_name="otio_json")
    assert written == (tmp_path / "own.otio").read_bytes()


def test_an_otio_document_replaced_after_its_memo_was_trusted_is_written_whole(
    tmp_path: Path,
) -> None:
    """The last document's bytes are used only when the file read is the one the memo was
    saved with: one replaced after the memo was trusted (same size) is never spliced."""
    from previz.timeline import otio_document

    previous = assembled("24")
    _export(previous, tmp_path, "otio")
    fragments = Fragments(_memo(tmp_path, "otio"))
    assert fragments.kept > 0
    document, stand_in = tmp_path / "timeline.otio", tmp_path / "stand-in.otio"
    stand_in.write_bytes(document.read_bytes().replace(b"sh002", b"XX002"))
    stand_in.replace(document)
    following = _retaken("sh005")(previous)
    otio_document.write(following, tmp_path / "again.otio", fragments)
    otio.adapters.write_to_file(following, str(tmp_path / "own.otio"), adapter_name="otio_json")
    assert (tmp_path / "again.otio").read_bytes() == (tmp_path / "own.otio").read_bytes()
