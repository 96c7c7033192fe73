"""The memo of the last joined cut: the next build's takes put in its places by origin, each
file paired only with the key the timeline gives it; a damaged or foreign memo is ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import pytest

from previz.media.parts import Frame, PicturePart, SoundPart, SoundSource, Source
from previz.timeline import ahead
from previz.timeline.playout import Playout
from previz.timeline.take import stem_key

FRAME = Frame(160, 90, Fraction(24), None)


@dataclass(frozen=True)
class FakeTake:
    shot_id: str
    take: int
    path: Path
    cache_key: str
    stems: dict[str, Path] = field(default_factory=dict)


def take(shot: str, key: str, roles: tuple[str, ...] = ("dialogue", "sfx")) -> FakeTake:
    stems = {role: Path(f"/stems/{shot}-{key}-{role}.wav") for role in roles}
    return FakeTake(shot, 1, Path(f"/clips/{shot}-{key}.mp4"), key, stems)


def cut(takes: dict[str, FakeTake]) -> Playout:
    """Two shots with a dissolve between them, each shot's stems under its picture."""
    a, b = takes["s1"], takes["s2"]
    pictures = (
        PicturePart(20, Source(a.path, a.cache_key, 0), shot_id="s1", record=0),
        PicturePart(
            4,
            Source(a.path, a.cache_key, 20),
            Source(b.path, b.cache_key, 0),
            dissolve=True,
            shot_id="s2",
            record=20,
        ),
        PicturePart(20, Source(b.path, b.cache_key, 4), shot_id="s2", record=24),
    )
    sounds = tuple(
        SoundPart(
            48000,
            tuple(
                SoundSource(Source(t.stems[r], stem_key(t.cache_key, r), 0), 0, 48000)
                for r in sorted(t.stems)
            ),
            shot_id=t.shot_id,
        )
        for t in (a, b)
    )
    return Playout(pictures, sounds, 44, Fraction(24))


def by_shot(*takes: FakeTake) -> dict[tuple[str, int], FakeTake]:
    return {(t.shot_id, t.take): t for t in takes}


@pytest.fixture
def memo(tmp_path: Path) -> Path:
    path = tmp_path / "cut.memo"
    old = {"s1": take("s1", "k1"), "s2": take("s2", "k2")}
    ahead.remember(path, cut(old), by_shot(*old.values()), FRAME)  # type: ignore[arg-type]
    return path


def test_the_new_takes_parts_are_the_ones_their_cut_would_have(memo: Path) -> None:
    new = {"s1": take("s1", "k1"), "s2": take("s2", "k2b")}
    found = ahead.recall(memo, FRAME)
    assert found is not None
    pictures, sounds, fresh = ahead.foresee(found, by_shot(*new.values()))  # type: ignore[arg-type]
    expected = cut(new)
    assert pictures == list(expected.pictures[1:])  # the dissolve into s2 and s2's body
    assert sounds == list(expected.sounds)
    assert fresh == {1}


def test_a_take_without_a_stem_it_had_gets_no_sound_foreseen(memo: Path) -> None:
    new = by_shot(take("s1", "k1"), take("s2", "k2b", roles=("dialogue",)))
    found = ahead.recall(memo, FRAME)
    assert found is not None
    pictures, sounds, fresh = ahead.foresee(found, new)  # type: ignore[arg-type]
    assert len(pictures) == 2 and sounds == [] and fresh == set()


def test_media_the_takes_do_not_name_is_never_foreseen(tmp_path: Path) -> None:
    path, old = tmp_path / "cut.memo", {"s1": take("s1", "k1"), "s2": take("s2", "k2")}
    played = cut(old)
    foreign = Source(Path("/elsewhere/b.mp4"), "file:/elsewhere/b.mp4:1:2", 0)
    pictures = (played.pictures[0], PicturePart(24, foreign, shot_id="s2", record=20))
    sounds = (played.sounds[0], SoundPart(48000, (SoundSource(foreign, 0, 48000),), "s2"))
    ahead.remember(path, Playout(pictures, sounds, 44, Fraction(24)), by_shot(*old.values()), FRAME)  # type: ignore[arg-type]
    found = ahead.recall(path, FRAME)
    assert found is not None
    new = by_shot(take("s1", "k1b"), take("s2", "k2b"))
    foreseen, sound, fresh = ahead.foresee(found, new)  # type: ignore[arg-type]
    assert [p.shot_id for p in foreseen] == ["s1"] and sound == [] and fresh == set()


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-40])


def foreign(path: Path) -> None:
    path.write_text("previz-cut-memo-1\nnot a digest\n{}", encoding="utf-8")


@pytest.mark.parametrize("damage", [flip, cut_short, foreign])
def test_a_damaged_memo_is_ignored(memo: Path, damage: object) -> None:
    damage(memo)  # type: ignore[operator]
    assert ahead.recall(memo, FRAME) is None


def test_a_memo_of_another_frame_is_ignored(memo: Path) -> None:
    assert ahead.recall(memo, Frame(160, 90, Fraction(25), None)) is None
    assert ahead.recall(memo, Frame(320, 180, Fraction(24), None)) is None


def test_a_memo_written_by_other_code_is_ignored(
    memo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ahead, "_version", lambda: "another")
    assert ahead.recall(memo, FRAME) is None


def test_the_helper_waits_for_an_idle_core() -> None:
    cores = os.cpu_count() or 1
    busy = [sys.executable, "-c", "print(flush=True)\nwhile True: pass"]
    spinners = [subprocess.Popen(busy, stdout=subprocess.PIPE) for _ in range(cores)]
    try:
        for spinner in spinners:  # every core taken
            assert spinner.stdout is not None and spinner.stdout.readline()
        assert not any(ahead.core_idle() for _ in range(5))
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_the_helper_runs_for_a_change_of_a_few_takes_only() -> None:
    assert [ahead.worth_it(n) for n in (0, 1, ahead.MOST_TAKES, ahead.MOST_TAKES + 1)] == [
        False,
        True,
        True,
        False,
    ]  # nothing to foresee; a one-shot change; a few; more: the animatic's two chains at once
