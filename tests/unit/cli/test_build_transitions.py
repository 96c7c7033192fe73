"""`previz build` names each shot whose transition the media could not carry as asked."""

from __future__ import annotations

from click.testing import CliRunner

from previz.cli import cli

SCENE = """
schema_version: 1
project: {title: T, fps: 24, resolution: 160x90}
scenes:
  - id: sc1
    heading: INT. ROOM - DAY
    shots:
      - {id: s1, action: A door., duration: 24f, transition_out: dissolve 12f}
      - {id: s2, action: A hall., duration: 20f, transition_out: fade out 12f}
"""


def test_a_shortened_fade_is_reported_for_its_shot(write_scene) -> None:  # type: ignore[no-untyped-def]
    scene = write_scene(SCENE)
    result = CliRunner().invoke(cli, ["build", str(scene), "-f", "otio"])
    assert result.exit_code == 0, result.output
    assert (
        "transition: s2: fade out of 12 frames shortened to 8 frames — the shot is 20 frames "
        "long and dissolves take 12 of them" in " ".join(result.output.split())
    )
