"""What a build made and where (:class:`BuildResult`), and ``build.json``, its record in the
output folder: what was built, from the cache or fresh, what failed and what it cost."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from previz.generate import RunReport
from previz.review.build import RUN_COUNTERS, SUMMARY_FILE
from previz.shotlist.resolve import ResolvedShotList


@dataclass(repr=False)
class BuildResult:
    """What a build made and where: the run report, the output folder and its files."""

    shotlist: ResolvedShotList
    report: RunReport
    out_dir: Path
    animatic: Path | None = None
    timeline: Path | None = None
    exports: dict[str, list[Path]] = field(default_factory=dict)
    transition_problems: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # exports written (not current)
    review: Path | None = None
    settled: bool = False  # a rerun would only find its clips in the cache (see pipeline._settles)

    @property
    def ok(self) -> bool:
        return self.report.ok

    def __repr__(self) -> str:
        # Short on purpose: Python 3.11's asyncio.run reprs the finished task (and so its
        # result) while restoring the SIGINT handler; the full shot list took ~0.8 s each time.
        report = self.report
        return (
            f"BuildResult(out_dir={str(self.out_dir)!r}, clips={len(report.clips)}, "
            f"cached={report.cached}, generated={report.generated}, "
            f"failures={len(report.failures)})"
        )


def as_rerun(result: BuildResult) -> BuildResult:
    """``result`` as the same build run again would report it: every clip from the cache,
    nothing generated, nothing spent (only for a settled build: nothing failed)."""
    report = result.report
    if not report.generated and not report.spent:
        return result
    again = replace(report, cached=report.cached + report.generated, generated=0, spent=0.0)
    return replace(result, report=again)


def write_summary(result: BuildResult) -> Path:
    """``build.json``: what was built, from the cache or fresh, what failed and what it cost.

    The counters are those of the run that made the cut: a rebuild that takes every clip from
    the cache and spends nothing, with everything else the same, leaves the file as it was
    (a no-op rewrites nothing; the totals of the run that paid for the cut stay readable)."""
    report = result.report
    summary = {
        "title": result.shotlist.project.title,
        "shots": len(result.shotlist.shots),
        "clips": len(report.clips),
        "cached": report.cached,
        "generated": report.generated,
        "spent_usd": round(report.spent, 4),
        "unknown_usd": round(report.at_risk, 4),
        "failures": [
            {
                "shot": f.shot_id,
                "take": f.take,
                "backend": f.backend,
                "reason": f.reason,
                "retryable": f.retryable,
                "state": f.state,
            }
            for f in report.failures
        ],
        "transition_problems": result.transition_problems,
        "animatic": result.animatic.name if result.animatic else None,
        # by name: a format's files come in the writer's order when written, by name when reused
        "exports": {fmt: sorted(p.name for p in paths) for fmt, paths in result.exports.items()},
    }
    path = result.out_dir / SUMMARY_FILE
    text = json.dumps(summary, indent=2) + "\n"
    with contextlib.suppress(OSError, ValueError):
        found = path.read_text(encoding="utf-8")
        if found == text:
            return path  # the same summary: leave the file (and its mtime) alone
        if report.generated == 0 and report.spent == 0 and _same_cut(json.loads(found), summary):
            return path  # nothing made or paid for: the counters of the run that made the cut
    path.write_text(text, encoding="utf-8")
    return path


def _same_cut(found: object, summary: dict[str, object]) -> bool:
    """Whether a ``build.json`` read back says what ``summary`` says, run counters aside."""
    if not isinstance(found, dict):
        return False
    return {k: v for k, v in found.items() if k not in RUN_COUNTERS} == {
        k: v for k, v in summary.items() if k not in RUN_COUNTERS
    }
