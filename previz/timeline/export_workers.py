"""Forked worker processes writing export formats in parallel (see :mod:`previz.timeline.export`).

The workers are forked when :func:`start` hands them the formats (all of them at the first
submit, so each inherits the cut the parent prepared, without pickling it) and write while the
parent goes on; :func:`result_of` waits for one job, :func:`stop` for them to exit. Errors
come back as plain values and are raised in the parent as the
:class:`~previz.errors.TimelineError` the writer raised.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from previz.errors import TimelineError

Outcome = tuple[list[str], tuple[str, str | None, str | None] | None]  # paths, or an error
Write = Callable[[Any], list[Path]]
"""Writes one job (in a worker) and returns its files."""

Workers = tuple[ProcessPoolExecutor, list["Future[Outcome]"]]

_FORKED: dict[str, Any] = {}  # what forked workers inherit: the writer and the jobs


def start(write: Write, jobs: Sequence[Any], processes: int) -> Workers | None:
    """Fork ``processes`` workers and hand each job to them, in order; ``None`` where fork is
    missing (the caller then writes serially)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    _FORKED.update(write=write, jobs=list(jobs))
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                               initializer=_started)  # fmt: skip
    try:
        return pool, [pool.submit(_forked_write, index) for index in range(len(jobs))]
    except BaseException:
        stop((pool, []))
        raise


def result_of(workers: Workers, index: int) -> list[Path]:
    """Wait for the ``index``-th job: the files it wrote, or its error raised here.

    The workers, idle once every job is done, are not waited for here: :func:`stop` lets
    them go (their exit, tearing down a copy of a big parent, takes a few ms each), so the
    caller goes on first."""
    paths, error = workers[1][index].result()
    if error is not None:
        message, hint, path = error
        raise TimelineError(message, hint=hint, path=path)
    return [Path(p) for p in paths]


def stop(workers: Workers) -> None:
    """Wait for the workers to finish what they started and exit; jobs not started are
    dropped (the caller failed)."""
    try:
        workers[0].shutdown(wait=True, cancel_futures=True)
    finally:
        _FORKED.clear()


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
    """In a worker: write the ``index``-th job; errors come back as plain values."""
    try:
        paths = _FORKED["write"](_FORKED["jobs"][index])
    except TimelineError as error:
        return [], (error.message, error.hint, str(error.path) if error.path else None)
    return [str(p) for p in paths], None
