"""The demo scene as the cloud-backend tests build it: with a reference picture for Mara."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

DEMO_SCENE = Path(__file__).resolve().parents[2] / "scenes" / "night_delivery.yaml"


def demo_scene_with_reference(folder: Path) -> Path:
    """A copy of the demo scene in ``folder`` whose Mara has ``refs/mara.png`` (400x600)."""
    (folder / "refs").mkdir(exist_ok=True)
    Image.new("RGB", (400, 600), (150, 90, 60)).save(folder / "refs" / "mara.png")
    mara = "    name: Mara\n"
    scene = folder / DEMO_SCENE.name
    text = DEMO_SCENE.read_text(encoding="utf-8")
    scene.write_text(text.replace(mara, mara + "    references: [refs/mara.png]\n", 1))
    return scene
