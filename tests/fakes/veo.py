"""A strict local fake of Veo 3.1 on both of Google's routes, Gemini API and Vertex AI.

Gemini API (``x-goog-api-key`` header or ``?key=``):
``POST /v1beta/models/{model}:predictLongRunning`` starts an operation
``models/{model}/operations/{id}``; ``GET /v1beta/{operation}`` polls it; a done operation
carries ``response.generateVideoResponse.generatedSamples[].video.uri``, a
``files/{id}:download?alt=media`` link that redirects to a signed media URL.
Vertex AI (``Authorization: Bearer``):
``POST /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}:predictLongRunning``,
polled with ``…:fetchPredictOperation {"operationName": …}``; a done operation carries
``response.videos[].bytesBase64Encoded``. A safety block is a done operation with
``raiMediaFilteredCount``/``raiMediaFilteredReasons`` and no video. Errors use Google's
``{"error": {"code", "message", "status"}}`` body; request rules live in
:mod:`tests.fakes.veo_rules`. Fault routes: ``predict``, ``poll``, ``download``.

By hand: ``python -m tests.fakes.veo --port 8001``; Gemini key ``fake-gemini-key``, Vertex
token ``ya29.fake-previz-token`` for project ``previz-fake``.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.generated_media import (
    CLIPS,
    BrokenBody,
    FaultPlan,
    cut_clip,
    dropped_reply,
    faults_routes,
    transport_fault,
)
from tests.fakes.serve import main_for
from tests.fakes.veo_rules import Invalid, VideoOrder, order_of

DEFAULT_KEY = "fake-gemini-key"
DEFAULT_TOKEN = "ya29.fake-previz-token"
DEFAULT_PROJECT = "previz-fake"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
SAFETY_REASON = (
    "Unable to show generated videos because they were blocked by the content safety filters. "
    "Support codes: 17301594"
)
TRANSPORT_FAULTS = ("rate_limit", "server_error", "slow", "drop")


class Refusal(Exception):
    """A Google API error answer."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.body = error_body(status, message)
        if details:
            self.body["error"]["details"] = details


def error_body(status: int, message: str) -> dict[str, Any]:
    name = STATUS_NAMES.get(status, "UNKNOWN")
    return {"error": {"code": status, "message": message, "status": name}}


@dataclass
class Operation:
    name: str
    order: VideoOrder
    vertex: bool
    file_id: str
    polls: int = 0
    blocked: bool = False
    broken: bool = False
    link_expired: bool = False


@dataclass
class VeoFake:
    """The fake's state: credentials, operations, what it received, faults to inject."""

    api_keys: set[str] = field(default_factory=lambda: {DEFAULT_KEY})
    tokens: set[str] = field(default_factory=lambda: {DEFAULT_TOKEN})
    projects: set[str] = field(default_factory=lambda: {DEFAULT_PROJECT})
    polls_to_finish: int = 2
    operations: dict[str, Operation] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)
    received: list[VideoOrder] = field(default_factory=list)
    media_headers: list[dict[str, str]] = field(default_factory=list)
    faults: FaultPlan = field(default_factory=FaultPlan)


def _state(request: Request) -> VeoFake:
    fake: VeoFake = request.app.state.fake
    return fake


def _gemini_auth(request: Request) -> None:
    key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
    if not key:
        raise Refusal(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        )
    if key not in _state(request).api_keys:
        reason = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }
        raise Refusal(400, "API key not valid. Please pass a valid API key.", [reason])


def _vertex_auth(request: Request, project: str, model: str) -> None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        raise Refusal(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
        )
    if header[7:] not in _state(request).tokens:
        raise Refusal(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
        )
    if project not in _state(request).projects:
        raise Refusal(
            403,
            f"Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform."
            f"googleapis.com/projects/{project}/locations/-/publishers/google/models/{model}' "
            "(or it may not exist).",
        )


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise Refusal(400, "Invalid JSON payload received.") from None


async def _faulted(request: Request, route: str) -> Response | None:
    fault = _state(request).faults.take(route, TRANSPORT_FAULTS)
    return await transport_fault(fault, error_body)


def _start(request: Request, order: VideoOrder, name: str, *, vertex: bool) -> Operation:
    state = _state(request)
    state.received.append(order)
    operation = Operation(name=name, order=order, vertex=vertex, file_id=secrets.token_hex(8))
    operation.blocked = state.faults.take("predict", ("safety",)) is not None
    operation.broken = state.faults.take("predict", ("failed",)) is not None
    state.operations[name] = operation
    return operation


def _started(request: Request, operation: Operation) -> Response:
    """The new operation's name — unless a ``drop_reply`` fault drops the answer."""
    if _state(request).faults.take("predict", ("drop_reply",)) is not None:
        return dropped_reply({"name": operation.name})
    return JSONResponse({"name": operation.name})


def _view(request: Request, operation: Operation) -> dict[str, Any]:
    """The operation as the service shows it now; every view is one poll."""
    operation.polls += 1
    operation.link_expired = False
    if operation.polls <= _state(request).polls_to_finish:
        return {"name": operation.name}
    if operation.broken:
        error = {"code": 13, "message": "Video generation failed due to an internal error."}
        return {"name": operation.name, "done": True, "error": error}
    if operation.vertex:
        response = _vertex_response(operation)
    else:
        response = _gemini_response(request, operation)
    return {"name": operation.name, "done": True, "response": response}


def _gemini_response(request: Request, operation: Operation) -> dict[str, Any]:
    inner: dict[str, Any]
    if operation.blocked:
        inner = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [SAFETY_REASON]}
    else:
        base = str(request.base_url).rstrip("/")
        uri = f"{base}/v1beta/files/{operation.file_id}:download?alt=media"
        inner = {"generatedSamples": [{"video": {"uri": uri}}]}
    kind = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
    return {"@type": kind, "generateVideoResponse": inner}


def _vertex_response(operation: Operation) -> dict[str, Any]:
    kind = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
    if operation.blocked:
        return {
            "@type": kind,
            "raiMediaFilteredCount": 1,
            "raiMediaFilteredReasons": [SAFETY_REASON],
        }
    order = operation.order
    storage = order.parameters.get("storageUri")
    if storage:
        uri = f"{storage.rstrip('/')}/{operation.file_id}/sample_0.mp4"
        return {"@type": kind, "videos": [{"gcsUri": uri, "mimeType": "video/mp4"}]}
    clip = CLIPS.clip(order.width, order.height, order.seconds, audio=order.audio)
    video = {"bytesBase64Encoded": base64.b64encode(clip).decode(), "mimeType": "video/mp4"}
    return {"@type": kind, "raiMediaFilteredCount": 0, "videos": [video]}


async def gemini_predict(request: Request) -> Response:
    _gemini_auth(request)
    if (early := await _faulted(request, "predict")) is not None:
        return early
    model, _, action = request.path_params["model_action"].partition(":")
    if action != "predictLongRunning":
        raise Refusal(404, f"Method {action or '(none)'} is not found for models/{model}.")
    order = _validated(await _json_body(request), model, vertex=False)
    name = f"models/{model}/operations/{secrets.token_hex(6)}"
    return _started(request, _start(request, order, name, vertex=False))


async def gemini_operation(request: Request) -> Response:
    _gemini_auth(request)
    if (early := await _faulted(request, "poll")) is not None:
        return early
    name = f"models/{request.path_params['model']}/operations/{request.path_params['op_id']}"
    operation = _state(request).operations.get(name)
    if operation is None or operation.vertex:
        raise Refusal(404, f"Operation {name} not found.")
    return JSONResponse(_view(request, operation))


async def gemini_file(request: Request) -> Response:
    _gemini_auth(request)
    if (early := await _faulted(request, "download")) is not None:
        return early
    file_id, _, action = request.path_params["file_action"].partition(":")
    state = _state(request)
    operation = next((o for o in state.operations.values() if o.file_id == file_id), None)
    if action != "download" or request.query_params.get("alt") != "media" or operation is None:
        raise Refusal(404, f"File files/{file_id} not found.")
    if state.faults.take("download", ("expire",)) is not None:
        operation.link_expired = True
    if operation.link_expired:
        raise Refusal(404, f"File files/{file_id} has expired or does not exist.")
    token = secrets.token_urlsafe(12)
    state.media[token] = file_id
    return RedirectResponse(f"/__media__/{token}", status_code=302)


async def signed_media(request: Request) -> Response:
    state = _state(request)
    file_id = state.media.pop(request.path_params["token"], None)  # signed URLs are single-use
    operation = next((o for o in state.operations.values() if o.file_id == file_id), None)
    if operation is None:
        return Response(b"<Error><Code>ExpiredToken</Code></Error>", 400, media_type="text/xml")
    state.media_headers.append(dict(request.headers))  # tests check no key follows a redirect
    order = operation.order
    clip = CLIPS.clip(order.width, order.height, order.seconds, audio=order.audio)
    if state.faults.take("download", ("truncate",)) is not None:
        return BrokenBody(clip[: len(clip) // 2], announced=len(clip), media_type="video/mp4")
    if state.faults.take("download", ("cut",)) is not None:
        return cut_clip(clip)
    return Response(clip, media_type="video/mp4")


async def vertex_model(request: Request) -> Response:
    params = request.path_params
    if params["version"] not in ("v1", "v1beta1"):
        raise Refusal(404, f"API version {params['version']} is not served.")
    model, _, action = params["model_action"].partition(":")
    _vertex_auth(request, params["project"], model)
    resource = (
        f"projects/{params['project']}/locations/{params['location']}"
        f"/publishers/google/models/{model}"
    )
    body = await _json_body(request)
    if action == "predictLongRunning":
        if (early := await _faulted(request, "predict")) is not None:
            return early
        order = _validated(body, model, vertex=True)
        operation = _start(request, order, f"{resource}/operations/{uuid.uuid4()}", vertex=True)
        return _started(request, operation)
    if action == "fetchPredictOperation":
        if (early := await _faulted(request, "poll")) is not None:
            return early
        return JSONResponse(_view(request, _fetched(request, body, resource)))
    raise Refusal(404, f"Method {action or '(none)'} is not found for {resource}.")


def _fetched(request: Request, body: Any, resource: str) -> Operation:
    if not isinstance(body, dict) or set(body) != {"operationName"}:
        unknown = sorted(set(body) - {"operationName"}) if isinstance(body, dict) else []
        name = unknown[0] if unknown else "operationName"
        raise Refusal(400, f'Invalid JSON payload received. Unknown or missing name "{name}".')
    name = body["operationName"]
    operation = _state(request).operations.get(name) if isinstance(name, str) else None
    if operation is None or not operation.vertex or not name.startswith(resource + "/operations/"):
        raise Refusal(404, f"Operation {name} not found.")
    return operation


def _validated(body: Any, model: str, *, vertex: bool) -> VideoOrder:
    try:
        return order_of(body, model, vertex=vertex)
    except Invalid as problem:
        raise Refusal(problem.status, str(problem)) from None


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return JSONResponse(exc.body, status_code=exc.status)


def create_app(fake: VeoFake | None = None) -> Starlette:
    """Both Veo routes as one ASGI app; its state is ``app.state.fake`` (tests may replace it)."""
    vertex_path = (
        "/{version}/projects/{project}/locations/{location}/publishers/google/models/{model_action}"
    )
    app = Starlette(
        routes=[
            Route("/v1beta/models/{model_action}", gemini_predict, methods=["POST"]),
            Route("/v1beta/models/{model}/operations/{op_id}", gemini_operation, methods=["GET"]),
            Route("/v1beta/files/{file_action}", gemini_file, methods=["GET"]),
            Route("/__media__/{token}", signed_media, methods=["GET"]),
            Route(vertex_path, vertex_model, methods=["POST"]),
        ],
        exception_handlers={Refusal: _refused},
    )
    app.state.fake = fake or VeoFake()
    app.router.routes.extend(faults_routes(lambda: app.state.fake.faults))
    return app


app = create_app()

if __name__ == "__main__":
    main_for(app, "Veo (Gemini API and Vertex AI)", 8001)
