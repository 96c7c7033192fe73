"""The built-in export formats: one writer per format, and the atomic write they all go through.

Each built-in format has one writer module (``fcp7``, ``fcpxml``, ``edl``, ``aaf``, ``xges``,
``kdenlive``, ``otioz``); the functions here adapt them to the one writer signature
``write(timeline, path, context)`` (:mod:`previz.timeline.formats`). :data:`BUILTIN` names each
format with its suffix, its writer, its version (the sources of the modules it uses) and its
cost hint; :mod:`previz.timeline.export` picks among them, plugins and OTIO adapters.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import opentimelineio as otio

from previz import timebase
from previz.errors import TimelineError
from previz.products import fresh_beside
from previz.timeline import edl_events, facts, fades, media, rates, serialised, vectors
from previz.timeline.formats import ExportContext, Format, source_version
from previz.timeline.fragments import Fragments


def _write_otio(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    # OTIO's own JSON writer, called directly: through ``adapters.write_to_file`` the first
    # call of a process loads OTIO's plugin manifest (every installed adapter's entry point,
    # ~20-30 ms in each export worker) only to find this built-in adapter.
    from previz.timeline import otio_document

    kept = Fragments(context.memo)
    otio_document.write(timeline, path, kept)
    _keep(kept, path, context)


# Each writer imports its module when it writes (in an export worker, for a big cut): a build
# whose exports are current imports none of them, nor pyaaf2, lxml or the EDL adapter.


def _write_fcp7(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    from previz.timeline import fcp7

    kept = Fragments(context.memo)
    fcp7.write(timeline, path, width=context.width, height=context.height, fragments=kept)
    _keep(kept, path, context)


def _write_fcpxml(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    from previz.timeline import fcpxml

    kept = Fragments(context.memo)
    fcpxml.write(timeline, path, width=context.width, height=context.height,
                 relative_to=context.relative_to, fragments=kept)  # fmt: skip
    _keep(kept, path, context)


def _keep(kept: Fragments, written: Path, context: ExportContext) -> None:
    """Save a single-file writer's fragments with its document ``written`` (the temporary
    file that replaces the document next)."""
    if context.memo is not None:
        kept.save({context.memo.document.name: written})


def _write_aaf(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    from previz.timeline import aaf

    aaf.write(timeline, path, context.memo)  # the last file's clips copied when alike


def _write_xges(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    from previz.timeline import xges

    xges.write(timeline, path, width=context.width, height=context.height)


def _write_kdenlive(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    from previz.timeline import kdenlive

    kept = Fragments(context.memo)
    kdenlive.write(timeline, path, width=context.width, height=context.height,
                   relative_to=context.relative_to, fragments=kept)  # fmt: skip
    _keep(kept, path, context)


def _write_otioz(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    from previz.timeline import otioz

    otioz.write(timeline, path)


def _write_edls(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> list[Path]:
    """One CMX 3600 EDL per track, ``<name>.<track>.edl`` beside ``path``."""
    from previz.timeline import edl

    paths: list[Path] = []
    kept = Fragments(context.memo)
    for index, track_name in enumerate(edl_events.track_names(timeline)):
        target = path.with_name(f"{path.stem}.{track_name}.edl")
        atomic("edl", target, functools.partial(edl.write_track, timeline, index,
                                                fragments=kept))  # fmt: skip
        paths.append(target)
    kept.save({target.name: target for target in paths})  # every file in place: the memo too
    return paths


def _writer_version(*modules: ModuleType | str, packages: Sequence[str] = ()) -> str:
    """The writer's own modules (named in :mod:`previz.timeline`: read, not imported) and
    adapters plus the helpers every writer shares."""
    named = (f"previz.timeline.{m}" if isinstance(m, str) else m for m in modules)
    return source_version(*named, facts, fades, media, rates, vectors, packages=packages)


BUILTIN: dict[str, Format] = {
    f.name: f
    for f in (
        Format("otio", ".otio", "Resolve 18.5+, Premiere 25.6+, Kdenlive 25.04+", _write_otio,
               version=_writer_version("otio_document", serialised, "fragments",
                                       packages=["opentimelineio"]),
               relative_media=True, cost=0.6),
        Format("otioz", ".otioz", "Resolve 18.5+ (media bundled)", _write_otioz,
               version=_writer_version("otioz"), cost=2.0),
        Format("fcp7", ".xml", "Premiere Pro, Resolve", _write_fcp7,
               version=_writer_version("fcp7", "fcp7_copies", "xmeml", serialised,
                                       "fragments"), cost=1.0),
        Format("fcpxml", ".fcpxml", "Final Cut Pro, Resolve", _write_fcpxml,
               version=_writer_version("fcpxml", "fcpxml_assets", "xmltree", timebase,
                                       serialised, "fragments"),
               relative_media=True, cost=1.3),
        Format("edl", ".edl", "any NLE (CMX 3600, one file per track)", _write_edls,
               version=_writer_version("edl", "edl_events", serialised, "fragments",
                                       packages=["otio-cmx3600-adapter"]),
               multi_file=True, cost=1.0),
        Format("aaf", ".aaf", "Avid Media Composer, Pro Tools, Resolve", _write_aaf,
               version=_writer_version("aaf", "aaf_dictionary", "aaf_fixed", "aaf_markers",
                                       "aaf_memo", "aaf_mobs", "aaf_slots", "aaf_store",
                                       "aaf_tree", "cfb", "cfb_runs", "cfb_siblings",
                                       "cfb_tables", "fragments", serialised,
                                       packages=["pyaaf2"]),
               cost=4.0),
        Format("xges", ".xges", "GStreamer Editing Services, Pitivi", _write_xges,
               version=_writer_version("xges", "xges_stored", "gst", serialised),
               cost=0.6),
        Format("kdenlive", ".kdenlive", "Kdenlive, Shotcut, melt (MLT)", _write_kdenlive,
               version=_writer_version("kdenlive", "xmltree", serialised, "fragments"),
               relative_media=True, cost=0.8),
    )
}  # fmt: skip


# How a one-shot change writes each built-in format: from the memo of its last write (these keep
# one), or whole but as cheaply (.xges: one f-string per clip, ~20 ms at 1,000 clips). The
# ``.otioz`` copies every clip's media: never cheap.
FROM_MEMO = frozenset({"otio", "fcp7", "fcpxml", "edl", "aaf", "kdenlive"})
CHEAP_WHOLE = frozenset({"xges"})


def write_failure(fmt: str, target: Path, error: Exception) -> TimelineError:
    """The error of a writer that failed on ``target`` in an unforeseen way."""
    return TimelineError(
        f"{fmt} export failed: {type(error).__name__}: {error}",
        path=target,
        hint=f"the other formats are unaffected; export without --format {fmt}, "
        "or report the timeline that triggers this",
    )


def atomic(fmt: str, target: Path, write: Callable[[Path], object]) -> None:
    """``write`` a hidden temporary file beside ``target`` that replaces it only if the writer
    succeeded, so a failing writer leaves no partial file; its errors as TimelineError.

    The temporary file is :func:`~previz.products.fresh_beside`'s: a link planted beside
    ``target`` in a shared folder is never written through."""
    partial: Path | None = None
    try:
        partial = fresh_beside(target)
        write(partial)
        os.replace(partial, target)
    except TimelineError:
        raise
    except OSError as error:
        raise TimelineError(
            f"{fmt} export could not be written: {error}",
            path=target,
            hint="check that the output folder exists, is writable and has free space",
        ) from error
    except Exception as error:
        raise write_failure(fmt, target, error) from error
    finally:
        if partial is not None:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
