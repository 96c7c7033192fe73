"""Forked worker processes writing export formats in parallel (see :mod:`previz.timeline.export`).

:func:`start` forks the workers at once, so each inherits the cut the parent prepared without
pickling it, and they write while the parent goes on. The parent first fills a pipe with the
jobs' numbers, in order: a worker takes the next number when it is free (a read of one number
from a pipe is atomic), so the first free worker writes the next job, and it reports each
outcome on a pipe of its own. :func:`result_of` waits for one job; :func:`stop` drops the jobs
no worker has taken yet and waits for the workers to exit. Errors come back as plain values
and are raised in the parent as the :class:`~previz.errors.TimelineError` the writer raised; a
worker that ends without reporting a job it took fails that job the same way.

No ``concurrent.futures`` process pool: in the build's process its queues, manager thread and
feeder thread cost ~4 ms of CPU and ~7 ms before the parent could go on, beyond the fork
itself, and each outcome reached the caller through its manager thread. A worker here reads
numbers, writes outcomes and leaves with ``os._exit`` (no teardown of its copy of the parent).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from previz.errors import TimelineError

# the paths written, or an error: a TimelineError's message, hint and path, or another error
Outcome = tuple[list[str], tuple[str, str | None, str | None] | Exception | None]
Write = Callable[[Any], list[Path]]
"""Writes one job (in a worker) and returns its files."""

_NUMBER = struct.Struct("<I")  # a job's number in the jobs pipe; an outcome's length before it
_MOST_JOBS = 1024  # their numbers (4 KiB) fill the jobs pipe before any worker reads it

_FORKED: dict[str, Any] = {}  # what forked workers inherit: the writer and the jobs


@dataclass
class Workers:
    """The workers of one :func:`start`: their process ids, the pipe of the jobs not taken
    yet, each worker's outcome pipe (with what was read of it so far) and the outcomes in."""

    pids: list[int]
    jobs: int
    reports: dict[int, bytearray] = field(default_factory=dict)
    outcomes: dict[int, Outcome] = field(default_factory=dict)


def start(write: Write, jobs: Sequence[Any], processes: int) -> Workers | None:
    """Fork ``processes`` workers and hand them the jobs, in order; ``None`` where fork is
    missing or for more jobs than a pipe surely holds (the caller then writes serially)."""
    if not hasattr(os, "fork") or len(jobs) > _MOST_JOBS:  # (multiprocessing: ~1.5 ms to import)
        return None
    _FORKED.update(write=write, jobs=list(jobs))
    taken, giving = os.pipe()
    try:
        os.write(giving, b"".join(_NUMBER.pack(index) for index in range(len(jobs))))
    finally:
        os.close(giving)  # every number is in: a worker that finds none left ends
    workers = Workers([], taken)
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    try:
        for _ in range(processes):
            reading, reporting = os.pipe()
            workers.reports[reading] = bytearray()  # closed by stop() on a failure
            try:
                pid = os.fork()
                if pid == 0:
                    _work(taken, reporting, list(workers.reports))  # never returns
            finally:
                os.close(reporting)
            workers.pids.append(pid)
    except BaseException:
        stop(workers)
        raise
    return workers


def result_of(workers: Workers, index: int) -> list[Path]:
    """Wait for the ``index``-th job: the files it wrote, or its error raised here.

    The workers, idle once every job is done, are not waited for here: :func:`stop` does it
    (their exit, freeing a copy of a big parent, takes a few ms each), so the caller goes on
    first."""
    while index not in workers.outcomes:
        if not workers.reports:
            raise TimelineError(
                "an export worker ended before writing one of the exports",
                hint="the other exports are unaffected; run the build again",
            )
        waiting = select.poll()  # poll, not select: any file number
        for reading in workers.reports:
            waiting.register(reading, select.POLLIN)
        for reading, _event in waiting.poll():
            _read_outcomes(workers, reading)
    paths, error = workers.outcomes[index]
    if isinstance(error, Exception):
        raise error
    if error is not None:
        message, hint, path = error
        raise TimelineError(message, hint=hint, path=path)
    return [Path(p) for p in paths]


def stop(workers: Workers) -> None:
    """Drop the jobs no worker has taken (the caller failed, or they are all taken), then
    wait for the workers to finish what they took and exit."""
    try:
        os.set_blocking(workers.jobs, False)
        with contextlib.suppress(BlockingIOError):
            while os.read(workers.jobs, 1 << 16):
                pass
    finally:
        os.close(workers.jobs)
        for reading in workers.reports:  # first: a worker reporting now is not kept waiting
            os.close(reading)
        workers.reports.clear()
        for pid in workers.pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        _FORKED.clear()


def _read_outcomes(workers: Workers, reading: int) -> None:
    """Read what a worker reported; an outcome is its length then its pickle. A worker's
    pipe at its end is closed and forgotten."""
    data = os.read(reading, 1 << 16)
    if not data:
        os.close(reading)
        del workers.reports[reading]
        return
    pending = workers.reports[reading]
    pending += data
    while len(pending) >= _NUMBER.size:
        length = _NUMBER.unpack_from(pending)[0]
        if len(pending) < _NUMBER.size + length:
            break
        index, outcome = pickle.loads(pending[_NUMBER.size : _NUMBER.size + length])
        workers.outcomes[index] = outcome
        del pending[: _NUMBER.size + length]


def _work(taken: int, reporting: int, others: list[int]) -> NoReturn:
    """A forked worker: write the jobs whose numbers it takes until none is left, report each
    outcome, and leave without the interpreter's teardown (whatever happens)."""
    code = 1
    try:
        for reading in others:  # the parent's ends of the outcome pipes
            os.close(reading)
        _started()
        while len(number := os.read(taken, _NUMBER.size)) == _NUMBER.size:
            index = _NUMBER.unpack(number)[0]
            report = pickle.dumps((index, _forked_write(index)))
            data = memoryview(_NUMBER.pack(len(report)) + report)
            while data:
                data = data[os.write(reporting, data) :]
        code = 0
    finally:
        os._exit(code)


def _started() -> None:
    """In a worker, first: freeze what it inherited (its first collection would otherwise walk
    the parent's young objects, ~3 ms copying their pages, to free none of them), and keep the
    memory its jobs free for the next ones."""
    gc.freeze()
    _keep_freed_memory()


# glibc's mallopt(3) parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep the memory a job frees for the next job instead of handing it
    back to the system: a buffer over its mmap threshold (the documents, the memos, the last
    AAF read back) is mapped afresh and unmapped when freed, and the heap's free top trimmed,
    so the next job touches new pages, each a page fault (~2 µs; a one-shot change of 200
    shots: ~16,000 faults in the worker, ~12,000 with this). The worker exits after its jobs,
    which returns all of it. Elsewhere than glibc (no ``mallopt``) nothing changes."""
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's most on 64 bits; both: either alone faults more
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)


def _forked_write(index: int) -> Outcome:
    """In a worker: write the ``index``-th job; errors come back as values (a TimelineError
    by its parts, any other as itself when it pickles, as the process pool sent it)."""
    try:
        paths = _FORKED["write"](_FORKED["jobs"][index])
    except TimelineError as error:
        return [], (error.message, error.hint, str(error.path) if error.path else None)
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:  # an error that cannot travel: its type and text do
            return [], (f"export failed: {type(error).__name__}: {error}", None, None)
        return [], error
    return [str(p) for p in paths], None
