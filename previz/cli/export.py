"""``previz export``: write a build's timeline to NLE formats (FCP7 XML, FCPXML, EDL, AAF, …)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from previz.cli.app import cli, console
from previz.timeline import FORMATS
from previz.timeline.export import export_products, format_spec
from previz.timeline.reading import read_build_timeline


@cli.command(name="export")
@click.argument("build_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--format", "-f", "formats", multiple=True, default=("all",), show_default=True,
    metavar="NAME",
    help=f"Format to write; repeat for several: {', '.join(FORMATS)}, all, a format a plugin "
    "registers ('previz.formats' entry points) or an installed OpenTimelineIO adapter's name.",
)  # fmt: skip
@click.option("--relative", is_flag=True, help="Reference media relative to the output folder.")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: BUILD_DIR/exports).",
)  # fmt: skip
def export_command(
    build_dir: Path, formats: tuple[str, ...], relative: bool, out_dir: Path | None
) -> None:
    """Export BUILD_DIR/timeline.otio to editing formats."""
    timeline = read_build_timeline(build_dir)
    target = out_dir if out_dir is not None else build_dir / "exports"
    written = export_products(
        timeline, target, formats, relative_to=target.resolve() if relative else None
    )
    table = Table()
    for column in ("format", "file", "opens in", "written"):
        table.add_column(column, overflow="fold")
    for fmt, paths in written.files.items():
        state = "yes" if fmt in written.rewritten else "unchanged"
        for path in paths:
            table.add_row(fmt, str(path), format_spec(fmt).opens_in, state)
    console.print(table)
