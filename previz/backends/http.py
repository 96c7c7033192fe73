"""What every HTTP backend shares: turning a service's answers into previz errors, and media in.

Cloud backends differ in their wire contracts but not in how a failure should reach the runner:
rate limits, server errors and dropped connections are :class:`RetryableServiceError` (honouring
``Retry-After``); any other refusal is a final :class:`JobFailedError` carrying the service's own
message. A finished clip is streamed to a temporary file beside its destination, checked (the
byte count the server announced, that it decodes, how long it runs) and only then renamed into
place, so a half-written clip never looks like a good one. Reference images are read, cropped to
the exact size a service demands, and chosen by one documented rule when a shot has more than a
service accepts. Backends call these helpers; they never sleep or retry on their own.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
from PIL import Image, ImageOps, UnidentifiedImageError

from previz.backends.base import Reference
from previz.errors import BackendError, JobFailedError, MediaError, RetryableServiceError

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses worth trying again: timeouts, rate limits and the server's own transient failures."""

EXPIRED_MEDIA_STATUSES = frozenset({403, 404, 410})
"""Statuses a signed or time-limited download link answers with once it has expired."""

REFERENCE_ORDER = ("first_frame", "character", "location", "prop")
"""The documented rule for choosing references when a service takes fewer than a shot has:
the first frame first, then characters in cast order, then the location, then props."""

_MAX_MESSAGE = 500


class MediaLinkExpired(RetryableServiceError):
    """The clip's download link answered 403/404/410: fetch the job again for a fresh link."""


@dataclass(frozen=True)
class ClipProbe:
    """What a downloaded clip turned out to be."""

    duration: float
    width: int
    height: int
    has_audio: bool


def retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds the service asks us to wait: ``retry-after-ms``, or ``Retry-After`` (secs/date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


_MASKED_SECRET = re.compile(r"[A-Za-z0-9_\-]*\*{3,}[A-Za-z0-9_\-]*")


def redact(text: str, hidden: Iterable[str | None]) -> str:
    """``text`` with every secret in ``hidden``, and any masked echo of one, replaced by ``***``.

    Services echo a rejected key half-masked (``sk-ab***wxyz``); even that stays out of logs.
    """
    for secret in hidden:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _MASKED_SECRET.sub("***", text)


def service_message(response: httpx.Response) -> str:
    """The human message inside an error body, in any of the shapes the services use.

    OpenAI and Google send ``{"error": {"message": ...}}``, Runway ``{"error": "..."}``, Luma
    ``{"detail": "..."}``; anything else is shown as (shortened) text.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    message: object = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message") or error.get("status") or error.get("code")
        elif isinstance(error, str):
            message = error
        if message is None:
            message = body.get("detail") or body.get("message")
    if not isinstance(message, str) or not message.strip():
        message = response.text.strip() or response.reason_phrase
    text = str(message)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def status_error(
    response: httpx.Response,
    *,
    backend: str,
    shot_id: str | None = None,
    secrets_to_hide: Iterable[str | None] = (),
    auth_hint: str | None = None,
) -> BackendError:
    """The previz error for a non-2xx answer (retryable or final), with the service's message."""
    status = response.status_code
    what = redact(service_message(response), secrets_to_hide)
    message = f"{response.request.method} {response.request.url.path} answered {status}: {what}"
    if status in RETRYABLE_STATUSES:
        return RetryableServiceError(
            message,
            retry_after=retry_after(response.headers),
            backend=backend,
            shot_id=shot_id,
            hint="transient; the runner retries it",
        )
    if status in (401, 403):
        hint = auth_hint or "check the backend's API key or credentials"
    else:
        hint = "the service refused this request; fix the shot or the backend options"
    return JobFailedError(message, retryable=False, backend=backend, shot_id=shot_id, hint=hint)


def transport_error(
    exc: httpx.TransportError, *, backend: str, shot_id: str | None = None
) -> RetryableServiceError:
    """A connection that failed, timed out or was dropped, as a retryable error."""
    kind = type(exc).__name__
    return RetryableServiceError(
        f"no complete answer from the service ({kind})",
        backend=backend,
        shot_id=shot_id,
        hint="network trouble or an overloaded service; the runner retries it",
    )


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    backend: str,
    shot_id: str | None = None,
    secrets_to_hide: Iterable[str | None] = (),
    auth_hint: str | None = None,
) -> httpx.Response:
    """Send ``request`` and return its 2xx response (body read), or raise the mapped error."""
    try:
        response = await client.send(request)
    except httpx.TransportError as exc:
        raise transport_error(exc, backend=backend, shot_id=shot_id) from None
    if response.is_success:
        return response
    raise status_error(
        response,
        backend=backend,
        shot_id=shot_id,
        secrets_to_hide=secrets_to_hide,
        auth_hint=auth_hint,
    )


def json_object(
    response: httpx.Response, *, backend: str, shot_id: str | None
) -> dict[str, object]:
    """The response body as a JSON object, or a retryable error if the service sent garbage."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RetryableServiceError(
            f"{response.request.url.path} answered with a body that is not a JSON object",
            backend=backend,
            shot_id=shot_id,
            hint="a proxy or the service sent an unexpected page; the runner retries it",
        )
    return body


async def download_clip(
    client: httpx.AsyncClient,
    request: httpx.Request,
    dest: Path,
    *,
    backend: str,
    shot_id: str | None,
    expected_seconds: float | None,
    tolerance: float = 0.5,
    max_bytes: int = 4 * 1024**3,
    secrets_to_hide: Iterable[str | None] = (),
) -> ClipProbe:
    """Stream the clip ``request`` fetches into ``dest``, checked before it appears there.

    Raises :class:`MediaLinkExpired` for 403/404/410 (the caller re-fetches the job once),
    :class:`RetryableServiceError` for transient failures and short or undecodable bodies, and
    :class:`JobFailedError` when a whole, decodable clip has the wrong length.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
    try:
        await _stream_body(client, request, part, backend, shot_id, max_bytes, secrets_to_hide)
        probe = _probe_download(part, backend, shot_id)
        _check_duration(probe, expected_seconds, tolerance, backend, shot_id)
        os.replace(part, dest)
        return probe
    finally:
        part.unlink(missing_ok=True)


async def _stream_body(
    client: httpx.AsyncClient,
    request: httpx.Request,
    part: Path,
    backend: str,
    shot_id: str | None,
    max_bytes: int,
    secrets_to_hide: Iterable[str | None],
) -> None:
    try:
        response = await client.send(request, stream=True)
    except httpx.TransportError as exc:
        raise transport_error(exc, backend=backend, shot_id=shot_id) from None
    try:
        if not response.is_success:
            await response.aread()
            if response.status_code in EXPIRED_MEDIA_STATUSES:
                raise MediaLinkExpired(
                    f"the clip's download link answered {response.status_code}",
                    backend=backend,
                    shot_id=shot_id,
                    hint="the link expired; previz fetches the job again for a fresh one",
                )
            raise status_error(
                response, backend=backend, shot_id=shot_id, secrets_to_hide=secrets_to_hide
            )
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        announced = None if encoded else response.headers.get("content-length")
        received = await _write_stream(response, part, max_bytes, backend, shot_id)
    except httpx.TransportError as exc:
        raise transport_error(exc, backend=backend, shot_id=shot_id) from None
    finally:
        await response.aclose()
    if announced is not None and announced.isdigit() and int(announced) != received:
        raise RetryableServiceError(
            f"download ended after {received} of {announced} bytes",
            backend=backend,
            shot_id=shot_id,
            hint="the connection dropped mid-download; the runner retries it",
        )


async def _write_stream(
    response: httpx.Response, part: Path, max_bytes: int, backend: str, shot_id: str | None
) -> int:
    received = 0
    with part.open("wb") as out:
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise JobFailedError(
                    f"clip is larger than {max_bytes} bytes; refusing to store it",
                    backend=backend,
                    shot_id=shot_id,
                    hint="the download URL does not point at a clip",
                )
            out.write(chunk)
    return received


def probe_clip(path: Path) -> ClipProbe:
    """Open ``path`` with PyAV, decode its first video frame, and report its facts."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError("file has no video stream", path=path)
            video = container.streams.video[0]
            frame = next(container.decode(video=0), None)
            if frame is None:
                raise MediaError("video stream has no decodable frame", path=path)
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif video.duration is not None and video.time_base is not None:
                duration = float(video.duration * video.time_base)
            else:
                duration = 0.0
            return ClipProbe(
                duration=float(duration),
                width=frame.width,
                height=frame.height,
                has_audio=bool(container.streams.audio),
            )
    except (av.error.FFmpegError, StopIteration, OSError) as exc:
        raise MediaError(f"file does not decode: {exc}", path=path) from None


def _probe_download(part: Path, backend: str, shot_id: str | None) -> ClipProbe:
    try:
        return probe_clip(part)
    except MediaError as exc:
        raise RetryableServiceError(
            f"downloaded clip is unusable: {exc.message}",
            backend=backend,
            shot_id=shot_id,
            hint="a damaged transfer; the runner downloads it again",
        ) from None


def _check_duration(
    probe: ClipProbe,
    expected: float | None,
    tolerance: float,
    backend: str,
    shot_id: str | None,
) -> None:
    if expected is None or abs(probe.duration - expected) <= tolerance:
        return
    raise JobFailedError(
        f"clip runs {probe.duration:.2f}s but {expected:g}s was ordered",
        backend=backend,
        shot_id=shot_id,
        hint="the service returned a clip of another length; regenerate the take",
    )


def reference_image(path: Path, *, size: tuple[int, int] | None = None) -> tuple[bytes, str]:
    """The image at ``path`` as (bytes, MIME type), centre-cropped and scaled to ``size`` if given.

    Without ``size`` a PNG, JPEG or WebP file is sent as it is; other formats become PNG.
    With ``size`` the image is cropped to the target's aspect, scaled, and encoded as PNG.
    """
    try:
        with Image.open(path) as image:
            image.load()
            source_format = (image.format or "").upper()
            if size is None and source_format in {"PNG", "JPEG", "WEBP"}:
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
