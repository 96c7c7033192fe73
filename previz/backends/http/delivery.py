"""Clips arriving from a service: streamed or inline, checked, and only then put in place.

A clip is written to a temporary file beside its destination, checked (the byte count the server
announced, that *every* frame decodes, and that the frames cover the length that was ordered
within one frame) and only then renamed into place, so a half-written clip never looks like a
good one: a body cut short behind a lying ``Content-Length`` decodes only partly and is fetched
again, never cached. Redirects are followed here without the
credentials a service's own host needs, so a key never travels to a storage host.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from previz.backends.http.decoding import ClipProbe as ClipProbe  # re-exported
from previz.backends.http.decoding import probe_clip as probe_clip  # re-exported
from previz.backends.http.status import (
    EXPIRED_MEDIA_STATUSES,
    MediaLinkExpired,
    status_error,
    transport_error,
)
from previz.errors import JobFailedError, MediaError, RetryableServiceError

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class _Transfer:
    client: httpx.AsyncClient
    backend: str
    shot_id: str | None
    max_bytes: int
    secrets_to_hide: tuple[str | None, ...]
    strip_on_redirect: frozenset[str]


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
    strip_on_redirect: Iterable[str] = (),
) -> ClipProbe:
    """Stream the clip ``request`` fetches into ``dest``, checked before it appears there.

    Redirects are followed here, dropping the ``strip_on_redirect`` headers (credentials) so a
    key never travels to the storage host a link redirects to. Raises :class:`MediaLinkExpired`
    for 403/404/410 (the caller re-fetches the job once), :class:`RetryableServiceError` for
    transient failures and for bodies that are short or do not decode to the last frame, and
    :class:`JobFailedError` when a whole clip runs longer than ordered.
    """
    transfer = _Transfer(
        client,
        backend,
        shot_id,
        max_bytes,
        tuple(secrets_to_hide),
        frozenset(h.lower() for h in strip_on_redirect),
    )
    part = _part_beside(dest)
    try:
        await _stream_body(transfer, request, part)
        return _accept(part, dest, expected_seconds, tolerance, backend, shot_id)
    finally:
        part.unlink(missing_ok=True)


def store_clip(
    data: bytes,
    dest: Path,
    *,
    backend: str,
    shot_id: str | None,
    expected_seconds: float | None,
    tolerance: float = 0.5,
) -> ClipProbe:
    """Write a clip that came inline (base64 in a JSON answer) to ``dest``, checked the same way."""
    part = _part_beside(dest)
    try:
        part.write_bytes(data)
        return _accept(part, dest, expected_seconds, tolerance, backend, shot_id)
    finally:
        part.unlink(missing_ok=True)


def _part_beside(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")


def _accept(
    part: Path,
    dest: Path,
    expected_seconds: float | None,
    tolerance: float,
    backend: str,
    shot_id: str | None,
) -> ClipProbe:
    probe = _probe_download(part, backend, shot_id)
    _check_duration(probe, expected_seconds, tolerance, backend, shot_id)
    os.replace(part, dest)
    return probe


async def _open_following_redirects(transfer: _Transfer, request: httpx.Request) -> httpx.Response:
    for _ in range(MAX_REDIRECTS + 1):
        response = await transfer.client.send(request, stream=True, follow_redirects=False)
        if not response.is_redirect:
            return response
        await response.aclose()
        target = response.url.join(response.headers["location"])
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in transfer.strip_on_redirect
        }
        headers.pop("host", None)
        request = transfer.client.build_request("GET", target, headers=headers)
    raise RetryableServiceError(
        f"the clip's download link redirected more than {MAX_REDIRECTS} times",
        backend=transfer.backend,
        shot_id=transfer.shot_id,
    )


async def _stream_body(transfer: _Transfer, request: httpx.Request, part: Path) -> None:
    backend, shot_id = transfer.backend, transfer.shot_id
    try:
        response = await _open_following_redirects(transfer, request)
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
                response, backend=backend, shot_id=shot_id, secrets_to_hide=transfer.secrets_to_hide
            )
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        announced = None if encoded else response.headers.get("content-length")
        received = await _write_stream(response, part, transfer.max_bytes, backend, shot_id)
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
    """Fewer frames than ordered (by more than one): a short transfer, fetched again; a clip
    longer than ordered by more than ``tolerance``: the service's doing, final."""
    if expected is None:
        return
    frame = 1.0 / probe.fps if probe.fps > 0 else 0.0
    decoded = probe.frames * frame if frame else probe.duration
    if decoded + frame + 1e-6 < expected:
        raise RetryableServiceError(
            f"only {probe.frames} frame(s) ({decoded:.2f}s) decode, {expected:g}s was ordered",
            backend=backend,
            shot_id=shot_id,
            hint="the clip arrived short; the runner downloads it again (it is never cached)",
        )
    if decoded - expected <= max(tolerance, frame):
        return
    raise JobFailedError(
        f"clip runs {decoded:.2f}s but {expected:g}s was ordered",
        backend=backend,
        shot_id=shot_id,
        hint="the service returned a clip of another length; regenerate the take",
    )
