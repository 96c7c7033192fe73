"""The animatic's new parts, encoded while the build is still assembling its cut.

A one-shot change re-encodes one picture part, one sound mix and a sound chunk or two of the
animatic (:mod:`previz.media.sequence`: ~0.2 s of ffmpeg), which could start only once the cut
was assembled — when both cores are busy with the exports. Yet a change usually leaves the
cut's shape as it was: the same parts, one take in place of another. So each animatic leaves a
memo of its cut, each part's sources named by where they came from (shot, take, and the take's
picture or which stem) rather than by file; the next build, once its takes are placed, forks a
helper process that reads the memo, puts this build's takes in their places and encodes the
parts of the takes that changed (and the sound chunks around them) that the work folder does
not hold, on the core the assembling leaves idle. The animatic finds them there; what the
build really cuts decides what is used, so a wrong forecast (the cut changed shape) only costs
the helper's work.

Nothing foreseen can be wrong in the work folder: a part's file is named by the hash of what it
is made of, and the helper pairs a take's file only with the key the timeline gives that very
file — the take's cache key for its picture, :func:`~previz.timeline.take.stem_key` for a stem.
A source that was anything else (a clip's own audio standing in for its dialogue, media
without a cache key) is not foreseen. A damaged, cut-short, other-version or other-frame memo
is ignored. The build waits for the helper before the animatic looks for its parts and before
it returns or fails, and the files the helper made are the build's own to its stamp
(:data:`MADE_EVENT`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from previz.media import parts as parts_module
from previz.media.ffmpeg import find_ffmpeg
from previz.media.files import replacing
from previz.media.parts import Frame, PicturePart, SoundPart, SoundSource, Source, sound_key
from previz.media.sequence import encode_parts, memo_tag
from previz.products import MADE_EVENT
from previz.timebase import rate_text
from previz.timeline import playout as playout_module
from previz.timeline import take as take_module
from previz.timeline.formats import source_version
from previz.timeline.playout import Playout
from previz.timeline.take import Take, stem_key

MOST_TAKES = 4
"""The most takes a build may have generated for the helper to run: it encodes one part at a
time to leave the assembling its core, which a few takes' parts fit beside; more are encoded
faster by the animatic's two chains at once (:func:`~previz.media.sequence.build_sequence`)."""
_MAGIC = "previz-cut-memo-1"

Takes = Mapping[tuple[str, int], Take]


class _Unforeseen(Exception):
    """A source the memo cannot place in this build (its take or stem is gone, or unknown)."""


def memo_path(workdir: Path, animatic: Path) -> Path:
    """The memo of the cut last joined into ``animatic``, in its work folder."""
    return workdir / f"cut-{memo_tag(animatic)}.memo"


def _version() -> str:
    return source_version(sys.modules[__name__], playout_module, parts_module, take_module)


def _frame_facts(frame: Frame) -> list[Any]:
    return [frame.width, frame.height, rate_text(frame.fps), str(frame.font)]


def remember(path: Path, cut: Playout, takes: Takes, frame: Frame) -> None:
    """Keep the memo of ``cut`` (joined from ``takes``), replacing the last one; a memo that
    cannot be written is skipped (it only saves time)."""
    by_key: dict[str, tuple[str, int, str]] = {}
    for take in takes.values():
        by_key[take.cache_key] = (take.shot_id, take.take, "")
        for role in take.stems:
            by_key[stem_key(take.cache_key, role)] = (take.shot_id, take.take, role)
    origins: dict[tuple[str, int, str, str], int] = {}

    def named(source: Source | None) -> list[Any] | None:
        if source is None:
            return None
        origin = by_key.get(source.key)
        if origin is None:
            return [-1, source.start]
        return [origins.setdefault((*origin, source.key), len(origins)), source.start]

    pictures = [
        [p.frames, named(p.source), named(p.into), p.dissolve, p.shot_id, p.record]
        for p in cut.pictures
    ]
    sounds = [
        [s.samples, [[*(named(x.source) or []), x.at, x.samples] for x in s.sources], s.shot_id]
        for s in cut.sounds
    ]
    body = json.dumps(
        {"version": _version(), "frame": _frame_facts(frame), "origins": list(origins),
         "pictures": pictures, "sounds": sounds},
        separators=(",", ":"),
    )  # fmt: skip
    digest = hashlib.sha256(body.encode()).hexdigest()
    with contextlib.suppress(OSError), replacing(path) as temp:
        temp.write_text(f"{_MAGIC}\n{digest}\n{body}", encoding="utf-8")


def recall(path: Path, frame: Frame) -> dict[str, Any] | None:
    """The memo's contents, or None when it is missing, damaged, of another version or of
    another frame (size, rate, burn-in)."""
    try:
        magic, digest, body = path.read_text(encoding="utf-8").split("\n", 2)
    except (OSError, ValueError):
        return None
    if magic != _MAGIC or hashlib.sha256(body.encode()).hexdigest() != digest:
        return None
    try:
        memo = json.loads(body)
    except ValueError:
        return None
    if not isinstance(memo, dict) or memo.get("version") != _version():
        return None
    return memo if memo.get("frame") == _frame_facts(frame) else None


def foresee(
    memo: Mapping[str, Any], takes: Takes
) -> tuple[list[PicturePart], list[SoundPart], set[int]]:
    """The cut of ``memo`` with this build's ``takes`` in their places: the picture parts
    showing a take that changed, every sound part (none when one cannot be placed), and
    which of those hold a take that changed."""
    origins: list[tuple[Source, bool] | None] = []
    for shot, number, role, key in memo["origins"]:
        take = takes.get((shot, number))
        if take is None or (role and role not in take.stems):
            origins.append(None)
        elif role:
            now = stem_key(take.cache_key, role)
            origins.append((Source(take.stems[role], now), now != key))
        else:
            origins.append((Source(take.path, take.cache_key), take.cache_key != key))
    changed = False

    def placed(named: list[Any]) -> Source:
        nonlocal changed
        index, start = named
        found = origins[index] if 0 <= index < len(origins) else None
        if found is None:
            raise _Unforeseen
        changed = changed or found[1]
        return Source(found[0].path, found[0].key, start)

    pictures = []
    for frames, source, into, dissolve, shot_id, record in memo["pictures"]:
        changed = False
        with contextlib.suppress(_Unforeseen):
            sides = [None if named is None else placed(named) for named in (source, into)]
            if changed:
                pictures.append(PicturePart(frames, sides[0], sides[1], dissolve, shot_id, record))
    sounds, fresh = [], set()
    try:
        for index, (samples, sources, shot_id) in enumerate(memo["sounds"]):
            changed = False
            placed_sources = tuple(
                SoundSource(placed([origin, start]), at, count)
                for origin, start, at, count in sources
            )
            sounds.append(SoundPart(samples, placed_sources, shot_id))
            if changed:
                fresh.add(index)
    except _Unforeseen:
        return pictures, [], set()
    return pictures, sounds, fresh


def _encode(memo_file: Path, takes: Takes, frame: Frame, workdir: Path) -> list[Path]:
    """In the helper: encode what the memo foresees and the work folder lacks."""
    memo = recall(memo_file, frame)
    if memo is None:
        return []
    pictures, sounds, fresh = foresee(memo, takes)
    mixed = workdir / "sound"
    for index, part in enumerate(sounds):  # the sound of unchanged takes must be mixed already
        if index not in fresh and part.sources and not (mixed / f"{sound_key(part)}.f32").exists():
            sounds = []
            break
    sounds = sounds if fresh else []
    if not pictures and not sounds:
        return []
    return encode_parts(pictures, sounds, frame, workdir, ffmpeg=find_ffmpeg())


class Ahead:
    """The helper process encoding a build's foreseen parts, or nothing to wait for."""

    def __init__(self, pid: int | None = None, reader: int | None = None) -> None:
        self._pid, self._reader = pid, reader
        self._lock = threading.Lock()
        self.made: list[Path] = []

    def wait(self) -> list[Path]:
        """Wait for the helper (once); the files it made, each raised as :data:`MADE_EVENT`."""
        with self._lock:
            if self._pid is None or self._reader is None:
                return self.made
            pid, reader, self._pid, self._reader = self._pid, self._reader, None, None
            try:
                with open(reader, "rb") as pipe:
                    said = pipe.read()
            finally:
                os.waitpid(pid, 0)
            with contextlib.suppress(ValueError):
                self.made = [Path(p) for p in json.loads(said)] if said else []
            for path in self.made:
                sys.audit(MADE_EVENT, str(path))
            return self.made


def worth_it(generated: int) -> bool:
    """Whether a build that generated ``generated`` takes gains from the helper: some take
    changed (the cut may well keep its shape), and few (:data:`MOST_TAKES`)."""
    return 0 < generated <= MOST_TAKES


def core_idle() -> bool:
    """Whether a core is idle for the helper right now: no task but this one is running (on
    a 2-core machine; fewer than ``cores - 1`` others on a bigger one), from Linux's count of
    runnable tasks, else the last minute's load. Its work pays only there: forked, it also
    makes the build's process copy each page it writes while assembling (~15-25 ms CPU at 200
    shots), and where every core is taken its ffmpeg only competes with the build."""
    cores = os.cpu_count() or 1
    try:
        with open("/proc/loadavg", "rb") as stats:
            others = int(stats.read().split()[3].split(b"/")[0]) - 1  # "running/total"
    except (OSError, ValueError, IndexError):
        try:
            others = round(os.getloadavg()[0])
        except OSError:
            return False
    return others < cores - 1


@contextlib.contextmanager
def encoding_ahead(
    memo: Path, takes: Takes, frame: Frame, workdir: Path, *, wanted: bool = True
) -> Iterator[Ahead]:
    """Fork the helper (when ``wanted``, fork exists, there is a memo and a core is idle) for
    the block's length; leaving the block waits for it, whatever happened."""
    ahead = Ahead()
    if wanted and hasattr(os, "fork") and memo.is_file() and core_idle():
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no helper: the animatic encodes everything itself, as it can
            os.close(reader)
            pid = None
        if pid == 0:
            os.close(reader)
            _helper(writer, memo, takes, frame, workdir)
        os.close(writer)
        ahead = Ahead(pid, reader) if pid is not None else ahead
    try:
        yield ahead
    finally:
        ahead.wait()


def _helper(writer: int, memo: Path, takes: Takes, frame: Frame, workdir: Path) -> NoReturn:
    """The forked helper: encode, say what it made, and leave without running anything of the
    parent's (no exit handlers, no flushing of its buffers)."""
    status = 1
    try:
        with contextlib.suppress(ValueError):  # only the main thread may set these
            signal.set_wakeup_fd(-1)  # a signal here must not wake the parent's event loop
            signal.signal(signal.SIGINT, signal.default_int_handler)
        made = _encode(memo, takes, frame, workdir)
        with open(writer, "wb") as pipe:
            pipe.write(json.dumps([str(path) for path in made]).encode())
        status = 0
    except BaseException:  # anything: the build encodes what it needs itself, and says why
        pass
    finally:
        os._exit(status)
