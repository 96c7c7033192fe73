"""Runway: image- and text-to-video on gen4.5, gen4_turbo, veo3.1 and veo3.1_fast.

The wire contract is ``runwayml`` 5.24's (``resources/image_to_video.py``, ``text_to_video.py``,
``tasks.py``): ``POST /v1/image_to_video`` or ``/v1/text_to_video`` with camelCase fields, then
``GET /v1/tasks/{id}`` until SUCCEEDED, whose ``output`` URLs are signed and expire in 24–48 h.
Every request carries ``Authorization: Bearer $RUNWAYML_API_SECRET`` and
``X-Runway-Version: 2024-11-06``; the base URL is ``$RUNWAYML_BASE_URL`` when set, as in the SDK.

Characters stay consistent through ``promptImage`` (a first frame, and on the veo3.1 models a
last frame) and ``seed``. A shot's references are chosen by the documented rule in
:data:`previz.backends.http.REFERENCE_ORDER`: an explicit first frame, else the first character
in cast order, else the location, else a prop; whatever does not fit is logged as dropped.
Images travel as data URIs, re-encoded smaller when one would pass Runway's 5 MB limit.
A shot without any image goes to text-to-video when the model allows it (gen4_turbo does not).
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
from PIL import Image
from pydantic import Field

from previz.backends.base import (
    BackendOptions,
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    Reference,
)
from previz.backends.http import choose_references, log_dropped, reference_image
from previz.backends.http.backend import Answer, HttpBackend
from previz.backends.http.failures import ServiceFailure, final_failure
from previz.errors import BackendError, PromptTooLongError

logger = logging.getLogger("previz.backends.runway")

API_VERSION = "2024-11-06"
DATA_URI_LIMIT = 5 * 1024 * 1024
"""Runway's limit on one encoded data URI (docs.dev.runwayml.com/assets/inputs)."""
PROMPT_UNITS = 1000
"""``promptText`` limit, counted in UTF-16 code units (runwayml create params)."""
USD_PER_CREDIT = 0.01

_GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
_VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")


@dataclass(frozen=True)
class RunwayModel:
    """What one Runway video model accepts (from ``runwayml`` 5.24's create params)."""

    name: str
    durations: tuple[int, ...]
    image_ratios: tuple[str, ...]
    text_ratios: tuple[str, ...]  # empty: the model needs an image (no text-to-video)
    last_frame: bool
    audio: bool
    negative_prompt: bool
    credits_per_second: int
    credits_with_audio: int

    @property
    def ratios(self) -> tuple[str, ...]:
        """Ratios valid whatever the shot's references, so a planned size never fails later."""
        if not self.text_ratios:
            return self.image_ratios
        return tuple(r for r in self.image_ratios if r in self.text_ratios)


# Credits per second from Runway's published API reference (skill "api-reference", 2026):
# gen4.5 12, gen4_turbo 5, veo3.1 20 (40 with audio), veo3.1_fast 10 (15 with audio); one credit
# is $0.01 (also toolcolumn.com "Runway web credits vs API pricing", May 2026) [secondary: not a
# price list previz could read at the source; one third party (modelslab, 2026) quotes gen4.5 at
# ~25 credits/s, so gen4.5 may be underpriced here — checked 2026-11-30, left at the reference].
MODELS: dict[str, RunwayModel] = {
    "gen4.5": RunwayModel(
        "gen4.5", tuple(range(2, 11)), _GEN4_RATIOS, ("1280:720", "720:1280"),
        last_frame=False, audio=False, negative_prompt=False,
        credits_per_second=12, credits_with_audio=12,
    ),
    "gen4_turbo": RunwayModel(
        "gen4_turbo", tuple(range(2, 11)), _GEN4_RATIOS, (),
        last_frame=False, audio=False, negative_prompt=False,
        credits_per_second=5, credits_with_audio=5,
    ),
    "veo3.1": RunwayModel(
        "veo3.1", (4, 6, 8), _VEO_RATIOS, _VEO_RATIOS,
        last_frame=True, audio=True, negative_prompt=True,
        credits_per_second=20, credits_with_audio=40,
    ),
    "veo3.1_fast": RunwayModel(
        "veo3.1_fast", (4, 6, 8), _VEO_RATIOS, _VEO_RATIOS,
        last_frame=True, audio=True, negative_prompt=True,
        credits_per_second=10, credits_with_audio=15,
    ),
}  # fmt: skip


def utf16_units(text: str) -> int:
    """Length of ``text`` the way Runway measures ``promptText``."""
    return len(text.encode("utf-16-le")) // 2


def data_uri(path: Path, limit: int = DATA_URI_LIMIT) -> str:
    """``path`` as a base64 data URI under ``limit`` characters, re-encoded as JPEG if needed."""
    data, mime = reference_image(path)
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    if len(uri) < limit:
        return uri
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    while True:
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=88)
        uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        if len(uri) < limit:
            logger.info("reference %s re-encoded as %dx%d JPEG to fit", path, *picture.size)
            return uri
        picture = picture.resize((max(1, picture.width * 3 // 4), max(1, picture.height * 3 // 4)))


class RunwayBackend(HttpBackend):
    """Runway's video API (api.dev.runwayml.com)."""

    name: ClassVar[str] = "runway"
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = "gen4.5"
    models: ClassVar[tuple[str, ...]] = tuple(MODELS)
    service = "Runway"
    key_vars = ("RUNWAYML_API_SECRET",)
    key_hint = "create a key at dev.runwayml.com and export it as RUNWAYML_API_SECRET"
    base_url_var = "RUNWAYML_BASE_URL"
    default_base_url = "https://api.dev.runwayml.com"
    # runwayml tasks.py: "do not expect updates more frequent than once every five seconds".
    poll_interval = 5.0
    statuses: ClassVar[Mapping[str, JobStatus]] = {
        "PENDING": JobStatus.QUEUED,
        "THROTTLED": JobStatus.QUEUED,
        "RUNNING": JobStatus.RUNNING,
        "SUCCEEDED": JobStatus.SUCCEEDED,
        "FAILED": JobStatus.FAILED,
        "CANCELLED": JobStatus.FAILED,
    }

    class Options(BackendOptions):
        """What a Runway user chooses."""

        audio: bool = Field(
            default=True,
            description="generate synchronised sound on the models that can (veo3.1, "
            "veo3.1_fast); costs more credits",
        )

    def __init__(self, *, model: str | None = None, audio: bool = True, **setup: Any) -> None:
        super().__init__(**setup)
        self._model = self._spec(model or self.default_model).name
        self._options = self.parse_options({"audio": audio})
        self._audio = audio

    def _spec(self, model: str | None, shot_id: str | None = None) -> RunwayModel:
        name = model or self._model
        if name not in MODELS:
            raise BackendError(
                f"unknown Runway model '{name}'; available: {', '.join(MODELS)}",
                backend=self.name,
                shot_id=shot_id,
            )
        return MODELS[name]

    def service_capabilities(self, model: str | None = None) -> Capabilities:
        spec = self._spec(model)
        sizes = tuple((int(w), int(h)) for w, h in (r.split(":") for r in spec.ratios))
        with_audio = spec.audio and self._audio
        credits = spec.credits_with_audio if with_audio else spec.credits_per_second
        return Capabilities(
            durations=tuple(float(d) for d in spec.durations),
            sizes=sizes,
            frame_rates=(24.0,),  # the services deliver 24 fps [unconfirmed for every model]
            audio=with_audio,
            reference_images=True,
            max_references=2 if spec.last_frame else 1,
            cost_per_second=credits * USD_PER_CREDIT,
            max_concurrency=2,  # Runway's tier-1 concurrency; more runs queue as THROTTLED
            prompt_limit=PROMPT_UNITS,
        )

    # -- what Runway says --------------------------------------------------------------------

    async def headers(self, job: Job) -> dict[str, str]:
        return {**await super().headers(job), "X-Runway-Version": API_VERSION}

    async def submit_request(self, job: Job) -> httpx.Request:
        endpoint, body = self.request_for(job)
        return await self.request("POST", f"/v1/{endpoint}", job, json=body)

    async def status_request(self, remote_id: str, job: Job) -> httpx.Request:
        return await self.request("GET", f"/v1/tasks/{remote_id}", job)

    def job_update(self, answer: Answer, response: httpx.Response) -> JobUpdate | None:
        update = super().job_update(answer, response)
        progress = answer.get("progress")
        if update is not None and update.status is JobStatus.RUNNING:
            fraction = float(progress) if isinstance(progress, int | float) else None
            return JobUpdate(JobStatus.RUNNING, progress=fraction)
        return update

    def failure(self, answer: Answer) -> ServiceFailure:
        if answer.get("status") == "CANCELLED":
            return ServiceFailure("the task was cancelled on Runway", final=True)
        # SAFETY.* (moderation) is blocked, ASSET.* (bad input) fails the same way again;
        # INTERNAL.* (e.g. INTERNAL.BAD_OUTPUT.CODE01) is worth another attempt.
        code = str(answer.get("failureCode") or "INTERNAL.UNKNOWN")
        return final_failure(
            code, str(answer.get("failure") or "no reason given"), internal=("internal",)
        )

    async def clip_source(self, remote_id: str, answer: Answer, job: Job) -> httpx.Request:
        output = answer.get("output")
        if answer.get("status") != "SUCCEEDED" or not isinstance(output, list) or not output:
            raise self.refused(
                job,
                f"task {remote_id} is {answer.get('status')}, with no clip to download",
            )
        return self.client.build_request("GET", str(output[0]))  # signed: no key goes there

    # -- requests -----------------------------------------------------------------------------

    def request_for(self, job: Job) -> tuple[str, dict[str, Any]]:
        """The endpoint (``image_to_video``/``text_to_video``) and JSON body for ``job``."""
        spec = self._spec(job.model, job.shot_id)
        body: dict[str, Any] = {"model": spec.name, **self._prompt_field(job)}
        first, last = self._frames(job, spec)
        if first is None and not spec.text_ratios:
            raise self.refused(
                job,
                f"{spec.name} makes video only from an image, and shot '{job.shot_id}' has none",
                hint="give the shot a first_frame or a character reference, or use gen4.5",
            )
        endpoint = "text_to_video" if first is None else "image_to_video"
        ratio = f"{job.width}:{job.height}"
        allowed = spec.text_ratios if first is None else spec.image_ratios
        if ratio not in allowed:
            raise self.refused(
                job,
                f"{spec.name} {endpoint} makes {', '.join(allowed)}, not {ratio}",
                hint="plan the shot with this backend's capabilities().nearest_size",
            )
        body["ratio"] = ratio
        body["duration"] = self._duration(job, spec)
        if first is not None:
            body["promptImage"] = self._prompt_image(first, last)
        body.update(self._extras(job, spec))
        return endpoint, body

    def _prompt_field(self, job: Job) -> dict[str, str]:
        prompt = job.prompt.strip()
        units = utf16_units(prompt)
        if units > PROMPT_UNITS:
            raise PromptTooLongError(
                f"prompt is {units} UTF-16 units; Runway takes at most {PROMPT_UNITS}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="shorten the shot's description or the template",
            )
        return {"promptText": prompt} if prompt else {}

    def _duration(self, job: Job, spec: RunwayModel) -> int:
        seconds = round(job.seconds)
        if abs(seconds - job.seconds) > 1e-6 or seconds not in spec.durations:
            allowed = ", ".join(str(d) for d in spec.durations)
            raise self.refused(
                job,
                f"{spec.name} makes clips of {allowed} s, not {job.seconds:g} s",
                hint="plan the shot with this backend's capabilities().generation_seconds",
            )
        return seconds

    def _extras(self, job: Job, spec: RunwayModel) -> dict[str, Any]:
        options: dict[str, Any] = {}
        seed = job.payload.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            options["seed"] = seed % 4_294_967_296
        negative = job.payload.get("negative_prompt")
        if spec.negative_prompt and isinstance(negative, str) and negative.strip():
            options["negativePrompt"] = negative.strip()
        if spec.audio:
            options["audio"] = self._audio
        return options

    def _frames(self, job: Job, spec: RunwayModel) -> tuple[Reference | None, Reference | None]:
        """The first (and, where allowed, last) frame image, logging what is left out."""
        refs = list(job.references)
        lasts = [ref for ref in refs if ref.role == "last_frame"]
        kept, _ = choose_references([r for r in refs if r.role != "last_frame"], 1)
        first = kept[0] if kept else None
        last = lasts[0] if lasts and spec.last_frame and first is not None else None
        dropped = [ref for ref in refs if ref is not first and ref is not last]
        why = f"{spec.name} takes a first frame" + (" and a last frame" if spec.last_frame else "")
        log_dropped(logger, dropped, shot_id=job.shot_id, why=why)
        return first, last

    @staticmethod
    def _prompt_image(first: Reference, last: Reference | None) -> str | list[dict[str, str]]:
        if last is None:
            return data_uri(first.path)
        return [
            {"uri": data_uri(first.path), "position": "first"},
            {"uri": data_uri(last.path), "position": "last"},
        ]
