"""Export formats as a plugin contract: one ``write(timeline, path, context)``, found by name.

A format is a :class:`Format`: its name, file suffix, who opens it and its writer. The
built-in ones are declared in :mod:`previz.timeline.export`; a package adds its own under the
entry-point group ``previz.formats`` (``name = "package.module:FORMAT"``, the object a
``Format`` or a bare writer function), or in-process with :func:`register_format`.

A name previz does not know falls back to an installed OpenTimelineIO adapter that can write
(``previz export -f svg`` with ``otio-svg-adapter`` installed); a name nobody knows is an error
that lists every format there is.

Every format carries a ``version``: part of its outputs' content keys, so a writer's new
version rewrites its files once (built-in writers derive it from their own source).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from types import ModuleType
from typing import Protocol

import opentimelineio as otio

from previz.errors import TimelineError
from previz.timeline.fragments import Memo

log = logging.getLogger(__name__)

GROUP = "previz.formats"


@dataclass(frozen=True)
class ExportContext:
    """What a writer may need besides the timeline: frame size and media path policy."""

    width: int
    height: int
    relative_to: Path | None
    memo: Memo | None = None
    """Where a built-in writer keeps its document's fragments for the next write (none: it
    writes from scratch and keeps nothing); see :mod:`previz.timeline.fragments`."""


class Writer(Protocol):
    """``write(timeline, path, context)``: write ``timeline`` to ``path``.

    Single-file writers write exactly ``path`` (a hidden temporary name that replaces the
    target only when the writer succeeded). Multi-file writers (``Format.multi_file``) get the
    target's base path and return the files they wrote.

    A built-in writer only reads ``timeline``: the formats of one export share it. (Plugin and
    OTIO adapter writers are handed a copy of their own, so they may change it.)
    """

    def __call__(
        self, timeline: otio.schema.Timeline, path: Path, context: ExportContext
    ) -> Sequence[Path] | None: ...


@dataclass(frozen=True)
class Format:
    """One export format: name, file suffix, who opens it, its writer and its version."""

    name: str
    suffix: str
    opens_in: str
    write: Writer
    version: str = "1"
    relative_media: bool = False
    multi_file: bool = False
    cost: float = 1.0  # relative writing time, so the slowest formats start first


_REGISTERED: dict[str, Format] = {}


def register_format(fmt: Format) -> Format:
    """Make ``fmt`` available by name to ``previz build``/``previz export`` in this process."""
    if not isinstance(fmt, Format):
        raise TypeError(f"register_format() takes a previz Format, not {type(fmt).__name__}")
    _REGISTERED[fmt.name] = fmt
    return fmt


def unregister_format(name: str) -> None:
    """Forget a format registered with :func:`register_format` (tests, notebooks)."""
    _REGISTERED.pop(name, None)


def source_version(*modules: ModuleType | str, packages: Sequence[str] = ()) -> str:
    """A writer version that changes whenever the writer's code or its adapter changes; a
    module given by its full name is read without being imported."""
    digest = hashlib.sha256()
    for module in modules:
        source = module.__file__ if isinstance(module, ModuleType) else _source_file(module)
        if source:
            digest.update(Path(source).read_bytes())
    for package in packages:
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package} absent".encode())
    return digest.hexdigest()[:16]


def _source_file(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    return spec.origin if spec is not None else None


def _plugin_formats(builtin: dict[str, Format]) -> dict[str, Format]:
    found: dict[str, Format] = {}
    for point in entry_points(group=GROUP):
        if point.name in builtin:
            log.warning("format plugin %s ignored: previz has a format of that name", point.value)
            continue
        try:
            loaded = point.load()
        except Exception as error:  # a broken plugin is reported and skipped, never fatal
            log.warning("format plugin %s failed to load: %s", point.value, error)
            continue
        if isinstance(loaded, Format):
            named = loaded.name == point.name
            found[point.name] = loaded if named else _renamed(loaded, point.name)
        elif callable(loaded):
            suffix = str(getattr(loaded, "suffix", f".{point.name}"))
            found[point.name] = Format(
                point.name, suffix, str(getattr(loaded, "opens_in", point.value)), loaded,
                version=str(getattr(loaded, "version", point.value)),
            )  # fmt: skip
        else:
            log.warning("format plugin %s is neither a Format nor a writer", point.value)
    return found


def _renamed(fmt: Format, name: str) -> Format:
    return Format(name, fmt.suffix, fmt.opens_in, fmt.write, fmt.version, fmt.relative_media,
                  fmt.multi_file, fmt.cost)  # fmt: skip


@cache
def _adapter_writers() -> dict[str, otio.adapters.Adapter]:
    """Installed OTIO adapters that can write a file, by name."""
    writers = {}
    for adapter in otio.plugins.ActiveManifest().adapters:
        try:
            can_write = adapter.has_feature("write_to_file") or adapter.has_feature(
                "write_to_string"
            )
        except Exception:  # an adapter that fails to import cannot write either
            continue
        if can_write and adapter.suffixes:
            writers[str(adapter.name)] = adapter
    return writers


def _adapter_format(adapter: otio.adapters.Adapter) -> Format:
    name = str(adapter.name)

    def write(
        timeline: otio.schema.Timeline, path: Path, context: ExportContext
    ) -> Sequence[Path] | None:
        otio.adapters.write_to_file(timeline, str(path), adapter_name=name)
        return None

    return Format(
        name, f".{adapter.suffixes[0]}", f"OpenTimelineIO adapter '{name}'", write,
        version=f"otio-{otio.__version__}-{source_version(adapter.module())}",
    )  # fmt: skip


def find_format(builtin: dict[str, Format], name: str) -> Format | None:
    """The format called ``name``: built-in, registered, plugin, then OTIO adapter."""
    if name in builtin:
        return builtin[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    plugin = _plugin_formats(builtin).get(name)
    if plugin is not None:
        return plugin
    adapter = _adapter_writers().get(name)
    return _adapter_format(adapter) if adapter is not None else None


def available_formats(builtin: dict[str, Format]) -> list[str]:
    """Every format name that can be asked for: previz's, registered, plugins, OTIO adapters."""
    names = [*builtin, *_REGISTERED, *_plugin_formats(builtin)]
    names += sorted(a for a in _adapter_writers() if a not in names)
    return list(dict.fromkeys(names))


def unknown_format(builtin: dict[str, Format], name: str) -> TimelineError:
    """The error for a format nobody provides, listing what exists."""
    adapters = sorted(a for a in _adapter_writers() if a not in builtin)
    own = [n for n in available_formats(builtin) if n not in adapters]
    return TimelineError(
        f"unknown export format {name!r}",
        hint=f"choose from: {', '.join(own)}, or all"
        + (f"; OpenTimelineIO adapters installed: {', '.join(adapters)}" if adapters else "")
        + "; a package can add formats under the 'previz.formats' entry points",
    )
