"""The HTTP side every stand-in shares: a ``Reply`` and its response, the ASGI app around a
sandbox's ``handle``, and the admin API under ``/__sandbox/`` (JSON plumbing and the routes
of ``PlatformSandbox``'s state: state, reset, options, apps, failures, clock, requests)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from platform_sandbox.common.basics import SandboxError, build_model, parse_when
from platform_sandbox.common.reply import Reply
from platform_sandbox.common.state import PlatformSandbox
from slideforge.kit.clock import isoformat

ADMIN = "/__sandbox"
ADMIN_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def reply_response(reply: Reply) -> Response:
    """The HTTP response for ``reply`` (redirect, XML, empty 204 or JSON)."""
    if reply.location is not None:
        return RedirectResponse(reply.location, status_code=302, headers=reply.headers)
    if reply.xml is not None:
        return Response(
            reply.xml,
            status_code=reply.status,
            media_type="application/xml",
            headers=reply.headers,
        )
    if reply.status == 204:
        return Response(status_code=204, headers=reply.headers)
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


Endpoint = Callable[[Request], Awaitable[Response]]
AdminCall = tuple[Callable[[], Any], int]
"""What an admin route does (run in a worker thread) and the HTTP status of its answer."""
AdminRoutes = Callable[[str, list[str], Mapping[str, str], dict[str, Any]], AdminCall | None]
"""(method, path parts below ``/__sandbox/``, query, JSON body) → the call, None: no route."""


ADMIN_INPUT_ERRORS = (TypeError, ValueError, KeyError)


def admin_endpoint(routes: AdminRoutes) -> Endpoint:
    """The ``/__sandbox/…`` endpoint: reads the JSON object body, finds the call with
    ``routes`` and answers its result as JSON. SandboxError gives ``{"error": code,
    "message": …}``; so do the errors of a body that does not fit the call (an unknown or
    mistyped field: TypeError, ValueError, KeyError), answered 400 with their text."""

    async def admin(request: Request) -> Response:
        path = request.url.path[len(ADMIN) :].strip("/")
        parts = path.split("/") if path else []
        method = request.method
        raw = await request.body()
        body: dict[str, Any] = {}
        if raw.strip():
            try:
                loaded = json.loads(raw)
            except ValueError:
                return _admin_error(SandboxError("the body must be JSON"))
            if not isinstance(loaded, dict):
                return _admin_error(SandboxError("the body must be a JSON object"))
            body = loaded
        call = routes(method, parts, request.query_params, body)
        if call is None:
            return _admin_error(
                SandboxError(f"no admin route {method} /{path}", status=404, code="not_found")
            )
        action, status = call
        try:
            result = await run_in_threadpool(action)
        except SandboxError as exc:
            return _admin_error(exc)
        except ADMIN_INPUT_ERRORS as exc:
            return _admin_error(SandboxError(str(exc)))
        return JSONResponse(_jsonable(result), status_code=status)

    return admin


def platform_admin_call(
    sb: PlatformSandbox[Any, Any, Any],
    method: str,
    parts: list[str],
    body: dict[str, Any],
    query: Mapping[str, str] | None = None,
) -> AdminCall | None:
    """The admin routes of ``PlatformSandbox``'s state: state, reset, options, apps,
    failures, clock and (given the ``query``) the request log filtered on the sandbox's
    ``request_filters`` (``sb``: the sandbox)."""
    match (method, parts):
        case ("GET", ["requests"]) if query is not None:
            filters = {key: query.get(key) for key in sb.request_filters}
            return (lambda: sb._logged_requests(**filters)), 200
        case ("GET", ["state"]):
            return sb.summary, 200
        case ("POST", ["reset"]):
            keep = bool(body.get("keep_config", True))
            return then(lambda: sb.reset(keep_config=keep), {"reset": True}), 200
        case ("GET", ["options"]):
            return (lambda: sb.options), 200
        case ("PATCH", ["options"]):
            return (lambda: sb.update_options(**body)), 200
        case ("GET", ["apps"]):
            return sb.apps, 200
        case ("POST", ["apps"]):
            return (lambda: sb.add_app(**body)), 201
        case ("GET", ["apps", client_id]):
            return (lambda: sb.get_app(client_id)), 200
        case ("PATCH", ["apps", client_id]):
            return (lambda: sb.update_app(client_id, **body)), 200
        case ("GET", ["failures"]):
            return sb.failures, 200
        case ("POST", ["failures"]):
            return (lambda: sb.add_failure(build_model(sb.failure_rule_model, body))), 201
        case ("DELETE", ["failures"]):
            return then(sb.clear_failures, {"cleared": True}), 200
        case ("GET", ["clock"]):
            return (lambda: {"now": sb.now(), "manual": sb.manual_clock}), 200
        case ("POST", ["clock", "advance"]):
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                return failing(SandboxError("seconds (a number) is needed")), 400
            return (lambda: {"now": sb.advance_clock(float(seconds))}), 200
        case ("POST", ["clock", "set"]):
            raw_now = str(body.get("now", ""))
            return (lambda: {"now": sb.set_clock(parse_when(raw_now))}), 200
    return None


def then(action: Callable[[], Any], result: Any) -> Callable[[], Any]:
    """A call that runs ``action`` for its effect and answers ``result``."""

    def run() -> Any:
        action()
        return result

    return run


def failing(error: Exception) -> Callable[[], Any]:
    """A call that raises ``error`` (an admin route refusing its input)."""

    def run() -> Any:
        raise error

    return run


def _admin_error(exc: SandboxError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def sandbox_app(
    sandbox: PlatformSandbox[Any, Any, Any],
    *,
    admin: Endpoint,
    api: Endpoint,
    api_methods: list[str],
) -> Starlette:
    """An ASGI app: the admin API under ``/__sandbox/``, every other path on ``api``; the
    sandbox object is ``app.state.sandbox``."""
    routes = [
        Route(ADMIN + "/{rest:path}", admin, methods=ADMIN_METHODS),
        Route("/{path:path}", api, methods=api_methods),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    app.state.sandbox = sandbox
    return app
