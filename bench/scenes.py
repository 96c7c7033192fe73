"""Generated scene files for the benches: a feature-sized shot list as real YAML text.

``rebuild_scene(shots)`` is a scene file of ``shots`` shots in scenes of 20 for the offline
animatic backend at a small frame size (160x90, 1–2 s shots), so a first build renders every
shot for real in reasonable time on a shared 2-core machine and a rebuild shows what the
pipeline itself costs. Two characters appear throughout, so changing one character's
description changes the shots they are in.
"""

from __future__ import annotations

MOVES = ("static", "slow dolly in", "pan left", "tilt up", "static")
SIZES = ("WS", "MS", "MCU", "CU", "OTS")


def rebuild_scene(shots: int, *, per_scene: int = 20, resolution: str = "160x90") -> str:
    """A scene file of ``shots`` shots (animatic backend, ``resolution``, 1–2 s each)."""
    lines = [
        "schema_version: 1",
        "project:",
        "  title: Rebuild bench",
        "  fps: 24",
        f"  resolution: {resolution}",
        "  backend: animatic",
        "characters:",
        "  - {id: ana, name: Ana, description: a woman with red hair}",
        "  - {id: ben, name: Ben, description: a man with a grey beard}",
        "  - {id: cy, name: Cy, description: a boy in a yellow raincoat}",
        "locations:",
        "  - {id: cafe, description: a small cafe}",
        "scenes:",
    ]
    for s in range(0, shots, per_scene):
        lines += [
            f"  - id: sc{s // per_scene + 1}",
            "    heading: INT. CAFE - DAY",
            "    location: cafe",
            "    shots:",
        ]
        for n in range(s, min(s + per_scene, shots)):
            cast = ("ana", "ben", "cy")[n % 3]
            lines += [
                f"      - id: sh{n + 1:04d}",
                f"        size: {SIZES[n % len(SIZES)]}",
                f"        movement: {MOVES[n % len(MOVES)]}",
                f"        action: Beat {n + 1} of the scene.",
                f"        cast: [{cast}]",
                f"        duration: {1 + n % 2}",
            ]
    return "\n".join(lines) + "\n"
