"""The HTTP face of the TikTok sandbox: TikTok's own paths plus the ``/__sandbox/`` admin
API. Handlers parse, call ``TikTokSandbox`` in a worker thread (its calls may block on the
lock or on a media pull) and shape the response."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from platform_sandbox.common import ADMIN, ADMIN_METHODS, AdminCall, Endpoint, admin_endpoint
from platform_sandbox.tiktok_api.admin import admin_call
from platform_sandbox.tiktok_api.records import ApiFailure, OAuthFailure
from platform_sandbox.tiktok_api.state import TikTokSandbox

DataCall = Callable[[Request, str | None, Any], Any]
"""A data endpoint: (request, Authorization header, JSON body) → its ``data``."""


class _Api:
    def __init__(self, sandbox: TikTokSandbox) -> None:
        self.sandbox = sandbox

    # ------------------------------------------------------------------ helpers

    async def _json_body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _BadJson()

    def _log(
        self,
        request: Request,
        endpoint: str,
        status: int,
        code: str,
        *,
        open_id: str | None = None,
        publish_id: str | None = None,
    ) -> None:
        self.sandbox.record_request(
            {
                "endpoint": endpoint,
                "method": request.method,
                "path": request.url.path,
                "http_status": status,
                "error_code": code,
                "open_id": open_id,
                "publish_id": publish_id,
            }
        )

    async def _data(
        self,
        request: Request,
        endpoint: str,
        call: Callable[[str | None, Any], Any],
        *,
        with_body: bool = True,
    ) -> Response:
        authorization = request.headers.get("authorization")
        body = await self._json_body(request) if with_body else None
        log_id = self.sandbox.new_log_id()
        status, code, message = 200, "ok", ""
        data: Any = {}
        try:
            if isinstance(body, _BadJson):
                raise ApiFailure(
                    400,
                    self.sandbox.options.invalid_param_code,
                    "The request body is not valid JSON.",
                )
            result = await run_in_threadpool(call, authorization, body)
            if isinstance(result, tuple):  # creator_info: (data, code, message)
                data, code, message = result
            else:
                data = result
        except ApiFailure as failure:
            status, code, message, data = failure.http_status, failure.code, failure.message, {}
        open_id = await run_in_threadpool(self.sandbox.token_open_id, authorization)
        publish_id = None
        if isinstance(data, dict) and isinstance(data.get("publish_id"), str):
            publish_id = data["publish_id"]
        elif isinstance(body, dict) and isinstance(body.get("publish_id"), str):
            publish_id = body["publish_id"]
        self._log(request, endpoint, status, code, open_id=open_id, publish_id=publish_id)
        return JSONResponse(
            {"data": data, "error": {"code": code, "message": message, "log_id": log_id}},
            status_code=status,
            headers={"x-tt-logid": log_id},
        )

    # ------------------------------------------------------------------ OAuth

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        try:
            location = await run_in_threadpool(self.sandbox.authorize, params)
        except OAuthFailure as failure:
            self._log(request, "authorize", 400, failure.error)
            return self._oauth_error(failure, 400)
        self._log(request, "authorize", 302, "ok", open_id=params.get("sandbox_user"))
        return RedirectResponse(location, status_code=302)

    def _oauth_error(self, failure: OAuthFailure, status: int) -> JSONResponse:
        log_id = self.sandbox.new_log_id()
        return JSONResponse(
            {"error": failure.error, "error_description": failure.description, "log_id": log_id},
            status_code=status,
            headers={"x-tt-logid": log_id},
        )

    async def _form(self, request: Request) -> dict[str, str]:
        """The urlencoded form (TikTok's token endpoints take nothing else: a JSON body reads
        as an empty form and fails ``invalid_request``)."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if content_type != "application/x-www-form-urlencoded":
            return {}
        try:
            pairs = parse_qsl(raw.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
        return dict(pairs)

    def oauth_form(self, endpoint: str, call: Callable[[dict[str, str]], Any]) -> Endpoint:
        """The token or revoke endpoint: ``call(form)`` answered flat (``{}`` for None),
        an OAuthFailure as TikTok's OAuth error."""

        async def answer(request: Request) -> Response:
            form = await self._form(request)
            try:
                body = await run_in_threadpool(call, form)
            except OAuthFailure as failure:
                status = failure.http_status or self.sandbox.options.oauth_error_http_status
                self._log(request, endpoint, status, failure.error)
                return self._oauth_error(failure, status)
            open_id = body.get("open_id") if isinstance(body, dict) else None
            self._log(request, endpoint, 200, "ok", open_id=open_id)
            return JSONResponse(
                {} if body is None else body, headers={"x-tt-logid": self.sandbox.new_log_id()}
            )

        return answer

    # ------------------------------------------------------------------ data endpoints

    def data(self, endpoint: str, call: DataCall, *, with_body: bool = True) -> Endpoint:
        """The endpoint that answers ``call(request, authorization, body)`` in TikTok's
        ``{data, error}`` envelope."""

        async def answer(request: Request) -> Response:
            return await self._data(
                request,
                endpoint,
                lambda authorization, body: call(request, authorization, body),
                with_body=with_body,
            )

        return answer

    async def upload_chunk(self, request: Request) -> Response:
        body = await request.body()
        status, content_range, code, message = await run_in_threadpool(
            lambda: self.sandbox.upload_chunk(
                upload_id=request.query_params.get("upload_id", ""),
                upload_token=request.query_params.get("upload_token", ""),
                content_type=request.headers.get("content-type"),
                content_range=request.headers.get("content-range"),
                content_length=request.headers.get("content-length"),
                body=body,
            )
        )
        open_id, publish_id = await run_in_threadpool(
            self.sandbox.upload_owner, request.query_params.get("upload_id", "")
        )
        self._log(request, "upload_chunk", status, code, open_id=open_id, publish_id=publish_id)
        headers = {"Content-Range": content_range} if content_range else {}
        if status in (201, 206):
            return Response(status_code=status, headers=headers)
        log_id = self.sandbox.new_log_id()
        return JSONResponse(
            {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}},
            status_code=status,
            headers={**headers, "x-tt-logid": log_id},
        )

    def admin_call(
        self, method: str, parts: list[str], query: Mapping[str, str], body: dict[str, Any]
    ) -> AdminCall | None:
        return admin_call(self.sandbox, method, parts, query, body)


class _BadJson:
    """Marker for a body that is not JSON."""


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "internal_error")
    return JSONResponse(
        {"data": {}, "error": {"code": code, "message": f"{request.method} {request.url.path}"}},
        status_code=status,
    )


def create_app(sandbox: TikTokSandbox | None = None) -> Starlette:
    """The sandbox as an ASGI app. Its lifespan starts the ticker (time-based states,
    webhooks) and stops the sandbox's background threads on shutdown."""
    sb = sandbox or TikTokSandbox()
    api = _Api(sb)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        sb.start()
        try:
            yield
        finally:
            await run_in_threadpool(sb.close)

    def base_url(request: Request) -> str:
        return str(request.base_url)

    publish = "/v2/post/publish"
    data_routes: list[tuple[str, str, DataCall]] = [
        (f"{publish}/creator_info/query/", "creator_info", lambda r, a, b: sb.creator_info(a)),
        (f"{publish}/content/init/", "content_init", lambda r, a, b: sb.content_init(a, b)),
        (
            f"{publish}/video/init/",
            "video_init",
            lambda r, a, b: sb.video_init(a, b, base_url(r)),
        ),
        (
            f"{publish}/inbox/video/init/",
            "inbox_video_init",
            lambda r, a, b: sb.inbox_video_init(a, b, base_url(r)),
        ),
        (f"{publish}/status/fetch/", "status_fetch", lambda r, a, b: sb.status_fetch(a, b)),
        (f"{publish}/cancel/", "cancel", lambda r, a, b: sb.cancel(a, b)),
        (
            "/v2/video/list/",
            "video_list",
            lambda r, a, b: sb.video_list(a, r.query_params.get("fields"), b),
        ),
        (
            "/v2/video/query/",
            "video_query",
            lambda r, a, b: sb.video_query(a, r.query_params.get("fields"), b),
        ),
    ]
    user_info = api.data(
        "user_info",
        lambda r, a, _b: sb.user_info(a, r.query_params.get("fields")),
        with_body=False,
    )
    routes = [
        Route("/v2/auth/authorize/", api.authorize, methods=["GET"]),
        Route("/v2/oauth/token/", api.oauth_form("oauth_token", sb.oauth_token), methods=["POST"]),
        Route(
            "/v2/oauth/revoke/", api.oauth_form("oauth_revoke", sb.oauth_revoke), methods=["POST"]
        ),
        Route("/v2/user/info/", user_info, methods=["GET"]),
        *(Route(path, api.data(name, call), methods=["POST"]) for path, name, call in data_routes),
        Route("/video/", api.upload_chunk, methods=["PUT"]),
        Route(ADMIN + "/{rest:path}", admin_endpoint(api.admin_call), methods=ADMIN_METHODS),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.router.redirect_slashes = False
    app.state.sandbox = sb
    return app
