"""Conform's reading of an edit, on timelines assembled in memory (no media is decoded)."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from previz.backends.base import Clip
from previz.cli import cli
from previz.conform import conform
from previz.errors import TimelineError
from previz.prompts import compile_shotlist
from previz.shotlist.loader import load
from previz.timeline import assemble, export_timeline

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange

SCENE = """\
schema_version: 1
project:
  title: Plan
  fps: {fps}
  resolution: 64x36
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - id: a
        action: One.
        duration: 2s
        transition_out: dissolve 6f
      - id: b
        action: Two.
        duration: 2s
  - id: sc2
    heading: EXT. YARD - NIGHT
    shots:
      - id: c
        action: Three.
        duration: 2s
      - id: d
        action: Four.
        duration: 2s
"""


def built(tmp_path: Path, fps: str = "24") -> tuple[Path, otio.schema.Timeline]:
    """A scene and the timeline a build would make of it (each take 3 s: 1 s of handle)."""
    scene = tmp_path / "scene.yaml"
    scene.write_text(SCENE.format(fps=fps), encoding="utf-8")
    return built_from(scene, tmp_path)


def built_from(scene: Path, tmp_path: Path) -> tuple[Path, otio.schema.Timeline]:
    shotlist = load(scene)
    clips = {
        (s.id, 1): Clip(
            shot_id=s.id,
            take=1,
            path=tmp_path / f"{s.id}_t1.mp4",
            duration=3.0,
            fps=float(shotlist.rate),
            width=64,
            height=36,
            has_audio=False,
            backend="animatic",
            model="card",
            prompt="p",
            template_hash="t",
            cache_key=f"v1-{s.id}",
        )
        for s in shotlist.shots
    }
    return scene, assemble(shotlist, clips)


def v1(timeline: otio.schema.Timeline) -> otio.schema.Track:
    return next(t for t in timeline.tracks if t.name == "V1")


def clip(timeline: otio.schema.Timeline, shot_id: str) -> otio.schema.Clip:
    return next(c for c in v1(timeline).find_clips() if c.name == shot_id)


def run(timeline: otio.schema.Timeline, scene: Path, apply: bool = True):  # type: ignore[no-untyped-def]
    path = scene.parent / "edited.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return conform(path, scene, apply=apply)


def rows(result) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    return [(c.shot_id, c.field, c.old, c.new) for c in result.rows]


def test_an_untouched_cut_changes_nothing(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    result = run(timeline, scene)
    assert result.rows == [] and result.plan.unexpressed == [] and not result.applied


RATES = [("23.976", 37, "37f"), ("29.97", 50, "50f"), ("25", 50, "2s"), ("24", 30, "1.25s")]


@pytest.mark.parametrize(("fps", "frames", "text"), RATES)
def test_a_trim_is_frame_exact_at_every_rate(
    tmp_path: Path, fps: str, frames: int, text: str
) -> None:
    scene, timeline = built(tmp_path, fps)
    shot = clip(timeline, "b")
    rate = shot.source_range.duration.rate
    shot.source_range = TR(RT(0, rate), RT(frames, rate))
    run(timeline, scene)
    assert f"        duration: {text}\n" in scene.read_text()
    assert load(scene).shot("b").frames == frames


def test_a_head_trim_at_ntsc_rates_sets_clip_in_in_frames(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path, "29.97")
    shot = clip(timeline, "c")
    rate = shot.source_range.duration.rate
    shot.source_range = TR(RT(7, rate), RT(53, rate))
    run(timeline, scene)
    resolved = load(scene).shot("c")
    assert (resolved.clip_in.value, resolved.frames) == (7, 53)


def test_a_dissolve_lengthened_in_the_edit_becomes_transition_out(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    dissolve = next(i for i in v1(timeline) if isinstance(i, otio.schema.Transition))
    dissolve.out_offset = RT(10, 24)
    assert ("a", "transition_out", "dissolve 6f", "dissolve 10f") in rows(run(timeline, scene))
    assert load(scene).shot("a").transition_out.duration == "10f"  # type: ignore[union-attr]


def test_a_dissolve_removed_in_the_edit_becomes_a_cut(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    track = v1(timeline)
    track.remove(next(i for i in track if isinstance(i, otio.schema.Transition)))
    assert ("a", "transition_out", "dissolve 6f", "cut") in rows(run(timeline, scene))


def test_a_dissolve_added_between_two_shots(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    track = v1(timeline)
    track.insert(list(track).index(clip(timeline, "c")), otio.schema.Transition(
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=RT(4, 24), out_offset=RT(4, 24)))  # fmt: skip
    assert ("b", "transition_out", "cut", "dissolve 8f") in rows(run(timeline, scene))


def test_a_shot_used_twice_is_reported_and_left_alone(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    again = clip(timeline, "b").clone()
    again.source_range = TR(RT(0, 24), RT(10, 24))
    v1(timeline).append(again)
    result = run(timeline, scene)
    assert [(u.shot_id, u.what) for u in result.plan.unexpressed] == [
        ("b", "used twice in the cut")
    ]
    assert [r for r in rows(result) if r[0] == "b"] == []


def test_a_shot_lengthened_past_its_take_says_what_to_ask_for(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    clip(timeline, "d").source_range = TR(RT(12, 24), RT(66, 24))  # 12 + 66 > 72 frames
    result = run(timeline, scene)
    [problem] = result.plan.unexpressed
    assert problem.shot_id == "d" and "past the end of its 72-frame take" in problem.what
    assert "raise 'duration' to 2.75s" in problem.fix
    assert "        duration: 2s\n" in scene.read_text().split("id: d")[1]


def test_a_shot_dropped_into_another_scene_moves_there(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    track = v1(timeline)
    a = clip(timeline, "a")
    track.remove(next(i for i in track if isinstance(i, otio.schema.Transition)))
    track.remove(a)
    track.insert(list(track).index(clip(timeline, "d")), a)  # between c and d
    run(timeline, scene)
    shots = load(scene).shots
    assert [(s.id, s.scene.id) for s in shots] == [("b", "sc1"), ("c", "sc2"), ("a", "sc2"),
                                                    ("d", "sc2")]  # fmt: skip


def test_an_omitted_shot_back_in_the_cut_is_no_longer_omitted(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    scene.write_text(scene.read_text().replace("action: Two.", "action: Two.\n        omit: true"))
    assert ("b", "omit", "true", "false") in rows(run(timeline, scene))
    assert [s.id for s in load(scene).shots] == ["a", "b", "c", "d"]


def test_a_named_track_that_does_not_exist_lists_the_tracks(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    with pytest.raises(TimelineError, match="no video track 'V9'"):
        path = tmp_path / "edited.otio"
        otio.adapters.write_to_file(timeline, str(path))
        conform(path, scene, track="V9")


def test_the_cli_previews_the_changes_and_writes_nothing(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    clip(timeline, "b").source_range = TR(RT(0, 24), RT(36, 24))
    otio.adapters.write_to_file(timeline, str(tmp_path / "edited.otio"))
    before = scene.read_bytes()
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["conform", str(tmp_path / "edited.otio"), str(scene)]
    )
    assert result.exit_code == 0, result.output
    assert "duration" in result.output and "1.5s" in result.output and "--apply" in result.output
    assert scene.read_bytes() == before


def test_the_cli_refuses_a_file_it_cannot_read_with_exit_2(tmp_path: Path) -> None:
    scene, _ = built(tmp_path)
    (tmp_path / "cut.edl").write_text("TITLE: broken\n001  AX V C 00:00:00:00\n")
    result = CliRunner().invoke(cli, ["conform", str(tmp_path / "cut.edl"), str(scene)])
    assert result.exit_code == 2 and "Traceback" not in result.output


FOUNTAIN = """\
INT. KITCHEN - NIGHT

MARA (30s, wiry) pours coffee.

MARA
Not again.
"""


def test_a_screenplay_is_conformed_through_its_breakdown_written_beside_it(
    tmp_path: Path,
) -> None:
    screenplay = tmp_path / "script.fountain"
    screenplay.write_text(FOUNTAIN, encoding="utf-8")
    shotlist = load(screenplay)
    clips = {(s.id, 1): Clip(
        shot_id=s.id, take=1, path=tmp_path / f"{s.id}_t1.mp4", duration=s.seconds + 1,
        fps=24.0, width=64, height=36, has_audio=False, backend="animatic", model="card",
        prompt="p", template_hash="t", cache_key="k") for s in shotlist.shots}  # fmt: skip
    timeline = assemble(shotlist, clips)
    first = v1(timeline).find_clips()[0]
    first.source_range = TR(RT(0, 24), RT(20, 24))
    otio.adapters.write_to_file(timeline, str(tmp_path / "edited.otio"))
    preview = conform(tmp_path / "edited.otio", screenplay)
    assert preview.breakdown == tmp_path / "script.yaml" and not preview.breakdown.exists()
    result = conform(tmp_path / "edited.otio", screenplay, apply=True)
    assert result.breakdown == tmp_path / "script.yaml" and result.scene == result.breakdown
    assert load(result.scene).shots[0].frames == 20
    assert screenplay.read_text() == FOUNTAIN


def test_a_clip_note_typed_in_the_nle_becomes_a_note_at_the_clips_head(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    clip(timeline, "b").metadata["fcp_xml"] = {"comments": {"mastercomment2": "try it wider"}}
    path = tmp_path / "edited.xml"
    otio.adapters.write_to_file(timeline, str(path), adapter_name="fcp_xml")
    conform(path, scene, apply=True)
    assert load(scene).shot("b").shot.notes == "01:00:02:00 try it wider"


def test_previz_own_metadata_is_never_taken_for_a_note(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    clip(timeline, "a").metadata["previz"]["notes"] = "the shot list's own note"
    assert run(timeline, scene).rows == []


def test_a_cue_running_until_a_shot_now_before_it_ends_with_its_own_shot(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    scene.write_text(scene.read_text().replace(
        "action: One.\n", "action: One.\n        sound:\n"
        "          - {kind: music, description: a cello, until: b}\n"))  # fmt: skip
    track = v1(timeline)
    b = clip(timeline, "b")
    track.remove(next(i for i in track if isinstance(i, otio.schema.Transition)))
    track.remove(b)
    track.insert(0, b)
    result = run(timeline, scene)
    assert ("a", "sound 1 until", "b", "its own shot's end") in rows(result)
    assert "{kind: music, description: a cello}" in scene.read_text()
    assert [s.id for s in load(scene).shots][:2] == ["b", "a"]


def test_a_fade_out_in_the_cut_is_not_taken_for_a_dissolve(tmp_path: Path) -> None:
    scene, _ = built(tmp_path)
    fade = "action: Two.\n        transition_out: fade out 6f\n"
    scene.write_text(scene.read_text().replace("action: Two.\n", fade))
    _, timeline = built_from(scene, tmp_path)
    assert any(isinstance(i, otio.schema.Transition) for i in v1(timeline)[3:])
    assert run(timeline, scene).rows == []


def test_a_dissolve_centred_on_its_cut_is_the_same_dissolve(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    track = v1(timeline)
    dissolve = next(i for i in track if isinstance(i, otio.schema.Transition))
    a, b = clip(timeline, "a"), clip(timeline, "b")  # as an NLE centres it: 3 frames each side
    a.source_range = TR(RT(0, 24), RT(51, 24))
    b.source_range = TR(RT(3, 24), RT(45, 24))
    dissolve.in_offset, dissolve.out_offset = RT(3, 24), RT(3, 24)
    assert run(timeline, scene).rows == []


def test_final_cut_transitions_are_read_back_from_the_fcpxml(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    written = export_timeline(timeline, tmp_path / "exports", ["fcpxml"])["fcpxml"][0]
    assert b"<transition" in written.read_bytes()
    assert conform(written, scene).rows == []
    track = v1(timeline)
    track.remove(next(i for i in track if isinstance(i, otio.schema.Transition)))
    written = export_timeline(timeline, tmp_path / "cut", ["fcpxml"])["fcpxml"][0]
    assert ("a", "transition_out", "dissolve 6f", "cut") in rows(conform(written, scene))


def test_an_edit_of_another_scene_is_refused_before_anything_is_omitted(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    for placed in v1(timeline).find_clips():
        placed.name = f"other {placed.name}"
        placed.metadata["previz"]["shot"] = f"other-{placed.name}"
        placed.media_reference = otio.schema.MissingReference()
    with pytest.raises(TimelineError, match=r"no clip of track 'V1' is a shot of scene\.yaml"):
        run(timeline, scene)


def test_the_cli_prints_each_change_as_old_to_new(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    clip(timeline, "c").source_range = TR(RT(0, 24), RT(30, 24))
    otio.adapters.write_to_file(timeline, str(tmp_path / "edited.otio"))
    result = CliRunner().invoke(cli, ["conform", str(tmp_path / "edited.otio"), str(scene)])
    assert "c  duration: 2s → 1.25s\n" in result.output


def test_a_head_trim_moves_the_shots_cues_and_leaves_its_prompt_alone(tmp_path: Path) -> None:
    scene, _ = built(tmp_path)
    line = (
        "action: Three.\n        sound:\n          - {kind: sfx, description: a bang, start: 1}\n"
    )
    scene.write_text(scene.read_text().replace("action: Three.\n", line))
    _, timeline = built_from(scene, tmp_path)
    before = {p.shot_id: p.text for p in compile_shotlist(load(scene), "veo")}
    clip(timeline, "c").source_range = TR(RT(6, 24), RT(42, 24))
    result = run(timeline, scene)
    assert ("c", "sound 1 start", "1", "0.75") in rows(result)
    assert "{kind: sfx, description: a bang, start: 0.75}" in scene.read_text()
    after = {p.shot_id: p.text for p in compile_shotlist(load(scene), "veo")}
    assert after["c"] == before["c"]  # the take still holds the bang 1 s in


def test_a_kdenlive_mix_reads_back_at_its_full_length(tmp_path: Path) -> None:
    scene, timeline = built(tmp_path)
    written = export_timeline(timeline, tmp_path / "exports", ["kdenlive"])["kdenlive"][0]
    assert conform(written, scene).rows == []
