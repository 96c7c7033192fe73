"""A previz job as a Veo 3.1 ``predictLongRunning`` body, in the form google-genai sends.

``instances[0]`` carries the prompt and the images; ``parameters`` the clip's shape. The size the
planner chose becomes ``aspectRatio`` + ``resolution``; the length ``durationSeconds`` (4, 6 or
8). Images go as ``{"bytesBase64Encoded", "mimeType"}``. Veo takes *either* a first frame
(``image``, optionally with ``lastFrame``) *or* up to three ``referenceImages`` of type
``asset`` — never both — and asset references only for 8-second clips. So: a shot with a first
frame is generated from it (and its last frame, if any); otherwise its characters in cast order,
then its location, then props fill the three asset slots. Everything else is dropped and logged.
Vertex AI also takes ``seed`` and ``generateAudio``; the Gemini API refuses both.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from previz.backends.base import Job, Reference
from previz.backends.http import choose_references, log_dropped, reference_image
from previz.errors import JobFailedError

DURATIONS = (4.0, 6.0, 8.0)
REFERENCE_DURATIONS = (8.0,)
FRAMES = {
    (1280, 720): ("16:9", "720p"),
    (720, 1280): ("9:16", "720p"),
    (1920, 1080): ("16:9", "1080p"),
    (1080, 1920): ("9:16", "1080p"),
}
ASSET_ROLES = ("character", "location", "prop")
MAX_ASSETS = 3
SEED_RANGE = 2**32


def video_request(
    job: Job, *, vertex: bool, backend: str, logger: logging.Logger
) -> dict[str, Any]:
    """The JSON body that asks Veo for ``job``; refuses what the service would refuse."""
    ratio, resolution = _frame(job, backend)
    seconds = _seconds(job, backend, resolution)
    instance: dict[str, Any] = {"prompt": job.prompt}
    instance.update(_images(job, seconds, backend, logger))
    parameters: dict[str, Any] = {
        "sampleCount": 1,
        "durationSeconds": seconds,
        "aspectRatio": ratio,
        "resolution": resolution,
    }
    negative = job.payload.get("negative_prompt")
    if negative:
        parameters["negativePrompt"] = str(negative)
    seed = job.payload.get("seed")
    if vertex:
        parameters["generateAudio"] = True
        if seed is not None:
            parameters["seed"] = int(seed) % SEED_RANGE
    elif seed is not None:
        logger.info("shot '%s': the Gemini API takes no seed for Veo; not sent", job.shot_id)
    return {"instances": [instance], "parameters": parameters}


def _frame(job: Job, backend: str) -> tuple[str, str]:
    frame = FRAMES.get((job.width, job.height))
    if frame is None:
        allowed = ", ".join(f"{w}x{h}" for w, h in FRAMES)
        raise JobFailedError(
            f"Veo makes {allowed}, not {job.width}x{job.height}",
            backend=backend,
            shot_id=job.shot_id,
            hint="plan the job with Capabilities.nearest_size()",
        )
    return frame


def _seconds(job: Job, backend: str, resolution: str) -> int:
    allowed = DURATIONS if resolution == "720p" else REFERENCE_DURATIONS
    if job.seconds not in allowed:
        lengths = ", ".join(f"{d:g}" for d in allowed)
        raise JobFailedError(
            f"Veo {resolution} clips run {lengths} seconds, not {job.seconds:g}",
            backend=backend,
            shot_id=job.shot_id,
            hint="plan the job with Capabilities.generation_seconds()",
        )
    return int(job.seconds)


def _images(job: Job, seconds: int, backend: str, logger: logging.Logger) -> dict[str, Any]:
    firsts = [r for r in job.references if r.role == "first_frame"][:1]
    lasts = [r for r in job.references if r.role == "last_frame"][:1]
    size = (job.width, job.height)
    if firsts:
        fields = {"image": _image(firsts[0], size)}
        if lasts:
            fields["lastFrame"] = _image(lasts[0], size)
        used = firsts + lasts
        dropped = [r for r in job.references if r not in used]
        why = "Veo takes a first frame or reference images, not both; the first frame wins"
        log_dropped(logger, dropped, shot_id=job.shot_id, why=why)
        return fields
    kept, dropped = choose_references(job.references, MAX_ASSETS, roles=ASSET_ROLES)
    why = "Veo 3.1 takes at most 3 asset references, and a last frame only with a first frame"
    log_dropped(logger, dropped, shot_id=job.shot_id, why=why)
    if not kept:
        return {}
    if seconds not in REFERENCE_DURATIONS:
        raise JobFailedError(
            f"Veo 3.1 takes reference images only for 8-second clips; this job is {seconds} s",
            backend=backend,
            shot_id=job.shot_id,
            hint="plan referenced jobs with Capabilities.generation_seconds(..., "
            "with_references=True)",
        )
    return {"referenceImages": [{"image": _image(r, None), "referenceType": "asset"} for r in kept]}


def _image(reference: Reference, size: tuple[int, int] | None) -> dict[str, str]:
    data, mime = reference_image(reference.path, size=size, as_is=("PNG", "JPEG"))
    return {"bytesBase64Encoded": base64.b64encode(data).decode("ascii"), "mimeType": mime}
