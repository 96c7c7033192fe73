"""Reference images for a service: read, cropped to the size it demands, and chosen by one rule.

When a shot has more references than a service takes, :func:`choose_references` keeps them in
:data:`REFERENCE_ORDER` and the backend says which were dropped (:func:`log_dropped`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from previz.backends.base import Reference
from previz.errors import MediaError

REFERENCE_ORDER = ("first_frame", "character", "location", "prop")
"""The documented rule for choosing references when a service takes fewer than a shot has:
the first frame first, then characters in cast order, then the location, then props."""


def reference_image(
    path: Path,
    *,
    size: tuple[int, int] | None = None,
    as_is: Sequence[str] = ("PNG", "JPEG", "WEBP"),
) -> tuple[bytes, str]:
    """The image at ``path`` as (bytes, MIME type), centre-cropped and scaled to ``size`` if given.

    Without ``size`` a file in one of the ``as_is`` formats is sent untouched; any other becomes
    PNG. With ``size`` the image is cropped to the target's aspect, scaled, and encoded as PNG.
    """
    try:
        with Image.open(path) as image:
            image.load()
            source_format = (image.format or "").upper()
            if size is None and source_format in as_is:
                return path.read_bytes(), f"image/{source_format.lower()}"
            picture = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise MediaError(
            f"reference image cannot be read: {exc}",
            path=path,
            hint="use a PNG, JPEG or WebP file",
        ) from None
    if size is not None and picture.size != size:
        picture = ImageOps.fit(picture, size, method=Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue(), "image/png"


def choose_references(
    references: Sequence[Reference],
    limit: int,
    *,
    roles: Sequence[str] = REFERENCE_ORDER,
) -> tuple[list[Reference], list[Reference]]:
    """Split ``references`` into (kept, dropped) by :data:`REFERENCE_ORDER`, at most ``limit``.

    Within a role the given order is kept (the planner lists characters in cast order).
    References whose role is not in ``roles`` are always dropped.
    """
    rank = {role: index for index, role in enumerate(roles)}
    usable = sorted(
        (ref for ref in references if ref.role in rank),
        key=lambda ref: rank[ref.role],
    )
    kept = usable[: max(0, limit)]
    dropped = [ref for ref in references if ref not in kept]
    return kept, dropped


def log_dropped(
    logger: logging.Logger,
    dropped: Sequence[Reference],
    *,
    shot_id: str,
    why: str,
    describe: Callable[[Reference], str] = lambda ref: f"{ref.role} '{ref.owner}'",
) -> None:
    """Say, once per shot, which references the service could not take and why."""
    if dropped:
        names = ", ".join(describe(ref) for ref in dropped)
        logger.warning("shot '%s': dropped reference(s) %s (%s)", shot_id, names, why)
