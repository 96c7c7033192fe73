"""An AAF file's structure as plain data, read back with pyaaf2, for comparing two writers.

Every object becomes ``{"class": name, property: value, ...}``: strong references nest,
vectors keep their order, sets are sorted, weak references name the definition they point at,
and the values that differ between two writes of the same timeline are replaced: mob ids by a
label in the order the mobs are first reached from the composition (so a SourceClip's
reference compares by *which* mob it reaches, not by its random id), and timestamps and the
writer's identification by nothing. The file's own directory names and pids are not compared
(pyaaf2 resolves them), only what a reader gets out of the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aaf2
from aaf2 import properties as props

SKIPPED = {"CreationTime", "LastModified", "IdentificationList", "GenerationAUID"}
MOB_ID_PROPERTIES = {"MobID", "SourceID"}


def structure(path: Path) -> dict[str, Any]:
    """The composition, every mob (labelled by reach) and the dictionary of ``path``."""
    with aaf2.open(str(path)) as handle:
        mobs = {mob.mob_id: mob for mob in handle.content.mobs}
        labels: dict[Any, str] = {}
        order: list[Any] = []
        for top in handle.content.toplevel():
            _reach(top, mobs, labels, order)
        for mob_id in sorted(set(mobs) - set(labels), key=str):  # unreferenced: by content
            _reach(mobs[mob_id], mobs, labels, order)
        dumped = [_object(mobs[mob_id], labels) for mob_id in order]
        dictionary = {
            name: sorted(
                json.dumps(_object(d, labels), sort_keys=True)
                for d in handle.dictionary[name].value
            )
            for name in handle.dictionary.keys()  # noqa: SIM118 - AAF objects do not iterate
            if isinstance(handle.dictionary[name], props.StrongRefSetProperty)
        }
        header = {
            k: _value(handle.header[k], labels)
            for k in handle.header.keys()  # noqa: SIM118
            if k not in SKIPPED | {"Content", "Dictionary"}
        }
    return {"header": header, "mobs": dumped, "dictionary": dictionary}


def _reach(mob: Any, mobs: dict[Any, Any], labels: dict[Any, str], order: list[Any]) -> None:
    """Label ``mob`` and, depth first, every mob its source clips reach."""
    stack = [mob]
    while stack:
        current = stack.pop()
        if current.mob_id in labels:
            continue
        labels[current.mob_id] = f"mob{len(order)}"
        order.append(current.mob_id)
        referenced = [
            mobs[obj["SourceID"].value]
            for obj in _walk(current)
            if "SourceID" in obj and obj["SourceID"].value in mobs
        ]
        stack.extend(reversed(referenced))


def _walk(obj: Any) -> list[Any]:
    found = [obj]
    for p in obj.properties():
        if isinstance(p, props.StrongRefProperty):
            found += _walk(p.value)
        elif isinstance(p, (props.StrongRefVectorProperty, props.StrongRefSetProperty)):
            for child in p.value:
                found += _walk(child)
    return found


def _object(obj: Any, labels: dict[Any, str]) -> dict[str, Any]:
    dumped: dict[str, Any] = {"class": obj.classdef.class_name}
    for p in obj.properties():
        if p.name not in SKIPPED:
            dumped[p.name] = _value(p, labels)
    return dumped


def _value(p: Any, labels: dict[Any, str]) -> Any:
    if isinstance(p, props.StrongRefProperty):
        return _object(p.value, labels)
    if isinstance(p, props.StrongRefVectorProperty):
        return [_object(child, labels) for child in p.value]
    if isinstance(p, props.StrongRefSetProperty):
        return sorted(json.dumps(_object(c, labels), sort_keys=True) for c in p.value)
    if isinstance(p, props.WeakRefProperty):
        target = p.value
        return {
            "ref": target.classdef.class_name,
            "name": _plain(target.get("Name").value if target.get("Name") is not None else None),
            "auid": str(p.ref),
        }
    if isinstance(p, props.WeakRefArrayProperty):
        return [str(ref) for ref in p.references]
    if p.name in MOB_ID_PROPERTIES:
        return labels.get(p.value, "unknown mob" if str(p.value) != "0" * 64 else "none")
    return _plain(p.value)


def _plain(value: Any) -> Any:
    """JSON-comparable form of a pyaaf2 value (rationals, AUIDs, sets, records)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(str(_plain(v)) for v in value)
    return str(value)
