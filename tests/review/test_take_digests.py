"""Take hashes (which name the posters) are remembered between builds by file identity."""

from __future__ import annotations

import json
import time
from pathlib import Path

from previz.generate.keys import file_sha256
from previz.review.posters import TakeDigests


def _later() -> int:
    return time.time_ns() + 60_000_000_000  # a minute on: every file here has settled


def _take(tmp_path: Path, data: bytes = b"take bytes " * 100) -> Path:
    take = tmp_path / "clips" / "s1_t1.mp4"
    take.parent.mkdir(exist_ok=True)
    take.write_bytes(data)
    return take


def test_a_digest_is_the_sha256_of_the_take(tmp_path: Path) -> None:
    take = _take(tmp_path)
    assert TakeDigests(tmp_path / "digests.json")(take) == file_sha256(take)


def test_a_settled_take_with_the_same_identity_is_not_read_again(tmp_path: Path) -> None:
    take, kept = _take(tmp_path), tmp_path / "digests.json"
    digests = TakeDigests(kept, now=_later)
    digests(take)
    digests.save()
    remembered = json.loads(kept.read_text())
    remembered[str(take)][-1] = "f" * 64  # what was remembered, not the file, answers
    kept.write_text(json.dumps(remembered))
    assert TakeDigests(kept, now=_later)(take) == "f" * 64


def test_a_take_rewritten_in_place_is_hashed_again(tmp_path: Path) -> None:
    take, kept = _take(tmp_path), tmp_path / "digests.json"
    digests = TakeDigests(kept, now=_later)
    digests(take)
    digests.save()
    take.write_bytes(b"other bytes" * 100)  # same size, same inode
    assert TakeDigests(kept, now=_later)(take) == file_sha256(take)


def test_a_take_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    take, kept = _take(tmp_path), tmp_path / "digests.json"
    digests = TakeDigests(kept)  # the real clock: the take was written a moment ago
    digests(take)
    digests.save()
    assert not kept.exists() or str(take) not in json.loads(kept.read_text())


def test_a_damaged_digests_file_only_costs_hashing(tmp_path: Path) -> None:
    take, kept = _take(tmp_path), tmp_path / "digests.json"
    kept.write_text("{not json")
    assert TakeDigests(kept, now=_later)(take) == file_sha256(take)
