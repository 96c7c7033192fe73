"""Export one timeline to every NLE format: dispatch, media path policy, atomic writes.

Each format has one writer module (``fcp7``, ``fcpxml``, ``edl``, ``aaf``, ``xges``,
``kdenlive``, ``otioz``) that fixes its OTIO adapter's defects at the narrowest point. This
module only picks writers, decides file names and media paths, and makes every write atomic:
a writer writes a hidden temporary file beside the target, which replaces the target only when
the writer succeeded, so a failing adapter (AAF is known to) leaves no partial file.

Media paths: absolute ``file://`` URLs by default. With ``relative_to``, formats whose readers
resolve relative paths against the document (.otio, .fcpxml, .kdenlive) reference media
relative to that folder; FCP7 XML, AAF and .xges keep absolute URLs (Premiere, Avid and GES
resolve no relative ones); EDLs carry only file names; ``.otioz`` bundles the media.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import opentimelineio as otio

from previz.errors import TimelineError
from previz.timeline import aaf, edl, fcp7, fcpxml, kdenlive, otioz, xges
from previz.timeline.media import local_path, with_media_policy

Writer = Callable[[otio.schema.Timeline, Path, "ExportContext"], None]


@dataclass(frozen=True)
class ExportContext:
    """What every writer may need besides the timeline: frame size and media path policy."""

    width: int
    height: int
    relative_to: Path | None


@dataclass(frozen=True)
class Format:
    """One export format: its name, file suffix, who opens it, and its writer."""

    name: str
    suffix: str
    opens_in: str
    write: Writer | None  # None: written one file per track (EDL)
    relative_media: bool = False


def _write_otio(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    otio.adapters.write_to_file(timeline, str(path), adapter_name="otio_json")


def _write_fcp7(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    fcp7.write(timeline, path, width=context.width, height=context.height)


def _write_fcpxml(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    fcpxml.write(timeline, path, width=context.width, height=context.height,
                 relative_to=context.relative_to)  # fmt: skip


def _write_aaf(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    aaf.write(timeline, path)


def _write_xges(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    xges.write(timeline, path, width=context.width, height=context.height)


def _write_kdenlive(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    kdenlive.write(timeline, path, width=context.width, height=context.height,
                   relative_to=context.relative_to)  # fmt: skip


def _write_otioz(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    otioz.write(timeline, path)


REGISTRY: dict[str, Format] = {
    f.name: f
    for f in (
        Format("otio", ".otio", "Resolve 18.5+, Premiere 25.6+, Kdenlive 25.04+", _write_otio,
               relative_media=True),
        Format("otioz", ".otioz", "Resolve 18.5+ (media bundled)", _write_otioz),
        Format("fcp7", ".xml", "Premiere Pro, Resolve", _write_fcp7),
        Format("fcpxml", ".fcpxml", "Final Cut Pro, Resolve", _write_fcpxml,
               relative_media=True),
        Format("edl", ".edl", "any NLE (CMX 3600, one file per track)", None),
        Format("aaf", ".aaf", "Avid Media Composer, Pro Tools, Resolve", _write_aaf),
        Format("xges", ".xges", "GStreamer Editing Services, Pitivi", _write_xges),
        Format("kdenlive", ".kdenlive", "Kdenlive, Shotcut, melt (MLT)", _write_kdenlive,
               relative_media=True),
    )
}  # fmt: skip
FORMATS: tuple[str, ...] = tuple(REGISTRY)


def resolve_formats(names: Sequence[str]) -> list[str]:
    """``names`` checked and de-duplicated in order; ``"all"`` means every format."""
    chosen: list[str] = []
    for name in names:
        wanted = FORMATS if name == "all" else (name,)
        for one in wanted:
            if one not in REGISTRY:
                raise TimelineError(
                    f"unknown export format {one!r}",
                    hint=f"choose from: {', '.join(FORMATS)}, or all",
                )
            if one not in chosen:
                chosen.append(one)
    return chosen


def export_timeline(
    timeline: otio.schema.Timeline,
    out_dir: Path,
    formats: Sequence[str],
    *,
    relative_to: Path | None = None,
    name: str = "timeline",
) -> dict[str, list[Path]]:
    """Write ``timeline`` to ``out_dir`` in each of ``formats``; return the files per format."""
    chosen = resolve_formats(formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    width, height = frame_size(timeline)
    written: dict[str, list[Path]] = {}
    for fmt in chosen:
        spec = REGISTRY[fmt]
        relative = relative_to if spec.relative_media else None
        prepared = with_media_policy(timeline, relative)
        context = ExportContext(width, height, relative)
        if spec.write is None:
            written[fmt] = _write_edls(prepared, out_dir, name)
            continue
        target = out_dir / f"{name}{spec.suffix}"
        writer = spec.write
        _atomic(fmt, target, functools.partial(_call, writer, prepared, context))
        written[fmt] = [target]
    return written


def _call(
    writer: Writer, timeline: otio.schema.Timeline, context: ExportContext, path: Path
) -> None:
    writer(timeline, path, context)


def _write_edls(timeline: otio.schema.Timeline, out_dir: Path, name: str) -> list[Path]:
    paths: list[Path] = []
    for index, track_name in enumerate(edl.track_names(timeline)):
        target = out_dir / f"{name}.{track_name}.edl"
        _atomic("edl", target, functools.partial(edl.write_track, timeline, index))
        paths.append(target)
    return paths


def _atomic(fmt: str, target: Path, write: Callable[[Path], None]) -> None:
    partial = target.with_name(f".{target.stem}.{os.getpid()}.partial{target.suffix}")
    try:
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
        raise TimelineError(
            f"{fmt} export failed: {type(error).__name__}: {error}",
            path=target,
            hint=f"the other formats are unaffected; export without --format {fmt}, "
            "or report the timeline that triggers this",
        ) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def frame_size(timeline: otio.schema.Timeline) -> tuple[int, int]:
    """The project's frame size: ``metadata["previz"]["resolution"]``, else the first clip's."""
    resolution = timeline.metadata.get("previz", {}).get("resolution")
    if resolution:
        width, height = resolution
        return int(width), int(height)
    for clip in timeline.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
            path = local_path(reference.target_url)
            if path.exists():
                with av.open(str(path)) as container:
                    if container.streams.video:
                        stream = container.streams.video[0]
                        return stream.codec_context.width, stream.codec_context.height
    return 1920, 1080
