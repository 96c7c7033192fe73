"""pyaaf2's objects on the in-memory tree are the ones its own compound file holds.

The AAF writer builds pyaaf2's header, dictionary and meta-dictionary on
:class:`previz.timeline.aaf_tree.Tree` instead of pyaaf2's compound file. For the definitions
the writer registers for varied cuts, the same pyaaf2 calls made on a real pyaaf2 file and on a
:class:`~previz.timeline.aaf_tree.MemoryFile` leave the same storages (names, class ids) and
the same streams, byte for byte. Only the file's creation time and generation id, which pyaaf2
draws afresh for every file, are set alike on both first.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import aaf2
import opentimelineio as otio
import pytest

from previz.timeline import cfb, serialised
from previz.timeline.aaf_dictionary import Definitions, register, registration
from previz.timeline.aaf_slots import TrackItems
from previz.timeline.aaf_store import ObjectStore
from previz.timeline.aaf_tree import MemoryFile, new_file
from tests.export_cases import CASES

WHEN = datetime.datetime(2024, 5, 6, 7, 8, 9)
GENERATION = uuid.UUID("0b1e5c6e-7d2a-4c1e-9b7a-3f0e2d4c6a81")


def _same_clock(handle: Any) -> Any:
    """pyaaf2 stamps a new file with the time and a random generation id: make them equal."""
    handle.header["LastModified"].value = WHEN
    identification = handle.header["IdentificationList"].value[0]
    identification["Date"].value = WHEN
    identification["GenerationAUID"].value = GENERATION
    return handle


def _registered(handle: Any, timeline: otio.schema.Timeline) -> Any:
    """What the AAF writer does with the pyaaf2 file before writing its objects."""
    tracks = zip(timeline.tracks, serialised.tracks(timeline), strict=True)
    items = [TrackItems(track, data["children"]) for track, data in tracks if len(track)]
    register(handle, registration([(track.kind, track.types) for track in items]))
    Definitions(ObjectStore(lambda: handle))  # encodes through pyaaf2 objects of the file
    return handle


def _every_definition() -> otio.schema.Timeline:
    """A picture and a sound track, each with a dissolve: every definition the writer
    registers (pan, both dissolves and their parameters, the interpolation)."""
    timeline = otio.schema.Timeline("every definition")
    second, quarter = otio.opentime.RationalTime(24, 24), otio.opentime.RationalTime(6, 24)
    for kind in (otio.schema.TrackKind.Video, otio.schema.TrackKind.Audio):
        track = otio.schema.Track(kind=kind)
        span = otio.opentime.TimeRange(second - second, second)
        track.append(otio.schema.Clip(name="a", source_range=span))
        track.append(otio.schema.Transition(
            transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
            in_offset=quarter, out_offset=quarter,
        ))  # fmt: skip
        track.append(otio.schema.Clip(name="b", source_range=span))
        timeline.tracks.append(track)
    return timeline


def _pyaaf2_nodes(entry: Any, path: str = "") -> dict[str, object]:
    found: dict[str, object] = {}
    for child in entry.listdir():
        at = f"{path}/{child.name}"
        if child.type == "stream":
            found[at] = child.open("r").read()
        else:
            found[at] = child.data[80:96]  # the storage's class id
            found.update(_pyaaf2_nodes(child, at))
    return found


def _tree_nodes(storage: cfb.Storage, path: str = "") -> dict[str, object]:
    found: dict[str, object] = {}
    for child in storage.children:
        at = f"{path}/{child.name}"
        if isinstance(child, cfb.Stream):
            found[at] = child.data
        else:
            found[at] = child.class_id
            found.update(_tree_nodes(child, at))
    return found


@pytest.mark.parametrize("case", ["representative", "cut-23.976", "short-25", "every definition"])
def test_the_tree_holds_what_pyaaf2s_compound_file_holds(case: str) -> None:
    """pyaaf2's own ``save`` (which checks every object has its required properties) on its
    own compound file, and the writer's ``write_objects`` on the tree."""
    timeline = _every_definition() if case == "every definition" else CASES[case]()
    theirs = _registered(_same_clock(aaf2.open(None, "w")), timeline)
    ours = _registered(_same_clock(new_file()), timeline)
    theirs.save()
    ours.write_objects()
    expected = _pyaaf2_nodes(theirs.cfb.find("/"))
    assert len(expected) > 1_000  # the meta-dictionary, the dictionary, the header
    assert _tree_nodes(ours.cfb.root.node) == expected
    assert ours.cfb.root.node.class_id == theirs.cfb.find("/").data[80:96]
    assert ours.cfb.class_id == theirs.cfb.class_id


def test_a_memory_file_is_a_pyaaf2_file() -> None:
    """The writer's pyaaf2 calls (create, lookups, the dictionary) work as on pyaaf2's own."""
    handle = new_file()
    assert isinstance(handle, MemoryFile)
    assert handle.dictionary.lookup_datadef("picture") is not None
    assert handle.content["Mobs"].value == []
