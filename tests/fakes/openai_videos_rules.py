"""What the OpenAI Videos fake accepts on ``POST /v1/videos``, per openai-python's ``videos``.

Multipart form data (or JSON) with ``prompt`` (1-32000 characters), ``model``, ``seconds`` (a
*string*: "4", "8" or "12"), ``size`` and an optional ``input_reference``: an image file part of
exactly ``size``, or ``{"image_url"}`` / ``{"file_id"}``. Anything else is refused with OpenAI's
``{"error": {"message", "type", "param", "code"}}`` body.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.datastructures import UploadFile
from starlette.requests import Request

MODELS = ("sora-2", "sora-2-pro", "sora-2-2025-10-06", "sora-2-pro-2025-10-06", "sora-2-2025-12-08")
SECONDS = ("4", "8", "12")
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
PRO_ONLY_SIZES = ("1024x1792", "1792x1024")
CREATE_FIELDS = ("prompt", "model", "seconds", "size", "input_reference")
REFERENCE_FIELDS = ("input_reference[image_url]", "input_reference[file_id]")
PROMPT_LIMIT = 32_000


class Refusal(Exception):
    """A request the real service refuses; carries OpenAI's error body."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.body = error_body(status, message, param=param, code=code)


def error_body(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    if status == 429:
        kind, code = "requests", code or "rate_limit_exceeded"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        kind = type(value).__name__.replace("int", "an integer").replace("float", "a decimal")
        raise Refusal(
            400,
            f"Invalid type for '{name}': expected one of {', '.join(map(repr, allowed))}, "
            f"but got {kind} instead.",
            param=name,
            code="invalid_type",
        )
    if value not in allowed:
        raise Refusal(
            400,
            f"Invalid value: '{value}'. Supported values are: {', '.join(map(repr, allowed))}.",
            param=name,
            code="invalid_value",
        )
    return value


def _reference_image(data: bytes, size: str) -> dict[str, Any]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            fmt, dims = (image.format or "").upper(), image.size
    except (OSError, UnidentifiedImageError):
        raise Refusal(
            400,
            "Invalid file format. Supported formats are: jpeg, png, webp.",
            param="input_reference",
            code="invalid_value",
        ) from None
    if fmt not in ("JPEG", "PNG", "WEBP"):
        raise Refusal(
            400,
            f"Unsupported image format {fmt.lower()}; use jpeg, png or webp.",
            param="input_reference",
            code="invalid_value",
        )
    width, height = (int(n) for n in size.split("x"))
    if dims != (width, height):
        raise Refusal(
            400,
            "Inpaint image must match the requested width and height",
            param="input_reference",
            code="invalid_value",
        )
    return {"format": fmt.lower(), "width": dims[0], "height": dims[1], "bytes": len(data)}


def _reference_object(value: object, size: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {"image_url", "file_id"} or len(value) != 1:
        raise Refusal(
            400,
            "Invalid 'input_reference': expected an image file or exactly one of "
            "'image_url' or 'file_id'.",
            param="input_reference",
            code="invalid_type",
        )
    if "file_id" in value:
        raise Refusal(404, f"No such File object: {value['file_id']}", param="input_reference")
    url = value["image_url"]
    if not isinstance(url, str) or not url.startswith("data:image/") or ";base64," not in url:
        raise Refusal(
            400,
            "This fake accepts 'image_url' only as a base64 data URL (it has no network).",
            param="input_reference[image_url]",
            code="invalid_value",
        )
    try:
        data = base64.b64decode(url.split(";base64,", 1)[1], validate=True)
    except binascii.Error:
        raise Refusal(400, "Invalid base64 image data.", param="input_reference") from None
    return _reference_image(data, size)


async def create_fields(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Refusal(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise Refusal(400, "The request body must be a JSON object.")
        return body
    if not content_type.startswith("multipart/form-data"):
        raise Refusal(400, f"Unsupported content type: '{content_type or 'none'}'.")
    fields: dict[str, Any] = {}
    async with request.form() as form:
        for name, value in form.multi_items():
            if name in REFERENCE_FIELDS:
                fields.setdefault("input_reference", {})[name[16:-1]] = value
            elif "[" in name:
                base = name.split("[", 1)[0]
                if base not in CREATE_FIELDS:
                    raise Refusal(
                        400, f"Unknown parameter: '{base}'.", param=base, code="unknown_parameter"
                    )
                raise Refusal(400, f"Invalid type for '{base}'.", param=base, code="invalid_type")
            elif isinstance(value, UploadFile):
                fields[name] = ("file", await value.read())
            else:
                fields[name] = value
    return fields


def validate_create(fields: dict[str, Any]) -> dict[str, Any]:
    for name in fields:
        if name not in CREATE_FIELDS:
            raise Refusal(
                400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )
    prompt = fields.get("prompt")
    if prompt is None:
        raise Refusal(
            400,
            "Missing required parameter: 'prompt'.",
            param="prompt",
            code="missing_required_parameter",
        )
    if not isinstance(prompt, str):
        raise Refusal(
            400,
            "Invalid type for 'prompt': expected a string.",
            param="prompt",
            code="invalid_type",
        )
    if not 1 <= len(prompt) <= PROMPT_LIMIT:
        code = "string_below_min_length" if not prompt else "string_above_max_length"
        raise Refusal(
            400,
            f"Invalid 'prompt': string length must be between 1 and {PROMPT_LIMIT}.",
            param="prompt",
            code=code,
        )
    model = check_choice("model", fields.get("model", "sora-2"), MODELS)
    seconds = check_choice("seconds", fields.get("seconds", "4"), SECONDS)
    size = check_choice("size", fields.get("size", "720x1280"), SIZES)
    if size in PRO_ONLY_SIZES and not model.startswith("sora-2-pro"):
        raise Refusal(
            400,
            f"Invalid value: '{size}'. Size {size} is only supported by sora-2-pro.",
            param="size",
            code="invalid_value",
        )
    reference: dict[str, Any] | None = None
    if "input_reference" in fields:
        value = fields["input_reference"]
        if isinstance(value, tuple):
            reference = _reference_image(value[1], size)
        elif isinstance(value, str):
            raise Refusal(
                400,
                "Invalid type for 'input_reference': expected a file, but got a string instead.",
                param="input_reference",
                code="invalid_type",
            )
        else:
            reference = _reference_object(value, size)
    return {
        "prompt": prompt,
        "model": model,
        "seconds": seconds,
        "size": size,
        "input_reference": reference,
    }
