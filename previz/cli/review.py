"""Commands for editorial review: ``review`` (the page), ``boards`` (PDF), ``shotlist`` (CSV),
``notes`` (a reviewer's notes back into the scene file)."""

from __future__ import annotations

from pathlib import Path

import click

from previz.cli.app import cli, console
from previz.review import write_review

BUILD_DIR = click.Path(path_type=Path, file_okay=False, exists=True)


@cli.command()
@click.argument("build_dir", type=BUILD_DIR)
def review(build_dir: Path) -> None:
    """Write BUILD_DIR/review/index.html: the animatic beside the shot list, notes back."""
    page = write_review(build_dir)
    console.print(f"review: {page}", highlight=False, soft_wrap=True)
    console.print(f"open in a browser: {page.resolve().as_uri()}", highlight=False, soft_wrap=True)
