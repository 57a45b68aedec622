"""The Instagram sandbox as an ASGI app: every Graph / OAuth path on one catch-all route
(parameters from the query string and a urlencoded, multipart or JSON body), the admin API
under ``/__sandbox/``."""

from __future__ import annotations

import functools
import json
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from platform_sandbox.common import admin_endpoint, parse_multipart, reply_response, sandbox_app
from platform_sandbox.instagram.admin import instagram_admin_call
from platform_sandbox.instagram.errors import GraphError, param_error
from platform_sandbox.instagram.records import fbtrace_id
from platform_sandbox.instagram.sandbox import InstagramSandbox
from slideforge.kit.clock import Clock


async def _request_params(request: Request) -> dict[str, str]:
    """Query string merged with a urlencoded, multipart or JSON body (body wins)."""
    params = dict(request.query_params)
    raw = await request.body()
    if not raw.strip():
        return params
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif kind == "multipart/form-data":
        parts = parse_multipart(raw, content_type)
        if parts is None:
            raise param_error("(#100) The multipart body could not be parsed.")
        for name, filename, data in parts:
            if filename is None:
                params[name] = data.decode("utf-8", "replace")
    elif kind == "application/json":
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise param_error("(#100) The JSON body could not be parsed.") from exc
        if not isinstance(body, dict):
            raise param_error("(#100) The JSON body must be an object.")
        for key, value in body.items():
            params[str(key)] = value if isinstance(value, str) else json.dumps(value)
    return params


def create_app(sandbox: InstagramSandbox | None = None, *, clock: Clock | None = None) -> Starlette:
    """The sandbox as an ASGI app: every Graph/OAuth path on one catch-all route, the admin
    API under ``/__sandbox/``. The sandbox object is ``app.state.sandbox``."""
    sandbox = sandbox or InstagramSandbox(clock=clock)

    async def graph(request: Request) -> Response:
        try:
            params = await _request_params(request)
        except GraphError as error:
            return JSONResponse(error.body(fbtrace_id()), error.http_status)
        headers = {key.lower(): value for key, value in request.headers.items()}
        reply = await run_in_threadpool(
            sandbox.handle, request.method, request.url.path, params, headers
        )
        return reply_response(reply)

    return sandbox_app(
        sandbox,
        admin=admin_endpoint(functools.partial(instagram_admin_call, sandbox)),
        api=graph,
        api_methods=["GET", "POST", "DELETE"],
    )
