"""The payload hook: the planner hands a backend neutral facts, the backend builds its payload.

:class:`ShotFacts` is everything the planner knows about one take of one shot — the resolved
shot list, the shot, the take number — with the facts most services use ready to read.
:meth:`previz.backends.Backend.payload` turns them into the job's ``payload``: the resolved
inputs, beyond the prompt and the references, that change the output. The payload is keyed
(see :mod:`previz.generate.keys`), so it holds plain JSON values only, and a backend puts in it
exactly what it sends or draws.

Most backends keep the default :class:`ServicePayload`; the animatic builds its own (card,
slate, move and sound cues). Declared options set away from their defaults are added under
``options`` by the planner, so they enter the cache key without the backend doing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from previz.shotlist.resolve import ResolvedShot, ResolvedShotList


@dataclass(frozen=True)
class ShotFacts:
    """One take of one shot, as the planner resolved it (no backend's view of it yet)."""

    shotlist: ResolvedShotList
    shot: ResolvedShot
    take: int

    @property
    def seed(self) -> int | None:
        """The shot's seed moved on by the take (take 1 keeps it), or ``None``."""
        return None if self.shot.seed is None else self.shot.seed + self.take - 1

    @property
    def negative_prompt(self) -> str | None:
        """What the shot must not show, when it says."""
        return self.shot.negative_prompt

    @property
    def aspect(self) -> str:
        """The project's aspect ratio ("16:9", "2.39", …)."""
        return self.shotlist.project.aspect

    @property
    def identities(self) -> dict[str, dict[str, str]]:
        """Per character in the shot, the ids a service already knows them by."""
        return {c.id: dict(c.identities) for c in self.shot.cast if c.identities}


class ServicePayload(TypedDict):
    """What a cloud service is told beyond the prompt and the references.

    - ``negative_prompt``: what the shot must not show (services without one log and ignore it).
    - ``seed``: the shot's seed for this take; ``None`` lets the service choose.
    - ``aspect``: the project's aspect ratio, for services that take a ratio, not a size.
    - ``identities``: character id → {service: id} for services that keep characters by id.
    """

    negative_prompt: str | None
    seed: int | None
    aspect: str
    identities: dict[str, dict[str, str]]


def service_payload(facts: ShotFacts) -> ServicePayload:
    """The default payload every remote service gets."""
    return ServicePayload(
        negative_prompt=facts.negative_prompt,
        seed=facts.seed,
        aspect=facts.aspect,
        identities=facts.identities,
    )
