"""Writing an MP4 movie from tracks of already-encoded samples, ``moov`` first.

:func:`write_movie` lays the samples of each track out in ``mdat`` interleaved in chunks of
about half a second (decode order within a track), then writes ``ftyp``, a ``moov`` built from
the samples' sizes, times and keyframes, and ``mdat`` — the layout ffmpeg's ``+faststart``
gives, so a player can start before the file has arrived. The boxes are the ones ffmpeg writes
for H.264 and AAC-LC tracks (the same sample descriptions, the edit list that starts each track
at its first shown sample, the AAC ``roll`` group, the comment tag), with ``co64`` and 64-bit
headers only where the file outgrows 32-bit offsets. The sample bytes are copied file to file
(``os.copy_file_range``) or written from memory; nothing is decoded.
"""

from __future__ import annotations

import errno
import math
import os
import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from operator import add, ne, sub
from pathlib import Path
from typing import BinaryIO

_INTERLEAVE = 2  # chunks per second of the movie
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
_U32 = 0xFFFFFFFF
_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


@dataclass
class Samples:
    """One track's samples in decode order: times in ``timescale``, bytes from ``sources``
    (a file, or bytes in memory) at ``offsets``, ``keys`` 1 for a sync sample."""

    handler: bytes  # b"vide" or b"soun"
    timescale: int
    entry: bytes  # the sample description entry box (avc1, mp4a)
    dts: array[int]
    pts: array[int]
    durations: array[int]  # each sample's decode duration: to the next one's dts (stts)
    sizes: array[int]
    sources: Sequence[Path | bytes]
    source: array[int]  # index into ``sources`` per sample
    offsets: array[int]
    keys: bytes | None  # None: every sample is a sync sample
    end: int  # when the last sample stops showing (presentation time)
    width: int = 0
    height: int = 0


def write_movie(dest: Path, tracks: Sequence[Samples], *, comment: str) -> None:
    """Write ``tracks`` as one MP4 into ``dest`` (created or truncated)."""
    scale = math.lcm(*(track.timescale for track in tracks))
    chunks = list(_chunks(tracks))
    runs: list[list[tuple[int, int]]] = [[] for _ in tracks]  # (offset in mdat, samples)
    total = 0
    for index, first, end in chunks:
        runs[index].append((total, end - first))
        total += sum(tracks[index].sizes[first:end])
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    tables = [_tables(track, [count for _, count in runs[n]]) for n, track in enumerate(tracks)]
    large = (
        len(ftyp)
        + 16
        + total
        + sum(len(head) + len(tail) for head, tail in tables)
        + 8192
        + 8 * len(chunks)
        > _U32
    )

    def moov(base: int) -> bytes:
        traks = [
            _trak(n + 1, track, scale, tables[n], _chunk_offsets(runs[n], base, large))
            for n, track in enumerate(tracks)
        ]
        shown = max(_in_movie(track.end, track.timescale, scale) for track in tracks)
        return box(b"moov", _mvhd(scale, shown, len(tracks) + 1), *traks, _udta(comment))

    header = ftyp + moov(len(ftyp) + len(moov(0)) + 16)
    with dest.open("wb") as out:
        out.write(header)
        if total + 8 > _U32:
            out.write(struct.pack(">I4sQ", 1, b"mdat", total + 16))
        else:
            out.write(box(b"free") + struct.pack(">I4s", total + 8, b"mdat"))
        _write_samples(out, tracks, chunks)


def box(kind: bytes, *payload: bytes) -> bytes:
    """An MP4 box: its size, its four-letter type, its payload."""
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags), *payload)


def _chunks(tracks: Sequence[Samples]) -> Iterator[tuple[int, int, int]]:
    """(track, first sample, end sample) runs: every track's samples up to each half second."""
    at = [0] * len(tracks)
    step = 1
    while any(at[i] < len(t.sizes) for i, t in enumerate(tracks)):
        for index, track in enumerate(tracks):
            if at[index] >= len(track.sizes):
                continue
            limit = track.dts[0] + step * track.timescale // _INTERLEAVE
            end = bisect_left(track.dts, limit, lo=at[index])
            if end > at[index]:
                yield index, at[index], end
            at[index] = end
        step += 1


def _chunk_offsets(runs: list[tuple[int, int]], base: int, large: bool) -> bytes:
    offsets = array("Q" if large else "I", [base + at for at, _ in runs])
    kind = b"co64" if large else b"stco"
    return _full(kind, 0, 0, struct.pack(">I", len(offsets)), _be(offsets))


def _in_movie(ticks: int, timescale: int, scale: int) -> int:
    return -(-ticks * scale // timescale)


def _mvhd(scale: int, duration: int, next_track: int) -> bytes:
    version = int(duration > _U32)
    times = struct.pack(">QQIQ" if version else ">IIII", 0, 0, scale, duration)
    rest = struct.pack(">IH10x", 0x10000, 0x100) + _MATRIX + bytes(24)
    return _full(b"mvhd", version, 0, times, rest, struct.pack(">I", next_track))


def _trak(
    number: int, track: Samples, scale: int, tables: tuple[bytes, bytes], offsets: bytes
) -> bytes:
    duration = _in_movie(track.end, track.timescale, scale)
    start = -track.dts[0]  # where the first shown sample (time 0) is in the track's media
    if duration > _U32 or start > _U32:
        elst = _full(b"elst", 1, 0, struct.pack(">IQqI", 1, duration, start, 0x10000))
    else:
        elst = _full(b"elst", 0, 0, struct.pack(">IIiI", 1, duration, start, 0x10000))
    media = sum(track.durations)
    sound = track.handler == b"soun"
    version = int(media > _U32)
    times = struct.pack(">QQIQ" if version else ">IIII", 0, 0, track.timescale, media)
    mdhd = _full(b"mdhd", version, 0, times, struct.pack(">HH", 0x55C4, 0))
    name = b"SoundHandler\0" if sound else b"VideoHandler\0"
    hdlr = _full(b"hdlr", 0, 0, bytes(4), track.handler, bytes(12), name)
    header = _full(b"smhd", 0, 0, bytes(4)) if sound else _full(b"vmhd", 0, 1, bytes(8))
    dinf = box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    minf = box(b"minf", header, dinf, box(b"stbl", tables[0], offsets, tables[1]))
    return box(
        b"trak", _tkhd(number, duration, track), box(b"edts", elst), box(b"mdia", mdhd, hdlr, minf)
    )


def _tkhd(number: int, duration: int, track: Samples) -> bytes:
    sound = track.handler == b"soun"
    if duration > _U32:
        times = struct.pack(">QQIIQ", 0, 0, number, 0, duration)
    else:
        times = struct.pack(">IIIII", 0, 0, number, 0, duration)
    rest = struct.pack(">8xHHH2x", 0, int(sound), 0x100 if sound else 0) + _MATRIX
    size = struct.pack(">II", track.width << 16, track.height << 16)
    return _full(b"tkhd", int(duration > _U32), 3, times, rest, size)


def _tables(track: Samples, counts: list[int]) -> tuple[bytes, bytes]:
    """The sample tables before and after the chunk offsets (which depend on where ``mdat``
    starts)."""
    count = len(track.sizes)
    tables = [
        _full(b"stsd", 0, 0, struct.pack(">I", 1), track.entry),
        _full(b"stts", 0, 0, *_runs(track.durations)),
    ]
    if track.keys is not None and not all(track.keys):
        numbers = array("I", compress(range(1, count + 1), track.keys))
        tables.append(_full(b"stss", 0, 0, struct.pack(">I", len(numbers)), _be(numbers)))
    offsets = array("q", map(sub, track.pts, track.dts))
    if any(offsets):
        tables.append(_full(b"ctts", int(min(offsets) < 0), 0, *_runs(offsets)))
    stsc = [struct.pack(">III", first + 1, per_chunk, 1) for first, per_chunk in _changes(counts)]
    tables.append(_full(b"stsc", 0, 0, struct.pack(">I", len(stsc)), *stsc))
    if count and track.sizes.count(track.sizes[0]) == count:
        tables.append(_full(b"stsz", 0, 0, struct.pack(">II", track.sizes[0], count)))
    else:
        sizes = array("I", track.sizes)
        tables.append(_full(b"stsz", 0, 0, struct.pack(">II", 0, count), _be(sizes)))
    tail = b""
    if track.handler == b"soun":  # AAC: each frame needs the one before it decoded (roll -1)
        tail = _full(b"sgpd", 1, 0, b"roll", struct.pack(">IIh", 2, 1, -1)) + _full(
            b"sbgp", 0, 0, b"roll", struct.pack(">III", 1, count, 1)
        )
    return b"".join(tables), tail


def _runs(values: array[int]) -> list[bytes]:
    """A run table of (count, value) pairs: stts and ctts."""
    count = len(values)
    starts = [0, *compress(range(1, count), map(ne, values[1:], values[:-1]))] if count else []
    lengths = map(sub, [*starts[1:], count], starts)
    found = zip(lengths, map(values.__getitem__, starts), strict=True)
    pairs = array("i", chain.from_iterable(found))
    return [struct.pack(">I", len(starts)), _be(pairs)]


def _changes(counts: list[int]) -> Iterator[tuple[int, int]]:
    """(chunk index, samples per chunk) where the samples per chunk change."""
    previous = None
    for index, count in enumerate(counts):
        if count != previous:
            yield index, count
            previous = count


def _be(values: array[int]) -> bytes:
    if struct.pack("=I", 1) != struct.pack(">I", 1):
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _udta(comment: str) -> bytes:
    text = comment.encode("utf-8")
    data = box(b"data", struct.pack(">II", 1, 0), text)
    hdlr = _full(b"hdlr", 0, 0, bytes(4), b"mdirappl", bytes(9))
    return box(b"udta", _full(b"meta", 0, 0, hdlr, box(b"ilst", box(b"\xa9cmt", data))))


def _write_samples(
    out: BinaryIO, tracks: Sequence[Samples], chunks: list[tuple[int, int, int]]
) -> None:
    """Each chunk's bytes: ranges that follow each other in one file copied at once."""
    out.flush()
    files: dict[Path, int] = {}
    try:
        for index, first, end in chunks:
            track = tracks[index]
            for source, start, length in _ranges(track, first, end):
                where = track.sources[source]
                if isinstance(where, bytes):
                    out.write(memoryview(where)[start : start + length])
                    continue
                out.flush()
                if where not in files:
                    files[where] = os.open(where, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                try:
                    _copy(files[where], out.fileno(), start, length)
                except OSError as error:
                    raise OSError(f"{where}: {error}") from error
    finally:
        for handle in files.values():
            os.close(handle)
    out.flush()


def _ranges(track: Samples, first: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(source, offset, length) of samples ``first`` to ``end``, those that follow each other
    in one source as one range."""
    offsets, sizes = track.offsets, track.sizes
    if (
        track.source[first:end].count(track.source[first]) == end - first
        and list(map(add, offsets[first : end - 1], sizes[first : end - 1]))
        == offsets[first + 1 : end].tolist()
    ):
        yield (
            track.source[first],
            offsets[first],
            offsets[end - 1] + sizes[end - 1] - offsets[first],
        )
        return
    source, start, length = -1, 0, 0
    for n in range(first, end):
        at, size = track.offsets[n], track.sizes[n]
        if track.source[n] == source and at == start + length:
            length += size
            continue
        if length:
            yield source, start, length
        source, start, length = track.source[n], at, size
    if length:
        yield source, start, length


def _copy(src: int, dst: int, start: int, length: int) -> None:
    """``length`` bytes of ``src`` from ``start`` appended to ``dst`` (at its position): in the
    kernel where the system and the filesystems allow it (Linux), else read and written."""
    while length:
        done = _copy_in_kernel(src, dst, start, length)
        if done is None:
            os.lseek(src, start, os.SEEK_SET)
            data = os.read(src, min(length, 1 << 20))
            done = len(data) and os.write(dst, data)
        if done <= 0:
            raise OSError(f"the file ends {length} bytes before its samples do")
        start += done
        length -= done


def _copy_in_kernel(src: int, dst: int, start: int, length: int) -> int | None:
    """Bytes copied by ``os.copy_file_range`` (None: not on this system or these files)."""
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is None:
        return None
    try:
        return int(copy_range(src, dst, length, start))
    except OSError as error:
        if error.errno not in _NO_COPY_RANGE:
            raise
        return None
