"""The cut of the takes at hand, made while the build's new takes are still rendering.

A one-shot change keeps 199 takes from the cache and renders one, and the build's main thread
used to wait for the render's ffmpeg doing nothing, then place the 200 takes and assemble the
cut. Now, as soon as the run has kept the cached takes (:func:`~previz.generate.run_jobs`'
``on_kept``), a thread works out where they go in the output folder and builds their pieces of
the cut (:class:`~previz.timeline.assemble.Assembly`) while the render runs. It writes nothing:
the takes are placed after the run, as before, so a run that fails leaves the output folder as
it was. Then the cut is finished around what was prepared; a shot is built again when its takes
are not the very objects prepared or when placing them wrote a file of theirs or found a
symbolic link (the references were worked out from the folder as it was). So the cut is the
one assembled from scratch, with or without anything prepared.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import opentimelineio as otio

from previz.backends.base import Clip
from previz.placing import Key, Placement
from previz.shotlist.resolve import ResolvedShotList
from previz.timeline.assemble import Assembly

SWITCH_INTERVAL = 0.0005
"""Seconds the preparing thread holds the interpreter while another thread waits for it. At
Python's default (5 ms) the event loop, woken by the render's end, waited out the whole
preparation (each wake-up after a system call waits for the interval again)."""
_switching = threading.Lock()
_preparing = [0, 0.0]  # threads preparing a cut, and the interval before the first began


@contextlib.contextmanager
def _yielding() -> Iterator[None]:
    """The interpreter's switch interval at :data:`SWITCH_INTERVAL` while a cut is prepared."""
    with _switching:
        if _preparing[0] == 0:
            _preparing[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _preparing[1]))
        _preparing[0] += 1
    try:
        yield
    finally:
        with _switching:
            _preparing[0] -= 1
            if _preparing[0] == 0:
                sys.setswitchinterval(_preparing[1])


class CutAhead:
    """A build's cut: prepared from the kept takes in a thread (:meth:`start`), then its takes
    placed (:meth:`place`) and the timeline finished (:meth:`assemble`) once the run is over."""

    def __init__(self, shotlist: ResolvedShotList, out_dir: Path) -> None:
        self.shotlist = shotlist
        self.out_dir = out_dir
        self._thread: threading.Thread | None = None
        self._placement: Placement | None = None
        self._assembly: Assembly | None = None
        self._moved: set[str] = set()

    def start(self, kept: Mapping[Key, Clip]) -> None:
        """Prepare the cut of ``kept`` in a thread of its own (later calls, once it is under way,
        are ignored; without a thread to be had, nothing is prepared)."""
        if self._thread is not None:
            return
        thread = threading.Thread(target=self._prepare, args=(dict(kept),), name="previz-cut-ahead")
        try:
            thread.start()
        except RuntimeError:  # no thread to be had (a limit reached): the cut is made after the run
            return
        self._thread = thread

    def _prepare(self, kept: dict[Key, Clip]) -> None:
        placement = Placement(self.out_dir)
        try:
            with _yielding():
                assembly = Assembly(self.shotlist)
                assembly.prepare(placement.plan(kept))
        except Exception:  # it only saves time: the cut is then made whole after the run,
            return  # where the same error (a bad start timecode…) is raised
        self._placement, self._assembly = placement, assembly

    def join(self) -> None:
        """Wait for the preparation (before the build forks, returns or fails)."""
        if self._thread is not None:
            self._thread.join()

    def place(self, clips: Mapping[Key, Clip]) -> dict[Key, Clip]:
        """Place the run's takes in the output folder; the clips pointing there."""
        self.join()
        placed, self._moved = (self._placement or Placement(self.out_dir)).place(clips)
        return placed

    def assemble(
        self, placed: Mapping[Key, Clip], failures: Mapping[str, str]
    ) -> otio.schema.Timeline:
        """The timeline of ``placed`` (from :meth:`place`), around what was prepared."""
        self.join()
        assembly = self._assembly or Assembly(self.shotlist)
        assembly.forget(self._moved)
        return assembly.finish(placed, failures=failures)
