"""``previz log`` as a table that reads at 80 columns: one line per generation, reasons below.

A failure's reason is the service's own words and can be long; it is printed under the table,
one line per failed take, instead of in a column that would squeeze every other column into
letter-wide folds on a narrow terminal. Long shot ids and model names are shortened with '…'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table

from previz.generate.journal import Generation


def print_log(console: Console, entries: Sequence[Generation]) -> None:
    """The generations, newest first, then the reason of every one that has a reason."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("when", no_wrap=True, min_width=11)
    table.add_column("shot, take", no_wrap=True, min_width=10)
    table.add_column("backend · model", no_wrap=True, overflow="ellipsis", max_width=20)
    table.add_column("outcome", no_wrap=True, min_width=9)
    table.add_column("cost", justify="right", no_wrap=True, min_width=6)
    table.add_column("secs", justify="right", no_wrap=True, min_width=5)
    for entry in entries:
        model = f" · {entry.model}" if entry.model else ""
        table.add_row(
            _when(entry.finished),
            f"{_short(entry.shot_id, 14)} #{entry.take}",
            f"{entry.backend}{model}",
            entry.outcome + ("*" if entry.reason else ""),
            f"${entry.cost:.2f}",
            f"{entry.latency:.1f}",
        )
    console.print(table)
    for entry in entries:
        if entry.reason:
            console.print(
                f"* {entry.shot_id} #{entry.take} ({_when(entry.finished)}): {entry.reason}",
                markup=False,
                highlight=False,
            )


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(stamp: str) -> str:
    """``2026-11-30T10:48:49+00:00`` → ``11-30 10:48`` (the year is rarely news)."""
    try:
        return datetime.fromisoformat(stamp).strftime("%m-%d %H:%M")
    except ValueError:
        return stamp
