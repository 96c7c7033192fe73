"""Atomic media writes leave files with the permissions of ordinary output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from previz.media.files import replacing
from previz.products import file_mode


def test_a_replaced_file_follows_the_umask_not_mkstemps_0600(tmp_path: Path) -> None:
    dest = tmp_path / "clip.mp4"
    with replacing(dest) as temp:
        temp.write_bytes(b"data")
    assert stat.S_IMODE(os.stat(dest).st_mode) == file_mode()
