"""What the Veo 3.1 fake accepts: the ``predictLongRunning`` body rules of both Veo routes.

Field names and forms follow google-genai's request converters (``_GenerateVideosConfig_to_mldev``
for the Gemini API in google-genai 2.19, ``_to_vertex`` in 3.4); the value rules follow Google's
Veo guides: ``aspectRatio`` 16:9 or 9:16, ``resolution`` 720p/1080p (4k on the standard model),
``durationSeconds`` 4, 6 or 8 — and 8 with reference images, 1080p or 4k; at most three
``referenceImages`` of type asset, never together with ``image``, ``lastFrame`` or ``video``;
``lastFrame`` only with ``image``. Parameters only Vertex AI takes (``seed``, ``fps``,
``generateAudio``, ``storageUri`` …) are refused on the Gemini route, as the SDK refuses them.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

GEMINI_MODELS = ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview")
VERTEX_MODELS = (*GEMINI_MODELS, "veo-3.1-generate-001", "veo-3.1-fast-generate-001")
FOUR_K_MODELS = ("veo-3.1-generate-preview", "veo-3.1-generate-001")
INSTANCE_FIELDS = ("prompt", "image", "lastFrame", "referenceImages", "video")
COMMON_PARAMETERS = (
    "sampleCount",
    "durationSeconds",
    "aspectRatio",
    "resolution",
    "personGeneration",
    "negativePrompt",
    "enhancePrompt",
)
VERTEX_ONLY_PARAMETERS = (
    "seed",
    "fps",
    "generateAudio",
    "storageUri",
    "compressionQuality",
    "resizeMode",
    "pubsubTopic",
)
GEMINI_BODY = ("instances", "parameters", "webhookConfig")
VERTEX_BODY = ("instances", "parameters", "labels")
SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
}


class Invalid(Exception):
    """A request Google refuses; ``status`` is the HTTP status (400 unless said otherwise)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class VideoOrder:
    """What an accepted request asked for."""

    model: str
    prompt: str
    width: int
    height: int
    seconds: int
    audio: bool
    image: dict[str, Any] | None
    last_frame: dict[str, Any] | None
    references: tuple[dict[str, Any], ...]
    parameters: dict[str, Any]


def _unknown(where: str, given: dict[str, Any], known: tuple[str, ...]) -> None:
    for name in given:
        if name not in known:
            raise Invalid(
                f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': "
                "Cannot find field."
            )


def _typed(name: str, value: Any, kind: type, choices: tuple[Any, ...] | None = None) -> Any:
    wrong_int = kind is int and isinstance(value, bool)
    if not isinstance(value, kind) or wrong_int:
        raise Invalid(
            f"Invalid value at '{name}' ({kind.__name__}), {value!r} is not a valid "
            f"{kind.__name__}."
        )
    if choices is not None and value not in choices:
        allowed = ", ".join(str(c) for c in choices)
        raise Invalid(f"Unsupported {name}: {value!r}. Supported values: {allowed}.")
    return value


def image_of(name: str, value: Any, *, vertex: bool) -> dict[str, Any]:
    """Check one image in either the SDK's or the REST docs' form; return what it is."""
    if not isinstance(value, dict):
        raise Invalid(f"Invalid value at '{name}': an image object is required.")
    if "inlineData" in value:
        _unknown(name, value, ("inlineData",))
        inline = value["inlineData"]
        _unknown(f"{name}.inlineData", inline, ("mimeType", "data"))
        data, mime = inline.get("data"), inline.get("mimeType")
    elif "gcsUri" in value:
        if not vertex:
            raise Invalid(f"{name}.gcsUri is not supported by the Gemini API.")
        _unknown(name, value, ("gcsUri", "mimeType"))
        _typed(f"{name}.gcsUri", value["gcsUri"], str)
        return {"gcsUri": value["gcsUri"], "mimeType": value.get("mimeType")}
    else:
        _unknown(name, value, ("bytesBase64Encoded", "mimeType"))
        data, mime = value.get("bytesBase64Encoded"), value.get("mimeType")
    _typed(f"{name}.mimeType", mime, str, ("image/jpeg", "image/png"))
    try:
        raw = base64.b64decode(_typed(f"{name}.bytesBase64Encoded", data, str), validate=True)
        with Image.open(io.BytesIO(raw)) as picture:
            picture.load()
            width, height = picture.size
    except (binascii.Error, OSError, UnidentifiedImageError):
        raise Invalid(f"Unable to process input image at '{name}'.") from None
    return {"mimeType": mime, "width": width, "height": height, "bytes": len(raw)}


def _references(value: Any, model: str, *, vertex: bool) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not value:
        raise Invalid(
            "Invalid value at 'instances[0].referenceImages': a non-empty list is required."
        )
    if len(value) > 3:
        raise Invalid(f"At most 3 reference images are supported by {model}; got {len(value)}.")
    found = []
    for index, item in enumerate(value):
        where = f"instances[0].referenceImages[{index}]"
        if not isinstance(item, dict):
            raise Invalid(f"Invalid value at '{where}': an object is required.")
        _unknown(where, item, ("image", "referenceType"))
        kind = _typed(f"{where}.referenceType", item.get("referenceType"), str)
        if kind.lower() != "asset":
            raise Invalid(f"referenceType {kind!r} is not supported by {model}; use 'asset'.")
        found.append(image_of(f"{where}.image", item.get("image"), vertex=vertex))
    return tuple(found)


def _parameters(body: dict[str, Any], model: str, *, vertex: bool) -> dict[str, Any]:
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise Invalid("Invalid value at 'parameters': an object is required.")
    if not vertex:
        for name in parameters:
            if name in VERTEX_ONLY_PARAMETERS:
                raise Invalid(f"`{name}` isn't supported by the Gemini API for {model}.")
    _unknown("parameters", parameters, COMMON_PARAMETERS + VERTEX_ONLY_PARAMETERS)
    checks: dict[str, tuple[type, tuple[Any, ...] | None]] = {
        "sampleCount": (int, (1, 2, 3, 4) if vertex else (1,)),
        "durationSeconds": (int, (4, 6, 8)),
        "aspectRatio": (str, ("16:9", "9:16")),
        "resolution": (
            str,
            ("720p", "1080p", "4k") if model in FOUR_K_MODELS else ("720p", "1080p"),
        ),
        "personGeneration": (str, ("allow_all", "allow_adult", "dont_allow")),
        "negativePrompt": (str, None),
        "enhancePrompt": (bool, None),
        "seed": (int, None),
        "fps": (int, (24,)),
        "generateAudio": (bool, None),
        "storageUri": (str, None),
        "compressionQuality": (str, ("optimized", "lossless")),
        "resizeMode": (str, ("pad", "crop")),
        "pubsubTopic": (str, None),
    }
    for name, value in parameters.items():
        kind, choices = checks[name]
        _typed(f"parameters.{name}", value, kind, choices)
    if "seed" in parameters and not 0 <= parameters["seed"] <= 4_294_967_295:
        raise Invalid("parameters.seed must be between 0 and 4294967295.")
    if "storageUri" in parameters and not parameters["storageUri"].startswith("gs://"):
        raise Invalid("parameters.storageUri must be a gs:// URI.")
    return parameters


def order_of(body: Any, model: str, *, vertex: bool) -> VideoOrder:
    """Validate a ``predictLongRunning`` body for ``model``; return the order or raise."""
    if model not in (VERTEX_MODELS if vertex else GEMINI_MODELS):
        raise Invalid(f"models/{model} is not found for predictLongRunning.", status=404)
    if not isinstance(body, dict):
        raise Invalid("Invalid JSON payload received. Expected an object.")
    _unknown("", body, VERTEX_BODY if vertex else GEMINI_BODY)
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise Invalid("Exactly one instance is required in 'instances'.")
    instance = instances[0]
    _unknown("instances[0]", instance, INSTANCE_FIELDS)
    if "video" in instance:
        raise Invalid("Video extension (instances[0].video) is not served by this fake.")
    parameters = _parameters(body, model, vertex=vertex)
    image = (
        image_of("instances[0].image", instance["image"], vertex=vertex)
        if "image" in instance
        else None
    )
    last = None
    if "lastFrame" in instance:
        if image is None:
            raise Invalid("lastFrame is only supported together with image (first frame).")
        last = image_of("instances[0].lastFrame", instance["lastFrame"], vertex=vertex)
    references: tuple[dict[str, Any], ...] = ()
    if "referenceImages" in instance:
        if image is not None:
            raise Invalid("referenceImages cannot be combined with image, lastFrame or video.")
        references = _references(instance["referenceImages"], model, vertex=vertex)
    prompt = instance.get("prompt", "")
    _typed("instances[0].prompt", prompt, str)
    if not prompt.strip() and (image is None or references):
        raise Invalid("A text prompt is required (instances[0].prompt).")
    seconds = parameters.get("durationSeconds", 8)
    ratio = parameters.get("aspectRatio", "16:9")
    resolution = parameters.get("resolution", "720p")
    if seconds != 8 and references:
        raise Invalid("durationSeconds must be 8 when referenceImages are given.")
    if seconds != 8 and resolution != "720p":
        raise Invalid(f"durationSeconds must be 8 for resolution {resolution}.")
    width, height = SIZES[(ratio, resolution)]
    return VideoOrder(
        model=model,
        prompt=prompt,
        width=width,
        height=height,
        seconds=seconds,
        audio=parameters.get("generateAudio", True) if vertex else True,
        image=image,
        last_frame=last,
        references=references,
        parameters=parameters,
    )
