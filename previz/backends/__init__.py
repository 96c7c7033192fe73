"""The backend contract: everything a backend subclasses, returns or registers with.

A backend turns one :class:`Job` into a clip. Write a :class:`LocalBackend` (``render``) for
something that runs here, a :class:`RemoteBackend` (``submit`` / ``poll`` / ``download``) for a
service with its own job API, or an :class:`HttpBackend` for an HTTP service — which then only
builds requests, maps statuses and names the clip's URL. Declare what it can make in
:class:`Capabilities` and what a user may set in a :class:`BackendOptions` model; build the job
payload from the planner's :class:`ShotFacts` (the default is a :class:`ServicePayload`). Make
it known to previz with an entry point in the ``previz.backends`` group
(``name = "package.module:BackendClass"``) or, in-process, with :func:`register_backend`. The
errors a backend raises are in :mod:`previz.errors`; :mod:`previz.testing` holds the contract
suite a backend should pass.

:class:`HttpBackend` is imported on first use (``previz.backends.HttpBackend`` or ``from
previz.backends import HttpBackend``): it brings in httpx, which only HTTP backends need, so
commands that never talk to a service start without it.
"""

import typing

from previz.backends.base import (
    Backend,
    BackendOptions,
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    LocalBackend,
    Reference,
    RemoteBackend,
    RenderedMedia,
)
from previz.backends.payload import ServicePayload, ShotFacts
from previz.backends.registry import GROUP, register_backend, unregister_backend

if typing.TYPE_CHECKING:
    from previz.backends.http.backend import HttpBackend

__all__ = [
    "GROUP",
    "Backend",
    "BackendOptions",
    "Capabilities",
    "HttpBackend",
    "Job",
    "JobStatus",
    "JobUpdate",
    "LocalBackend",
    "Reference",
    "RemoteBackend",
    "RenderedMedia",
    "ServicePayload",
    "ShotFacts",
    "register_backend",
    "unregister_backend",
]


def __getattr__(name: str) -> typing.Any:
    """Import :class:`HttpBackend` (and with it httpx) when it is first asked for."""
    if name == "HttpBackend":
        from previz.backends.http.backend import HttpBackend

        return HttpBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
