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

from previz.backends.http.backend import Answer, HttpBackend
from previz.backends.http.delivery import ClipProbe, download_clip, probe_clip, store_clip
from previz.backends.http.failures import ServiceFailure
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
    redact,
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
