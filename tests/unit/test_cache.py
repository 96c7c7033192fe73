"""The clip cache stores takes atomically and treats anything corrupt as a miss."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from previz.backends.base import RenderedMedia
from previz.errors import MediaError
from previz.generate import Cache, Provenance, cache_root
from previz.media import last_frame
from tests.fakes.backend import make_tiny_clip

KEY = "v1-" + "ab" * 32


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_clip(tmp_path_factory.mktemp("media") / "tiny.mp4")


@pytest.fixture
def media(tiny_clip: Path, tmp_path: Path) -> RenderedMedia:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(tiny_clip, work / "clip.mp4")
    (work / "dialogue.wav").write_bytes(b"RIFF....WAVEfmt stand-in stem bytes")
    return RenderedMedia(video=work / "clip.mp4", stems={"dialogue": work / "dialogue.wav"})


PROVENANCE = Provenance(
    prompt="Mara climbs",
    backend="veo",
    backend_version="1",
    model="veo-3.0",
    template_hash="f" * 64,
    seconds=1.0,
    take=1,
    shot_id="1A",
    remote_id="operations/123",
    cost=0.4,
    created="2026-11-22T00:00:00.000+00:00",
)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def test_put_then_get_returns_the_entry_with_probed_facts(
    cache: Cache, media: RenderedMedia
) -> None:
    cache.put(KEY, media, PROVENANCE)
    entry = cache.get(KEY)
    assert entry is not None
    assert entry.folder == cache.root / "ab" / KEY
    assert entry.video.read_bytes()[4:8] == b"ftyp"
    assert entry.stems["dialogue"].name == "stem-dialogue.wav"
    assert (entry.record.facts.width, entry.record.facts.height) == (64, 36)
    assert entry.record.facts.fps == 24.0
    assert entry.record.facts.duration == pytest.approx(1.0, abs=0.05)
    assert entry.record.provenance == PROVENANCE


def test_put_leaves_no_temp_folder_behind(cache: Cache, media: RenderedMedia) -> None:
    cache.put(KEY, media, PROVENANCE)
    assert [p.name for p in (cache.root / "ab").iterdir()] == [KEY]


def test_a_miss_is_none(cache: Cache) -> None:
    assert cache.get(KEY) is None


def test_media_that_does_not_decode_is_refused(cache: Cache, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"garbage" * 100)
    with pytest.raises(MediaError):
        cache.put(KEY, RenderedMedia(video=broken), PROVENANCE)
    assert cache.get(KEY) is None
    assert list(cache.keys()) == []


def _corrupt_record(folder: Path) -> None:
    (folder / "record.json").write_text("{not json")


def _drop_record(folder: Path) -> None:
    (folder / "record.json").unlink()


def _drop_video(folder: Path) -> None:
    (folder / "clip.mp4").unlink()


def _truncate_video(folder: Path) -> None:
    data = (folder / "clip.mp4").read_bytes()
    (folder / "clip.mp4").write_bytes(data[: len(data) // 2])


def _drop_stem(folder: Path) -> None:
    (folder / "stem-dialogue.wav").unlink()


def _record_of_another_key(folder: Path) -> None:
    record = json.loads((folder / "record.json").read_text())
    record["key"] = "v1-" + "cd" * 32
    (folder / "record.json").write_text(json.dumps(record))


DAMAGES = [
    _corrupt_record,
    _drop_record,
    _drop_video,
    _truncate_video,
    _drop_stem,
    _record_of_another_key,
]
"""Each kind of damage a cache entry can suffer on disk."""


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_corrupt_entry_is_logged_removed_and_missed(
    cache: Cache,
    media: RenderedMedia,
    damage: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = cache.put(KEY, media, PROVENANCE)
    damage(entry.folder)  # type: ignore[operator]
    assert cache.get(KEY) is None
    assert not entry.folder.exists()
    assert "corrupt" in caplog.text


def _settle(entry_folder: Path) -> None:
    """Age the entry's record past the window in which a record is read again each lookup."""
    os.utime(entry_folder / "record.json", (1_700_000_000, 1_700_000_000))


@pytest.mark.parametrize("damage", DAMAGES)
def test_damage_after_a_lookup_is_still_found_at_the_next(
    cache: Cache, media: RenderedMedia, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    entry = cache.put(KEY, media, PROVENANCE)
    _settle(entry.folder)
    assert cache.get(KEY) is not None  # the record is parsed and remembered
    damage(entry.folder)  # type: ignore[operator]
    assert cache.get(KEY) is None
    assert not entry.folder.exists()
    assert "corrupt" in caplog.text


def test_a_settled_record_is_parsed_once_per_cache(cache: Cache, media: RenderedMedia) -> None:
    entry = cache.put(KEY, media, PROVENANCE)
    _settle(entry.folder)
    first, again = cache.get(KEY), cache.get(KEY)
    assert first is not None and again is not None
    assert again.record is first.record


def test_a_record_written_just_now_is_read_at_every_lookup(
    cache: Cache, media: RenderedMedia
) -> None:
    cache.put(KEY, media, PROVENANCE)  # its timestamps may not have ticked since
    first, again = cache.get(KEY), cache.get(KEY)
    assert first is not None and again is not None
    assert again.record is not first.record
    assert again.record == first.record


def test_verify_evicts_an_entry_whose_video_does_not_decode(
    cache: Cache, media: RenderedMedia
) -> None:
    entry = cache.put(KEY, media, PROVENANCE)
    size = entry.video.stat().st_size
    entry.video.write_bytes(b"\x00" * size)  # same size, so only decoding can tell
    assert cache.get(KEY) is not None
    assert cache.verify(KEY) is False
    assert cache.get(KEY) is None


def test_a_second_put_of_the_same_key_keeps_one_entry(
    cache: Cache, media: RenderedMedia, tiny_clip: Path, tmp_path: Path
) -> None:
    cache.put(KEY, media, PROVENANCE)
    again = tmp_path / "again.mp4"
    shutil.copyfile(tiny_clip, again)
    entry = cache.put(KEY, RenderedMedia(video=again), PROVENANCE)
    assert entry.folder == cache.folder(KEY)
    assert list(cache.keys()) == [KEY]


def test_entries_size_and_remove(cache: Cache, media: RenderedMedia) -> None:
    cache.put(KEY, media, PROVENANCE)
    assert [e.key for e in cache.entries()] == [KEY]
    assert cache.size() > 3000
    assert cache.remove(KEY) is True
    assert cache.remove(KEY) is False
    assert list(cache.entries()) == []


def test_sweep_partial_removes_only_stale_temp_folders(cache: Cache) -> None:
    stale = cache.root / "ab" / f".tmp-{KEY}-dead"
    fresh = cache.root / "ab" / f".tmp-{KEY}-live"
    stale.mkdir(parents=True)
    fresh.mkdir()
    os.utime(stale, (0, 0))
    assert cache.sweep_partial(older_than=3600) == 1
    assert not stale.exists()
    assert fresh.exists()


def test_last_frame_is_made_once_and_kept_in_the_entry(cache: Cache, media: RenderedMedia) -> None:
    cache.put(KEY, media, PROVENANCE)
    calls: list[Path] = []

    def extract(video: Path, dest: Path) -> Path:
        calls.append(video)
        return last_frame(video, dest)

    first = cache.last_frame(KEY, extract)
    second = cache.last_frame(KEY, extract)
    assert first == second == cache.folder(KEY) / "last_frame.png"
    assert first is not None and first.read_bytes()[:4] == b"\x89PNG"
    assert len(calls) == 1
    assert cache.get(KEY) is not None


def test_cache_root_is_moved_by_option_then_environment(tmp_path: Path) -> None:
    project = tmp_path / "film"
    assert cache_root(project, env={}) == project / ".previz" / "cache"
    assert cache_root(project, env={"PREVIZ_CACHE_DIR": "/big/disk"}) == Path("/big/disk")
    assert cache_root(project, Path("/opt"), env={"PREVIZ_CACHE_DIR": "/x"}) == Path("/opt")


def test_size_counts_while_another_process_publishes_and_removes_temp_folders(
    cache: Cache,
) -> None:
    """A download publishes its ``.tmp-`` folder by renaming it and removes what is left: a
    size counted meanwhile (``previz cache``, the local copy's limit) skips what vanished."""
    shard = cache.root / "ab"
    shard.mkdir(parents=True)
    (shard / "kept.bin").write_bytes(b"x" * 1000)
    stop = threading.Event()

    def churn() -> None:
        n = 0
        while not stop.is_set():
            temp = shard / f".tmp-{n}"
            (temp / "deep").mkdir(parents=True)
            for name in ("a", "b", "deep/c"):
                (temp / name).write_bytes(b"y")
            shutil.rmtree(temp)
            n += 1

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        sizes = [cache.size() for _ in range(400)]
    finally:
        stop.set()
        worker.join()
    assert min(sizes) >= 1000
