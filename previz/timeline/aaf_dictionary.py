"""The definitions an AAF cut refers to, registered with pyaaf2 as the OTIO AAF adapter did.

A component names its data kind (picture, sound, timecode, descriptive metadata), an operation
group its operation (Avid's dissolves, the adapter's "Audio Pan"), a varying value its parameter
and interpolation, all by weak reference into the file's dictionary. :func:`register` puts into
a pyaaf2 file exactly the definitions the adapter registered for the same tracks (the last
registration of a key wins, as in pyaaf2's sets: the ``LinearInterp`` description depends on
whether a dissolve or an audio clip came last), and :class:`Definitions` holds their encoded
references and the constant values every writer of objects needs.
"""

from __future__ import annotations

import uuid
from typing import Any

from previz.timeline.aaf_store import ObjectStore, utf16

PAN_PARAMETER = uuid.UUID("e4962322-2267-11d3-8a4c-0050040ef7d2")
PAN_OPERATION = uuid.UUID("9d2ea893-0968-11d3-8a38-0050040ef7d2")
BYTE_ORDER_PARAMETER = uuid.UUID("c0038672-a8cf-11d3-a05b-006094eb75cb")
EFFECT_ID_PARAMETER = uuid.UUID("93994bd6-a81d-11d3-a05b-006094eb75cb")
OPACITY_PARAMETER = uuid.UUID("8d56813d-847e-11d5-935a-50f857c10000")
LEVEL_PARAMETER = uuid.UUID("e4962320-2267-11d3-8a4c-0050040ef7d2")
EXTRAPOLATION = uuid.UUID("0e24dd54-66cd-4f1a-b0a0-670ac3a7a0b3")
DISSOLVES = {  # Avid's standard dissolves (the adapter's "AAF" transition metadata)
    "picture": (uuid.UUID("0c3bea41-fc2d-11d2-8a73-00805f9a3430"), "VideoDissolve_2"),
    "sound": (uuid.UUID("0c3bea43-fc2d-11d2-8a73-00805f9a3430"), "MonoAudioDissolve_2"),
}
TWELVE_HOURS = 60 * 60 * 12
INTERPOLATION_NOTES = {"clip": "LinearInterp", "dissolve": "Linear keyframe interpolation"}


Registration = tuple[bool, bool, tuple[str, ...], str]
"""What a cut registers: an "Audio Pan" (a sound track), the pan parameter (a sound clip), the
dissolves (by kind, in the order met) and the interpolation's note ('' for none)."""


def registration(tracks: list[tuple[str, list[str]]]) -> Registration:
    """What the adapter registered writing ``tracks``: each track's kind (``sound`` or
    ``picture``) and its items' types (``clip``, ``dissolve``…:
    :class:`previz.timeline.aaf_slots.TrackItems`)."""
    last_interpolation = pan = ""
    sound = False
    dissolves: list[str] = []
    for kind, types in tracks:
        sound = sound or kind == "sound"
        for item_type in types:
            if item_type == "dissolve":
                last_interpolation = "dissolve"
                if kind not in dissolves:
                    dissolves.append(kind)
            elif item_type == "clip" and kind == "sound":
                last_interpolation = pan = "clip"
    return sound, bool(pan), tuple(dissolves), last_interpolation


def register(handle: Any, registered: Registration) -> None:
    """Register in ``handle`` what the adapter registered (:func:`registration`); it
    registered the "Audio Pan" once per sound track and the pan parameter once per sound
    clip: the same definitions, so once here."""
    import aaf2
    from aaf2.auid import AUID

    dictionary = handle.dictionary
    sound, pan, dissolves, last_interpolation = registered
    if sound:
        opdef = handle.create.OperationDef(AUID(str(PAN_OPERATION)), "Audio Pan")
        opdef.media_kind = "sound"
        opdef["NumberInputs"].value = 1
        dictionary.register_def(opdef)
    if pan:
        rational = dictionary.lookup_typedef("Rational")
        parameter = handle.create.ParameterDef(AUID(str(PAN_PARAMETER)), "Pan", "Pan", rational)
        dictionary.register_def(parameter)
    for kind in dissolves:
        _register_dissolve(handle, kind)
    if last_interpolation:
        dictionary.register_def(
            handle.create.InterpolationDef(
                aaf2.misc.LinearInterp, "LinearInterp", INTERPOLATION_NOTES[last_interpolation]
            )
        )


def _register_dissolve(handle: Any, kind: str) -> None:
    dictionary = handle.dictionary

    def parameter(auid: uuid.UUID, name: str, typedef: str) -> Any:
        found = handle.create.ParameterDef(auid, name, "", dictionary.lookup_typedef(typedef))
        dictionary.register_def(found)
        return found

    if kind == "picture":
        defined = [
            parameter(BYTE_ORDER_PARAMETER, "AvidParameterByteOrder", "aafUInt16"),
            parameter(EFFECT_ID_PARAMETER, "AvidEffectID", "AvidBagOfBits"),
        ]
        parameter(OPACITY_PARAMETER, "AFX_FG_KEY_OPACITY_U", "Rational")
    else:
        defined = [parameter(LEVEL_PARAMETER, "ParameterDef_Level", "Rational")]
    auid, name = DISSOLVES[kind]
    opdef = handle.create.OperationDef(auid, name)
    dictionary.register_def(opdef)
    opdef.media_kind = kind
    opdef["IsTimeWarp"].value = False
    opdef["Bypass"].value = 1
    opdef["NumberInputs"].value = 2
    opdef["OperationCategory"].value = "OperationCategory_Effect"
    opdef["ParametersDefined"].extend(defined)
    opdef["DataDefinition"].value = dictionary.lookup_datadef(kind)
    opdef["Description"].value = ""


class Definitions:
    """Encoded weak references and constants, computed once per file."""

    def __init__(self, store: ObjectStore) -> None:
        import aaf2

        from previz.timeline.aaf_tree import STAMP

        handle, enc = store.handle, store.encode
        dictionary = handle.dictionary
        self.store = store
        self.datadef = {
            kind: enc("Filler", "DataDefinition", dictionary.lookup_datadef(kind))
            for kind in ("picture", "sound", "Timecode", "DescriptiveMetadata")
        }
        self.zero = enc("Filler", "Length", 0)
        self.false = enc("Timecode", "Drop", False)
        self.stamp = enc("CompositionMob", "CreationTime", STAMP)
        self.top_level = enc("CompositionMob", "UsageCode", "Usage_TopLevel")
        self.empty_name = enc("TimelineMobSlot", "SlotName", "")
        self.file_mob_name = enc("SourceMob", "Name", "Mob")
        self.colour_tag = enc("TaggedValue", "Name", "_ATN_CRM_COLOR")
        self.slot_id = {n: enc("SourceClip", "SourceMobSlotID", n) for n in range(4)}
        self._text = enc("TaggedValue", "Value", "")[:-2]  # an indirect value's type header
        self.no_mob = enc("SourceClip", "SourceID", aaf2.mobid.MobID())
        self.timecode_length = enc("Timecode", "Length", 25 * 60 * 60 * 12)
        self._effects(store)
        self.pan_times: dict[tuple[int, int], bytes] = {}
        self.twelve_hours: dict[float, int] = {}

    def _effects(self, store: ObjectStore) -> None:
        """The values and references of the effects: pan and level curves' control points,
        their parameters, the pan and dissolve operations, linear interpolation."""
        import aaf2
        from aaf2.auid import AUID
        from aaf2.rational import AAFRational

        enc, dictionary = store.encode, store.handle.dictionary
        self.proportional = enc("ControlPoint", "EditHint", "Proportional")
        self.half = enc("ControlPoint", "Value", AAFRational("1/2"))
        self.pan_source = enc("ControlPoint", "ControlPointSource", 2)
        self.field_count = enc("VaryingValue", "VVal_FieldCount", 1)
        self.extrapolation = enc("VaryingValue", "VVal_Extrapolation", EXTRAPOLATION)
        self.point_values = {v: enc("ControlPoint", "Value", AAFRational(float(v))) for v in (0, 1)}
        self.point_times = {v: enc("ControlPoint", "Time", float(v)) for v in (0, 1)}
        self.parameter = {
            name: enc("VaryingValue", "Definition", AUID(str(auid)))
            for name, auid in (
                ("pan", PAN_PARAMETER),
                ("level", LEVEL_PARAMETER),
                ("opacity", OPACITY_PARAMETER),
            )
        }
        operations = dictionary["OperationDefinitions"]
        self.pan_operation = _reference(store, "Operation", operations, PAN_OPERATION)
        self.dissolve = {
            kind: _reference(store, "Operation", operations, auid)
            for kind, (auid, _) in DISSOLVES.items()
        }
        self.linear = _reference(
            store, "Interpolation", dictionary["InterpolationDefinitions"], aaf2.misc.LinearInterp
        )

    def state(self) -> dict[str, Any]:
        """Every encoded value, for the memo (they depend on the writer and the
        registration only)."""
        return {k: v for k, v in vars(self).items() if k != "store"}

    @classmethod
    def from_state(cls, store: ObjectStore, state: dict[str, Any]) -> Definitions:
        """The definitions :meth:`state` kept, without pyaaf2's file."""
        definitions = cls.__new__(cls)
        vars(definitions).update(state)
        definitions.store = store
        return definitions

    def text(self, value: str) -> bytes:
        """A string as an indirect value (tagged values: comments, marker colours)."""
        return self._text + utf16(value)

    def frames_in_twelve_hours(self, rate: float) -> int:
        """A tape's length at ``rate``, as the adapter counted it (the rate as pyaaf2's
        rational, times twelve hours)."""
        found = self.twelve_hours.get(rate)
        if found is None:
            from aaf2.rational import AAFRational

            found = self.twelve_hours[rate] = int(float(AAFRational(rate)) * TWELVE_HOURS)
        return found

    def pan_time(self, at: int, frames: int) -> bytes:
        """A pan control point's time, as the adapter wrote it (``"at/frames"``)."""
        found = self.pan_times.get((at, frames))
        if found is None:
            from aaf2.rational import AAFRational

            rational = AAFRational(f"{at}/{frames}")
            found = self.pan_times[(at, frames)] = self.store.encode(
                "ControlPoint", "Time", rational
            )
        return found


def _reference(store: ObjectStore, name: str, definitions: Any, auid: Any) -> bytes:
    """The encoded weak reference to a registered definition (empty when not registered)."""
    from aaf2.auid import AUID

    found = definitions.get(AUID(str(auid)), None)
    owner = "OperationGroup" if name == "Operation" else "VaryingValue"
    return store.encode(owner, name, found) if found is not None else b""
