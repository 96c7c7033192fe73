"""Cue markers are as long as the cue and say how a line is heard."""

from __future__ import annotations

import opentimelineio as otio

from previz.shotlist.loader import load
from previz.timeline import assemble
from tests.scene_text import MINIMAL

SCENE = MINIMAL.replace(
    "    heading: INT. CAFE - DAY\n",
    "    heading: INT. CAFE - DAY\n"
    "    sound:\n      - {kind: ambience, description: cafe murmur}\n",
).replace(
    "        cast: [ana]\n        duration: 2\n",
    "        cast: [ana]\n        duration: 2\n        sound:\n"
    "          - {kind: music, id: theme, description: a slow theme, start: 0.5, until: s2}\n"
    "          - {kind: dialogue, speaker: ana, line: I waited., mode: VO, start: 0.2}\n",
)


def _markers(write_scene) -> dict[str, otio.schema.Marker]:  # type: ignore[no-untyped-def]
    timeline = assemble(load(write_scene(SCENE)), {})
    return {m.metadata["previz"]["cue"]: m for m in timeline.tracks.markers}


def test_a_cue_that_runs_on_across_the_cut_is_marked_to_its_end(write_scene) -> None:  # type: ignore[no-untyped-def]
    theme = _markers(write_scene)["music"].marked_range
    assert (theme.start_time.value, theme.duration.value) == (12, 84)


def test_a_scene_bed_is_marked_under_the_whole_scene(write_scene) -> None:  # type: ignore[no-untyped-def]
    bed = _markers(write_scene)["ambience"].marked_range
    assert (bed.start_time.value, bed.duration.value) == (0, 96)


def test_a_voice_over_marker_keeps_its_extension(write_scene) -> None:  # type: ignore[no-untyped-def]
    assert _markers(write_scene)["dialogue"].comment.startswith("ANA (V.O.): I waited.")
