"""The AI studio stand-in as an ASGI app: OpenAI's ``/v1/images/…`` and ``/v1/videos…``,
hosted images under ``/files/``, and the admin API under ``/__sandbox/`` (state, reset,
options, failures, requests, videos)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from platform_sandbox.ai_studio.state import AiStudioSandbox, Request, openai_error
from platform_sandbox.common import (
    ADMIN,
    ADMIN_METHODS,
    AdminCall,
    admin_endpoint,
    parse_multipart,
    reply_response,
    then,
)


def _admin_call(
    sb: AiStudioSandbox,
    method: str,
    parts: list[str],
    query: Mapping[str, str],
    body: dict[str, Any],
) -> AdminCall | None:
    match (method, parts):
        case ("GET", ["state"]):
            return sb.summary, 200
        case ("POST", ["reset"]):
            keep = bool(body.get("keep_options", True))
            return then(lambda: sb.reset(keep_options=keep), {"reset": True}), 200
        case ("GET", ["options"]):
            return (lambda: sb.options), 200
        case ("PATCH", ["options"]):
            return (lambda: sb.update_options(**body)), 200
        case ("GET", ["failures"]):
            return sb.failures, 200
        case ("POST", ["failures"]):
            return (lambda: sb.add_failure(**body)), 201
        case ("DELETE", ["failures"]):
            return then(sb.clear_failures, {"cleared": True}), 200
        case ("GET", ["requests"]):
            return (lambda: sb.requests(query.get("endpoint"))), 200
        case ("GET", ["videos"]):
            return sb.videos, 200
    return None


async def _parse(request: HttpRequest, max_bytes: int) -> Request | Response:
    raw = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    parsed = Request(request.method, request.url.path, headers)
    if len(raw) > max_bytes:
        return reply_response(openai_error(413, "Request body too large."))
    content_type = headers.get("content-type", "")
    if request.method != "POST":
        return parsed
    if content_type.startswith("multipart/form-data"):
        parts = parse_multipart(raw, content_type)
        if parts is None:
            return reply_response(openai_error(400, "Could not parse multipart form."))
        for name, filename, data in parts:
            if filename is not None:
                parsed.files.setdefault(name, []).append(data)
            else:
                parsed.form.setdefault(name, []).append(data.decode("utf-8", "replace"))
        return parsed
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return reply_response(
            openai_error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)",
            )
        )
    if not isinstance(body, dict):
        return reply_response(openai_error(400, "The body must be a JSON object."))
    parsed.json = body
    return parsed


def create_app(sandbox: AiStudioSandbox | None = None) -> Starlette:
    """The stand-in as an ASGI app; the sandbox object is ``app.state.sandbox``."""
    sandbox = sandbox or AiStudioSandbox()

    async def api(request: HttpRequest) -> Response:
        parsed = await _parse(request, sandbox.options.max_upload_bytes)
        if isinstance(parsed, Response):
            return parsed
        base_url = str(request.base_url).rstrip("/")
        reply, content = await run_in_threadpool(sandbox.handle, parsed, base_url)
        if content is not None:
            kind = "video/mp4" if content[4:8] == b"ftyp" else _image_type(content)
            return Response(content, media_type=kind, headers=reply.headers)
        return reply_response(reply)

    admin = admin_endpoint(lambda m, p, q, b: _admin_call(sandbox, m, p, q, b))
    app = Starlette(
        routes=[
            Route(ADMIN + "/{rest:path}", admin, methods=ADMIN_METHODS),
            Route("/{path:path}", api, methods=["GET", "POST", "DELETE"]),
        ]
    )
    app.router.redirect_slashes = False
    app.state.sandbox = sandbox
    return app


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "image/webp"
