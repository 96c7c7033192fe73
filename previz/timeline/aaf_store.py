"""AAF objects as compound-file storages, encoded with pyaaf2's object model but not its writer.

An AAF object on disk is a storage holding a ``properties`` stream: a header, one (pid, stored
form, size) entry per property, then the values. Strong references are child storages named
after the property (``Segment-4803``; vectors and sets add ``{n}`` and an index stream), weak
references name a definition in the dictionary by key. pyaaf2 gets there through its general
object model at ~1 ms an object (property lookups scanning class definitions, a red-black tree
insert and a stream allocation per object); a 2,000-shot cut is ~200,000 objects.

:class:`ObjectStore` keeps pyaaf2 as the authority on *what* is written, and writes it fast:

- the header, dictionary and meta-dictionary come from a real pyaaf2 file (``handle``), built by
  the caller with the definitions the objects use, on an in-memory tree
  (:mod:`previz.timeline.aaf_tree`), and grafted unchanged;
- :meth:`ObjectStore.layout` compiles a class's property list once (pids, stored forms, child
  names, set keys) from pyaaf2's meta-dictionary, so building an object is one ``struct`` pack;
- :meth:`ObjectStore.encode` encodes a value through pyaaf2's own type definitions, memoised
  (values repeat: lengths, rates, definitions), so encodings are pyaaf2's byte for byte;
- :meth:`ObjectStore.save` puts the mobs under the content storage and writes the compound file
  in one pass (:mod:`previz.timeline.cfb`).
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Collection, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from previz.timeline import aaf_fixed, cfb
from previz.timeline.aaf_fixed import Skeleton

if TYPE_CHECKING:
    from aaf2.core import AAFObject

# pyaaf2 is imported where it is used (compiling a layout, encoding through its objects, making
# its file): a write whose layouts and encodings all come from the memo does not import it.

PROPERTY_HEADER = struct.Struct("<BBH")
BYTE_ORDER = 0x4C  # little-endian, what pyaaf2 writes
DATA, REF, VECTOR, SET = "data", "ref", "vector", "set"
Value = (
    bytes
    | cfb.Storage
    | Sequence[cfb.Storage | cfb.Reused]
    | Sequence[tuple[bytes, cfb.Storage | cfb.Reused]]
)


class Layout:
    """One AAF class with a fixed list of properties, ready to build objects from values."""

    def __init__(self, handle: Any, class_name: str, names: Sequence[str]) -> None:
        from aaf2 import properties as props
        from aaf2.core import OPERATIONGROUP_PARAMETERS_AUID
        from aaf2.utils import mangle_name

        forms = {
            props.SF_STRONG_OBJECT_REFERENCE: REF,
            props.SF_STRONG_OBJECT_REFERENCE_VECTOR: VECTOR,
            props.SF_STRONG_OBJECT_REFERENCE_SET: SET,
        }
        classdef = handle.metadict.lookup_classdef(class_name)
        if classdef is None:
            raise KeyError(f"no AAF class {class_name!r}")
        self.class_id = classdef.auid.bytes_le
        defs = {p.property_name: p for p in classdef.all_propertydefs()}
        self.kinds: list[str] = []
        self.children: list[str] = []
        self.set_keys: list[tuple[int, int]] = []
        entries: list[int] = []
        for name in names:
            pdef = defs[name]
            form = pdef.store_format
            if pdef.auid == OPERATIONGROUP_PARAMETERS_AUID:  # pyaaf2 (like the AAF SDK) stores
                form = props.SF_STRONG_OBJECT_REFERENCE_SET  # these as a set
            kind = forms.get(form, DATA)
            self.kinds.append(kind)
            child = mangle_name(name, pdef.pid, 32 if kind == REF else 22) if kind != DATA else ""
            self.children.append(child)
            if kind == SET:
                typedef = pdef.typedef
                target = getattr(typedef, "element_typedef", typedef).ref_classdef
                self.set_keys.append((target.unique_key_pid, target.unique_key_size))
            else:
                self.set_keys.append((0, 0))
            entries += [pdef.pid, form, 0]
        self.entries = entries
        self.child_data = [utf16(c) if c else b"" for c in self.children]
        self.all_data = all(k == DATA for k in self.kinds)
        self.references = [n for n, k in enumerate(self.kinds) if k != DATA]
        self.head = PROPERTY_HEADER.pack(BYTE_ORDER, props.PROPERTY_VERSION, len(names))
        self.heads: dict[tuple[int, ...], bytes] = {}
        self.entry_struct = struct.Struct("<" + "HHH" * len(names))

    def state(self) -> tuple[Any, ...]:
        """The compiled layout as plain values (kept in the writer's memo)."""
        return (self.class_id, self.kinds, self.children, self.set_keys, self.entries,
                self.child_data, self.all_data, self.references, self.head,
                self.entry_struct.format)  # fmt: skip

    @classmethod
    def from_state(cls, state: Sequence[Any]) -> Layout:
        """The layout :meth:`state` describes, without pyaaf2's meta-dictionary."""
        layout = cls.__new__(cls)
        fields = ("class_id", "kinds", "children", "set_keys", "entries", "child_data",
                  "all_data", "references", "head")  # fmt: skip
        for field, value in zip(fields, state[:-1], strict=True):
            setattr(layout, field, value)
        form = state[-1]
        layout.heads, layout.entry_struct = {}, struct.Struct(form)
        return layout

    def __call__(self, *values: Value) -> cfb.Storage:
        """An object of this class: ``values`` in the layout's order, data values encoded."""
        if self.all_data:
            return cfb.Storage("", self.class_id, [cfb.Stream("properties", self._stream(values))])  # type: ignore[arg-type]
        datas = list(values)
        children: list[cfb.Storage | cfb.Stream] = []
        for n in self.references:
            value = values[n]
            datas[n] = self.child_data[n]
            kind, name = self.kinds[n], self.children[n]
            if kind == REF:
                value.name = name  # type: ignore[union-attr]
                children.append(value)  # type: ignore[arg-type]
            elif kind == VECTOR:
                members = cast(Sequence[cfb.Storage], value)
                count = len(members)
                for child, child_name in zip(members, _member_names(name, count), strict=True):
                    child.name = child_name
                    children.append(child)
                children.append(cfb.Stream(f"{name} index", _vector_index(count)))
            else:
                children.append(cfb.Stream(f"{name} index", self._set(n, value, children)))  # type: ignore[arg-type]
        children.append(cfb.Stream("properties", self._stream(datas)))  # type: ignore[arg-type]
        return cfb.Storage("", self.class_id, children)

    def _stream(self, datas: Sequence[bytes]) -> bytes:
        """The properties stream: header and entry table (cached per list of value sizes:
        most objects of a class have the same), then the values."""
        sizes = tuple(map(len, datas))
        head = self.heads.get(sizes)
        if head is None:
            entries = self.entries
            entries[2::3] = sizes
            head = self.heads[sizes] = self.head + self.entry_struct.pack(*entries)
        return head + b"".join(datas)

    def _set(
        self,
        n: int,
        members: Sequence[tuple[bytes, cfb.Storage | cfb.Reused]],
        children: list[Any],  # the storage's children (storages, streams, copies)
    ) -> bytes:
        """A strong-reference set's members named ``{local key}``; returns its index stream."""
        key_pid, key_size = self.set_keys[n]
        count = len(members)
        parts = [struct.pack("<IIIHB", count, count, 0xFFFFFFFF, key_pid, key_size)]
        for local, (key, child) in enumerate(members):
            child.name = f"{self.children[n]}{{{local:x}}}"
            children.append(child)
            parts.append(struct.pack("<II", local, 1) + key)
        return b"".join(parts)


_NAMES: dict[tuple[str, int], list[str]] = {}
_INDEXES: dict[int, bytes] = {}
CACHED_COUNT = 64


def _member_names(name: str, count: int) -> list[str]:
    """``Components-1001{0}``, ``{1}``…: the storages of a vector's members."""
    found = _NAMES.get((name, count))
    if found is None:
        found = [f"{name}{{{n:x}}}" for n in range(count)]
        if count <= CACHED_COUNT:  # long vectors (a track's clips) are one-offs
            _NAMES[(name, count)] = found
    return found


def _vector_index(count: int) -> bytes:
    """A strong-reference vector's index: count, next and last free key, local keys 0…n-1."""
    found = _INDEXES.get(count)
    if found is None:
        found = struct.pack(f"<III{count}I", count, count, 0xFFFFFFFF, *range(count))
        if count <= CACHED_COUNT:
            _INDEXES[count] = found
    return found


class ObjectStore:
    """Builds AAF objects for the file ``handle`` (a pyaaf2 file open for writing)."""

    def __init__(
        self, make_handle: Callable[[], Any], state: StoreState | None = None,
        then: Callable[[ObjectStore], object] | None = None,
    ) -> None:  # fmt: skip
        self._make_handle, self._then = make_handle, then
        self._handle: Any = None
        self._layouts: dict[tuple[str, tuple[str, ...]], Layout] = {}
        self._encoded: dict[tuple[str, str, type, Hashable], bytes] = {}
        self._scratch: dict[str, AAFObject] = {}
        self._fast: dict[tuple[str, str], Callable[[Any], bytes] | bool] = {}
        self._forms: dict[tuple[str, str], str] = {}  # how each property encodes fast
        self._loaded: StoreState | None = state  # kept again as it is if nothing was added
        if state is not None:
            self._load(state)

    @property
    def handle(self) -> Any:
        """The pyaaf2 file (header, dictionary, meta-dictionary), made when first needed: a
        write whose layouts and encodings all come from the memo never needs it. ``then``
        runs on it once made (encoding the definitions leaves pyaaf2's table of weak
        references as a full write leaves it)."""
        if self._handle is None:
            self._handle = self._make_handle()
            if self._then is not None:  # what a full write did with the file at this point
                self._then(self)
        return self._handle

    @property
    def built(self) -> bool:
        """Whether the pyaaf2 file was made."""
        return self._handle is not None

    def state(self) -> StoreState:
        """The compiled layouts and the encodings of plain values, for the memo (the state
        this store was made from when no layout, form or pyaaf2 encoding was added since)."""
        if self._loaded is not None:
            return self._loaded
        plain = {  # integers and strings encode without pyaaf2 (``forms``): not kept
            (c, n, t.__name__, v): data
            for (c, n, t, v), data in self._encoded.items()
            if not self._forms.get((c, n))
            and t in _PLAIN
            and all(type(x) in _PLAIN for x in _members(v))
        }
        layouts = {key: layout.state() for key, layout in self._layouts.items()}
        return {"layouts": layouts, "encoded": plain, "forms": dict(self._forms)}

    def _load(self, state: StoreState) -> None:
        types = {t.__name__: t for t in _PLAIN}
        self._layouts = {k: Layout.from_state(v) for k, v in state["layouts"].items()}
        self._encoded = {(c, n, types[t], v): d for (c, n, t, v), d in state["encoded"].items()}
        for key, form in state["forms"].items():
            self._forms[key], self._fast[key] = form, _encoder(form)

    def layout(self, class_name: str, *names: str) -> Layout:
        """The compiled layout of ``class_name`` with properties ``names`` (cached)."""
        key = (class_name, names)
        found = self._layouts.get(key)
        if found is None:
            found = self._layouts[key] = Layout(self.handle, class_name, names)
            self._loaded = None
        return found

    def encode(self, class_name: str, name: str, value: Hashable) -> bytes:
        """``value`` of property ``name`` of ``class_name`` as pyaaf2 encodes it (memoised)."""
        key = (class_name, name, type(value), value)
        found = self._encoded.get(key)
        if found is None:
            fast = self._fast.get((class_name, name))
            if fast is None:
                form = self._forms[(class_name, name)] = self._form(class_name, name)
                fast = self._fast[(class_name, name)] = _encoder(form)
                self._loaded = None
            if fast is not False:
                found = self._encoded[key] = fast(value)  # type: ignore[operator]
                return found
            self._loaded = None  # a value only pyaaf2 encodes: kept in the memo
            scratch = self._scratch.get(class_name)
            if scratch is None:
                scratch = self._scratch[class_name] = self._object(class_name)
            prop = scratch[name]
            prop.value = list(value) if isinstance(value, tuple) else value
            found = self._encoded[key] = bytes(prop.data)
            scratch.property_entries.clear()
        return found

    def _form(self, class_name: str, name: str) -> str:
        """How the property encodes without pyaaf2's property machinery: an integer's
        ``struct`` format, ``"utf16"`` for a string, ``""`` for the other types (encoded
        through a pyaaf2 object, memoised)."""
        from aaf2.types import TypeDefInt, TypeDefRename, TypeDefString

        classdef = self.handle.metadict.lookup_classdef(class_name)
        typedef = next(p for p in classdef.all_propertydefs() if p.property_name == name).typedef
        while isinstance(typedef, TypeDefRename):
            typedef = typedef.renamed_typedef
        if isinstance(typedef, TypeDefInt):
            return str(typedef.pack_format())
        return "utf16" if isinstance(typedef, TypeDefString) else ""

    def _object(self, class_name: str) -> AAFObject:
        from aaf2.core import AAFObject

        classdef = self.handle.metadict.lookup_classdef(class_name)
        cls = self.handle.metadict.lookup_class(classdef.auid)
        obj: AAFObject = cls.__new__(cls)
        obj.root = self.handle
        if type(obj) is AAFObject:
            obj.class_id = classdef.auid
        return obj

    def save(
        self, path: Path, mobs: Sequence[tuple[bytes, cfb.Storage | cfb.Reused]],
        generation: uuid.UUID, kept: tuple[Skeleton, cfb.Earlier] | None = None,
        watch: Collection[object] = (),
    ) -> tuple[dict[int, cfb.Region | None], Skeleton | None]:  # fmt: skip
        """Write the file of generation id ``generation``: the header, dictionary and
        meta-dictionary (pyaaf2's, or rebuilt from the last write's skeleton ``kept`` when no
        pyaaf2 file was needed) plus ``mobs`` (each with its MobID's 32 bytes) as the content
        storage's mob set. Returns where each mob's descendants are in the file (by the ``id``
        of its storage) and the skeleton of this file's fixed part."""
        name = self.layout("ContentStorage", "Mobs").children[0]
        if self.built or kept is None:
            handle = self.handle
            handle.identify(generation)
            handle.write_objects()  # pyaaf2 writes its objects and weak-reference table
            root, class_id = handle.cfb.root.node, handle.cfb.class_id.bytes_le
        else:
            (*skeleton, class_id), earlier = kept[0], kept[1]
            root = aaf_fixed.rebuild(tuple(skeleton), earlier, generation.bytes_le)
        template, copied = aaf_fixed.capture(root, name, generation.bytes_le)
        holder = aaf_fixed.content(root)
        mob_set = self.layout("ContentStorage", "Mobs")
        holder.children = [c for c in holder.children if not c.name.startswith(name)]
        holder.children.append(cfb.Stream(f"{name} index", mob_set._set(0, mobs, holder.children)))
        watched = {id(node) for node in (*copied, *watch)} | {id(mob) for _mob_id, mob in mobs}
        regions = cfb.write(path, root, class_id, watched)
        finished = aaf_fixed.finish(template, regions)
        return regions, (*finished, class_id) if finished is not None else None


StoreState = dict[str, Any]
_PLAIN = (int, str, float, bool, tuple, frozenset, type(None))


def _members(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, frozenset)) else ()


def _encoder(form: str) -> Callable[[Any], bytes] | bool:
    """pyaaf2's own encoding of integers (``struct`` format) and strings, or ``False``."""
    if form == "utf16":
        return utf16
    if not form:
        return False
    pack: Callable[[Any], bytes] = struct.Struct(form).pack
    return lambda value: pack(int(value)) if not isinstance(value, bool) else pack(value)


def utf16(text: str) -> bytes:
    """A string as AAF stores it: UTF-16LE and a two-byte terminator (pyaaf2's
    ``aaf2.utils.encode_utf16le``, byte for byte)."""
    return text.encode("utf-16le") + b"\x00\x00"


def new_handle() -> Any:
    """A pyaaf2 file in memory, for its header, dictionary and meta-dictionary."""
    from previz.timeline.aaf_tree import new_file

    return new_file()
