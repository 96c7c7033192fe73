"""Prompt compilation: golden prompts, identical character text, lookup order, hashes, limits."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import previz
from previz.errors import PromptTooLongError
from previz.prompts.compiler import PromptCompiler, compile_shotlist
from tests.varied_scene import varied_scene_text

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden"
FAMILIES = ["animatic", "openai", "veo", "runway", "luma", "default"]


def render_all(shots: previz.ResolvedShotList, backend: str) -> str:
    return "\n\n".join(f"### {p.shot_id}\n{p.text}" for p in compile_shotlist(shots, backend))


@pytest.mark.parametrize("backend", FAMILIES)
def test_demo_prompts_match_the_golden_files(demo_scene: Path, backend: str) -> None:
    """Set PREVIZ_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change."""
    text = render_all(previz.load(demo_scene), backend) + "\n"
    golden = GOLDEN / f"{backend}.txt"
    if os.environ.get("PREVIZ_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_a_varied_scene_compiles_to_the_golden_prompts_and_hashes(tmp_path: Path) -> None:
    """Every family, and each shot's own backend, over a scene that uses the whole cascade.

    The template hash and the text enter the cache key: a speed-up must not change either.
    Set PREVIZ_UPDATE_GOLDEN=1 to rewrite the golden file after an intended change.
    """
    scene = tmp_path / "varied.yaml"
    scene.write_text(varied_scene_text(), encoding="utf-8")
    shots = previz.load(scene)
    text = "\n\n".join(
        f"### {p.shot_id} {p.backend} {p.template} {p.template_hash}\n{p.text}"
        for backend in [None, *FAMILIES]
        for p in compile_shotlist(shots, backend)
    )
    golden = GOLDEN / "varied.txt"
    if os.environ.get("PREVIZ_UPDATE_GOLDEN"):
        golden.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("backend", FAMILIES)
def test_every_prompt_describes_a_character_word_for_word_the_same(
    demo_scene: Path, backend: str
) -> None:
    shots = previz.load(demo_scene)
    for shot, prompt in zip(shots.shots, compile_shotlist(shots, backend), strict=True):
        for person in shot.cast:
            canonical = f"{person.name}, {person.description}"
            wardrobe = shot.wardrobe[person.id]
            assert f"{canonical}, wearing {wardrobe}" in prompt.text, (shot.id, person.id)


def test_wardrobe_changes_with_the_scene_and_nothing_else_does(demo_scene: Path) -> None:
    shots = previz.load(demo_scene)
    prompts = {p.shot_id: p.text for p in compile_shotlist(shots, "veo")}
    assert "soaked through, hood up" in prompts["sc2-040"]
    assert "soaked through" not in prompts["sc1-040"]


def test_camera_vocabulary_becomes_a_natural_phrase(demo_scene: Path) -> None:
    shots = previz.load(demo_scene)
    text = PromptCompiler(shots).compile(shots.shot("sc1-010"), "veo").text
    assert "Extreme wide shot, high angle; slow dolly in; on a 24mm lens at f/2.8" in text


def test_dialogue_and_effects_reach_a_sound_model_in_its_form(demo_scene: Path) -> None:
    shots = previz.load(demo_scene)
    text = PromptCompiler(shots).compile(shots.shot("sc1-060"), "veo").text
    assert 'Teo (whispering) says: "This has been opened."' in text
    assert "Ambient noise: cavernous room tone" in text


def test_silent_backends_get_no_sound_lines(demo_scene: Path) -> None:
    shots = previz.load(demo_scene)
    text = PromptCompiler(shots).compile(shots.shot("sc1-060"), "luma").text
    assert "says:" not in text and "Ambient noise" not in text


def test_each_prompt_knows_its_shot_backend_template_and_length(demo_scene: Path) -> None:
    prompt = compile_shotlist(previz.load(demo_scene), "openai")[0]
    assert (prompt.shot_id, prompt.backend, prompt.template) == ("sc1-010", "openai", "openai.j2")
    assert re.fullmatch(r"[0-9a-f]{64}", prompt.template_hash)
    assert prompt.length == len(prompt.text)


def test_a_backend_without_its_own_template_uses_the_default(demo_scene: Path) -> None:
    prompt = compile_shotlist(previz.load(demo_scene), "somebackend")[0]
    assert prompt.template == "default.j2"


def test_a_prompt_over_the_backend_limit_names_the_shot(demo_scene: Path) -> None:
    shots = previz.load(demo_scene)
    compiler = PromptCompiler(shots, limit=lambda backend, model: 100)
    with pytest.raises(PromptTooLongError) as caught:
        compiler.compile(shots.shots[0], "veo")
    assert caught.value.shot_id == "sc1-010"
    assert "at most 100" in str(caught.value)
