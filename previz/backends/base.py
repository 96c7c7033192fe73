"""What every backend is: declared capabilities, and a remote job lifecycle or a local render.

A backend turns one :class:`Job` (one shot × take, already compiled to a prompt and resolved to a
length and size the backend allows) into a media file. Remote services implement
``submit`` / ``poll`` / ``download``; in-process renderers (the animatic) implement ``render``.
The runner owns everything around those calls: caching, the journal, retries, timeouts,
polling cadence and concurrency. Backends never sleep, retry or cache on their own.
"""

from __future__ import annotations

import enum
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from previz.backends.payload import ShotFacts, service_payload
from previz.errors import BackendError


class JobStatus(str, enum.Enum):
    """Where a job is in its life, as the journal records it."""

    PLANNED = "planned"
    SUBMITTED = "submitted"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DOWNLOADED = "downloaded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the submit request left but its reply was lost; nothing to poll
    BLOCKED = "blocked"  # moderation refused the prompt or an input image
    EXPIRED = "expired"  # succeeded, but its output can no longer be downloaded


@dataclass(frozen=True)
class Capabilities:
    """What a backend (for one model) can make, and what it costs.

    ``durations`` lists the allowed clip lengths in seconds; a shot is generated at the shortest
    allowed length that covers it plus handles (see :meth:`generation_seconds`). ``None`` means
    any length (a local renderer). ``sizes`` lists allowed (width, height); ``None`` means any.
    ``reference_durations``, when set, narrows the allowed lengths for jobs that send reference
    images (Veo 3.1 takes asset references only for 8-second clips).
    """

    durations: tuple[float, ...] | None = None
    sizes: tuple[tuple[int, int], ...] | None = None
    frame_rates: tuple[float, ...] | None = None
    audio: bool = False
    reference_images: bool = False
    max_references: int = 0
    cost_per_second: float = 0.0
    max_concurrency: int = 1
    prompt_limit: int = 32_000
    env_vars: tuple[str, ...] = ()
    chains_generations: bool = False  # can start a clip from one of its own earlier generations
    reference_durations: tuple[float, ...] | None = None
    poll_interval: float = 5.0  # documented minimum seconds between polls of one job

    def generation_seconds(
        self, shot_seconds: float, handles: float = 0.0, *, with_references: bool = False
    ) -> float:
        """The length to generate so that the shot plus handles fits, or the longest allowed.

        ``with_references``: the job sends reference images, so ``reference_durations`` applies.
        """
        wanted = shot_seconds + 2 * handles
        durations = self.durations
        if with_references and self.reference_durations is not None:
            durations = self.reference_durations
        if durations is None:
            return wanted
        covering = [d for d in sorted(durations) if d + 1e-9 >= wanted]
        if covering:
            return covering[0]
        fallback = [d for d in sorted(durations) if d + 1e-9 >= shot_seconds]
        return fallback[0] if fallback else max(durations)

    def nearest_size(self, width: int, height: int) -> tuple[int, int]:
        """The allowed size whose aspect ratio is closest to ``width:height`` (ties: larger)."""
        if self.sizes is None:
            return (width, height)
        target = math.log(width / height)
        return min(self.sizes, key=lambda s: (abs(math.log(s[0] / s[1]) - target), -s[0] * s[1]))


@dataclass(frozen=True)
class Reference:
    """An image that keeps something consistent: a character, a location, a first/last frame."""

    path: Path
    sha256: str
    role: str  # "character" | "location" | "prop" | "first_frame" | "last_frame"
    owner: str  # the character/location/prop id, or the shot id a frame came from


@dataclass(frozen=True)
class Job:
    """One clip to generate: a shot's take, resolved for one backend and model.

    ``payload`` holds the backend-specific resolved inputs that change the output, built by
    :meth:`Backend.payload` from the planner's :class:`~previz.backends.payload.ShotFacts` (the
    animatic renders its card from it; cloud backends keep seed, negative prompt, aspect there),
    plus ``options``: the backend's declared options set away from their defaults. The cache
    key (:func:`previz.generate.cache_key`) holds what changes the output: prompt, template
    hash, backend and its version, model, payload, seconds, size, fps, take and the references'
    content hashes. ``shot_id``, ``shot_seconds``, ``clip_in``, ``scene_id`` and ``label`` stay
    out: the same request under another name, or cut differently from, is the same clip.
    """

    shot_id: str
    take: int
    backend: str
    model: str
    prompt: str
    template_hash: str
    seconds: float
    shot_seconds: float
    width: int
    height: int
    fps: float
    references: tuple[Reference, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
    scene_id: str = ""
    label: str = ""
    clip_in: float = 0.0  # seconds into the take where the cut starts (not keyed)
    definition: str = ""  # what the scene says of the shot itself (not keyed; generate.pins)


@dataclass(frozen=True)
class JobUpdate:
    """What one poll learnt about a remote job."""

    status: JobStatus
    progress: float | None = None
    error: str | None = None
    retryable: bool = False
    poll_after: float | None = None
    expires_at: float | None = None  # epoch seconds when the output stops being downloadable


@dataclass
class RenderedMedia:
    """Files a backend produced for one job: the clip, and separate sound stems if any."""

    video: Path
    stems: dict[str, Path] = field(default_factory=dict)


class BackendOptions(BaseModel):
    """The options a user may set for a backend (``project.backends``, ``-o name.key=value``).

    A backend declares its own as a subclass named ``Options``: one typed field each, with a
    default and a ``description``. Every option changes the output unless its field says
    ``json_schema_extra={"output": False}``; an output option set away from its default enters
    the cache key (at its default the key stays what it was, so a backend bumps ``version``
    when it changes a default).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class Backend(ABC):
    """A video generator. Subclass :class:`RemoteBackend` or :class:`LocalBackend`."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = ""
    models: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    @property
    def options(self) -> BackendOptions:
        """This instance's options (a backend that declares some sets ``self._options``)."""
        options = getattr(self, "_options", None)
        return options if isinstance(options, BackendOptions) else self.Options()

    @classmethod
    def parse_options(cls, values: Mapping[str, Any]) -> BackendOptions:
        """``values`` checked against :attr:`Options`; a :class:`BackendError` if they are wrong."""
        try:
            return cls.Options.model_validate(dict(values))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                for e in error.errors()
            )
            raise BackendError(
                f"invalid options: {problems}",
                backend=getattr(cls, "name", None),
                hint=f"previz backends --options lists what '{getattr(cls, 'name', '?')}' takes",
            ) from None

    def payload(self, facts: ShotFacts) -> Mapping[str, Any]:
        """The job payload for one take: plain JSON of what changes the output beyond the prompt.

        The default is :class:`~previz.backends.payload.ServicePayload` (negative prompt, seed,
        aspect, identities); a backend that draws or sends something else builds its own.
        """
        return service_payload(facts)

    def output_options(self) -> dict[str, Any]:
        """Options that change the output and are set away from their defaults (keyed)."""
        options, defaults = self.options, self.Options()
        keyed = {}
        for name, field_info in type(options).model_fields.items():
            extra = field_info.json_schema_extra
            if isinstance(extra, dict) and extra.get("output") is False:
                continue
            value = getattr(options, name)
            if value != getattr(defaults, name):
                keyed[name] = options.model_dump(mode="json", include={name})[name]
        return keyed

    @abstractmethod
    def capabilities(self, model: str | None = None) -> Capabilities:
        """Capabilities of ``model`` (the default model when ``None``)."""

    def is_configured(self) -> bool:
        """True when credentials (if any are needed) are present."""
        return True

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release clients and connections."""


class LocalBackend(Backend):
    """A backend that renders in-process (or with local tools) and needs no polling."""

    @abstractmethod
    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        """Render ``job`` into files under ``workdir`` and return them."""


class RemoteBackend(Backend):
    """A backend driving a remote service's job lifecycle."""

    @abstractmethod
    async def submit(self, job: Job) -> str:
        """Start the job; return the service's job id (the runner journals it at once)."""

    @abstractmethod
    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        """Ask the service where the job is."""

    @abstractmethod
    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        """Stream the finished clip to ``dest`` (a file path) and return it."""

    async def reconcile(self, job: Job, *, submitted_after: float) -> str | None:
        """After :class:`~previz.errors.SubmissionUnknown`: find the job the lost reply created.

        Returns the remote id of a job created at or after ``submitted_after`` (epoch seconds)
        that matches ``job`` (prompt, model, size, seconds), or ``None`` when there is none.
        The default, for services that cannot list their jobs, returns ``None`` ("cannot
        tell"). Raising means the service could not be asked; the runner treats it as unknown.
        """
        del job, submitted_after
        return None


@dataclass(frozen=True)
class Clip:
    """A generated take on disk, with the facts probed from it and where it came from.

    The runner makes Clips (from the cache or a fresh generation); the timeline consumes them.
    ``stems`` maps a sound role ("dialogue", "sfx", "ambience", "music") to a WAV file.
    """

    shot_id: str
    take: int
    path: Path
    duration: float
    fps: float
    width: int
    height: int
    has_audio: bool
    backend: str
    model: str
    prompt: str
    template_hash: str
    cache_key: str
    cost: float = 0.0
    remote_id: str | None = None
    stems: Mapping[str, Path] = field(default_factory=dict)
