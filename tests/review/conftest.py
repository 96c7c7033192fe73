"""One small real build shared by the review tests: hostile strings in every field a reviewer
sees, a shot with two takes, a shot that failed, and a character with a reference image."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from PIL import Image

from previz.pipeline import BuildResult, build
from tests.integration.test_build import FailingShot
from tests.review.browser import browser  # noqa: F401  (the session's Chromium)

HOSTILE = "<script>document.title='pwned'</script>"
TITLE = f"Night Shift {HOSTILE} & Co"

SCENE = f"""
schema_version: 1
project:
  title: "{TITLE}"
  fps: 24
  resolution: 320x180
  backend: animatic
  defaults: {{lens: 35mm f/2}}
characters:
  - id: eve
    name: "Eve <img src=x onerror=\\"document.title='pwned'\\">"
    description: "a spy in a trench coat </script><script>document.title='pwned'</script>"
    wardrobe: {{default: a grey trench coat, scenes: {{sc2: a red raincoat}}}}
    references: [eve.png]
  - id: bob
    name: Bob
    description: a tall night porter
scenes:
  - id: sc1
    heading: "INT. LOBBY <b>bold</b> - NIGHT"
    shots:
      - id: s1
        size: WS
        movement: slow dolly in
        action: "{HOSTILE} Eve crosses the lobby, café lights flickering."
        cast: [eve]
        duration: 1s
        sound:
          - kind: dialogue
            speaker: eve
            line: "\\"><svg onload=\\"document.title='pwned'\\">"
            start: 0.2
          - {{kind: sfx, description: "a bell <u>dings</u>", start: 0.5}}
      - id: s2
        size: MCU
        action: Bob looks up from the desk.
        cast: [bob]
        duration: 1.5s
        takes: 2
        notes: "check the <i>eyeline</i>, Bob's a, \\"b\\""
  - id: sc2
    heading: EXT. ROOF - DAY
    shots:
      - id: s3
        size: CU
        action: Eve runs for the edge.
        cast: [eve, bob]
        duration: 1s
      - id: s4
        size: EWS
        action: The city below.
        duration: 1s
        clip_in: 6f
"""


@pytest.fixture(scope="session")
def review_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scene file of the shared build, in its own project folder."""
    folder = tmp_path_factory.mktemp("review-project")
    Image.new("RGB", (48, 64), (200, 40, 40)).save(folder / "eve.png")
    scene = folder / "scene.yaml"
    scene.write_text(textwrap.dedent(SCENE).lstrip("\n"), encoding="utf-8")
    return scene


@pytest.fixture(scope="session")
def review_build(review_project: Path) -> BuildResult:
    """The shared build: s3 is refused by the backend, everything else is a real animatic."""
    return build(
        review_project,
        out=review_project.parent / "out",
        formats=["otio"],
        backends={"animatic": FailingShot("s3")},
    )
