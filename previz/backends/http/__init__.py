"""What every HTTP backend shares, in one namespace: ``from previz.backends import http``.

- :mod:`~previz.backends.http.backend`: :class:`HttpBackend`, the base every HTTP service
  subclasses (setup, submission rules, status policy, polling pace, download).
- :mod:`~previz.backends.http.failures`: a failed job as blocked, final or service-side.
- :mod:`~previz.backends.http.status`: a service's answers as retryable or final previz errors.
- :mod:`~previz.backends.http.delivery`: clips streamed (or inline) to disk, fully decoded,
  renamed.
- :mod:`~previz.backends.http.references`: reference images cropped to size, chosen by one rule.

Backends call these helpers; they never sleep or retry on their own — the runner does.
"""

import importlib
import typing

if typing.TYPE_CHECKING:
    from previz.backends.http.backend import Answer, HttpBackend
    from previz.backends.http.decoding import ClipProbe, probe_clip
    from previz.backends.http.delivery import download_clip, store_clip
    from previz.backends.http.failures import ServiceFailure
    from previz.backends.http.redaction import redact
    from previz.backends.http.references import (
        REFERENCE_ORDER,
        choose_references,
        log_dropped,
        reference_image,
    )
    from previz.backends.http.status import (
        EXPIRED_MEDIA_STATUSES,
        RETRYABLE_STATUSES,
        MediaLinkExpired,
        json_object,
        retry_after,
        send,
        service_message,
        status_error,
        transport_error,
    )

__all__ = [
    "EXPIRED_MEDIA_STATUSES",
    "REFERENCE_ORDER",
    "RETRYABLE_STATUSES",
    "Answer",
    "ClipProbe",
    "HttpBackend",
    "MediaLinkExpired",
    "ServiceFailure",
    "choose_references",
    "download_clip",
    "json_object",
    "log_dropped",
    "probe_clip",
    "redact",
    "reference_image",
    "retry_after",
    "send",
    "service_message",
    "status_error",
    "store_clip",
    "transport_error",
]

_HOMES = {
    "Answer": "backend",
    "ClipProbe": "decoding",
    "EXPIRED_MEDIA_STATUSES": "status",
    "HttpBackend": "backend",
    "MediaLinkExpired": "status",
    "REFERENCE_ORDER": "references",
    "RETRYABLE_STATUSES": "status",
    "ServiceFailure": "failures",
    "choose_references": "references",
    "download_clip": "delivery",
    "json_object": "status",
    "log_dropped": "references",
    "probe_clip": "decoding",
    "redact": "redaction",
    "reference_image": "references",
    "retry_after": "status",
    "send": "status",
    "service_message": "status",
    "status_error": "status",
    "store_clip": "delivery",
    "transport_error": "status",
}
"""Where each public name lives; imported on first use, so the package costs nothing (no httpx)
until a backend needs it: :mod:`~previz.backends.http.redaction` and
:mod:`~previz.backends.http.decoding` are usable on their own."""


def __getattr__(name: str) -> typing.Any:
    """Import the module that defines ``name`` when it is first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
