"""SFX stems leave headroom: a hit, or several at once, peaks below 0 dBFS (never clips)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.media_fixtures import cue, make_job, make_payload, read_wav, render

FULL_SCALE = 32767
MINUS_1_DBFS = 0.891


def test_one_hit_peaks_below_full_scale(tmp_path: Path) -> None:
    payload = make_payload(sound=[cue("sfx", "slam", 0.5, 0.5, "door slam")])
    _, samples = read_wav(render(make_job(payload), tmp_path).stems["sfx"])
    assert 0.2 * FULL_SCALE < max(abs(s) for s in samples) < MINUS_1_DBFS * FULL_SCALE


def test_overlapping_hits_peak_below_full_scale(tmp_path: Path) -> None:
    hits = [cue("sfx", f"hit{i}", 0.4, 0.4 + 0.3 * (i % 2), f"crash {i}") for i in range(4)]
    _, samples = read_wav(render(make_job(make_payload(sound=hits)), tmp_path).stems["sfx"])
    assert max(abs(s) for s in samples) < MINUS_1_DBFS * FULL_SCALE
