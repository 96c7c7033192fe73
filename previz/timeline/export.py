"""Export one timeline to every NLE format: dispatch, media path policy, products.

The built-in formats and their writers are in :mod:`previz.timeline.builtin_formats`; every
writer, built-in or plugin (:mod:`previz.timeline.formats`), has the one signature
``write(timeline, path, context)`` and writes through ``builtin_formats.atomic``: a hidden
temporary file beside the target, which replaces the target only when the writer succeeded, so
a failing writer leaves no partial file. This module picks writers, decides file names and
media paths, and keeps the exports as products.

Exports are products (:mod:`previz.products`): each is keyed by the timeline it is made of (its
serialised content: every clip and its facts), the format, the writer's version and the frame
size and media policy. An export whose key is unchanged and whose file is untouched is not
written again. The formats that do need writing run in parallel processes when the timeline is
big enough to pay for them (forked, so the children share the parent's timeline).

Media paths: absolute ``file://`` URLs by default. With ``relative_to``, formats whose readers
resolve relative paths against the document (.otio, .fcpxml, .kdenlive) reference media
relative to that folder; FCP7 XML, AAF and .xges keep absolute URLs (Premiere, Avid and GES
resolve no relative ones); EDLs carry only file names; ``.otioz`` bundles the media.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
import opentimelineio as otio

from previz.errors import TimelineError
from previz.products import MADE_EVENT, ProductStore, product_key
from previz.timeline import edl_events, export_workers, serialised
from previz.timeline.builtin_formats import (
    BUILTIN,
    CHEAP_WHOLE,
    FROM_MEMO,
    atomic,
    write_failure,
)
from previz.timeline.formats import (
    ExportContext,
    Format,
    available_formats,
    find_format,
    unknown_format,
)
from previz.timeline.fragments import Memo, names_version
from previz.timeline.media import (
    is_absolute_media_url,
    local_path,
    media_url,
    with_media_policy,
)

# Below this many OTIO clips, forking worker processes costs more than it saves.
PARALLEL_MIN_CLIPS = 300
# Below this many, stale formats whose last write left its memo are written by ONE worker: from
# their memos the seven default formats of a 1,000-clip cut cost ~0.25 s CPU together (less than
# the animatic the build joins meanwhile), and a second worker only repeated a process's fixed
# costs — its own parse of the cut, its writers' imports, its fork (~50 ms CPU at 1,000 clips).
ONE_WORKER_MAX_CLIPS = 2000

REGISTRY = BUILTIN  # the built-in formats (plugins and OTIO adapters: ``format_spec``)
FORMATS: tuple[str, ...] = tuple(BUILTIN)
Stale = tuple[Format, ExportContext, str]  # a format to write, its context and content key


def format_spec(name: str) -> Format:
    """The format called ``name``: built-in, registered, a ``previz.formats`` plugin, or an
    installed OTIO adapter; an unknown name lists what exists."""
    found = find_format(BUILTIN, name)
    if found is None:
        raise unknown_format(BUILTIN, name)
    return found


def format_names() -> list[str]:
    """Every format that can be asked for by name (built-in first)."""
    return available_formats(BUILTIN)


def resolve_formats(names: Sequence[str]) -> list[str]:
    """``names`` checked and de-duplicated in order; ``"all"`` means every built-in format."""
    chosen: list[str] = []
    for name in names:
        for one in FORMATS if name == "all" else (name,):
            format_spec(one)
            if one not in chosen:
                chosen.append(one)
    return chosen


@dataclass
class Exported:
    """The files of each format, and which formats were (re)written rather than current."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    rewritten: list[str] = field(default_factory=list)


def _digest_of(text: str) -> str:
    """A hash of a cut's JSON: everything it holds (clips, media, facts, markers, transitions)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_timeline(
    timeline: otio.schema.Timeline,
    out_dir: Path,
    formats: Sequence[str],
    *,
    relative_to: Path | None = None,
    name: str = "timeline",
) -> dict[str, list[Path]]:
    """Write ``timeline`` to ``out_dir`` in each of ``formats``; return the files per format."""
    return export_products(timeline, out_dir, formats, relative_to=relative_to, name=name).files


def export_products(
    timeline: otio.schema.Timeline,
    out_dir: Path,
    formats: Sequence[str],
    *,
    relative_to: Path | None = None,
    name: str = "timeline",
    parallel: bool | None = None,
) -> Exported:
    """Like :func:`export_timeline`, writing only the exports whose content key changed."""
    with PendingExport(timeline, out_dir, formats, relative_to=relative_to, name=name,
                       parallel=parallel) as pending:  # fmt: skip
        return pending.result()


class PendingExport:
    """An :func:`export_products` call begun: when the cut is big enough to pay for worker
    processes, they are forked now and write the stale formats while the caller does something
    else (the build joins the animatic meanwhile); :meth:`result` waits for them (or writes
    serially), records the products and returns what :func:`export_products` returns.
    Leaving the ``with`` block without :meth:`result` (the caller failed) waits for the
    workers and records nothing, so the next call writes those formats again.

    ``first``: formats the caller waits for before the others (:meth:`wait_for`); they are
    written right after the longest format, which still starts first."""

    def __init__(
        self,
        timeline: otio.schema.Timeline,
        out_dir: Path,
        formats: Sequence[str],
        *,
        relative_to: Path | None = None,
        name: str = "timeline",
        parallel: bool | None = None,
        first: Sequence[str] = (),
    ) -> None:
        self.specs = [format_spec(one) for one in resolve_formats(formats)]
        out_dir.mkdir(parents=True, exist_ok=True)
        width, height = frame_size(timeline)
        text = timeline.to_json_string(indent=-1)
        digest = _digest_of(text)  # the text is lent to the writers too (they read its facts)
        self.store, self.out_dir, self.name = ProductStore(out_dir), out_dir, name
        self.exported = Exported()
        self.stale: list[Stale] = []
        for spec in self.specs:
            product = f"{name}{spec.suffix}"
            memo = Memo(self.store.records / f"{product}.fragments", out_dir / product,
                        spec.version)  # fmt: skip
            context = ExportContext(width, height, relative_to if spec.relative_media else None,
                                    memo if BUILTIN.get(spec.name) is spec else None)  # fmt: skip
            key = product_key("export", spec.name, spec.version, spec.suffix, name,
                              [width, height, str(context.relative_to)], digest)  # fmt: skip
            if self.store.current(product, key):
                self.exported.files[spec.name] = self.store.files(product)
            else:
                self.stale.append((spec, context, key))
        clips = _clip_count(timeline)
        if parallel is None:
            parallel = len(self.stale) > 1 and clips >= PARALLEL_MIN_CLIPS
        one_worker = parallel and clips < ONE_WORKER_MAX_CLIPS and _from_memos(self.stale)
        self.stale = _in_order(self.stale, first, alone=one_worker)
        self._recorded: set[int] = set()  # the stale formats whose files are in
        self._thaw: bool | None = None  # written here: whether to thaw the cut when done
        self._workers: export_workers.Workers | None = None
        self.prepared = Prepared(timeline)
        write = functools.partial(_write_stale, self.prepared, out_dir, name)
        serialised.lend(timeline, text)  # forked workers inherit it
        self.processes = 0  # how many worker processes write the stale formats (0: this one)
        try:
            if parallel and self.stale:
                self._workers = self._forked(write, alone=one_worker)
        except BaseException:
            serialised.take_back(timeline)
            raise

    def _forked(self, write: export_workers.Write, *, alone: bool) -> export_workers.Workers | None:
        processes = min(len(self.stale), 1 if alone else os.cpu_count() or 1)
        workers = export_workers.start(write, self.stale, processes)
        if workers is not None:
            self.processes = processes
        return workers

    @property
    def worker_ids(self) -> list[int]:
        """The process ids of the workers writing the stale formats (none when written here
        or once they were waited for)."""
        return list(self._workers.pids) if self._workers is not None else []

    def __enter__(self) -> PendingExport:
        return self

    def __exit__(self, *failure: object) -> None:
        try:
            if self._workers is not None:
                workers, self._workers = self._workers, None
                export_workers.stop(workers)
        finally:
            self._thawed()
            serialised.take_back(self.prepared.timeline)

    def planned(self) -> dict[str, list[Path]] | None:
        """The files :meth:`result` will return, known before the writers finish (a format
        whose files are current, or single-file, or the EDLs); ``None`` when a format's file
        names are known only once it is written (a plugin's multi-file format)."""
        stale = {spec.name: spec for spec, _context, _key in self.stale}
        planned: dict[str, list[Path]] = {}
        for spec in self.specs:
            if spec.name not in stale or spec.name in self.exported.files:
                planned[spec.name] = self.exported.files[spec.name]
            elif not spec.multi_file:
                planned[spec.name] = [self.out_dir / f"{self.name}{spec.suffix}"]
            elif BUILTIN.get(spec.name) is spec and spec.name == "edl":
                target = self.out_dir / f"{self.name}{spec.suffix}"
                names = edl_events.track_names(self.prepared.timeline)
                planned[spec.name] = [target.with_name(f"{target.stem}.{n}.edl") for n in names]
            else:
                return None
        return planned

    def wait_for(self, fmt: str) -> list[Path]:
        """Format ``fmt``'s files once written (now, when not in workers) and recorded; its
        writer's error raised here."""
        for index, item in enumerate(self.stale):
            if item[0].name == fmt:
                self._take(index, item)
        return self.exported.files[fmt]

    def result(self) -> Exported:
        """Wait for the workers (or write now), record every written product; the files.
        The cut's text lent to the writers is taken back (here and on leaving the block)."""
        try:
            # the workers exit when the ``with`` block is left (their teardown overlaps what
            # the caller does next); their jobs are all done here
            for index, item in enumerate(self.stale):
                self._take(index, item)
        finally:
            self._thawed()
            serialised.take_back(self.prepared.timeline)
        self.exported.files = {spec.name: self.exported.files[spec.name] for spec in self.specs}
        return self.exported

    def _take(self, index: int, stale: Stale) -> None:
        """Wait for (or write) the ``index``-th stale format and record it, once."""
        if index in self._recorded:
            return
        spec, context, key = stale
        if self._workers:
            paths = export_workers.result_of(self._workers, index)
        else:
            paths = self._write_here(spec, context)
        self.store.record(f"{self.name}{spec.suffix}", key, paths)
        self.exported.files[spec.name] = paths
        self.exported.rewritten.append(spec.name)
        self._recorded.add(index)

    def _write_here(self, spec: Format, context: ExportContext) -> list[Path]:
        """Write one format in this process, as :func:`write_format` does, asking only once
        per call whether something was frozen before (``gc.get_freeze_count`` walks every
        frozen object: ~7 ms per format in a CLI process, which froze its imports)."""
        timeline = self.prepared.for_writer(spec, context.relative_to)
        if self._thaw is None:
            self._thaw = gc.get_freeze_count() == 0
        gc.freeze()
        return _write_now(timeline, self.out_dir / f"{self.name}{spec.suffix}", spec, context)

    def _thawed(self) -> None:
        """The cut thawed again if this call froze it first."""
        if self._thaw:
            gc.unfreeze()
        self._thaw = None


class Prepared:
    """The cut as each media path policy wants it, made once per export call and shared.

    Built-in writers only read the timeline they are given, so the formats of one call (and of
    one worker process) share one copy per policy — none at all when every reference already
    follows it, as a built cut's absolute ``file://`` URLs do. A plugin or OTIO adapter writer
    may change what it is given (the CMX adapter does), so it gets a copy of its own.
    """

    def __init__(self, timeline: otio.schema.Timeline) -> None:
        self.timeline = timeline
        self._by_policy: dict[Path | None, otio.schema.Timeline] = {}

    def for_writer(self, spec: Format, relative_to: Path | None) -> otio.schema.Timeline:
        """The timeline ``spec``'s writer may be handed, under ``relative_to``'s policy."""
        if relative_to not in self._by_policy:
            self._by_policy[relative_to] = _following_policy(self.timeline, relative_to)
        shared = self._by_policy[relative_to]
        return shared if BUILTIN.get(spec.name) is spec else shared.deepcopy()


def _following_policy(
    timeline: otio.schema.Timeline, relative_to: Path | None
) -> otio.schema.Timeline:
    for url in _media_urls(timeline):
        follows = (
            is_absolute_media_url(url)
            if relative_to is None
            else (media_url(url, relative_to) == url)
        )
        if not follows:
            return with_media_policy(timeline, relative_to)
    return timeline


def _media_urls(timeline: otio.schema.Timeline) -> list[str]:
    """The clips' media URLs: from the cut's lent text when the writers read it anyway (a
    forked worker's first touch of each clip's bindings costs ~25 µs a clip), else from the
    cut itself."""
    if serialised.is_lent(timeline):
        return serialised.target_urls(timeline)
    urls = []
    for clip in timeline.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
            urls.append(reference.target_url)
    return urls


def write_format(
    prepared: Prepared, out_dir: Path, name: str, spec: Format, context: ExportContext
) -> list[Path]:
    """Write one format now, atomically; return its files."""
    timeline = prepared.for_writer(spec, context.relative_to)
    # Every object alive now (the cut's ~300,000 at 2,000 shots) is left out of the cycle
    # collector's scans while the writer runs: its allocations set off full scans that cost
    # up to a third of a writer's time (Kdenlive 0.99 -> 0.66 s, FCPXML 1.58 -> 1.19 s).
    # `previz` froze its imports already (previz.cli._load): the cut is newer, frozen too, and
    # thawed with them when the command returns.
    thawed = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        return _write_now(timeline, out_dir / f"{name}{spec.suffix}", spec, context)
    finally:
        if thawed:
            gc.unfreeze()


def _write_now(
    timeline: otio.schema.Timeline, target: Path, spec: Format, context: ExportContext
) -> list[Path]:
    if spec.multi_file:
        try:
            return list(spec.write(timeline, target, context) or [])
        except TimelineError:
            raise
        except Exception as error:
            raise write_failure(spec.name, target, error) from error
    atomic(spec.name, target, lambda tmp: spec.write(timeline, tmp, context))
    return [target]


def _in_order(stale: list[Stale], first: Sequence[str], *, alone: bool) -> list[Stale]:
    """``stale`` in the order the formats are written: the longest first (the others share the
    workers meanwhile), then the formats waited for ``first``, then the rest; written ``alone``
    by one worker, the formats waited for come first of all."""
    ordered = sorted(stale, key=lambda item: -item[0].cost)
    ahead = 0 if alone else 1
    early = [item for item in ordered[ahead:] if item[0].name in first]
    return ordered[:ahead] + early + [item for item in ordered[ahead:] if item not in early]


def _from_memos(stale: Sequence[Stale]) -> bool:
    """Whether every stale format is a built-in one that a one-shot change writes cheaply: from
    its last write's memo, which is there and written by this very writer (whether it is
    trusted is decided when it is read), or whole at about the same cost."""
    for spec, context, _key in stale:
        if BUILTIN.get(spec.name) is not spec:
            return False
        if spec.name in CHEAP_WHOLE:
            continue
        if spec.name not in FROM_MEMO or context.memo is None:
            return False
        # its worker rewrites the memo read here: the build's own file, not an input to its stamp
        sys.audit(MADE_EVENT, str(context.memo.path))
        if not names_version(context.memo):
            return False
    return True


def _clip_count(timeline: otio.schema.Timeline) -> int:
    return sum(len(track) for track in timeline.tracks)


def _write_stale(prepared: Prepared, out_dir: Path, name: str, stale: Stale) -> list[Path]:
    """In a forked export worker: write one stale format, as :func:`write_format` does, with
    every object alive frozen for the rest of the worker's life (it writes exports and exits).
    Asking first whether something was frozen already (``gc.get_freeze_count``) walks every
    frozen object — ~7-10 ms per job in a worker forked from a ``previz`` command, which froze
    its imports — so a worker never asks: nothing it froze needs thawing."""
    spec, context, _key = stale
    timeline = prepared.for_writer(spec, context.relative_to)
    gc.freeze()
    return _write_now(timeline, out_dir / f"{name}{spec.suffix}", spec, context)


def frame_size(timeline: otio.schema.Timeline) -> tuple[int, int]:
    """The project's frame size: ``metadata["previz"]["resolution"]``, else the first clip's."""
    resolution = timeline.metadata.get("previz", {}).get("resolution")
    if resolution:
        width, height = resolution
        return int(width), int(height)
    for clip in timeline.find_clips():
        facts = clip.metadata.get("previz", {})
        if facts.get("width") and facts.get("height"):  # probed when the take was cached
            return int(facts["width"]), int(facts["height"])
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
            path = local_path(reference.target_url)
            if path.exists():
                with av.open(str(path)) as container:
                    if container.streams.video:
                        stream = container.streams.video[0]
                        return stream.codec_context.width, stream.codec_context.height
    return 1920, 1080
