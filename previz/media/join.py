"""The animatic joined without remuxing: the parts' and the sound's packets, as ffmpeg times them.

The animatic used to be joined by ffmpeg (concat demuxer, stream copy, the AAC track shifted
by its priming frame); at ~21,000 packets for a 200-shot cut that cost ~0.3 s of ffmpeg CPU on
every change. :func:`join_animatic` writes the same packets itself — the same bytes, ``pts``,
``dts``, durations and keyframes — with :func:`previz.media.movie.write_movie`:

- the picture: each part's samples (:func:`previz.media.mp4.read_track`), moved to where the
  concat demuxer puts its file (the previous files' durations summed in microseconds, rescaled
  to the track's time base), and a ``dts`` that would not rise moved one tick past the one
  before (``pts`` with it when it would fall behind), as ffmpeg does for a muxer that needs
  strictly rising ``dts``;
- the sound: the ADTS frames without their headers, one AAC frame (1024 samples) apart from the
  priming frame at -1024, the last one as long as the cut's remaining samples (see
  :func:`previz.media.soundtrack.copy_args`).

A part this module does not read (:class:`~previz.media.mp4.UnsupportedMovie`) is left to the
caller, which joins with ffmpeg instead.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable
from itertools import accumulate, repeat
from operator import add, sub
from pathlib import Path

from previz.media.movie import Samples, box, write_movie
from previz.media.mp4 import Track, UnsupportedMovie, read_track
from previz.media.soundtrack import FRAME, Soundtrack, adts_payloads

JOIN = "movie-1"  # raise when the joined file's packets or boxes change (the animatic's key)
_MICROSECONDS = 1_000_000
_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


def join_animatic(
    parts: list[Path],
    track: Soundtrack,
    dest: Path,
    *,
    comment: str,
    read: Callable[[Path], Track] = read_track,
) -> None:
    """Write the animatic ``dest``: the picture ``parts`` in order (their tables from
    ``read``), the sound ``track``."""
    write_movie(dest, [picture_samples(parts, read), sound_samples(track)], comment=comment)


def _rescale(value: int, multiply: int, divide: int) -> int:
    """``value * multiply / divide`` rounded half away from zero (``av_rescale``)."""
    half = divide // 2
    if value >= 0:
        return (value * multiply + half) // divide
    return -((-value * multiply + half) // divide)


def picture_samples(parts: list[Path], read: Callable[[Path], Track] = read_track) -> Samples:
    """The picture track: every part's samples in order, timed as the concat demuxer and
    ffmpeg's muxing checks time them."""
    tracks = [read(path) for path in parts]
    first = tracks[0]
    for path, other in zip(parts, tracks, strict=True):
        if (other.timescale, _setup(other.entry)) != (first.timescale, _setup(first.entry)):
            raise UnsupportedMovie(f"{path.name}: another time base or sample description")
    scale = first.timescale
    dts, pts = array("q"), array("q")
    sizes, offsets, source = array("I"), array("q"), array("i")
    keys = bytearray()
    start = 0  # where the part starts, in microseconds (the concat demuxer's unit)
    last = None
    for index, part in enumerate(tracks):
        delta = _rescale(start, scale, _MICROSECONDS)
        start += _rescale(part.duration, _MICROSECONDS, scale)
        last = _place(part, delta, last, dts, pts)
        sizes.extend(part.sizes)
        offsets.extend(part.offsets)
        source.extend(array("i", [index]) * len(part.sizes))
        keys += part.keys
    durations = array("q", map(sub, dts[1:], dts[:-1]))
    durations.append(tracks[-1].durations[-1])
    end = max(map(add, pts, durations))
    return Samples(
        handler=b"vide", timescale=scale, entry=_with_bit_rate(first, sizes, durations),
        dts=dts, pts=pts, durations=durations, sizes=sizes, sources=parts, source=source,
        offsets=offsets, keys=bytes(keys), end=end, width=first.width, height=first.height,
    )  # fmt: skip


def _place(part: Track, delta: int, last: int | None, dts: array[int], pts: array[int]) -> int:
    """Append ``part``'s dts and pts moved by ``delta``, and return its last dts. A dts that
    does not rise past the one before is moved one tick past it (its pts with it when it would
    fall behind), as ffmpeg does for a muxer that needs strictly rising dts."""
    moved_dts = array("q", map(add, part.dts, repeat(delta)))
    moved_pts = array("q", map(add, part.pts, repeat(delta)))
    at = 0
    while last is not None and at < len(moved_dts) and moved_dts[at] <= last:
        if moved_pts[at] >= moved_dts[at]:
            moved_pts[at] = max(moved_pts[at], last + 1)
        last = moved_dts[at] = last + 1
        at += 1
    dts.extend(moved_dts)
    pts.extend(moved_pts)
    return int(moved_dts[-1])


def _setup(entry: bytes) -> bytes:
    """A sample description without its bit rates (each part has its own)."""
    at = _bit_rate_at(entry)
    return entry if at < 0 else entry[:at] + entry[at + 12 :]


def _bit_rate_at(entry: bytes) -> int:
    """Where the ``btrt`` box's three rates are in ``entry`` (-1: it has none)."""
    at = entry.find(b"btrt")
    if at < 4 or struct.unpack_from(">I", entry, at - 4)[0] != 20 or at + 16 > len(entry):
        return -1
    return at + 4


def _with_bit_rate(first: Track, sizes: array[int], durations: array[int]) -> bytes:
    """The parts' sample description with the bit rates (``btrt``) of the whole track."""
    entry = first.entry
    at = _bit_rate_at(entry)
    if at < 0:
        return entry
    buffer, peak, _ = struct.unpack_from(">III", entry, at)
    average = _average_bit_rate(sizes, durations, first.timescale)
    return entry[:at] + struct.pack(">III", buffer, max(peak, average), average) + entry[at + 12 :]


def _average_bit_rate(sizes: array[int], durations: array[int], timescale: int) -> int:
    """Bits per second over the track, as ffmpeg's MP4 muxer reckons it."""
    length = sum(durations)
    return min(sum(sizes) * 8 * timescale // length, 0xFFFFFFFF) if length else 0


def sound_samples(track: Soundtrack) -> Samples:
    """The sound track: the soundtrack's AAC frames, the priming frame at -1024."""
    chunks, header = track.chunks, track.header
    if not chunks and track.path is not None:  # a soundtrack known by its file alone
        data = track.path.read_bytes()
        chunks, header = [adts_payloads(data)], data[:7]
    sizes, offsets, source = array("I"), array("q"), array("i")
    for index, (_, chunk_sizes) in enumerate(chunks):
        sizes.extend(chunk_sizes)
        offsets.extend(accumulate(chunk_sizes[:-1], initial=0))
        source.extend(array("i", [index]) * len(chunk_sizes))
    count = len(sizes)
    if count != track.frames or count < 2:
        raise UnsupportedMovie(f"the soundtrack holds {count} frames, not {track.frames}")
    dts = array("q", range(-FRAME, (count - 1) * FRAME, FRAME))
    durations = array("q", [FRAME]) * count
    durations[-1] = track.samples - (count - 2) * FRAME
    return Samples(
        handler=b"soun", timescale=_rate(header), entry=_mp4a(header, sizes, durations),
        dts=dts, pts=dts, durations=durations, sizes=sizes,
        sources=[payload for payload, _ in chunks], source=source, offsets=offsets,
        keys=None, end=track.samples,
    )  # fmt: skip


def _rate(adts: bytes) -> int:
    return _SAMPLE_RATES[(adts[2] >> 2) & 0x0F]


def _mp4a(adts: bytes, sizes: array[int], durations: array[int]) -> bytes:
    """The AAC sample description (``mp4a`` with its ``esds``), from the first ADTS header."""
    profile = (adts[2] >> 6) + 1
    rate_index = (adts[2] >> 2) & 0x0F
    channels = ((adts[2] & 0x01) << 2) | (adts[3] >> 6)
    config = struct.pack(">H", profile << 11 | rate_index << 7 | channels << 3)
    average = _average_bit_rate(sizes, durations, _rate(adts))
    rates = struct.pack(">III", 0, average, average)

    def descriptor(tag: int, body: bytes) -> bytes:
        return struct.pack(">B3sB", tag, b"\x80\x80\x80", len(body)) + body

    decoder = descriptor(4, b"\x40\x15" + rates[1:4] + rates[4:] + descriptor(5, config))
    es = descriptor(3, struct.pack(">HB", 2, 0) + decoder + descriptor(6, b"\x02"))
    esds = box(b"esds", bytes(4) + es)
    fields = struct.pack(">6xH8xHHHHI", 1, channels, 16, 0, 0, _rate(adts) << 16)
    return box(b"mp4a", fields, esds, box(b"btrt", rates))
