"""How a service's HTTP answers reach the runner: retryable, or final with the service's words.

Rate limits, server errors and dropped connections are :class:`RetryableServiceError` (honouring
``Retry-After``); a refused key (401/403) is an :class:`AuthenticationError`; any other refusal
is a final :class:`JobFailedError` carrying the service's own message, with every secret (and
any masked echo of one) taken out. Backends never retry here.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Iterable

import httpx

from previz.backends.http.redaction import redact as redact  # re-exported
from previz.errors import (
    AuthenticationError,
    BackendError,
    JobFailedError,
    RetryableServiceError,
)

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses worth trying again: timeouts, rate limits and the server's own transient failures."""

EXPIRED_MEDIA_STATUSES = frozenset({403, 404, 410})
"""Statuses a signed or time-limited download link answers with once it has expired."""

_MAX_MESSAGE = 500


class MediaLinkExpired(RetryableServiceError):
    """The clip's download link answered 403/404/410: fetch the job again for a fresh link."""


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


def has_error_body(response: httpx.Response) -> bool:
    """Whether the answer is the service's own error object (not a proxy's page or nothing).

    The services document a 5xx *with* their error body as "nothing was created"; without one
    the answer may come from anything between us and them.
    """
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and any(k in body for k in ("error", "detail", "message"))


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
        return AuthenticationError(
            message,
            backend=backend,
            shot_id=shot_id,
            hint=auth_hint or "check the backend's API key or credentials",
        )
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
