"""A cache in S3-compatible storage (moto in server mode): conditional writes, atomic publish,
the local read-through copy, corrupt and partial entries, and errors before anything is paid."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from previz.backends.base import RenderedMedia
from previz.errors import CacheError
from previz.generate import Provenance
from previz.generate.shared import SharedCache, open_cache
from previz.generate.store import open_store
from tests.fakes.backend import make_tiny_clip

NO_MOTO = "moto is not installed: pip install 'moto[server]' (a dev dependency of previz)"
pytest.importorskip("moto", reason=NO_MOTO)
boto3 = pytest.importorskip("boto3", reason=NO_MOTO)

KEY = "v1-" + "cd" * 32
PROVENANCE = Provenance(
    prompt="Mara climbs",
    backend="fake-remote",
    backend_version="1",
    model="fake-1",
    template_hash="f" * 64,
    seconds=1.0,
    take=1,
    shot_id="1A",
    remote_id="job-1",
    cost=0.4,
    created="2026-11-22T00:00:00.000+00:00",
)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_clip(tmp_path_factory.mktemp("media") / "tiny.mp4")


def media(tiny_clip: Path, folder: Path) -> RenderedMedia:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_clip, folder / "clip.mp4")
    (folder / "dialogue.wav").write_bytes(b"RIFF....WAVEfmt stand-in stem bytes")
    return RenderedMedia(video=folder / "clip.mp4", stems={"dialogue": folder / "dialogue.wav"})


def machine(bucket: str, copy: Path, **options: int) -> SharedCache:
    """The shared cache as one machine sees it: the store, and its own local copy."""
    cache = SharedCache(open_store(bucket), copy, **options)
    return cache


def objects(bucket: str) -> dict[str, bytes]:
    """Every object in the bucket (name under the prefix → bytes)."""
    name, prefix = bucket[len("s3://") :].split("/", 1)
    client = boto3.client("s3")
    listing = client.list_objects_v2(Bucket=name, Prefix=prefix + "/").get("Contents", [])
    return {
        item["Key"][len(prefix) + 1 :]: client.get_object(Bucket=name, Key=item["Key"])[
            "Body"
        ].read()
        for item in listing
    }


def put_object(bucket: str, name: str, data: bytes) -> None:
    bucket_name, prefix = bucket[len("s3://") :].split("/", 1)
    boto3.client("s3").put_object(Bucket=bucket_name, Key=f"{prefix}/{name}", Body=data)


def test_the_server_refuses_a_second_create_of_one_object(bucket: str) -> None:
    store = open_store(bucket)
    assert store.create("leases/x", b"first") is not None
    assert store.create("leases/x", b"second") is None
    assert store.read("leases/x").data == b"first"  # type: ignore[union-attr]


def test_racing_creates_of_one_object_have_exactly_one_winner(bucket: str) -> None:
    store = open_store(bucket)
    wins: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda i=i: wins.append(store.create("race", b"%d" % i) is not None)
        )
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_a_replace_of_an_object_that_changed_since_it_was_read_is_refused(bucket: str) -> None:
    store = open_store(bucket)
    store.create("leases/y", b"v1")
    seen = store.read("leases/y")
    assert seen is not None
    assert store.swap("leases/y", b"v2", seen.tag) is not None
    assert store.swap("leases/y", b"v3", seen.tag) is None
    assert store.read("leases/y").data == b"v2"  # type: ignore[union-attr]


def test_a_published_take_is_media_plus_a_record_naming_it(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    cache = machine(bucket, tmp_path / "copy")
    cache.put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    stored = objects(bucket)
    record = json.loads(stored[f"cd/{KEY}/record.json"])
    assert sorted(stored) == sorted(
        [f"cd/{KEY}/record.json", *(f"cd/{KEY}/{name}" for name in record["sizes"])]
    )
    assert stored[f"cd/{KEY}/{record['video']}"] == tiny_clip.read_bytes()


def test_another_machine_finds_the_take_and_copies_it_locally(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    machine(bucket, tmp_path / "a").put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    entry = machine(bucket, tmp_path / "b").get(KEY)
    assert entry is not None
    assert entry.folder.is_relative_to(tmp_path / "b")
    assert entry.video.read_bytes() == tiny_clip.read_bytes()
    assert entry.record.provenance.remote_id == "job-1"


def test_a_hit_in_the_local_copy_downloads_nothing(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    machine(bucket, tmp_path / "a").put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    b = machine(bucket, tmp_path / "b")
    assert b.get(KEY) is not None
    record = json.loads(objects(bucket)[f"cd/{KEY}/record.json"])
    open_store(bucket).delete([f"cd/{KEY}/{name}" for name in record["sizes"]])
    again = machine(bucket, tmp_path / "b").get(KEY)  # a later run on machine b
    assert again is not None
    assert again.video.read_bytes() == tiny_clip.read_bytes()


def test_the_local_copy_evicts_the_least_recently_used_take_past_its_size(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    keys = [f"v1-{n:02d}" + "e" * 62 for n in range(3)]
    writer = machine(bucket, tmp_path / "a")
    for n, key in enumerate(keys):
        writer.put(key, media(tiny_clip, tmp_path / f"work{n}"), PROVENANCE)
    one = tiny_clip.stat().st_size + 40
    reader = machine(bucket, tmp_path / "b", copy_bytes=int(one * 2.5))
    for key in keys:
        assert reader.get(key) is not None
    assert sorted(reader.lookups.values()) == ["remote"] * 3
    assert reader.copy_size() <= one * 2.5
    assert (reader.folder(keys[2]) / "record.json").exists()
    assert not reader.folder(keys[0]).exists()


def test_a_record_is_ignored_until_written_so_a_half_upload_is_a_miss(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    put_object(bucket, f"cd/{KEY}/clip.0123456789.mp4", tiny_clip.read_bytes()[:500])
    cache = machine(bucket, tmp_path / "copy")
    assert cache.get(KEY) is None
    cache.put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    stored = objects(bucket)
    assert f"cd/{KEY}/clip.0123456789.mp4" not in stored  # the crashed writer's leftover
    assert machine(bucket, tmp_path / "other").get(KEY) is not None


@pytest.mark.parametrize("damage", ["garbage record", "truncated video", "missing video"])
def test_a_corrupt_entry_is_a_miss_and_is_removed_from_the_store(
    bucket: str, tiny_clip: Path, tmp_path: Path, damage: str
) -> None:
    machine(bucket, tmp_path / "a").put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    record = json.loads(objects(bucket)[f"cd/{KEY}/record.json"])
    video = f"cd/{KEY}/{record['video']}"
    if damage == "garbage record":
        put_object(bucket, f"cd/{KEY}/record.json", b"{not json")
    elif damage == "truncated video":
        put_object(bucket, video, tiny_clip.read_bytes()[:100])
    else:
        open_store(bucket).delete([video])
    assert machine(bucket, tmp_path / "b").get(KEY) is None
    assert f"cd/{KEY}/record.json" not in objects(bucket)


def test_a_corrupt_entry_is_replaced_by_the_next_take_published(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    put_object(bucket, f"cd/{KEY}/record.json", b"{not json")
    cache = machine(bucket, tmp_path / "copy")
    assert cache.get(KEY) is None
    cache.put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    assert machine(bucket, tmp_path / "other").get(KEY) is not None


def test_two_machines_publishing_one_key_at_once_leave_one_entry(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    caches = [machine(bucket, tmp_path / f"m{n}") for n in range(2)]
    works = [media(tiny_clip, tmp_path / f"work{n}") for n in range(2)]
    entries = []
    threads = [
        threading.Thread(
            target=lambda n=n: entries.append(caches[n].put(KEY, works[n], PROVENANCE))
        )
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = objects(bucket)
    record = json.loads(stored[f"cd/{KEY}/record.json"])
    assert sorted(stored) == sorted(
        [f"cd/{KEY}/record.json", *(f"cd/{KEY}/{name}" for name in record["sizes"])]
    )
    assert [e.video.read_bytes() == tiny_clip.read_bytes() for e in entries] == [True, True]


def test_a_take_the_store_refused_stays_local_and_is_published_on_its_next_hit(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    cache = machine(bucket, tmp_path / "copy")

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the network is down")

    cache.store.put_file = offline  # type: ignore[method-assign,assignment]
    entry = cache.put(KEY, media(tiny_clip, tmp_path / "work"), PROVENANCE)
    assert entry.video.exists()
    assert f"cd/{KEY}/record.json" not in objects(bucket)
    del cache.store.put_file  # the network is back
    assert cache.get(KEY) is not None
    assert f"cd/{KEY}/record.json" in objects(bucket)


def test_a_bucket_that_does_not_exist_is_a_clear_error(bucket: str, tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="does not exist"):
        open_cache(tmp_path, "s3://no-such-bucket-here/team")


def test_missing_credentials_are_a_clear_error(
    bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(CacheError, match="no credentials") as caught:
        open_cache(tmp_path, bucket)
    assert "AWS_ACCESS_KEY_ID" in (caught.value.hint or "")


def test_an_unknown_protocol_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="cannot open the cache"):
        open_cache(tmp_path, "nosuchproto://bucket/prefix")


def test_a_file_url_is_a_plain_folder_cache(tmp_path: Path) -> None:
    cache = open_cache(tmp_path, f"file://{tmp_path}/team-cache")
    assert not isinstance(cache, SharedCache)
    assert cache.root == tmp_path / "team-cache"


def test_a_prefetch_copies_every_stored_take_before_the_plan_looks_them_up(
    bucket: str, tiny_clip: Path, tmp_path: Path
) -> None:
    keys = [f"v1-{n:02d}" + "f" * 62 for n in range(3)]
    writer = machine(bucket, tmp_path / "a")
    for n, key in enumerate(keys):
        writer.put(key, media(tiny_clip, tmp_path / f"work{n}"), PROVENANCE)
    reader = machine(bucket, tmp_path / "b")
    assert reader.prefetch([*keys, "v1-" + "9" * 64]) == 3
    assert all((reader.folder(key) / "record.json").exists() for key in keys)
    assert [reader.get(key) is not None for key in keys] == [True] * 3
    assert sorted(reader.lookups.values()) == ["remote"] * 3
