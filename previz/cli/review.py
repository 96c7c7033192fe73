"""Commands for editorial review: ``review`` (the page), ``boards`` (PDF), ``shotlist`` (CSV),
``notes`` (a reviewer's notes back into the scene file)."""

from __future__ import annotations

from pathlib import Path

import click

from previz.cli.app import cli, console
from previz.cli.scene import SCENE
from previz.review import write_review
from previz.review.sheet import shot_sheet, write_shot_sheet

BUILD_DIR = click.Path(path_type=Path, file_okay=False, exists=True)


@cli.command()
@click.argument("build_dir", type=BUILD_DIR)
def review(build_dir: Path) -> None:
    """Write BUILD_DIR/review/index.html: the animatic beside the shot list, notes back."""
    page = write_review(build_dir)
    console.print(f"review: {page}", highlight=False, soft_wrap=True)
    console.print(f"open in a browser: {page.resolve().as_uri()}", highlight=False, soft_wrap=True)


@cli.command()
@click.argument("scene", type=SCENE)
@click.option(
    "--out", "-o", type=click.Path(path_type=Path, dir_okay=False),
    help="CSV file to write (default: <scene>.shotlist.csv beside the scene; '-' for stdout).",
)  # fmt: skip
def shotlist(scene: Path, out: Path | None) -> None:
    """Write the shot list as a CSV sheet for spreadsheets: one row per shot."""
    if out is not None and str(out) == "-":
        click.echo(shot_sheet(scene), nl=False)
        return
    console.print(f"shot list: {write_shot_sheet(scene, out)}", highlight=False, soft_wrap=True)
