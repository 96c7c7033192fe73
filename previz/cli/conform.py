"""``previz conform``: bring the cut an editor changed back into the scene file."""

from __future__ import annotations

from pathlib import Path

import click

from previz.cli.app import cli, console
from previz.cli.options import SCENE
from previz.conform import ConformResult, conform


@cli.command(name="conform")
@click.argument("edited", type=click.Path(path_type=Path, dir_okay=True, exists=True))
@click.argument("scene", type=SCENE)
@click.option("--apply", "apply_", is_flag=True, help="Write the changes into the scene file.")
@click.option("--track", help="The video track that holds the cut (default: the top one).")
def conform_command(edited: Path, scene: Path, apply_: bool, track: str | None) -> None:
    """Read EDITED (.otio, .otioz, FCP7 .xml, .fcpxml, .edl, .aaf) and update SCENE to match:
    trims, order, removed shots, take swaps, markers and dissolves."""
    result = conform(edited, scene, apply=apply_, track=track)
    report(result, edited)


def report(result: ConformResult, edited: Path) -> None:
    """Print what conform found: the changes, unknown clips, what it cannot express."""
    plan = result.plan
    console.print(f"{edited}: cut on track '{result.track}'", highlight=False, soft_wrap=True)
    if result.breakdown is not None:
        verb = "wrote" if result.applied else "would write"
        console.print(f"{verb} the screenplay's breakdown: {result.breakdown}", highlight=False)
    if result.rows:
        width = max(len(change.shot_id) for change in result.rows)
        for change in result.rows:  # one line per change, so it reads and greps at any width
            what = change.new if not change.old else f"{change.old} → {change.new}"
            console.print(f"{change.shot_id:<{width}}  {change.field}: {what}",
                          highlight=False, markup=False, soft_wrap=True)  # fmt: skip
    else:
        console.print("no changes: the scene file already matches the cut")
    for clip in plan.unknown:
        console.print(
            f"unknown clip at {clip.timecode}: {clip.name} ({clip.frames} frames); "
            "not a shot of the scene, left in the edit",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for item in plan.unexpressed:
        console.print(
            f"cannot express {item.shot_id} at {item.timecode}: {item.what}\n  fix: {item.fix}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if result.to_pay:
        total = sum(row.cost for row in result.to_pay)
        takes = ", ".join(f"{r.job.shot_id} take {r.job.take}" for r in result.to_pay)
        console.print(
            f"a build after this edit generates {len(result.to_pay)} paid take(s), "
            f"${total:.2f}: {takes} (their prompts differ from the cached takes')",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if not result.rows:
        return
    if result.applied:
        done = f"updated {result.scene}; build again to update the cut"
    else:
        done = f"nothing written; run with --apply to update {result.scene}"
    console.print(done, highlight=False, soft_wrap=True)
