"""Team leases: one machine at a time pays for a take that several want.

Before a paid take is submitted, its machine creates ``leases/<key>`` in the cache's store with
a conditional create; the lease names the owner (host, process), when it expires, and — once the
service has accepted the job — its remote id. The owner renews it while the take queues, polls
and downloads, and deletes it once the clip's record is published.

A machine that finds a live lease does not submit: it frees its backend slot and waits, checking
for the record (then reuses the clip) or for the lease to go away or expire (then tries again).
An expired lease — its owner crashed — is taken over with a conditional replace on the version
read, so two waiters cannot both take it; the new owner inherits the remote id and polls the
job already paid for instead of submitting again. A run stopped with a job in flight leaves the
lease expired at once with the remote id in it, so the next machine (or its own next run, which
finds the same id in its journal) resumes the job straight away.

Stores without conditional writes (see :mod:`previz.generate.store`) get the same protocol with
a race window; local renders (the animatic) cost nothing and take no lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field, replace

from previz.backends.base import Job
from previz.errors import JobFailedError
from previz.generate.cache import Cache, CachedClip
from previz.generate.outcomes import Unknown
from previz.generate.store import Store

log = logging.getLogger(__name__)

_TEAMS: weakref.WeakSet[Team] = weakref.WeakSet()
"""The teams alive in this process, so a lease of this process can be told live or left over."""

LEASE_SECONDS = 90.0
"""How long a lease lives unless renewed; renewed every third of it."""
WAIT_SECONDS = 2.0
"""How often a machine waiting on another's lease looks for the record."""


@dataclass(frozen=True)
class Lease:
    """The body of ``leases/<key>``."""

    owner: str
    host: str
    expires: float
    shot_id: str
    take: int
    backend: str
    remote_id: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Lease | None:
        """The lease, or None when the object is not one (a torn or foreign write)."""
        try:
            raw = json.loads(data.decode("utf-8"))
            return cls(**{k: raw[k] for k in ("owner", "host", "expires", "shot_id", "take",
                                              "backend", "remote_id")})  # fmt: skip
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None


@dataclass
class _Held:
    """A lease this process holds: its version tag for conditional renewals."""

    name: str
    lease: Lease
    tag: str
    renewing: asyncio.Task[None] | None = None
    lost: bool = False


@dataclass
class Turn:
    """What :meth:`Team.turn` yields: a clip another machine made, or the go-ahead.

    With the go-ahead the turn holds the backend slot (free it with :meth:`release_slot` once
    the service is done) and, for a paid take, the lease; ``remote_id`` is the job a crashed
    owner had already submitted, to poll instead of submitting.
    """

    clip: CachedClip | None = None
    remote_id: str | None = None
    slot: asyncio.Semaphore | None = field(default=None, repr=False)

    def release_slot(self) -> None:
        if self.slot is not None:
            self.slot.release()
            self.slot = None


@dataclass
class _Busy:
    lease: Lease


class Team:
    """Takes, renews and releases leases for the takes of one run."""

    def __init__(
        self,
        cache: Cache,
        *,
        ttl: float | None = None,
        wait: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache = cache
        self.store = cache.lease_store()
        self.ttl = LEASE_SECONDS if ttl is None else ttl
        self.wait = WAIT_SECONDS if wait is None else wait
        self.clock = clock
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._held: dict[str, _Held] = {}
        _TEAMS.add(self)

    @contextlib.asynccontextmanager
    async def turn(
        self,
        job: Job,
        key: str,
        slot: asyncio.Semaphore,
        *,
        paid: bool,
        resumed: str | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> AsyncIterator[Turn]:
        """Wait for ``slot`` and, if ``paid``, the lease of ``key``; release both at the end.

        ``resumed`` is the remote id the journal already has for this take (it is ours: a
        lease carrying it is taken over without waiting for it to expire).
        """
        if not paid:
            await slot.acquire()
            turn = Turn(slot=slot)
            try:
                yield turn
            finally:
                turn.release_slot()
            return
        turn = await self._claim(job, key, slot, resumed, on_wait or (lambda text: None))
        try:
            yield turn
        except BaseException as error:
            # A dead job frees the take; one interrupted mid-flight is handed over with its
            # remote id; one whose reply was lost keeps its lease until it expires.
            ending = "release" if isinstance(error, JobFailedError) else "hand over"
            await asyncio.shield(
                self._end(key, ending if not isinstance(error, Unknown) else "keep")
            )
            raise
        else:
            await asyncio.shield(self._end(key, "release"))
        finally:
            turn.release_slot()

    def remember(self, key: str, remote_id: str) -> None:
        """Note the remote id of the held lease of ``key`` (written at the next renewal)."""
        held = self._held.get(key)
        if held is not None:
            held.lease = replace(held.lease, remote_id=remote_id)

    async def submitted(self, key: str, remote_id: str) -> None:
        """Write the remote id into the lease now, so a machine taking over polls this job."""
        self.remember(key, remote_id)
        held = self._held.get(key)
        if held is not None:
            await asyncio.to_thread(self._renew, held)

    async def _claim(
        self,
        job: Job,
        key: str,
        slot: asyncio.Semaphore,
        resumed: str | None,
        on_wait: Callable[[str], None],
    ) -> Turn:
        while True:
            await slot.acquire()
            try:
                outcome = await asyncio.to_thread(self._try, job, key, resumed)
            except BaseException:
                slot.release()
                raise
            if isinstance(outcome, _Held):
                self._held[key] = outcome
                outcome.renewing = asyncio.ensure_future(self._keep_renewing(outcome))
                return Turn(remote_id=outcome.lease.remote_id, slot=slot)
            slot.release()
            if isinstance(outcome, CachedClip):
                return Turn(clip=outcome)
            if outcome is not None:
                on_wait(f"waiting: {outcome.lease.host} is generating it")
                clip = await self._wait_for(key)
                if clip is not None:
                    return Turn(clip=clip)

    def _try(self, job: Job, key: str, resumed: str | None) -> _Held | CachedClip | _Busy | None:
        """One attempt at the lease (blocking I/O); None means "look again at once"."""
        name = f"leases/{key}"
        mine = Lease(self.owner, self.host, self.clock() + self.ttl, job.shot_id, job.take,
                     job.backend, resumed)  # fmt: skip
        tag = self.store.create(name, mine.to_bytes())
        if tag is None:
            current = self.store.read(name)
            if current is None:
                return None  # released between our create and read
            theirs = Lease.from_bytes(current.data)
            entry = self.cache.get(key)
            if entry is not None:
                return entry
            if theirs is not None and not self._stale(theirs, resumed, key):
                return _Busy(theirs)
            mine = replace(mine, remote_id=(theirs.remote_id if theirs else None) or resumed)
            tag = self.store.swap(name, mine.to_bytes(), current.tag)
            if tag is None:
                return None  # someone else took it over first
            log.info("took over the lease of %s from %s", key, theirs.owner if theirs else "?")
        held = _Held(name, mine, tag)
        # The owner before us may have published and released just before we created the lease.
        entry = self.cache.get(key)
        if entry is not None:
            self._release(held)
            return entry
        return held

    def _stale(self, lease: Lease, resumed: str | None, key: str) -> bool:
        if lease.owner == self.owner:
            return True
        if resumed is not None and lease.remote_id == resumed:
            return True  # our own job from an earlier run of this project
        if lease.host == self.host and not _alive(lease.owner):
            return True  # a process of this machine that is gone: no need to wait it out
        if lease.owner.split(":")[:2] == self.owner.split(":")[:2]:
            # This very process: stale unless one of its runs still holds it (an earlier run
            # kept it for a take of unknown outcome, which this run was told to resubmit).
            return not any(t.owner == lease.owner and key in t._held for t in list(_TEAMS))
        return lease.expires <= self.clock()

    async def _wait_for(self, key: str) -> CachedClip | None:
        """Wait until the clip is published (returned) or the lease is gone or stale (None)."""
        name = f"leases/{key}"
        while True:
            await asyncio.sleep(self.wait)
            entry = await asyncio.to_thread(self.cache.get, key)
            if entry is not None:
                return entry
            current = await asyncio.to_thread(self.store.read, name)
            lease = Lease.from_bytes(current.data) if current is not None else None
            if lease is None or self._stale(lease, None, key):
                return None

    async def _keep_renewing(self, held: _Held) -> None:
        while not held.lost:
            await asyncio.sleep(self.ttl / 3)
            await asyncio.to_thread(self._renew, held)

    def _renew(self, held: _Held) -> None:
        if held.lost:
            return
        lease = replace(held.lease, expires=self.clock() + self.ttl)
        try:
            tag = self.store.swap(held.name, lease.to_bytes(), held.tag)
        except Exception as error:  # a flaky store must not stop the job; renew next time
            log.warning("cannot renew the lease %s: %s", held.name, error)
            return
        if tag is None:
            held.lost = True
            log.warning("lease %s was taken over by another machine", held.name)
            return
        held.lease, held.tag = lease, tag

    async def _end(self, key: str, ending: str) -> None:
        """Stop renewing; then ``release`` the lease, ``hand over`` its job, or ``keep`` it."""
        held = self._held.pop(key, None)
        if held is None:
            return
        if held.renewing is not None:
            held.renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held.renewing
        if ending == "keep":
            return
        if ending == "hand over" and held.lease.remote_id is not None:
            await asyncio.to_thread(self._abandon, held)
        else:
            await asyncio.to_thread(self._release, held)

    def _release(self, held: _Held) -> None:
        if not held.lost:
            try:
                self.store.drop(held.name, held.tag)
            except Exception as error:
                log.warning("cannot release the lease %s: %s (it expires)", held.name, error)

    def _abandon(self, held: _Held) -> None:
        """Leave the lease expired with the remote id, for the next owner to resume the job."""
        if held.lost:
            return
        lease = replace(held.lease, expires=0.0)
        try:
            self.store.swap(held.name, lease.to_bytes(), held.tag)
        except Exception as error:
            log.warning("cannot hand over the lease %s: %s (it expires)", held.name, error)


def live_leases(store: Store, now: float | None = None) -> list[Lease]:
    """The leases in ``store`` that have not expired: the takes being generated right now."""
    moment = time.time() if now is None else now
    found = []
    for name in sorted(store.listing("leases/")):
        stored = store.read(name)
        lease = Lease.from_bytes(stored.data) if stored is not None else None
        if lease is not None and lease.expires > moment:
            found.append(lease)
    return found


def _alive(owner: str) -> bool:
    """Whether the process named in ``owner`` (host:pid:token) still runs on this machine."""
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
