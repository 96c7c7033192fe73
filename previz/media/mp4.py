"""Reading the one video track of an MP4 the way ffmpeg's demuxer presents its packets.

The animatic's picture parts are MP4 files ffmpeg wrote with one H.264 track (its ``moov``
first). To join them without remuxing every packet through ffmpeg, :func:`read_track` reads
the track's sample tables — sizes and places (``stsz``, ``stsc``, ``stco``/``co64``), decode
times (``stts``), composition offsets (``ctts``), keyframes (``stss``), the edit list and the
sample description — and gives each sample's byte range and its ``dts``/``pts`` as ffmpeg's
MP4 demuxer reports them (shifted by the edit's media time, so the first frame shows at 0).

Only the shape ffmpeg writes for a part is accepted: one track, one sample description, one
edit starting at a frame of the track (or none), not fragmented. Anything else raises
:class:`UnsupportedMovie`, and the caller joins that file with ffmpeg instead.
"""

from __future__ import annotations

import os
import struct
from array import array
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pathlib import Path

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}
_DEPTH = 6  # moov > trak > mdia > minf > stbl is as deep as a part's containers go


class UnsupportedMovie(Exception):
    """An MP4 this reader does not join itself (the caller falls back to ffmpeg)."""


@dataclass(frozen=True)
class Track:
    """One track's samples in decode order, timed as ffmpeg's demuxer times them."""

    timescale: int
    duration: int  # the media duration (mdhd), in ``timescale``
    entry: bytes  # the sample description entry (an ``avc1`` box), as stored
    width: int
    height: int
    offsets: array[int]  # each sample's byte offset in the file
    sizes: array[int]
    dts: array[int]
    pts: array[int]
    durations: array[int]  # each sample's stts duration
    keys: bytes  # 1 for a sync sample


def read_track(path: Path) -> Track:
    """The one video track of the MP4 ``path`` (:class:`UnsupportedMovie` for other shapes;
    OSError when it cannot be read). A damaged structure — a box cut short or running past
    its parent or the file, tables shorter than their counts, runs that do not add up to the
    samples, keyframe numbers out of range — is an :class:`UnsupportedMovie` too, found before
    anything is allocated from a count the file states."""
    moov, length = _moov(path)
    try:
        boxes = _boxes(moov)
        if b"mvex" in boxes or boxes.count(b"trak") != 1:
            raise UnsupportedMovie("not one track, or fragmented")
        return _track(boxes, length)
    except UnsupportedMovie as error:
        raise UnsupportedMovie(f"{path.name}: {error}") from error
    except (KeyError, struct.error, ValueError, IndexError) as error:
        raise UnsupportedMovie(f"{path.name}: unexpected sample tables ({error})") from error


def read_comment(path: Path) -> str | None:
    """The movie's comment tag (``udta/meta/ilst/©cmt``), or None (no tag, not an MP4)."""
    try:
        moov, _ = _moov(path)
    except (OSError, UnsupportedMovie):
        return None
    data = _child(moov, [b"udta", b"meta", b"ilst", b"\xa9cmt", b"data"])
    return None if data is None or len(data) < 8 else data[8:].decode("utf-8", "replace")


def _child(payload: bytes, path: list[bytes]) -> bytes | None:
    """The payload of the box at ``path`` under ``payload`` (``meta`` is a full box)."""
    for kind in path:
        found = None
        at = 0
        while at + 8 <= len(payload):
            size, name = struct.unpack_from(">I4s", payload, at)
            if size < 8 or at + size > len(payload):
                return None
            if name == kind:
                found = payload[at + (12 if kind == b"meta" else 8) : at + size]
                break
            at += size
        if found is None:
            return None
        payload = found
    return payload


def _moov(path: Path) -> tuple[bytes, int]:
    """The ``moov`` box's payload, wherever it is among the file's top-level boxes, and the
    file's length."""
    with path.open("rb") as file:
        length = os.fstat(file.fileno()).st_size
        at = 0
        while True:
            file.seek(at)
            header = file.read(16)
            if len(header) < 8:
                raise UnsupportedMovie(f"{path.name}: no moov box")
            size, kind = struct.unpack_from(">I4s", header)
            skip = 8
            if size == 1 and len(header) == 16:
                (size,) = struct.unpack_from(">Q", header, 8)
                skip = 16
            if size < skip:
                raise UnsupportedMovie(f"{path.name}: a top-level box without a size")
            if at + size > length:
                raise UnsupportedMovie(f"{path.name}: a {kind!r} box runs past the file's end")
            if kind == b"moov":
                file.seek(at + skip)
                body = file.read(size - skip)
                if len(body) != size - skip:
                    raise UnsupportedMovie(f"{path.name}: the moov box is cut short")
                return body, length
            at += size


class _Boxes(dict[bytes, bytes]):
    """The leaf boxes of a ``moov`` by type (the last of each type), and how many ``trak``."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[bytes, int] = {}

    def count(self, kind: bytes) -> int:
        return self.seen.get(kind, 0)


def _boxes(moov: bytes) -> _Boxes:
    found = _Boxes()
    _walk(memoryview(moov), found, 1)
    return found


def _walk(data: memoryview, found: _Boxes, depth: int) -> None:
    if depth > _DEPTH:
        raise UnsupportedMovie("boxes nested deeper than a movie's")
    at = 0
    while at + 8 <= len(data):  # fewer bytes left: padding, as some writers leave
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > len(data):
                raise UnsupportedMovie(f"a {kind!r} box's 64-bit size cut short")
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        if size < header or at + size > len(data):
            raise UnsupportedMovie(f"a {kind!r} box overruns its parent")
        found.seen[kind] = found.seen.get(kind, 0) + 1
        body = data[at + header : at + size]
        if kind in _CONTAINERS:
            _walk(body, found, depth + 1)
        else:
            found[kind] = bytes(body)
        at += size


def _track(boxes: _Boxes, length: int) -> Track:
    if boxes[b"hdlr"][8:12] != b"vide":
        raise UnsupportedMovie("the track is not video")
    stsd = boxes[b"stsd"]
    if struct.unpack_from(">I", stsd, 4)[0] != 1:
        raise UnsupportedMovie("more than one sample description")
    timescale, duration = _media_header(boxes[b"mdhd"])
    sizes = _sizes(boxes[b"stsz"], length)
    count = len(sizes)
    durations = _runs(boxes[b"stts"], count, signed=False)
    stored = array("q", accumulate(durations[:-1], initial=0))
    cts = _runs(boxes[b"ctts"], count, signed=boxes[b"ctts"][0] == 1) if b"ctts" in boxes else None
    start = _media_time(boxes.get(b"elst"))
    dts = array("q", (t - start for t in stored))
    pts = dts if cts is None else array("q", (t + c for t, c in zip(dts, cts, strict=True)))
    if count == 0 or min(pts) != 0 or pts[0] != 0:
        raise UnsupportedMovie("the first frame does not show at time 0")
    width, height = struct.unpack_from(">II", boxes[b"tkhd"], len(boxes[b"tkhd"]) - 8)
    return Track(
        timescale=timescale,
        duration=duration,
        entry=stsd[8:],
        width=width >> 16,
        height=height >> 16,
        offsets=_offsets(boxes, sizes),
        sizes=sizes,
        dts=dts,
        pts=pts,
        durations=durations,
        keys=_keys(boxes.get(b"stss"), count),
    )


def _media_header(mdhd: bytes) -> tuple[int, int]:
    if mdhd[0] == 1:
        timescale, duration = struct.unpack_from(">IQ", mdhd, 20)
    else:
        timescale, duration = struct.unpack_from(">II", mdhd, 12)
    return timescale, duration


def _media_time(elst: bytes | None) -> int:
    """Where the one edit starts in the media (0 without an edit list)."""
    if elst is None:
        return 0
    if struct.unpack_from(">I", elst, 4)[0] != 1:
        raise UnsupportedMovie("an edit list of more than one edit")
    if elst[0] == 1:
        _, media_time, rate = struct.unpack_from(">QqI", elst, 8)
    else:
        _, media_time, rate = struct.unpack_from(">IiI", elst, 8)
    if media_time < 0 or rate != 0x10000:
        raise UnsupportedMovie("an empty or rate-changing edit")
    return int(media_time)


def _sizes(stsz: bytes, length: int) -> array[int]:
    uniform: int
    count: int
    uniform, count = struct.unpack_from(">II", stsz, 4)
    if uniform:
        if uniform * count > length:
            raise ValueError("the samples are larger than the file")
        return array("I", [uniform]) * count
    sizes = array("I", stsz[12 : 12 + 4 * count])
    return _big_endian(sizes, count)


def _big_endian(values: array[int], count: int) -> array[int]:
    if len(values) != count:
        raise ValueError("a table is shorter than its count")
    if struct.pack("=I", 1) != struct.pack(">I", 1):
        values.byteswap()
    return values


def _runs(table: bytes, count: int, *, signed: bool) -> array[int]:
    """An (entry count, value) run table (stts, ctts) expanded to one value per sample."""
    pairs = _entries(table, 2, "i" if signed else "I")
    runs = pairs[::2]
    if min(runs, default=0) < 0 or sum(runs) != count:  # checked before anything is expanded
        raise ValueError("a run table does not cover every sample")
    values = array("q")
    for run, value in zip(runs, pairs[1::2], strict=True):
        values.extend(array("q", [value]) * run)
    return values


def _offsets(boxes: _Boxes, sizes: array[int]) -> array[int]:
    """Each sample's byte offset, from the chunk offsets and the sample-to-chunk runs."""
    if b"co64" in boxes:
        starts = _entries(boxes[b"co64"], 1, "Q")
    else:
        starts = _entries(boxes[b"stco"], 1, "I")
    chunks = len(starts)
    runs = _entries(boxes[b"stsc"], 3, "I")
    entries = len(runs) // 3
    firsts = [*runs[::3], chunks + 1]
    if entries and (firsts[0] != 1 or any(a >= b for a, b in pairwise(firsts))):
        raise ValueError("sample-to-chunk runs out of order or past the chunks")
    offsets = array("q")
    sample = 0
    for index in range(entries):
        first, per_chunk = runs[3 * index], runs[3 * index + 1]
        last = runs[3 * index + 3] if index + 1 < entries else chunks + 1
        for chunk in range(first - 1, last - 1):
            at = starts[chunk]
            for size in sizes[sample : sample + per_chunk]:
                offsets.append(at)
                at += size
            sample += per_chunk
    if len(offsets) != len(sizes):
        raise ValueError("the chunks do not hold every sample")
    return offsets


def _keys(stss: bytes | None, count: int) -> bytes:
    if stss is None:
        return b"\x01" * count
    flags = bytearray(count)
    for number in _entries(stss, 1, "I"):
        if not 1 <= number <= count:
            raise ValueError(f"keyframe number {number} of {count} samples")
        flags[number - 1] = 1
    return bytes(flags)


def _entries(table: bytes, fields: int, kind: str) -> tuple[int, ...]:
    """A full box's table of ``entries`` x ``fields`` values after its count (checked to fit
    the box before anything is read)."""
    (entries,) = struct.unpack_from(">I", table, 4)
    if 8 + entries * fields * struct.calcsize(f">{kind}") > len(table):
        raise ValueError("a table is longer than its box")
    return struct.unpack_from(f">{entries * fields}{kind}", table, 8)
