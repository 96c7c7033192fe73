"""The cut's sound as AAC encoded in chunks that join by stream copy, without seams or drift.

Encoding the whole cut's sound for every change costs time in proportion to the cut (~2.5 s
CPU for five minutes). Encoding each shot on its own and joining the results would not do: an
AAC encoder starts every stream with a priming frame (1024 samples of delay), each frame's MDCT
overlaps its neighbours', and the encoder settles its quantiser over the first seconds — so
joined pieces drift by a frame each, click at each join and sound worse after it.

So the sound is cut on a fixed grid of :data:`CHUNK_FRAMES` AAC frames (~20 s). Each chunk is
encoded together with :data:`PREROLL_FRAMES` frames of the sound before it (~3 s: the encoder
settles, and the frame before the chunk's first is encoded from the same samples as in the
previous chunk) and :data:`POSTROLL_FRAMES` after it (the encoder looks ahead to choose its
windows); of its frames only those that decode to the chunk's own samples are kept (the first
chunk also keeps the priming frame). Concatenated, the frames are what one encoder would
have produced for the whole cut, frame for frame in place: decoded, they match the source as
closely as a single encode does, at the joins too. The muxer is told the cut's exact length
(:func:`copy_args`), so the track ends on its last sample.

Each chunk is kept in the work folder under the hash of the samples it was encoded from (the
mixed sound parts it overlaps, and where), so a one-shot change re-encodes only the chunk or
two that shot's sound falls in.
"""

from __future__ import annotations

import hashlib
import json
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from previz.errors import MediaError
from previz.media.encoding import AUDIO_CODEC_ARGS, CHANNELS, SAMPLE_RATE
from previz.media.ffmpeg import run_ffmpeg
from previz.media.files import replacing
from previz.media.parts import BYTES_PER_SAMPLE, SoundPart, mix_sound_parts, stop_if_asked
from previz.media.tables import TableMemo

SCHEME = "soundtrack-1"  # raise when the way chunks are cut, encoded or kept changes
FRAME = 1024  # samples per AAC-LC frame
CHUNK_FRAMES = 960  # 20.48 s at 48 kHz
PREROLL_FRAMES = 150  # 3.2 s: what the encoder needs to settle (measured: 4 frames click)
POSTROLL_FRAMES = 2


@dataclass(frozen=True)
class AdtsLayout:
    """Where each frame of an ADTS stream starts, and its AAC payload (after the header)."""

    starts: array[int]
    payloads: array[int]
    sizes: array[int]  # of the payloads


@dataclass
class Soundtrack:
    """The cut's sound as ADTS AAC frames (priming frame first), ready to be stream-copied:
    in the file ``path`` when one was asked for, and as ``chunks`` — each chunk's frames
    without their headers and each frame's size — with the first frame's ADTS ``header``
    (what the frames are)."""

    path: Path | None
    samples: int
    frames: int
    encoded: list[Path] = field(default_factory=list)
    chunks: list[tuple[bytes, array[int]]] = field(default_factory=list)
    header: bytes = b""
    files: list[Path] = field(default_factory=list)  # the chunk files, in order

    def write_adts(self, dest: Path) -> None:
        """Write the whole sound as one ADTS stream (the chunk files one after the other)."""
        with dest.open("wb") as out:
            for path in self.files:
                out.write(path.read_bytes())


@dataclass(frozen=True)
class _Span:
    """A sound part's place in the cut and the file of its mix (None: silence)."""

    start: int
    samples: int
    key: str
    block: Path | None


def encode_soundtrack(
    parts: Sequence[SoundPart],
    keys: Sequence[str],
    dest: Path | None,
    workdir: Path,
    *,
    ffmpeg: Path,
    chunk_frames: int = CHUNK_FRAMES,
    stop: threading.Event | None = None,
    memo: Path | None = None,
) -> Soundtrack:
    """The cut's sound from chunks, encoding only the missing ones, also written to ``dest``
    (ADTS) unless it is None (``stop``: raise before the next ffmpeg run once it is set).
    Each chunk's frame layout comes from the memo file ``memo`` (default: beside the chunks'
    folder) while the chunk is the same file."""
    files, encoded, total = encode_chunks(
        parts, keys, workdir, ffmpeg=ffmpeg, chunk_frames=chunk_frames, stop=stop
    )
    end = -(-total // FRAME) * FRAME
    chunks, header = [], b""
    layouts = TableMemo(memo or workdir.parent / "soundtrack.tables", AdtsLayout)
    for path in files:
        layout = layouts.read(path, partial(_layout_of, path))  # the file's identity first
        data = path.read_bytes()
        chunks.append(_payloads(data, layout))
        header = header or data[:7]
    frames = sum(len(sizes) for _, sizes in chunks)
    if frames != end // FRAME + 1:
        raise MediaError(f"the sound encoded to {frames} AAC frames, not {end // FRAME + 1}")
    layouts.save()
    track = Soundtrack(dest, total, frames, encoded, chunks, header, files)
    if dest is not None:
        track.write_adts(dest)
    return track


def encode_chunks(
    parts: Sequence[SoundPart],
    keys: Sequence[str],
    workdir: Path,
    *,
    ffmpeg: Path,
    chunk_frames: int = CHUNK_FRAMES,
    stop: threading.Event | None = None,
) -> tuple[list[Path], list[Path], int]:
    """Mix the parts and encode the cut's chunks that are not there yet: the chunk files in
    order, the files made now (mixes and chunks) and the cut's length in samples."""
    blocks, encoded = mix_sound_parts(parts, keys, workdir, ffmpeg=ffmpeg, stop=stop)
    spans, at = [], 0
    for part, key, block in zip(parts, keys, blocks, strict=True):
        spans.append(_Span(at, part.samples, key, block))
        at += part.samples
    total = at
    end = -(-total // FRAME) * FRAME  # the last frame is padded with silence
    chunk_dir = workdir.parent / "soundtrack"
    chunk_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for start in range(0, end, chunk_frames * FRAME):
        chunk = _Chunk(start, min(start + chunk_frames * FRAME, end), total)
        path = chunk_dir / f"{chunk.key(spans)}.aac"
        if not path.exists():
            stop_if_asked(stop)
            chunk.encode(spans, path, ffmpeg=ffmpeg)
            encoded.append(path)
        files.append(path)
    return files, encoded, total


def copy_args(track: Soundtrack) -> list[str]:
    """ffmpeg arguments that stream-copy ``track`` (an input read with ``-f aac``) starting one
    priming frame early and ending on the cut's last sample, as the encoder itself would mark
    them; the MP4 muxer turns that into its edit list."""
    last = track.samples - (track.frames - 2) * FRAME
    ticks = "/(TB*SR)"  # samples in the stream's time base
    return [
        "-c:a", "copy",
        "-bsf:a",
        f"setts=pts=PTS-{FRAME}{ticks}:dts=DTS-{FRAME}{ticks}:"
        f"duration=if(eq(N\\,{track.frames - 1})\\,{last}{ticks}\\,DURATION)",
    ]  # fmt: skip


class _Chunk:
    """Samples [start, stop) of the cut, encoded from [start - preroll, stop + postroll)."""

    def __init__(self, start: int, stop: int, total: int) -> None:
        self.start, self.stop, self.total = start, stop, total
        self.low = max(0, start - PREROLL_FRAMES * FRAME)
        self.high = stop + POSTROLL_FRAMES * FRAME
        # frame i of the encode decodes to samples [(i - 1) * FRAME, i * FRAME) after self.low
        self.first = 0 if start == 0 else (start - self.low) // FRAME + 1
        self.last = (stop - self.low) // FRAME

    def pieces(self, spans: Sequence[_Span]) -> list[tuple[_Span, int, int]]:
        """The spans under [low, high): each with the offset and length read from it."""
        found = []
        for span in spans:
            lo, hi = max(self.low, span.start), min(self.high, span.start + span.samples)
            if lo < hi:
                found.append((span, lo - span.start, hi - lo))
        return found

    def key(self, spans: Sequence[_Span]) -> str:
        made_of = {
            "scheme": SCHEME,
            "audio": AUDIO_CODEC_ARGS,
            "pieces": [(s.key if s.block else None, at, n) for s, at, n in self.pieces(spans)],
            "length": self.high - self.low,
            "keep": [self.first, self.last],
        }
        return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()

    def encode(self, spans: Sequence[_Span], dest: Path, *, ffmpeg: Path) -> None:
        pcm = dest.with_name(f".{dest.stem}.f32")
        try:
            written = 0
            with pcm.open("wb") as out:
                for span, at, count in self.pieces(spans):
                    out.write(_samples(span, at, count))
                    written += count
                out.write(bytes((self.high - self.low - written) * BYTES_PER_SAMPLE))
            with replacing(dest) as temp:
                run_ffmpeg(
                    ["-y", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS),
                     "-i", str(pcm), *AUDIO_CODEC_ARGS, "-f", "adts", str(temp)],
                    ffmpeg=ffmpeg,
                    dest=dest,
                )  # fmt: skip
                frames = adts_frames(temp.read_bytes())
                if len(frames) <= self.last:
                    raise MediaError(f"the sound chunk encoded to only {len(frames)} frames")
                temp.write_bytes(b"".join(frames[self.first : self.last + 1]))
        finally:
            pcm.unlink(missing_ok=True)


def _samples(span: _Span, at: int, count: int) -> bytes:
    if span.block is None:
        return bytes(count * BYTES_PER_SAMPLE)
    with span.block.open("rb") as block:
        block.seek(at * BYTES_PER_SAMPLE)
        data = block.read(count * BYTES_PER_SAMPLE)
    if len(data) != count * BYTES_PER_SAMPLE:
        raise MediaError("a mixed sound part is shorter than its place in the cut", path=span.block)
    return data


def adts_frames(data: bytes) -> list[bytes]:
    """Split an ADTS stream into its frames (each with its 7- or 9-byte header)."""
    layout = adts_layout(data)
    ends = [*layout.starts[1:], len(data)]
    return [data[start:stop] for start, stop in zip(layout.starts, ends, strict=True)]


def adts_payloads(data: bytes) -> tuple[bytes, array[int]]:
    """The frames of an ADTS stream without their headers, one after the other, and the size
    of each."""
    return _payloads(data, adts_layout(data))


def _layout_of(path: Path) -> AdtsLayout:
    return adts_layout(path.read_bytes())


def _payloads(data: bytes, layout: AdtsLayout) -> tuple[bytes, array[int]]:
    if layout.starts[-1:] and layout.payloads[-1] + layout.sizes[-1] != len(data):
        raise MediaError("a sound chunk's frames do not end where the file does")
    view = memoryview(data)
    found = zip(layout.payloads, layout.sizes, strict=True)
    return b"".join([view[at : at + size] for at, size in found]), layout.sizes


def adts_layout(data: bytes) -> AdtsLayout:
    """Each frame's start, payload offset and payload size in an ADTS stream."""
    starts, payloads, sizes = array("q"), array("q"), array("I")
    at = 0
    while at < len(data):
        if len(data) - at < 7 or data[at] != 0xFF or data[at + 1] & 0xF0 != 0xF0:
            raise MediaError(f"not an ADTS frame at byte {at} of an encoded sound chunk")
        length = ((data[at + 3] & 0x03) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        header = 7 if data[at + 1] & 0x01 else 9  # protection_absent, or a CRC follows
        if length < header or at + length > len(data):
            raise MediaError(f"an ADTS frame of {length} bytes at byte {at} of a sound chunk")
        starts.append(at)
        payloads.append(at + header)
        sizes.append(length - header)
        at += length
    return AdtsLayout(starts, payloads, sizes)
