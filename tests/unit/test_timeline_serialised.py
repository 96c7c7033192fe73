"""Writers read the cut's facts from its JSON, lent by the export call and only during it."""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio

from previz.timeline import export_timeline, fcp7, fcpxml, serialised
from previz.timeline.export import PendingExport
from tests.export_cases import CASES


def _first_clip(timeline: otio.schema.Timeline) -> otio.schema.Clip:
    return next(iter(timeline.find_clips()))


def _first_stored_clip(tracks: list[serialised.Data]) -> serialised.Data:
    """The stored item of :func:`_first_clip` (the first track's first clip)."""
    items = [i for t in tracks for i in t["children"] if i["OTIO_SCHEMA"].startswith("Clip.")]
    return items[0]


def test_a_lent_cut_is_read_from_the_text_lent() -> None:
    timeline = CASES["short-25"]()
    other = CASES["short-25"]()
    _first_clip(other).metadata["previz"]["action"] = "lent text"
    serialised.lend(timeline, other.to_json_string(indent=-1))
    try:
        lent = serialised.tracks(timeline)
    finally:
        serialised.take_back(timeline)
    assert serialised.facts(_first_stored_clip(lent))["action"] == "lent text"
    afresh = serialised.tracks(timeline)
    assert serialised.facts(_first_stored_clip(afresh))["action"] != "lent text"


def test_another_cut_is_read_from_itself_while_one_is_lent() -> None:
    timeline, copy = CASES["short-25"](), CASES["short-25"]()
    _first_clip(copy).metadata["previz"]["action"] = "the copy's own"
    serialised.lend(timeline, timeline.to_json_string(indent=-1))
    try:
        stored = serialised.tracks(copy)
    finally:
        serialised.take_back(timeline)
    assert serialised.facts(_first_stored_clip(stored))["action"] == "the copy's own"


def test_a_writer_called_after_the_export_call_reads_the_cut_as_it_is_now(tmp_path: Path) -> None:
    """The text lent to an export call is taken back when the call returns: a writer called
    on its own afterwards, on the cut changed since, writes the new facts."""
    timeline = CASES["short-25"]()
    export_timeline(timeline, tmp_path / "export", ["fcpxml", "fcp7"])
    _first_clip(timeline).metadata["previz"]["action"] = "changed after the export"
    fcpxml.write(timeline, tmp_path / "alone.fcpxml", width=320, height=180)
    fcp7.write(timeline, tmp_path / "alone.xml", width=320, height=180)
    for name in ("alone.fcpxml", "alone.xml"):
        assert "changed after the export" in (tmp_path / name).read_text(encoding="utf-8")


def test_facts_are_the_stored_items_previz_metadata() -> None:
    timeline = CASES["short-25"]()
    item = _first_stored_clip(serialised.tracks(timeline))
    facts = _first_clip(timeline).metadata["previz"]
    assert serialised.facts(item) == json.loads(otio.core.serialize_json_to_string(facts, {}, -1))
    assert serialised.facts({"metadata": {}}) is None


def test_the_text_is_taken_back_once_the_result_is_in(tmp_path: Path) -> None:
    """A pending export whose result was taken lends nothing any more, even before the
    ``with`` block is left."""
    timeline = CASES["short-25"]()
    pending = PendingExport(timeline, tmp_path, ["fcpxml"], parallel=False)
    with pending:
        pending.result()
        _first_clip(timeline).metadata["previz"]["action"] = "changed after the result"
        stored = serialised.tracks(timeline)
    assert serialised.facts(_first_stored_clip(stored))["action"] == "changed after the result"


def test_the_tracks_read_item_by_item_are_what_json_reads() -> None:
    for build in CASES.values():
        timeline = build()
        tracks, digests = serialised.tracks_and_digests(timeline)
        assert tracks == json.loads(timeline.to_json_string(indent=-1))["tracks"]["children"]
        assert [len(d) for d in digests or []] == [len(t["children"]) for t in tracks]


def test_an_items_digest_changes_with_the_item_alone() -> None:
    timeline = CASES["cut-24"]()
    _tracks, before = serialised.tracks_and_digests(timeline)
    timeline.tracks[1][3].metadata["previz"]["action"] = "changed"
    _tracks, after = serialised.tracks_and_digests(timeline)
    assert before is not None and after is not None
    changed = [(t, i) for t, track in enumerate(before) for i, d in enumerate(track)
               if after[t][i] != d]  # fmt: skip
    assert changed == [(1, 3)]


def test_a_text_not_laid_out_as_otio_writes_it_is_read_without_digests() -> None:
    timeline = CASES["short-25"]()
    spaced = json.dumps(json.loads(timeline.to_json_string(indent=-1)), indent=1)
    serialised.lend(timeline, spaced)
    try:
        tracks, digests = serialised.tracks_and_digests(timeline)
    finally:
        serialised.take_back(timeline)
    assert digests is None
    assert tracks == json.loads(spaced)["tracks"]["children"]


def _urls_by_bindings(timeline: otio.schema.Timeline) -> list[str]:
    return [
        clip.media_reference.target_url
        for clip in timeline.find_clips()
        if isinstance(clip.media_reference, otio.schema.ExternalReference)
        and clip.media_reference.target_url
    ]


def test_the_media_urls_read_from_the_text_are_those_of_the_clips() -> None:
    for build in CASES.values():
        timeline = build()
        assert serialised.target_urls(timeline) == _urls_by_bindings(timeline)


def test_the_media_urls_of_a_nested_stack_are_read_too() -> None:
    timeline = CASES["short-25"]()
    nested = otio.schema.Stack(name="nested")
    first = next(iter(timeline.tracks[1].find_clips()))
    nested.append(otio.schema.Track(children=[first.deepcopy()]))
    timeline.tracks[1].append(nested)
    urls = serialised.target_urls(timeline)
    assert urls == _urls_by_bindings(timeline)
    assert len(urls) > len(serialised.target_urls(CASES["short-25"]()))


def test_each_stack_child_has_its_items_digests_even_without_items() -> None:
    timeline = CASES["short-25"]()
    clip = next(iter(timeline.tracks[1].find_clips())).deepcopy()
    timeline.tracks.insert(1, clip)
    tracks, digests = serialised.tracks_and_digests(timeline)
    assert digests is not None
    assert [len(d) for d in digests] == [len(t.get("children", [])) for t in tracks]
