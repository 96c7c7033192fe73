"""Watching a run: per-shot status lines, an overall bar, and the money spent so far.

The runner talks to a :class:`RunProgress`; the CLI passes a :class:`RichProgress`, scripts pass
nothing and get :class:`SilentProgress`. Only jobs in flight get a line of their own (a 200-shot
scene would not fit on a screen); failed takes are printed above the bars as they happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column

from previz.backends.base import Job
from previz.generate.report import PlanRow, RunReport


class RunProgress(Protocol):
    """What the runner tells whoever is watching."""

    def begin(self, plan: Sequence[PlanRow]) -> None:
        """The run starts with these jobs."""

    def status(self, job: Job, status: str, fraction: float | None = None) -> None:
        """A job moved: "waiting", "submitted", "running", "retrying in 4s", "downloading"…"""

    def job_done(self, job: Job, outcome: str, cost: float, reason: str | None = None) -> None:
        """A job ended: "cached", "generated", "failed"; ``cost`` is what it spent."""

    def end(self, report: RunReport) -> None:
        """The run is over (also after a failure or Ctrl-C)."""


class SilentProgress:
    """Watches nothing: the library default when no one is looking."""

    def begin(self, plan: Sequence[PlanRow]) -> None:
        return None

    def status(self, job: Job, status: str, fraction: float | None = None) -> None:
        return None

    def job_done(self, job: Job, outcome: str, cost: float, reason: str | None = None) -> None:
        return None

    def end(self, report: RunReport) -> None:
        return None


LABEL_WIDTH = 16
"""Widest shot label on a progress line; a longer shot id ends in '…'."""
BAR_WIDTH = 12
STATUS_WIDTH = 56
"""Widest status; with the label, the bar and the elapsed time a line fits in 100 columns."""


def _label(job: Job) -> str:
    return f"{job.shot_id} take {job.take}"


class RichProgress:
    """A rich display: one line per job in flight, an overall bar with counts and spend."""

    def __init__(self, console: Console | None = None, *, transient: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(max_width=LABEL_WIDTH, no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=BAR_WIDTH),
            TextColumn(
                "{task.fields[status]}",
                markup=False,
                table_column=Column(max_width=STATUS_WIDTH, no_wrap=True, overflow="ellipsis"),
            ),
            TimeElapsedColumn(),
            console=self.console,
            transient=transient,
        )
        self._overall: TaskID | None = None
        self._rows: dict[tuple[str, int], TaskID] = {}
        self._spent = 0.0
        self._counts = {"cached": 0, "generated": 0, "failed": 0}
        self._started = False

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        """Stop the display if it ever started: one that never showed prints nothing, so an
        error raised before the first job is the first line the user sees."""
        if self._started:
            self._progress.stop()
            self._started = False

    def begin(self, plan: Sequence[PlanRow]) -> None:
        estimate = sum(row.cost for row in plan)
        self._overall = self._progress.add_task(
            "build", total=len(plan), status=f"estimated ${estimate:.2f}"
        )
        self._progress.start()
        self._started = True

    def status(self, job: Job, status: str, fraction: float | None = None) -> None:
        row = self._rows.get((job.shot_id, job.take))
        if row is None:
            row = self._progress.add_task(_label(job), total=1.0, status=status)
            self._rows[(job.shot_id, job.take)] = row
        self._progress.update(row, status=status, completed=fraction or 0.0)

    def job_done(self, job: Job, outcome: str, cost: float, reason: str | None = None) -> None:
        row = self._rows.pop((job.shot_id, job.take), None)
        if row is not None:
            self._progress.remove_task(row)
        self._spent += cost
        self._counts[outcome] = self._counts.get(outcome, 0) + 1
        if outcome == "failed":
            self._progress.console.print(f"✗ {_label(job)}: {reason}", markup=False)
        if self._overall is not None:
            self._progress.update(self._overall, advance=1, status=self._summary())

    def end(self, report: RunReport) -> None:
        if self._overall is not None:
            self._progress.update(self._overall, status=self._summary())
        self._stop()

    def _summary(self) -> str:
        c = self._counts
        return (
            f"{c['generated']} generated · {c['cached']} cached · {c['failed']} failed · "
            f"spent ${self._spent:.2f}"
        )
