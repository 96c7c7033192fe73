"""Commands that read scene files: ``init``, ``validate``, ``prompts``, ``schema``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from previz.cli.app import cli, console
from previz.cli.options import OPTION, SCENE, parse_cli_options
from previz.prompts.compiler import ShotPrompt
from previz.scene import compile_prompts, validate
from previz.shotlist.edit import import_screenplay
from previz.shotlist.schema import scene_schema_json
from previz.starter import init_project


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing scene.yaml.")
def init(folder: Path, force: bool) -> None:
    """Scaffold a project folder: a starter scene, a templates folder, a .gitignore."""
    for path in init_project(folder, force=force):
        console.print(f"created {path}")
    console.print(f"next: previz validate {folder / 'scene.yaml'}")


@cli.command(name="validate")
@click.argument("scene", type=SCENE)
@OPTION
def validate_command(scene: Path, option_pairs: tuple[str, ...]) -> None:
    """Check a scene file (or Python scene script) and compile its prompts."""
    summary = validate(scene, options=parse_cli_options(option_pairs))
    console.print(f"[green]ok[/] {scene}: {summary}", highlight=False, soft_wrap=True)


@cli.command()
@click.argument("scene", type=SCENE)
@click.option("--backend", "-b", help="Compile for this backend instead of the scene's own.")
@click.option("--json", "as_json", is_flag=True, help="Print the prompts as JSON.")
@OPTION
def prompts(scene: Path, backend: str | None, as_json: bool, option_pairs: tuple[str, ...]) -> None:
    """Show the compiled prompt of every shot."""
    compiled = compile_prompts(scene, backend, options=parse_cli_options(option_pairs))
    if as_json:
        click.echo(json.dumps([_prompt_json(p) for p in compiled], indent=2))
        return
    table = Table(show_lines=True)
    for column in ("shot", "backend", "chars", "template", "prompt"):
        table.add_column(column, overflow="fold")
    for p in compiled:
        table.add_row(
            p.shot_id, p.backend, str(p.length), f"{p.template} {p.template_hash[:8]}", p.text
        )
    console.print(table)


def _prompt_json(prompt: ShotPrompt) -> dict[str, object]:
    return {
        "shot": prompt.shot_id,
        "backend": prompt.backend,
        "model": prompt.model,
        "template": prompt.template,
        "template_hash": prompt.template_hash,
        "length": prompt.length,
        "negative_prompt": prompt.negative_prompt,
        "prompt": prompt.text,
    }


@cli.command(name="import")
@click.argument("screenplay", type=SCENE)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scene file to write (default: the screenplay's name with .yaml).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing scene file.")
def import_command(screenplay: Path, out: Path | None, force: bool) -> None:
    """Break a Fountain or Final Draft (.fdx) screenplay down into a scene file to refine."""
    written = import_screenplay(screenplay, out or screenplay.with_suffix(".yaml"), force=force)
    console.print(
        f"wrote {written}; next: previz validate {written}", highlight=False, soft_wrap=True
    )


@cli.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
def schema(out: Path | None) -> None:
    """Write the JSON Schema of the scene format (for editor autocompletion)."""
    text = scene_schema_json()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
