"""Declared backend options: set in the scene or with -o, checked, keyed, listed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from previz.backends.luma import LumaBackend
from previz.backends.runway import RunwayBackend
from previz.cli import cli
from previz.errors import BackendError, SceneError
from previz.generate.keys import job_key
from previz.generate.plan import plan_jobs
from previz.pipeline import backends_for
from previz.shotlist.loader import load
from tests.scene_text import MINIMAL


def with_backends(options: str) -> str:
    """MINIMAL with ``project.backends`` set to the flow mapping ``options``."""
    return MINIMAL.replace("  title: ", f"  backends: {options}\n  title: ", 1)


def test_scene_options_reach_the_backend(write_scene) -> None:
    shotlist = load(write_scene(with_backends("{luma: {resolution: 1080p}}")))
    luma = backends_for(shotlist, "luma")["luma"]
    assert isinstance(luma, LumaBackend) and luma.options.model_dump() == {"resolution": "1080p"}


def test_command_line_option_wins_over_the_scene(write_scene) -> None:
    shotlist = load(write_scene(with_backends("{luma: {resolution: 1080p}}")))
    luma = backends_for(shotlist, "luma", {"luma": {"resolution": "540p"}})["luma"]
    assert luma.options.model_dump() == {"resolution": "540p"}


@pytest.mark.parametrize(
    ("options", "said", "hint"),
    [("{runway: {audoi: false}}", "unknown option 'audoi'", "did you mean 'audio'?"),
     ("{veo: {resolution: 4k}}", "resolution: Input should be", "takes: resolution"),
     ("{lumma: {}}", "unknown backend 'lumma'", "did you mean 'luma'?")],
)  # fmt: skip
def test_bad_scene_option_is_reported_at_its_line_with_a_hint(
    write_scene, options: str, said: str, hint: str
) -> None:
    path = write_scene(with_backends(options))
    with pytest.raises(SceneError) as caught:
        load(path)
    assert said in caught.value.message and hint in (caught.value.hint or "")
    assert caught.value.path == path and caught.value.line == 3


def test_unknown_command_line_option_names_what_the_backend_takes(write_scene) -> None:
    shotlist = load(write_scene(MINIMAL))
    with pytest.raises(BackendError, match="no such option") as caught:
        backends_for(shotlist, "runway", {"runway": {"sound": "no"}})
    assert "takes: audio" in (caught.value.hint or "")


def test_malformed_option_flag_exits_2_with_the_form_to_use(write_scene) -> None:
    result = CliRunner().invoke(cli, ["cost", str(write_scene(MINIMAL)), "-o", "luma=1080p"])
    assert result.exit_code == 2 and "BACKEND.OPTION=VALUE" in result.output


def test_option_from_the_command_line_changes_the_price(write_scene) -> None:
    scene = str(write_scene(MINIMAL))
    cheap = CliRunner().invoke(cli, ["cost", scene, "-b", "luma", "-o", "luma.resolution=540p"])
    dear = CliRunner().invoke(cli, ["cost", scene, "-b", "luma", "-o", "luma.resolution=1080p"])
    assert cheap.exit_code == dear.exit_code == 0, cheap.output + dear.output
    assert cheap.output.splitlines()[-1] != dear.output.splitlines()[-1]


def test_output_option_set_away_from_its_default_enters_the_cache_key(write_scene) -> None:
    shotlist = load(write_scene(MINIMAL))
    plain = {"runway": RunwayBackend(env={})}
    silent = {"runway": RunwayBackend(env={}, audio=False)}
    [loud_job, *_] = plan_jobs(shotlist, plain, backend="runway", model="veo3.1")
    [quiet_job, *_] = plan_jobs(shotlist, silent, backend="runway", model="veo3.1")
    assert "options" not in loud_job.payload  # at its default: the key stays what it was
    assert quiet_job.payload["options"] == {"audio": False}
    assert job_key(loud_job, plain) != job_key(quiet_job, silent)


def test_backends_options_lists_each_declared_option() -> None:
    result = CliRunner().invoke(cli, ["backends", "--options"])
    assert result.exit_code == 0, result.output
    assert "resolution" in result.output and "540p|720p|1080p|4k" in result.output
    assert "audio" in result.output


def test_invalid_option_given_to_a_constructor_is_a_backend_error() -> None:
    with pytest.raises(BackendError, match="invalid options: resolution"):
        LumaBackend(env={}, resolution="8k")


@pytest.mark.parametrize("command", ["validate", "prompts"])
def test_scene_commands_check_the_option_flag_too(write_scene, command: str) -> None:
    scene = str(write_scene(MINIMAL))
    ok = CliRunner().invoke(cli, [command, scene, "-o", "luma.resolution=1080p"])
    bad = CliRunner().invoke(cli, [command, scene, "-o", "luma.resolutoin=1080p"])
    assert ok.exit_code == 0, ok.output
    assert bad.exit_code == 2 and "did you mean 'resolution'?" in bad.output
