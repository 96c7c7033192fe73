"""The request bodies the fake Runway API accepts, checked the way Runway's validator checks them.

Source of truth: ``runwayml`` 5.24 (``types/image_to_video_create_params.py``,
``types/text_to_video_create_params.py``) for fields, types, ratios and durations per model.
The error shape is Runway's captured validator answer (zod issues)::

    400 {"error": "Validation of body failed",
         "issues": [{"code": ..., "path": [...], "message": ...}],
         "docUrl": "https://docs.dev.runwayml.com/api"}

Bodies are closed (``additionalProperties: false`` in Runway's OpenAPI): an unknown or misspelt
key such as ``prompt_text`` is an ``unrecognized_keys`` issue. Asset rules (data URI ≤ 5 MB with
an image media type, HTTPS URLs on a domain, ``runway://`` uploads) follow
docs.dev.runwayml.com/assets/inputs; the messages for asset problems paraphrase the reasons
listed on docs.dev.runwayml.com/errors/troubleshooting. Only the four video models previz uses
are modelled; any other model is answered as an unmatched discriminator.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from PIL import Image, UnidentifiedImageError

Issue = dict[str, Any]
Path = list[str | int]
Check = Callable[[Any, Path], list[Issue]]

DOC_URL = "https://docs.dev.runwayml.com/api"
DATA_URI_LIMIT = 5 * 1024 * 1024
GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672")
GEN45_TEXT_RATIOS = ("1280:720", "720:1280")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/jpg", "image/webp")
OUTPUT_FORMATS = (
    "mp4", "prores", "png_sequence", "hdr10", "hlg", "sdr_rec709_10bit", "hdr_pq_12bit_master",
    "hdr_prores", "hdr_png_sequence", "hdr_exr_sequence", "hdr_exr_acescg_sequence_1_3",
    "hdr_exr_acescg_sequence_2_0",
)  # fmt: skip
PRORES_PROFILES = ("422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def invalid_type(path: Path, expected: str, value: Any = None, *, missing: bool = False) -> Issue:
    received = "undefined" if missing else _kind(value)
    return {
        "expected": expected,
        "code": "invalid_type",
        "path": path,
        "message": f"Invalid input: expected {expected}, received {received}",
    }


def invalid_value(path: Path, options: tuple[Any, ...]) -> Issue:
    listed = "|".join(json.dumps(option) for option in options)
    return {
        "code": "invalid_value",
        "values": list(options),
        "path": path,
        "message": f"Invalid option: expected one of {listed}",
    }


def custom(path: Path, message: str) -> Issue:
    return {"code": "custom", "path": path, "message": message}


def _bound(path: Path, code: str, limit: int, origin: str, detail: str) -> Issue:
    """A zod size issue; ``detail`` follows "Too big: " / "Too small: "."""
    big = code == "too_big"
    return {
        "code": code,
        "maximum" if big else "minimum": limit,
        "origin": origin,
        "inclusive": True,
        "path": path,
        "message": f"{'Too big' if big else 'Too small'}: {detail}",
    }


def prompt_text(value: Any, path: Path) -> list[Issue]:
    if not isinstance(value, str):
        return [invalid_type(path, "string", value)]
    units = len(value.encode("utf-16-le")) // 2
    if units == 0:
        return [_bound(path, "too_small", 1, "string", "expected string to have >=1 characters")]
    if units > 1000:
        return [_bound(path, "too_big", 1000, "string", "expected string to have <=1000 units")]
    return []


def text(value: Any, path: Path) -> list[Issue]:
    return [] if isinstance(value, str) else [invalid_type(path, "string", value)]


def boolean(value: Any, path: Path) -> list[Issue]:
    return [] if isinstance(value, bool) else [invalid_type(path, "boolean", value)]


def integer(low: int, high: int) -> Check:
    def check(value: Any, path: Path) -> list[Issue]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [invalid_type(path, "number", value)]
        if isinstance(value, float) and not value.is_integer():
            return [invalid_type(path, "int", value)]
        if value < low:
            return [_bound(path, "too_small", low, "number", f"expected number to be >={low}")]
        if value > high:
            return [_bound(path, "too_big", high, "number", f"expected number to be <={high}")]
        return []

    return check


def one_of(*options: Any) -> Check:
    def check(value: Any, path: Path) -> list[Issue]:
        exact = any(type(value) is type(option) and value == option for option in options)
        return [] if exact else [invalid_value(path, options)]

    return check


def content_moderation(value: Any, path: Path) -> list[Issue]:
    return closed_object(value, path, {"publicFigureThreshold": one_of("auto", "low")}, set())


def asset_uri(value: Any, path: Path) -> list[Issue]:
    """An image given as HTTPS URL, ``runway://`` upload URI or base64 data URI."""
    if not isinstance(value, str):
        return [invalid_type(path, "string", value)]
    if value.startswith("data:"):
        return _data_uri(value, path)
    if value.startswith("runway://"):
        return []
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.hostname:
        return [custom(path, "Invalid asset: Only HTTPS URLs are allowed.")]
    if len(value) > 2048:
        return [custom(path, "Invalid asset: URLs must not exceed 2048 characters.")]
    try:
        ipaddress.ip_address(parsed.hostname)
    except ValueError:
        return []
    return [custom(path, "Invalid asset: URLs must be hosted on a domain.")]


def _data_uri(value: str, path: Path) -> list[Issue]:
    if len(value) > DATA_URI_LIMIT:
        return [custom(path, "Invalid asset: data URIs must be under 5MB.")]
    head, comma, payload = value[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if not comma or encoding != "base64":
        return [custom(path, "Invalid asset: Invalid data URI.")]
    if media_type not in IMAGE_TYPES:
        return [custom(path, "Invalid asset: Unsupported asset type.")]
    try:
        raw = base64.b64decode(payload, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        return [custom(path, "Invalid asset: Invalid data URI.")]
    return []


def prompt_image(positions: tuple[str, ...]) -> Check:
    """``promptImage``: one URI string, or ``[{uri, position}]`` with one image per position."""

    def check(value: Any, path: Path) -> list[Issue]:
        if isinstance(value, str):
            return asset_uri(value, path)
        if not isinstance(value, list):
            return [{"code": "invalid_union", "path": path, "message": "Invalid input"}]
        if not 1 <= len(value) <= len(positions):
            code, limit = ("too_big", len(positions)) if value else ("too_small", 1)
            return [_bound(path, code, limit, "array", f"expected array of 1 to {len(positions)}")]
        fields = {"uri": asset_uri, "position": one_of(*positions)}
        issues: list[Issue] = []
        for index, item in enumerate(value):
            issues += closed_object(item, [*path, index], fields, {"uri", "position"})
        if issues:
            return issues
        seen = [item["position"] for item in value]
        if len(set(seen)) != len(seen):
            return [custom(path, "Each position may only be used once.")]
        if "first" not in seen:
            return [custom(path, "This model does not support generating with only a last frame.")]
        return []

    return check


def closed_object(
    value: Any, path: Path, fields: dict[str, Check], required: set[str]
) -> list[Issue]:
    """Check an object whose keys are exactly ``fields`` (``required`` must be present)."""
    if not isinstance(value, dict):
        return [invalid_type(path, "object", value)]
    issues: list[Issue] = []
    unknown = [key for key in value if key not in fields]
    if unknown:
        quoted = ", ".join(json.dumps(key) for key in unknown)
        plural = "s" if len(unknown) > 1 else ""
        message = f"Unrecognized key{plural}: {quoted}"
        issues.append({"code": "unrecognized_keys", "keys": unknown, "path": path})
        issues[-1]["message"] = message
    for name, check in fields.items():
        if name not in value:
            if name in required:
                issues.append(invalid_type([*path, name], "string", missing=True))
            continue
        issues += check(value[name], [*path, name])
    return issues


def _schema(endpoint: str, model: str) -> tuple[dict[str, Check], set[str]] | None:
    seed = integer(0, 4_294_967_295)
    gen4_extras: dict[str, Check] = {
        "seed": seed,
        "contentModeration": content_moderation,
    }
    studio: dict[str, Check] = {
        "outputFormat": one_of(*OUTPUT_FORMATS),
        "proresProfile": one_of(*PRORES_PROFILES),
    }
    veo: dict[str, Check] = {
        "model": one_of(model),
        "promptText": prompt_text,
        "ratio": one_of(*VEO_RATIOS),
        "audio": boolean,
        "duration": one_of(4, 6, 8),
        "negativePrompt": text,
        "seed": seed,
    }
    schemas: dict[tuple[str, str], tuple[dict[str, Check], set[str]]] = {
        ("image_to_video", "gen4.5"): (
            {"model": one_of("gen4.5"), "promptImage": prompt_image(("first",)),
             "promptText": prompt_text, "ratio": one_of(*GEN4_RATIOS),
             "duration": integer(2, 10), **gen4_extras, **studio},
            {"duration", "model", "promptImage", "promptText", "ratio"},
        ),
        ("image_to_video", "gen4_turbo"): (
            {"model": one_of("gen4_turbo"), "promptImage": prompt_image(("first",)),
             "promptText": prompt_text, "ratio": one_of(*GEN4_RATIOS),
             "duration": integer(2, 10), **gen4_extras},
            {"model", "promptImage", "ratio"},
        ),
        ("text_to_video", "gen4.5"): (
            {"model": one_of("gen4.5"), "promptText": prompt_text,
             "ratio": one_of(*GEN45_TEXT_RATIOS), "duration": integer(2, 10),
             **gen4_extras, **studio},
            {"duration", "model", "promptText", "ratio"},
        ),
    }  # fmt: skip
    if model in ("veo3.1", "veo3.1_fast"):
        schemas[("image_to_video", model)] = (
            {**veo, "promptImage": prompt_image(("first", "last"))},
            {"model", "promptImage", "ratio"},
        )
        schemas[("text_to_video", model)] = (veo, {"model", "promptText", "ratio"})
    return schemas.get((endpoint, model))


def validate(endpoint: str, body: Any) -> list[Issue]:
    """Every problem with ``body`` as a request to ``POST /v1/{endpoint}`` (empty = valid)."""
    if not isinstance(body, dict):
        return [invalid_type([], "object", body)]
    model = body.get("model")
    schema = _schema(endpoint, model) if isinstance(model, str) else None
    if schema is None:
        issues: list[Issue] = []
        if not isinstance(model, str):
            issues.append(invalid_type(["model"], "string", model, missing="model" not in body))
        unmatched = {"code": "invalid_union", "errors": [], "note": "No matching discriminator"}
        issues.append({**unmatched, "discriminator": "model", "path": ["model"]})
        issues[-1]["message"] = "Invalid input"
        return issues
    fields, required = schema
    return closed_object(body, [], fields, required)


def rejection(issues: list[Issue]) -> dict[str, Any]:
    """Runway's 400 body for a body that failed validation."""
    return {"error": "Validation of body failed", "issues": issues, "docUrl": DOC_URL}
