"""``previz init``: scaffold a project folder with a starter scene and a templates folder."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from previz.errors import OutputError

_GITIGNORE = ".previz/\nout/\n"
_TEMPLATES_README = """Prompt templates for this project.

A file here overrides the one of the same name that ships with previz, for example
`veo.j2` (the whole Veo prompt) or `blocks/camera.j2` (just the camera phrase). Run
`previz prompts scene.yaml` to see the result.
"""


def init_project(folder: Path, *, force: bool = False) -> list[Path]:
    """Write ``scene.yaml``, ``templates/`` and ``.gitignore`` into ``folder``; return them."""
    scene = folder / "scene.yaml"
    if scene.exists() and not force:
        raise OutputError(
            f"{scene} already exists",
            path=scene,
            hint="choose another folder, or pass --force to overwrite",
        )
    try:
        (folder / "templates").mkdir(parents=True, exist_ok=True)
        scene.write_text(
            files("previz.starter").joinpath("scene.yaml").read_text("utf-8"), encoding="utf-8"
        )
        (folder / "templates" / "README.md").write_text(_TEMPLATES_README, encoding="utf-8")
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_GITIGNORE, encoding="utf-8")
    except OSError as error:
        raise OutputError(
            f"cannot write the project: {error.strerror}",
            path=folder,
            hint="check the folder is writable and the disk has room",
        ) from None
    return [scene, folder / "templates", folder / ".gitignore"]
