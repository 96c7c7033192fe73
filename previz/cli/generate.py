"""Commands that generate or account for clips: ``build``, ``cost``, ``log``, ``select``,
``backends``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from previz.backends.base import Backend, Capabilities, Job, JobStatus
from previz.backends.options import describe
from previz.backends.registry import backend_class, backend_names
from previz.cli import stamp
from previz.cli.app import cli, console, err_console
from previz.cli.logview import print_log
from previz.cli.options import OPTION, SCENE, parse_cli_options
from previz.generate import RichProgress
from previz.generate.journal import HELD
from previz.pipeline import DEFAULT_FORMATS, BuildResult, abuild, as_rerun, project_dir
from previz.prompts.environment import package_templates

if TYPE_CHECKING:
    from previz.reports import CacheSummary

logger = logging.getLogger("previz.cli")


@cli.command()
@click.argument("scene", type=SCENE)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: out/<scene name> beside the scene file).",
)
@click.option("--backend", "-b", help="Generate every shot with this backend.")
@click.option("--model", "-m", help="Model of the backend to use.")
@click.option("--max-cost", type=float, help="Refuse to spend more than this many USD.")
@click.option("--dry-run", is_flag=True, help="Plan and price every job; submit nothing.")
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    metavar="NAME",
    help="Timeline format to export (repeat the option); default: the project's `exports`, "
    f"else {', '.join(DEFAULT_FORMATS)}.",
)
@click.option(
    "--cache-dir",
    help="Cache folder or URL such as s3://bucket/prefix (default: $PREVIZ_CACHE_DIR, the "
    "project's cache: setting, or .previz/cache).",
)
@click.option("--concurrency", "-j", type=int, help="Jobs at once per backend.")
@click.option("--request-rate", type=float, help="At most this many service calls per second.")
@click.option(
    "--timeout",
    "job_timeout",
    type=float,
    help="Give up on a take after this many seconds (it resumes next run).",
)
@OPTION
@click.option(
    "--resubmit-unknown",
    is_flag=True,
    help="Submit again the takes whose submission got no reply and that the service could not "
    "account for (the first may have been billed too).",
)
@click.option(
    "--retry-blocked",
    is_flag=True,
    help="Submit again the takes moderation blocked, unchanged (they are skipped otherwise).",
)
@click.option(
    "--regenerate-expired",
    is_flag=True,
    help="Generate again (and pay again for) takes whose output expired before it was fetched.",
)
@click.option(
    "--wait",
    is_flag=True,
    help="If another build of this project is running, wait for it instead of stopping.",
)
def build(
    scene: Path,
    out: Path | None,
    backend: str | None,
    model: str | None,
    max_cost: float | None,
    dry_run: bool,
    formats: tuple[str, ...],
    cache_dir: str | None,
    concurrency: int | None,
    request_rate: float | None,
    job_timeout: float | None,
    option_pairs: tuple[str, ...],
    resubmit_unknown: bool,
    retry_blocked: bool,
    regenerate_expired: bool,
    wait: bool,
) -> None:
    """Generate every shot, then write the animatic MP4 and the timeline exports."""
    options = parse_cli_options(option_pairs)
    limits = None
    if concurrency is not None:
        limits = {name: concurrency for name in backend_names()}
    with RichProgress(console, transient=False) as progress:
        result = asyncio.run(
            abuild(
                scene,
                out=out,
                backend=backend,
                model=model,
                max_cost=max_cost,
                dry_run=dry_run,
                formats=formats or None,
                cache_dir=cache_dir,
                concurrency=limits,
                request_rate=request_rate,
                job_timeout=job_timeout,
                progress=progress,
                options=options,
                resubmit_unknown=resubmit_unknown,
                retry_blocked=retry_blocked,
                regenerate_expired=regenerate_expired,
                wait=wait,
            )
        )
    _report(result)
    _stamp(result)
    if not result.ok:
        sys.exit(1)


def _jobs_table(rows: list[tuple[Job, bool | str, float]], title: str | None = None) -> Table:
    """One line per take: what would be generated, on what, for how long, at what cost.

    The ``cached`` column says "yes", "no", or the journal state that holds the take."""
    table = Table(title=title)
    for column in ("shot", "take", "backend", "model", "seconds", "cached", "cost"):
        table.add_column(column)
    for job, cached, cost in rows:
        table.add_row(
            job.shot_id,
            str(job.take),
            job.backend,
            job.model,
            f"{job.seconds:g}",
            cached if isinstance(cached, str) else ("yes" if cached else "no"),
            f"${cost:.2f}",
        )
    return table


def _held_label(cached: bool, cost: float, state: JobStatus | None) -> bool | str:
    """A dry-run row's ``cached`` cell: held takes (skipped, so free) say which state holds them."""
    if not cached and cost == 0.0 and state in HELD:
        return f"held: {state.value}"
    return cached


def _report(result: BuildResult) -> None:
    report = result.report
    if report.dry_run:
        table = _jobs_table(
            [(row.job, _held_label(row.cached, row.cost, row.journal_state), row.cost)
             for row in report.plan],
            title="dry run: nothing was submitted",
        )  # fmt: skip
        console.print(table)
        console.print(f"estimated spend: ${report.estimated_cost:.2f}")
        return
    said, warned = _summary(result, result.rewritten)
    for line in said:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    for line in warned:
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)


def _summary(result: BuildResult, rewritten: Sequence[str]) -> tuple[list[str], list[str]]:
    """What a build says on stdout (clips, files) and on stderr (transitions, failures)."""
    report = result.report
    unknown = [f for f in report.failures if f.state == "unknown" and f.cost]
    risk = f" (${report.at_risk:.2f} of it on {len(unknown)} submission(s) of unknown outcome)"
    said = [
        f"{len(report.clips)} clip(s): {report.cached} from the cache, "
        f"{report.generated} generated, ${report.spent:.2f} spent{risk if unknown else ''}"
    ]
    if result.animatic:
        said.append(f"animatic: {result.animatic}")
    for fmt, paths in sorted(result.exports.items()):
        same = "" if fmt in rewritten else " (unchanged)"
        said += [f"{fmt}: {path}{same}" for path in paths]
    if result.review:
        said.append(f"review: {result.review}")
    warned = [f"transition: {problem}" for problem in result.transition_problems]
    for failure in report.failures:
        again = " (run again to retry)" if failure.retryable else ""
        warned.append(
            f"{failure.state}: {failure.shot_id} take {failure.take} on {failure.backend}: "
            f"{failure.reason}{again}"
        )
    return said, warned


def _stamp(result: BuildResult) -> None:
    """Leave the stamp of a settled build started by :func:`previz.cli.main`, so the same
    command answers at once until something it depends on changes (:mod:`previz.cli.stamp`)."""
    recorder = stamp.recording()
    if recorder is None or not result.settled:
        stamp.stop()
        return
    # what the same build run again says: from the cache, and nothing will be rewritten
    said, warned = _summary(as_rerun(result), rewritten=())
    takes = [
        path for clip in result.report.clips.values() for path in (clip.path, *clip.stems.values())
    ]
    templates = [package_templates(), result.shotlist.templates_dir]
    stamp.settle(
        recorder, result.out_dir, takes, "".join(f"{line}\n" for line in said),
        "".join(f"{line}\n" for line in warned), searched=[t for t in templates if t],
        work=[project_dir(result.shotlist) / ".previz"],
    )  # fmt: skip


@cli.command()
@click.argument("scene", type=SCENE)
@click.option("--backend", "-b", help="Price every shot on this backend.")
@click.option("--model", "-m", help="Model of the backend.")
@click.option("--cache-dir", help="Cache folder or URL (s3://bucket/prefix).")
@OPTION
def cost(
    scene: Path,
    backend: str | None,
    model: str | None,
    cache_dir: str | None,
    option_pairs: tuple[str, ...],
) -> None:
    """Estimate what building a scene would spend (cached takes cost nothing)."""
    from previz.reports import estimate  # the build never needs the reports

    options = parse_cli_options(option_pairs)
    result = estimate(scene, backend=backend, model=model, cache_dir=cache_dir, options=options)
    table = _jobs_table(
        [(row.job, f"held: {row.held}" if row.held else row.cached, row.cost)
         for row in result.jobs]
    )  # fmt: skip
    console.print(table)
    for row in result.reused:
        console.print(
            f"{row.job.shot_id} take {row.job.take}: its cached {row.job.seconds:g} s take is "
            "reused (the edit changed the cut, not the shot); nothing to pay",
            highlight=False,
        )
    console.print(
        f"total: ${result.total:.2f} for {result.uncached} take(s) to generate, "
        f"{result.cached} cached"
    )


@cli.command(name="log")
@click.argument("scene", type=SCENE)
@click.option("--shot", help="Only this shot.")
@click.option("--limit", "-n", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Every field, prompts included, as JSON.")
def log_command(scene: Path, shot: str | None, limit: int, as_json: bool) -> None:
    """Show the generations logged for a scene's project, newest first."""
    from previz.reports import generation_log

    entries = generation_log(scene, shot_id=shot, limit=limit)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(e) for e in entries], indent=2))
        return
    print_log(console, entries)


@cli.command()
@click.argument("scene", type=SCENE)
@click.argument("shot")
@click.argument("take", type=int)
def select(scene: Path, shot: str, take: int) -> None:
    """Choose which take of a shot goes into the cut (edits the scene file in place)."""
    from previz.shotlist.edit import select_take  # the scene-file editor: for select alone

    select_take(scene, shot, take)
    console.print(f"{shot}: take {take} selected; build again to update the cut")


@cli.command()
@click.argument("scene", type=SCENE)
@click.option("--cache-dir", help="Cache folder or URL (s3://bucket/prefix).")
@click.option(
    "--verify", is_flag=True, help="Decode every frame of every take; evict the broken ones."
)
@click.option("--clear", is_flag=True, help="Remove every cached take (they regenerate).")
def cache(scene: Path, cache_dir: str | None, verify: bool, clear: bool) -> None:
    """Show where a project's cache is and what it holds; verify or clear it."""
    from previz.reports import cache_summary

    summary = cache_summary(scene, cache_dir=cache_dir, verify=verify, clear=clear)
    if verify and not clear:
        console.print(
            f"checked {summary.checked} take(s), decoding every frame: "
            f"removed {summary.removed} take(s) that did not decode completely"
        )
    elif clear:
        console.print(f"removed {summary.removed} take(s)")
    for line in _cache_lines(summary):
        console.print(line, highlight=False, soft_wrap=True, markup=False)


def _cache_lines(summary: CacheSummary) -> list[str]:
    """Where the cache is, what it holds, the local copy of a shared store, and hit rates."""
    place = "shared store" if summary.shared else "cache"
    lines = [
        f"{place}: {summary.location}: {summary.entries} take(s), "
        f"{summary.bytes / 1_000_000:.1f} MB"
    ]
    if summary.shared:
        lines.append(
            f"local copy: {summary.root}: {summary.copy_bytes / 1_000_000:.1f} MB "
            f"of {summary.copy_limit / 1_000_000:.0f} MB"
        )
    for lease in summary.generating:
        job = f" (job {lease.remote_id})" if lease.remote_id else ""
        until = time.strftime("%H:%M:%S", time.localtime(lease.expires))
        lines.append(
            f"generating: {lease.shot_id} take {lease.take} on {lease.backend} by {lease.host}"
            f"{job}, lease renewed until {until}"
        )
    rate = summary.hit_rate()
    if rate is not None:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.lookups.items()))
        lines.append(f"hit rate: {rate:.0%} of {sum(summary.lookups.values())} lookups ({counts})")
    return lines


@cli.command()
@click.option("--options", "show_options", is_flag=True, help="List each backend's options.")
def backends(show_options: bool) -> None:
    """List the installed backends, their capabilities, and whether their key is set.

    A backend that fails to load is reported (on stderr and in the log) and the rest are listed.
    """
    if show_options:
        _options_table()
        return
    table = Table()
    for column in (
        "backend",
        "models",
        "durations (s)",
        "audio",
        "references",
        "$/s",
        "max jobs",
        "key",
    ):
        table.add_column(column, overflow="fold")
    for name in backend_names():
        try:
            instance = backend_class(name)()
            caps = instance.capabilities()
        except Exception as error:  # a broken plugin must not hide the others
            logger.warning("backend '%s' failed to load: %s", name, error)
            err_console.print(
                f"backend '{name}' failed to load: {error}", highlight=False, markup=False
            )
            continue
        table.add_row(name, *_capability_cells(instance, caps))
    console.print(table)


def _options_table() -> None:
    """Every backend's declared options: what ``project.backends`` and ``-o`` accept."""
    table = Table()
    for column in ("backend", "option", "values", "default", "what it does"):
        table.add_column(column, overflow="fold")
    for name in backend_names():
        try:
            rows = describe(backend_class(name).Options)
        except Exception as error:  # a broken plugin must not hide the others
            logger.warning("backend '%s' failed to load: %s", name, error)
            err_console.print(
                f"backend '{name}' failed to load: {error}", highlight=False, markup=False
            )
            continue
        for option, kind, default, description in rows or [("-", "", "", "no options")]:
            table.add_row(name, option, kind, default, description)
    console.print(table)


def _capability_cells(instance: Backend, caps: Capabilities) -> list[str]:
    durations = "any" if caps.durations is None else ", ".join(f"{d:g}" for d in caps.durations)
    refs = str(caps.max_references) if caps.reference_images else "no"
    key = (
        "not needed"
        if not caps.env_vars
        else ("set" if instance.is_configured() else f"missing: {' or '.join(caps.env_vars)}")
    )
    return [
        ", ".join(instance.models) or instance.default_model,
        durations,
        "yes" if caps.audio else "no",
        refs,
        f"{caps.cost_per_second:.2f}",
        str(caps.max_concurrency),
        key,
    ]
