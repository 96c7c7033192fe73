"""The timeline takes clips as a type of its own: nothing in it imports the backends."""

from __future__ import annotations

import ast
from pathlib import Path

import previz.timeline


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_timeline_module_imports_the_backends() -> None:
    folder = Path(previz.timeline.__file__).parent
    offenders = {
        path.name: sorted(n for n in _imports(path) if n.startswith("previz.backends"))
        for path in folder.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_a_backend_clip_is_a_timeline_take(tmp_path: Path) -> None:
    from previz.backends.base import Clip
    from previz.timeline.take import Take

    clip: Take = Clip(
        shot_id="s1", take=1, path=tmp_path / "s1.mp4", duration=1.0, fps=24, width=16,
        height=16, has_audio=False, backend="animatic", model="card", prompt="",
        template_hash="", cache_key="k",
    )  # fmt: skip
    assert clip.shot_id == "s1"
