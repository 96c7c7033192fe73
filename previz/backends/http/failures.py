"""What a failed job means, alike on every service: blocked, the request's fault, or the service's.

A service reports a failure in its own words (a code, a sentence); the backend turns it into a
:class:`ServiceFailure` with these helpers, and :class:`~previz.backends.http.HttpBackend` turns
that into the same outcome everywhere: blocked → :class:`~previz.errors.ContentBlocked` (remembered
per prompt), final → a failure not worth retrying, anything else → a service-side failure the
runner tries again.
"""

from __future__ import annotations

import dataclasses

BLOCKED_WORDS = ("moderation", "safety", "policy", "blocked")
"""Words in a service's refusal or failure that mean its moderation refused the request."""

# Failures before any byte of the request left: the service cannot have created anything.


@dataclasses.dataclass(frozen=True)
class ServiceFailure:
    """What a failed job's answer says: the reason, and whose fault it was.

    ``blocked``: moderation refused it. ``final``: the request itself is at fault (bad input, a
    cancellation) and would fail the same way again. Anything else is a service-side failure,
    which every backend treats alike: worth another attempt.
    """

    reason: str
    blocked: bool = False
    final: bool = False


def is_blocked(text: str) -> bool:
    """Whether a service's words say its moderation refused the request."""
    lowered = text.lower()
    return any(word in lowered for word in BLOCKED_WORDS)


def final_failure(code: str | None, reason: str, *, internal: tuple[str, ...]) -> ServiceFailure:
    """A failure by code: blocked by moderation words, service-side when ``code`` starts with
    one of ``internal``, otherwise final (the request's fault)."""
    text = f"{code}: {reason}" if code else reason
    if is_blocked(text) or (code or "").lower().startswith(("safety", "moderation")):
        return ServiceFailure(text, blocked=True)
    service_side = code is None or code.lower().startswith(internal)
    return ServiceFailure(text, final=not service_side)


def blocked_failure(reason: str, *, final_words: tuple[str, ...] = ("invalid",)) -> ServiceFailure:
    """A failure known only by its sentence: blocked, final by ``final_words``, else retryable."""
    lowered = reason.lower()
    return ServiceFailure(
        reason, blocked=is_blocked(reason), final=any(w in lowered for w in final_words)
    )
