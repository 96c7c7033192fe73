"""Writing media files atomically: into a temp name beside the destination, then renamed.

A reader never sees half a clip: either the old file or the whole new one. A failed write
leaves no temp file behind, and an :class:`OSError` from the folder becomes an
:class:`~previz.errors.OutputError` that names it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from previz.media.ffmpeg import output_error
from previz.products import file_mode


@contextlib.contextmanager
def replacing(dest: Path, *, shot_id: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside ``dest``; on success it replaces ``dest``, else it is removed."""
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{dest.stem}-", suffix=dest.suffix, dir=dest.parent
        )
        os.close(handle)
    except OSError as error:
        raise output_error(error, path=dest, shot_id=shot_id) from error
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, file_mode())
        os.replace(temp, dest)
    except OSError as error:
        raise output_error(error, path=dest, shot_id=shot_id) from error
    finally:
        temp.unlink(missing_ok=True)
