"""Metadata set in bulk reads and serialises exactly as metadata assigned value by value."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from previz.timeline.metadata import MetadataBatch

VALUES: list[Any] = [
    {"shot": "17", "take": 2, "selected": True, "notes": None, "cost": 0.0},
    {"generated_seconds": 1.5416666666666667, "fps": 23.976023976023978, "width": 160},
    {"floats": [94.52706955539223, 23.308445025757262, 0.1, -2.5e-300, 1e300]},
    {"deep": {"in": [{"x": 1.1}, [2.2, {"y": [3.3, "z"]}]], "empty": {}, "none": []}},
    {"tuple": (1, 2.5, "three"), "bool": False, "big": 2**62, "negative": -(2**63)},
    {"text": "Mara — « café » 東京 \U0001f3ac", "quote": 'say "hi"\\n', "nul": "a\x00b"},
    {"nan": math.nan, "inf": math.inf, "-inf": -math.inf},
    [1, "two", 3.0, None, {"four": 4.4}],
    "a plain string",
    7.25,
    None,
]


def _serialised(values: list[Any], batched: bool) -> list[str]:
    markers = [otio.schema.Marker(name=str(i)) for i in range(len(values))]
    batch = MetadataBatch()
    for marker, value in zip(markers, values, strict=True):
        if batched:
            batch.set(marker.metadata, "previz", value)
        else:
            marker.metadata["previz"] = value
    batch.apply()
    return [otio.adapters.write_to_string(m, "otio_json") for m in markers]


def test_batched_metadata_serialises_as_values_assigned_one_by_one() -> None:
    assert _serialised(VALUES, batched=True) == _serialised(VALUES, batched=False)


def test_batched_floats_read_back_as_the_very_same_doubles() -> None:
    marker = otio.schema.Marker()
    batch = MetadataBatch()
    numbers = [94.52706955539223, 23.308445025757262, 99.25434121760651, 1001 / 24000]
    batch.set(marker.metadata, "previz", {"n": numbers})
    batch.apply()
    assert list(marker.metadata["previz"]["n"]) == numbers  # exact, not approximately


@pytest.mark.parametrize(
    "value",
    [
        {"path": Path("/media/clip.mp4")},
        {"time": otio.opentime.RationalTime(3, 24)},
        {"huge": 2**64},
        {1: "a key that is not text"},
        {"bytes": b"ab"},
    ],
)
def test_values_json_cannot_carry_take_otios_own_conversion(value: Any) -> None:
    try:
        expected: list[str] | type[BaseException] = _serialised([value], batched=False)
    except Exception as error:  # OTIO refuses it: the batch must refuse it the same way
        with pytest.raises(type(error)):
            _serialised([value], batched=True)
        return
    assert _serialised([value], batched=True) == expected


def test_a_lone_surrogate_is_refused_as_otio_refuses_it() -> None:
    with pytest.raises(Exception) as direct:
        _serialised([{"text": "bad \udc80"}], batched=False)
    with pytest.raises(type(direct.value)):
        _serialised([{"text": "bad \udc80"}], batched=True)


def test_a_value_holding_itself_is_refused_as_otio_refuses_it() -> None:
    looped: dict[str, Any] = {"shot": "1"}
    looped["again"] = [looped]
    with pytest.raises(ValueError, match="circular"):
        _serialised([looped], batched=True)


def test_a_value_nested_past_the_documents_depth_is_still_stored_whole() -> None:
    deep: Any = 1.5
    for level in range(100):
        deep = {f"level{level}": [deep]}
    assert _serialised([deep], batched=True) == _serialised([deep], batched=False)


def test_a_later_value_for_the_same_key_wins() -> None:
    marker = otio.schema.Marker()
    batch = MetadataBatch()
    batch.set(marker.metadata, "previz", {"take": 1})
    batch.set(marker.metadata, "previz", {"at": otio.opentime.RationalTime(3, 24)})
    batch.apply()
    assert dict(marker.metadata["previz"]) == {"at": otio.opentime.RationalTime(3, 24)}
