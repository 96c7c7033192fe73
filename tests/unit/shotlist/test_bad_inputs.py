"""The bad-input corpus: every broken scene file is one readable error through the CLI.

Each case breaks the minimal scene one way. ``previz validate`` must exit 2 with a message that
starts ``error: file:line:col``, names the problem, carries a hint, and shows no traceback, no
library phrase and no internal class name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from tests.scene_text import MINIMAL

BASE = MINIMAL.lstrip("\n")
SHOT_S1 = "action: Ana waits.\n        cast: [ana]\n        duration: 2\n"


@dataclass(frozen=True)
class Case:
    """One broken scene: how it is broken, the line the error must name, words it must say."""

    text: Callable[[], str | bytes]
    line_of: str | None  # a substring of the line the error must point at (None: line 1)
    says: str


def _with(old: str, new: str) -> Callable[[], str]:
    def make() -> str:
        assert old in BASE, old
        return BASE.replace(old, new, 1)

    return make


def _shot(extra: str) -> Callable[[], str]:
    return _with(SHOT_S1, SHOT_S1 + "".join(f"        {line}\n" for line in extra.split("\n")))


def _project(extra: str) -> Callable[[], str]:
    return _with("  fps: 24\n", f"  fps: 24\n  {extra}\n")


def _character(extra: str) -> Callable[[], str]:
    old = "    description: a woman with red hair\n"
    return _with(old, f"{old}    {extra}\n")


def _bytes(old: str, new: bytes) -> Callable[[], bytes]:
    def make() -> bytes:
        head, tail = BASE.split(old, 1)
        return head.encode() + new + tail.encode()

    return make


def _nine_shots_sharing_an_anchor() -> str:
    shots = "".join(
        f"      - id: x{i}\n        action: Shot {i}.\n        duration: 1\n        lens: *bad\n"
        for i in range(9)
    )
    text = BASE.replace("  fps: 24\n", "  fps: 24\n  defaults: {lens: &bad 35mmm}\n")
    return text + shots


CASES = {
    "inf_duration": Case(
        _with("duration: 2\n      - id: s2", "duration: .inf\n      - id: s2"),
        "duration: .inf",
        "finite number",
    ),
    "nan_duration": Case(
        _with("duration: 2\n      - id: s2", "duration: .nan\n      - id: s2"),
        "duration: .nan",
        "finite number",
    ),
    "nan_cue_start": Case(
        _shot("sound: [{kind: sfx, description: bang, start: .nan}]"),
        "start: .nan",
        "finite number",
    ),
    "inf_handles": Case(_project("handles: -.inf"), "handles", "finite number"),
    "nan_dissolve_length": Case(
        _shot("transition_in: {type: dissolve, duration: .nan}"), "transition_in", "finite number"
    ),
    "inf_lens": Case(_shot("lens: {focal_length: .inf}"), "focal_length", "finite number"),
    "deep_nesting": Case(
        _with("cast: [ana]", "cast: " + "[" * 5000 + "]" * 5000), "cast: [[[", "nested"
    ),
    "bad_start_timecode": Case(
        _project('start_timecode: "25:61:99:99"'), "start_timecode", "25:61:99:99"
    ),
    "start_timecode_frames_past_rate": Case(
        _project('start_timecode: "01:00:00:30"'), "start_timecode", "at 24 fps the most is 23"
    ),
    "dissolve_longer_than_shot": Case(
        _shot("transition_in: dissolve 3s"), "transition_in", "dissolve lasts 72 frames"
    ),
    "wardrobe_unknown_scene": Case(
        _character("wardrobe: {default: coat, scenes: {sc9: wet}}"),
        "wardrobe",
        "unknown scene 'sc9'",
    ),
    "missing_templates_folder": Case(
        _project("templates: my_templates"),
        "templates:",
        "templates folder 'my_templates' does not exist",
    ),
    "blank_action": Case(
        _with("action: Ana waits.", 'action: "   "'), 'action: "   "', "'action' is empty"
    ),
    "empty_action": Case(
        _with("action: Ana waits.", 'action: ""'), 'action: ""', "'action' is empty"
    ),
    "duration_100000s": Case(
        _with("duration: 2\n      - id: s2", "duration: 100000s\n      - id: s2"),
        "100000s",
        "600 s",
    ),
    "duration_1e9": Case(
        _with("duration: 2\n      - id: s2", "duration: 1e9\n      - id: s2"), "1e9", "600 s"
    ),
    "duration_in_frames_past_ceiling": Case(
        _with("duration: 2\n      - id: s2", "duration: 9999999f\n      - id: s2"),
        "9999999f",
        "600 s",
    ),
    "frame_99998x99998": Case(_with("320x180", "99998x99998"), "resolution", "8192"),
    "resolution_0x0": Case(_with("320x180", "0x0"), "resolution", "read as the number 0"),
    "resolution_tiny": Case(_with("320x180", '"2x2"'), "resolution", "from 16 to 8192"),
    "colour_pattern": Case(_character("color: red"), "color: red", "#RRGGBB"),
    "colour_unquoted_is_a_comment": Case(
        _character("color: #E4572E"), "color:", "must be in quotes"
    ),
    "empty_scenes_list": Case(
        lambda: BASE.split("scenes:")[0] + "scenes: []\n", "scenes: []", "at least one scene"
    ),
    "takes_zero": Case(_shot("takes: 0"), "takes: 0", "'takes' must be at least 1"),
    "takes_text": Case(_shot("takes: three"), "takes: three", "whole number"),
    "seed_negative": Case(_shot("seed: -4"), "seed: -4", "'seed' must be at least 0"),
    "not_utf8": Case(
        _bytes("Ana waits.", "Caf\xe9 scene.".encode("latin-1")), "action: Caf", "save it as UTF-8"
    ),
    "unclosed_bracket": Case(
        _with("cast: [ana]", "cast: [ana"), "cast: [ana", "'[' opened here is never closed"
    ),
    "unclosed_brace": Case(
        _character("wardrobe: {default: coat"), "wardrobe: {", "'{' opened here is never closed"
    ),
    "unclosed_quote": Case(
        _with("action: Ana waits.", 'action: "Ana waits.'), 'action: "Ana', "quote opened here"
    ),
    "long_id": Case(_with("id: s1", "id: " + "x" * 400 + "/"), "xxxx", "(401 characters)"),
    "nul_in_file": Case(_bytes("Ana waits.", b"Ana\x00 waits."), "action: Ana", "\\x00"),
    "nul_escaped_in_text": Case(
        _with("action: Ana waits.", 'action: "Ana\\0 waits."'), "action:", "\\x00"
    ),
    "bell_in_an_id": Case(_with("id: s1", 'id: "s1\\a"'), 'id: "s1', "\\x07"),
    "lens_as_a_list_names_no_class": Case(
        _shot("lens: [1]"), "lens: [1]", "'lens' must be a mapping"
    ),
    "movement_as_a_number": Case(
        _shot("movement: 3"), "movement: 3", "'movement' must be a mapping"
    ),
    "reference_is_a_directory": Case(
        _character('references: ["."]'), "references", "is a folder, not an image file"
    ),
    "one_alias_one_line": Case(
        _nine_shots_sharing_an_anchor, "defaults: {lens: &bad", "in 10 places"
    ),
    "status_not_a_choice": Case(
        _shot("status: finished"), "status: finished", "'status' must be 'not started'"
    ),
    "scene_heading_empty": Case(
        _with("heading: INT. CAFE - DAY", "heading: ''"), "heading: ''", "'heading' is empty"
    ),
    "drop_frame_timecode_at_24": Case(
        _project('start_timecode: "01:00:00;00"'), "start_timecode", "drop-frame"
    ),
    "unknown_backend_on_a_shot": Case(
        _shot("backend: veoo"), "backend: veoo", "did you mean 'veo'"
    ),
    "unknown_backend_of_the_project": Case(
        _project("backend: runwya"), "backend: runwya", "unknown backend 'runwya'"
    ),
    "schema_version_true": Case(
        _with("schema_version: 1", "schema_version: true"), "schema_version", "not supported"
    ),
    "duration_true": Case(
        _with("duration: 2\n      - id: s2", "duration: true\n      - id: s2"),
        "duration: true",
        "true/false",
    ),
    "bidi_override_in_a_voice": Case(
        _character('voice: "low \\u202e gravelly"'), "voice:", "\\u202e"
    ),
    "resolution_as_a_mapping": Case(
        _with("320x180", "{w: 320, h: 180}"), "resolution", "WIDTHxHEIGHT text"
    ),
    "empty_file": Case(lambda: "", None, "must be a mapping"),
    "not_a_mapping": Case(lambda: "- just\n- a list\n", None, "must be a mapping"),
}

LIBRARY_WORDS = re.compile(
    r"Traceback|Input should|pydantic|ValidationError|instance of|Error:|"
    r"\b(Lens|Movement|Transition|Wardrobe|Shot|Scene|Project|ShotList|SoundCue)\b"
)


def _run(tmp_path: Path, case: Case) -> tuple[int, str, str]:
    content = case.text()
    path = tmp_path / "scene.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
        text = content.decode("utf-8", errors="replace")
    else:
        path.write_text(content, encoding="utf-8")
        text = content
    result = CliRunner().invoke(cli, ["validate", str(path)])
    line = 1
    if case.line_of is not None:
        line = next(i for i, row in enumerate(text.splitlines(), 1) if case.line_of in row)
    return result.exit_code, result.output, f"{path}:{line}:"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_located_error_with_a_hint(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    code, output, where = _run(tmp_path, case)
    assert code == 2, output
    assert output.startswith(f"error: {where}"), output
    assert case.says in output, output
    assert "\n  hint: " in output, output
    assert not LIBRARY_WORDS.search(output), output
    assert "\x00" not in output and "\x07" not in output
