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
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
from PIL import Image

from previz.backends.base import (
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    Reference,
    RemoteBackend,
    RenderedMedia,
)
from previz.backends.http import (
    MediaLinkExpired,
    choose_references,
    download_clip,
    json_object,
    log_dropped,
    reference_image,
    send,
)
from previz.errors import (
    BackendError,
    BackendUnavailableError,
    JobFailedError,
    PromptTooLongError,
    RetryableServiceError,
)

logger = logging.getLogger("previz.backends.runway")

API_VERSION = "2024-11-06"
DEFAULT_BASE_URL = "https://api.dev.runwayml.com"
KEY_VAR = "RUNWAYML_API_SECRET"
BASE_URL_VAR = "RUNWAYML_BASE_URL"
DATA_URI_LIMIT = 5 * 1024 * 1024
"""Runway's limit on one encoded data URI (docs.dev.runwayml.com/assets/inputs)."""
PROMPT_UNITS = 1000
"""``promptText`` limit, counted in UTF-16 code units (runwayml create params)."""
POLL_SECONDS = 5.0
"""Runway: "do not expect updates more frequent than once every five seconds" (tasks.py)."""
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
# is $0.01 [secondary: the published skill, not a price list previz could verify].
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


class RunwayBackend(RemoteBackend):
    """Runway's video API (api.dev.runwayml.com)."""

    name: ClassVar[str] = "runway"
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = "gen4.5"
    models: ClassVar[tuple[str, ...]] = tuple(MODELS)

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        env: Mapping[str, str] | None = None,
        model: str | None = None,
        audio: bool = True,
        timeout: float = 60.0,
    ) -> None:
        environ = os.environ if env is None else env
        self._api_key = api_key or environ.get(KEY_VAR) or None
        self._base_url = (base_url or environ.get(BASE_URL_VAR) or DEFAULT_BASE_URL).rstrip("/")
        self._model = self._spec(model or self.default_model).name
        self._audio = audio
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)

    def _spec(self, model: str | None, shot_id: str | None = None) -> RunwayModel:
        name = model or self._model
        if name not in MODELS:
            raise BackendError(
                f"unknown Runway model '{name}'; available: {', '.join(MODELS)}",
                backend=self.name,
                shot_id=shot_id,
            )
        return MODELS[name]

    def capabilities(self, model: str | None = None) -> Capabilities:
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
            env_vars=(KEY_VAR,),
        )

    def is_configured(self) -> bool:
        return bool(self._api_key)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # -- the job lifecycle -------------------------------------------------------------------

    async def submit(self, job: Job) -> str:
        self._require_key(job)
        endpoint, body = self.request_for(job)
        response = await self._call("POST", f"/v1/{endpoint}", job, json=body)
        task_id = json_object(response, backend=self.name, shot_id=job.shot_id).get("id")
        if not isinstance(task_id, str) or not task_id:
            raise RetryableServiceError(
                f"{endpoint} answered without a task id", backend=self.name, shot_id=job.shot_id
            )
        return task_id

    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        task = await self._task(remote_id, job)
        status = task.get("status")
        if status in ("PENDING", "THROTTLED"):
            return JobUpdate(JobStatus.QUEUED, poll_after=POLL_SECONDS)
        if status == "RUNNING":
            progress = task.get("progress")
            fraction = float(progress) if isinstance(progress, int | float) else None
            return JobUpdate(JobStatus.RUNNING, progress=fraction, poll_after=POLL_SECONDS)
        if status == "SUCCEEDED":
            return JobUpdate(JobStatus.SUCCEEDED, progress=1.0)
        if status == "FAILED":
            code = str(task.get("failureCode") or "UNKNOWN")
            reason = str(task.get("failure") or "no reason given")
            # SAFETY.* (moderation) and ASSET.* (bad input) fail the same way again;
            # INTERNAL.* (e.g. INTERNAL.BAD_OUTPUT.CODE01) is worth another attempt.
            retryable = code.startswith("INTERNAL")
            return JobUpdate(
                JobStatus.FAILED, error=f"Runway {code}: {reason}", retryable=retryable
            )
        if status == "CANCELLED":
            return JobUpdate(JobStatus.FAILED, error="the task was cancelled on Runway")
        raise RetryableServiceError(
            f"task {remote_id} has an unknown status {status!r}",
            backend=self.name,
            shot_id=job.shot_id,
        )

    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        url = await self._output_url(remote_id, job)
        try:
            await self._fetch_clip(url, job, dest)
        except MediaLinkExpired:
            # Signed output links expire; a fresh read of the task signs new ones. A second
            # expiry propagates as the retryable error it is.
            logger.info("shot '%s': output link expired; fetching task again", job.shot_id)
            await self._fetch_clip(await self._output_url(remote_id, job), job, dest)
        return RenderedMedia(video=dest)

    # -- requests -----------------------------------------------------------------------------

    def request_for(self, job: Job) -> tuple[str, dict[str, Any]]:
        """The endpoint (``image_to_video``/``text_to_video``) and JSON body for ``job``."""
        spec = self._spec(job.model, job.shot_id)
        body: dict[str, Any] = {"model": spec.name, **self._prompt_field(job)}
        first, last = self._frames(job, spec)
        if first is None and not spec.text_ratios:
            raise JobFailedError(
                f"{spec.name} makes video only from an image, and shot '{job.shot_id}' has none",
                backend=self.name,
                shot_id=job.shot_id,
                hint="give the shot a first_frame or a character reference, or use gen4.5",
            )
        endpoint = "text_to_video" if first is None else "image_to_video"
        ratio = f"{job.width}:{job.height}"
        allowed = spec.text_ratios if first is None else spec.image_ratios
        if ratio not in allowed:
            raise JobFailedError(
                f"{spec.name} {endpoint} makes {', '.join(allowed)}, not {ratio}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="plan the shot with this backend's capabilities().nearest_size",
            )
        body["ratio"] = ratio
        body["duration"] = self._duration(job, spec)
        if first is not None:
            body["promptImage"] = self._prompt_image(first, last)
        body.update(self._options(job, spec))
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
            raise JobFailedError(
                f"{spec.name} makes clips of {allowed} s, not {job.seconds:g} s",
                backend=self.name,
                shot_id=job.shot_id,
                hint="plan the shot with this backend's capabilities().generation_seconds",
            )
        return seconds

    def _options(self, job: Job, spec: RunwayModel) -> dict[str, Any]:
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

    # -- HTTP ---------------------------------------------------------------------------------

    def _require_key(self, job: Job) -> None:
        if not self._api_key:
            raise BackendUnavailableError(
                f"no Runway API key: set {KEY_VAR}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="create a key at dev.runwayml.com and export it as RUNWAYML_API_SECRET",
            )

    async def _call(self, method: str, path: str, job: Job, **kwargs: Any) -> httpx.Response:
        self._require_key(job)
        headers = {"Authorization": f"Bearer {self._api_key}", "X-Runway-Version": API_VERSION}
        request = self._client.build_request(
            method, self._base_url + path, headers=headers, **kwargs
        )
        return await send(
            self._client,
            request,
            backend=self.name,
            shot_id=job.shot_id,
            secrets_to_hide=[self._api_key],
            auth_hint=f"check {KEY_VAR}",
        )

    async def _task(self, remote_id: str, job: Job) -> dict[str, object]:
        response = await self._call("GET", f"/v1/tasks/{remote_id}", job)
        return json_object(response, backend=self.name, shot_id=job.shot_id)

    async def _output_url(self, remote_id: str, job: Job) -> str:
        task = await self._task(remote_id, job)
        output = task.get("output")
        if task.get("status") != "SUCCEEDED" or not isinstance(output, list) or not output:
            raise JobFailedError(
                f"task {remote_id} is {task.get('status')}, with no clip to download",
                backend=self.name,
                shot_id=job.shot_id,
            )
        return str(output[0])

    async def _fetch_clip(self, url: str, job: Job, dest: Path) -> None:
        # The output link is a signed CDN URL: the API key is never sent there.
        await download_clip(
            self._client,
            self._client.build_request("GET", url),
            dest,
            backend=self.name,
            shot_id=job.shot_id,
            expected_seconds=job.seconds,
            secrets_to_hide=[self._api_key],
        )
