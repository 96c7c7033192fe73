"""Commands for editorial review: ``review`` (the page), ``boards`` (PDF), ``shotlist`` (CSV),
``notes`` (a reviewer's notes back into the scene file)."""

from __future__ import annotations

from pathlib import Path

import click

from previz.cli.app import cli, console
from previz.cli.options import SCENE
from previz.review import write_review
from previz.review.boards import PAPERS, write_boards
from previz.review.notes import merge_notes
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
    help="Write the CSV to this file instead of standard output.",
)  # fmt: skip
def shotlist(scene: Path, out: Path | None) -> None:
    """The shot list as a CSV sheet for spreadsheets: one row per shot."""
    if out is None or str(out) == "-":
        click.echo(shot_sheet(scene), nl=False)
        return
    console.print(f"shot list: {write_shot_sheet(scene, out)}", highlight=False, soft_wrap=True)


@cli.command()
@click.argument("scene", type=SCENE)
@click.argument(
    "notes_file", metavar="NOTES.json", type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--apply", is_flag=True, help="Write the notes into the scene file.")
def notes(scene: Path, notes_file: Path, apply: bool) -> None:
    """Merge a reviewer's notes.json into the shots' notes (a preview until --apply)."""
    merge = merge_notes(scene, notes_file, apply=apply)
    if merge.diff:
        click.echo(merge.diff, nl=not merge.diff.endswith("\n"))
    shots = len({note.shot for note in merge.added})
    already = f"; {len(merge.present)} already there" if merge.present else ""
    if apply:
        console.print(f"{len(merge.added)} note(s) written to {shots} shot(s) of {scene}{already}",
                      highlight=False, soft_wrap=True)  # fmt: skip
    elif merge.added:
        console.print(f"{len(merge.added)} note(s) for {shots} shot(s){already}; "
                      "run again with --apply to write them", highlight=False)  # fmt: skip
    else:
        console.print(f"nothing to add{already}", highlight=False)


@cli.command()
@click.argument("build_dir", type=BUILD_DIR)
@click.option("--out", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="PDF to write (default: BUILD_DIR/boards.pdf).")  # fmt: skip
@click.option("--per-page", type=click.IntRange(1, 12), default=6, show_default=True,
              help="Panels per page.")  # fmt: skip
@click.option("--paper", type=click.Choice(sorted(PAPERS)), default="a4", show_default=True)
def boards(build_dir: Path, out: Path | None, per_page: int, paper: str) -> None:
    """Print a build as PDF storyboards: a cover, then each scene's shots as panels."""
    pdf = write_boards(build_dir, out, per_page=per_page, paper=paper)
    console.print(f"boards: {pdf}", highlight=False, soft_wrap=True)
