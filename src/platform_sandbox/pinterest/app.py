"""The Pinterest sandbox as an ASGI app: ``/oauth/``, ``/v5/…``, the upload bucket and the
admin API under ``/__sandbox/``."""

from __future__ import annotations

import functools

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from platform_sandbox.common import admin_endpoint, reply_response, sandbox_app
from platform_sandbox.pinterest.admin import pinterest_admin_call
from platform_sandbox.pinterest.sandbox import PinterestSandbox
from slideforge.kit.clock import Clock


def create_app(sandbox: PinterestSandbox | None = None, *, clock: Clock | None = None) -> Starlette:
    """The sandbox as an ASGI app: ``/oauth/``, ``/v5/…``, the upload bucket
    ``/pinterest-media-upload/`` and the admin API under ``/__sandbox/``. The sandbox object
    is ``app.state.sandbox``."""
    sandbox = sandbox or PinterestSandbox(clock=clock)

    async def api(request: Request) -> Response:
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        base_url = str(request.base_url).rstrip("/")
        reply = await run_in_threadpool(
            sandbox.handle,
            request.method,
            request.url.path,
            dict(request.query_params),
            body,
            headers,
            base_url,
        )
        return reply_response(reply)

    return sandbox_app(
        sandbox,
        # An unexpected keyword in an admin body (a TypeError) answers 400, not 500.
        admin=admin_endpoint(functools.partial(pinterest_admin_call, sandbox)),
        api=api,
        api_methods=["GET", "POST", "PATCH", "DELETE"],
    )
