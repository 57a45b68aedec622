"""The HTTP face of the TikTok sandbox: TikTok's own paths plus the ``/__sandbox/`` admin
API. Handlers parse, call ``TikTokSandbox`` in a worker thread (its calls may block on the
lock or on a media pull) and shape the response."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from platform_sandbox.common import SandboxError, iso, then
from platform_sandbox.tiktok_api.records import ApiFailure, OAuthFailure
from platform_sandbox.tiktok_api.state import TikTokSandbox
from slideforge.kit.clock import parse_timestamp

ADMIN = "/__sandbox"


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

    async def token(self, request: Request) -> Response:
        form = await self._form(request)
        try:
            body = await run_in_threadpool(self.sandbox.oauth_token, form)
        except OAuthFailure as failure:
            status = failure.http_status or self.sandbox.options.oauth_error_http_status
            self._log(request, "oauth_token", status, failure.error)
            return self._oauth_error(failure, status)
        self._log(request, "oauth_token", 200, "ok", open_id=body["open_id"])
        return JSONResponse(body, headers={"x-tt-logid": self.sandbox.new_log_id()})

    async def revoke(self, request: Request) -> Response:
        form = await self._form(request)
        try:
            await run_in_threadpool(self.sandbox.oauth_revoke, form)
        except OAuthFailure as failure:
            status = failure.http_status or self.sandbox.options.oauth_error_http_status
            self._log(request, "oauth_revoke", status, failure.error)
            return self._oauth_error(failure, status)
        self._log(request, "oauth_revoke", 200, "ok")
        return JSONResponse({}, headers={"x-tt-logid": self.sandbox.new_log_id()})

    # ------------------------------------------------------------------ data endpoints

    async def user_info(self, request: Request) -> Response:
        fields = request.query_params.get("fields")
        return await self._data(
            request,
            "user_info",
            lambda auth, _body: self.sandbox.user_info(auth, fields),
            with_body=False,
        )

    async def creator_info(self, request: Request) -> Response:
        return await self._data(
            request, "creator_info", lambda auth, _body: self.sandbox.creator_info(auth)
        )

    async def content_init(self, request: Request) -> Response:
        return await self._data(request, "content_init", self.sandbox.content_init)

    async def video_init(self, request: Request) -> Response:
        base = str(request.base_url)
        return await self._data(
            request,
            "video_init",
            lambda auth, body: self.sandbox.video_init(auth, body, base),
        )

    async def inbox_video_init(self, request: Request) -> Response:
        base = str(request.base_url)
        return await self._data(
            request,
            "inbox_video_init",
            lambda auth, body: self.sandbox.inbox_video_init(auth, body, base),
        )

    async def status_fetch(self, request: Request) -> Response:
        return await self._data(request, "status_fetch", self.sandbox.status_fetch)

    async def video_list(self, request: Request) -> Response:
        fields = request.query_params.get("fields")
        return await self._data(
            request,
            "video_list",
            lambda auth, body: self.sandbox.video_list(auth, fields, body),
        )

    async def cancel(self, request: Request) -> Response:
        return await self._data(request, "cancel", self.sandbox.cancel)

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

    # ------------------------------------------------------------------ admin

    async def _admin(self, call: Callable[[], Any], status: int = 200) -> Response:
        try:
            result = await run_in_threadpool(call)
        except SandboxError as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, exc.status)
        return JSONResponse(_jsonable(result), status_code=status)

    async def _admin_body(self, request: Request) -> dict[str, Any]:
        body = await self._json_body(request)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise SandboxError("the body must be a JSON object")
        return body

    async def admin(self, request: Request) -> Response:
        """Dispatch every ``/__sandbox/…`` route (one function keeps the table readable)."""
        path = request.url.path[len(ADMIN) :].strip("/")
        parts = path.split("/") if path else []
        method = request.method
        query = request.query_params
        sb = self.sandbox
        try:
            body = await self._admin_body(request) if method in ("POST", "PATCH", "PUT") else {}
        except SandboxError as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, exc.status)

        match (method, parts):
            case ("GET", ["state"]):
                return await self._admin(sb.summary)
            case ("POST", ["reset"]):
                keep = bool(body.get("keep_config", True))
                return await self._admin(then(lambda: sb.reset(keep_config=keep), {"reset": True}))
            case ("GET", ["app"]):
                return await self._admin(lambda: sb.app)
            case ("PATCH", ["app"]):
                return await self._admin(lambda: sb.update_app(**body))
            case ("GET", ["options"]):
                return await self._admin(lambda: sb.options)
            case ("PATCH", ["options"]):
                return await self._admin(lambda: sb.update_options(**body))
            case ("GET", ["users"]):
                return await self._admin(sb.users)
            case ("POST", ["users"]):
                return await self._admin(lambda: sb.add_user(**body), 201)
            case ("GET", ["users", open_id]):
                return await self._admin(lambda: sb.get_user(open_id))
            case ("PATCH", ["users", open_id]):
                return await self._admin(lambda: sb.update_user(open_id, **body))
            case ("POST", ["users", open_id, "revoke"]):
                fail = bool(body.get("fail_in_flight", True))
                return await self._admin(
                    lambda: {
                        "revoked_grants": sb.revoke_authorization(open_id, fail_in_flight=fail)
                    }
                )
            case ("POST", ["users", open_id, "expire_tokens"]):
                return await self._admin(
                    lambda: {"expired_tokens": sb.expire_access_tokens(open_id)}
                )
            case ("POST", ["users", open_id, "external_posts"]):
                count = body.get("count", 1)
                if not isinstance(count, int) or count < 1:
                    return JSONResponse({"error": "bad_request", "message": "count >= 1"}, 400)
                return await self._admin(
                    then(lambda: sb.record_external_posts(open_id, count), {"recorded": count})
                )
            case ("POST", ["tokens"]):
                owner = body.get("open_id")
                if not isinstance(owner, str):
                    return JSONResponse({"error": "bad_request", "message": "open_id needed"}, 400)
                scopes = body.get("scopes")
                return await self._admin(lambda: sb.issue_tokens(owner, scopes), 201)
            case ("GET", ["failures"]):
                return await self._admin(sb.failures)
            case ("POST", ["failures"]):
                return await self._admin(lambda: sb.add_failure(**body), 201)
            case ("DELETE", ["failures"]):
                return await self._admin(then(sb.clear_failures, {"cleared": True}))
            case ("GET", ["clock"]):
                return await self._admin(lambda: {"now": sb.now(), "manual": sb.manual_clock})
            case ("POST", ["clock", "advance"]):
                seconds = body.get("seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    return JSONResponse({"error": "bad_request", "message": "seconds needed"}, 400)
                return await self._admin(lambda: {"now": sb.advance_clock(float(seconds))})
            case ("POST", ["clock", "set"]):
                try:
                    when = parse_timestamp(str(body.get("now", "")))
                except ValueError as exc:
                    return JSONResponse({"error": "bad_request", "message": str(exc)}, 400)
                return await self._admin(lambda: {"now": sb.set_clock(when)})
            case ("POST", ["tick"]):
                return await self._admin(lambda: {"now": sb.tick()})
            case ("GET", ["publishes"]):
                return await self._admin(
                    lambda: sb.publishes(open_id=query.get("open_id"), status=query.get("status"))
                )
            case ("GET", ["publishes", publish_id]):
                return await self._admin(lambda: sb.get_publish(publish_id))
            case ("POST", ["publishes", publish_id, "publish_draft"]):
                return await self._admin(
                    lambda: sb.publish_draft(
                        publish_id,
                        privacy_level=body.get("privacy_level", "PUBLIC_TO_EVERYONE"),
                        title=body.get("title"),
                        description=body.get("description"),
                    )
                )
            case ("POST", ["publishes", publish_id, "discard_draft"]):
                return await self._admin(lambda: sb.discard_draft(publish_id))
            case ("GET", ["posts"]):
                return await self._admin(lambda: sb.posts(open_id=query.get("open_id")))
            case ("GET", ["posts", "duplicates"]):
                return await self._admin(sb.duplicate_posts)
            case ("GET", ["requests"]):
                return await self._admin(
                    lambda: sb.requests_log(
                        endpoint=query.get("endpoint"), open_id=query.get("open_id")
                    )
                )
            case ("GET", ["webhooks"]):
                return await self._admin(sb.webhook_deliveries)
        return JSONResponse(
            {"error": "not_found", "message": f"no admin route {method} /{path}"}, 404
        )


class _BadJson:
    """Marker for a body that is not JSON."""


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return iso(value.timestamp())
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


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
    sandbox = sandbox or TikTokSandbox()
    api = _Api(sandbox)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        sandbox.start()
        try:
            yield
        finally:
            await run_in_threadpool(sandbox.close)

    admin_methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    routes = [
        Route("/v2/auth/authorize/", api.authorize, methods=["GET"]),
        Route("/v2/oauth/token/", api.token, methods=["POST"]),
        Route("/v2/oauth/revoke/", api.revoke, methods=["POST"]),
        Route("/v2/user/info/", api.user_info, methods=["GET"]),
        Route("/v2/post/publish/creator_info/query/", api.creator_info, methods=["POST"]),
        Route("/v2/post/publish/content/init/", api.content_init, methods=["POST"]),
        Route("/v2/post/publish/video/init/", api.video_init, methods=["POST"]),
        Route("/v2/post/publish/inbox/video/init/", api.inbox_video_init, methods=["POST"]),
        Route("/v2/post/publish/status/fetch/", api.status_fetch, methods=["POST"]),
        Route("/v2/post/publish/cancel/", api.cancel, methods=["POST"]),
        Route("/v2/video/list/", api.video_list, methods=["POST"]),
        Route("/video/", api.upload_chunk, methods=["PUT"]),
        Route(ADMIN + "/{rest:path}", api.admin, methods=admin_methods),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.router.redirect_slashes = False
    app.state.sandbox = sandbox
    return app
