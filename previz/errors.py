"""The one error tree of previz.

Every error a user can cause or meet carries what it is about (a file and position, a shot, a
backend) and a hint that says how to fix it. The CLI prints ``str(error)`` as one readable block
and exits with status 2; no traceback reaches the user.
"""

from __future__ import annotations

from pathlib import Path


class PrevizError(Exception):
    """Base of every error previz raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        shot_id: str | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column
        self.shot_id = shot_id
        self.backend = backend

    @property
    def where(self) -> str:
        """``file:line:col``, ``shot 'x'``, ``backend 'y'`` — whatever the error is about."""
        parts: list[str] = []
        if self.path is not None:
            loc = str(self.path)
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            parts.append(loc)
        if self.shot_id is not None:
            parts.append(f"shot '{self.shot_id}'")
        if self.backend is not None:
            parts.append(f"backend '{self.backend}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SceneError(PrevizError):
    """A scene file or scene script is malformed or inconsistent."""


class SceneErrors(SceneError):
    """Several problems found in one scene file, reported together."""

    def __init__(self, errors: list[SceneError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.message,
            hint=first.hint,
            path=first.path,
            line=first.line,
            column=first.column,
            shot_id=first.shot_id,
        )

    def __str__(self) -> str:
        head = f"{len(self.errors)} problems in the scene:\n" if len(self.errors) > 1 else ""
        return head + "\n".join(str(e) for e in self.errors)


class TemplateError(PrevizError):
    """A prompt template is broken, unsafe, or reaches for something undefined."""


class PromptTooLongError(PrevizError):
    """A compiled prompt exceeds the backend's prompt limit."""


class BackendError(PrevizError):
    """A backend is unknown, misconfigured, or the service refused or failed a job."""


class UnknownBackendError(BackendError):
    """No backend of that name is registered."""


class BackendUnavailableError(BackendError):
    """A backend cannot run here (no API key, no credentials)."""


class JobFailedError(BackendError):
    """The service reports a job as failed; ``retryable`` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retryable = retryable


class RetryableServiceError(BackendError):
    """A transient failure (429, 5xx, dropped connection); ``retry_after`` in seconds if given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class SubmissionUnknown(BackendError):
    """A submission whose request left but whose reply never came back complete.

    Raised by :meth:`RemoteBackend.submit` after bytes were sent when the reply was lost (read
    timeout, connection dropped or reset after sending, a protocol error, a 5xx without a
    parseable error body). The service may have created — and will bill — a job, so the runner
    never retries it blindly: it asks :meth:`RemoteBackend.reconcile` instead.
    """


class AuthenticationError(JobFailedError):
    """The service's own API refused the key (401/403); no further submission can succeed."""


class ContentBlocked(JobFailedError):
    """Moderation or safety refused the prompt or an input image; ``reason`` is the service's."""

    def __init__(self, message: str, *, reason: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reason = reason


class OutputExpired(JobFailedError):
    """The job succeeded but its output can no longer be downloaded.

    ``expired_at`` is when it stopped being downloadable (epoch seconds), when the service says.
    """

    def __init__(self, message: str, *, expired_at: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.expired_at = expired_at


class MediaError(PrevizError):
    """ffmpeg is missing or broken, media is unreadable, an encode failed."""


class CacheError(PrevizError):
    """The cache cannot be read or written."""


class BudgetError(PrevizError):
    """A run would spend more than ``--max-cost`` allows."""


class ProjectLocked(PrevizError):
    """Another build holds the project's lock (``.previz/build.lock``)."""


class TimelineError(PrevizError):
    """A timeline cannot be assembled, exported or conformed."""


class OutputError(PrevizError):
    """An output folder cannot be written (permissions, full disk)."""
