"""``create_app``: the TikTok web sandbox as an ASGI app (routes, request log, gzip)."""

from __future__ import annotations

import gzip
import re
import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_sandbox.common import ADMIN, ADMIN_METHODS
from platform_sandbox.tiktok_web.admin import admin_route
from platform_sandbox.tiktok_web.images import answer_image
from platform_sandbox.tiktok_web.pages import (
    answer_home,
    answer_login,
    answer_page,
    answer_short_link,
)
from platform_sandbox.tiktok_web.profiles import answer_item_list, answer_profile
from platform_sandbox.tiktok_web.records import Visit, WebReply, not_found
from platform_sandbox.tiktok_web.state import TikTokWebSandbox

_PAGE_PATH = re.compile(r"/@([^/]*)/(photo|video)/(\d{1,25})/?")
_PROFILE_PATH = re.compile(r"/@([^/]{1,64})/?")
_SHORT_CODE = re.compile(r"[A-Za-z0-9]{1,64}")
_GZIP_FROM = 1024  # bytes: smaller bodies go out as they are


def _respond(sandbox: TikTokWebSandbox, request: Request, reply: WebReply) -> Response:
    """Log ``reply`` and turn it into the HTTP response (gzip when allowed and accepted)."""
    sandbox.record(request, reply)
    headers = list(reply.headers)
    body = reply.body
    accepts_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    if reply.gzip_ok and accepts_gzip and len(body) >= _GZIP_FROM:
        body = gzip.compress(body, compresslevel=5)
        headers.append(("content-encoding", "gzip"))
        headers.append(("vary", "Accept-Encoding"))
    headers.append(("x-tt-logid", secrets.token_hex(16).upper()))
    response = Response(body, status_code=reply.status, media_type=reply.content_type)
    for name, value in headers:
        response.headers.append(name, value)
    return response


def _visit(sandbox: TikTokWebSandbox, request: Request) -> Visit:
    """The request's visitor; image URLs point at the configured public base URL, else at
    the URL this request reached."""
    with sandbox.lock:
        configured = sandbox.config.public_base_url
    return Visit(
        cookies=dict(request.cookies),
        base=(configured or str(request.base_url)).rstrip("/"),
        secure=request.url.scheme == "https",
        user_agent=request.headers.get("user-agent", ""),
    )


def create_app(sandbox: TikTokWebSandbox | None = None) -> Starlette:
    """The TikTok web sandbox as an ASGI app; ``app.state.sandbox`` is its state. The admin
    API under ``/__sandbox/`` is described in ``admin.py``."""
    state = sandbox or TikTokWebSandbox()

    async def page(request: Request) -> Response:
        match = _PAGE_PATH.fullmatch(request.url.path)
        if match is None:
            handle = _PROFILE_PATH.fullmatch(request.url.path)
            if handle is not None:
                reply = answer_profile(state, handle.group(1), _visit(state, request))
                return _respond(state, request, reply)
            return _respond(state, request, not_found("other"))
        user, kind, post_id = match.groups()
        reply = answer_page(state, user, post_id, kind == "photo", _visit(state, request))
        return _respond(state, request, reply)

    async def short_link(request: Request) -> Response:
        code = str(request.path_params["code"]).strip("/")
        if not _SHORT_CODE.fullmatch(code):
            return _respond(state, request, not_found("other"))
        return _respond(state, request, answer_short_link(state, code))

    async def image(request: Request) -> Response:
        reply = answer_image(
            state,
            str(request.path_params["mirror"]),
            str(request.path_params["bucket"]),
            str(request.path_params["name"]),
            dict(request.query_params),
            dict(request.cookies),
        )
        return _respond(state, request, reply)

    async def item_list(request: Request) -> Response:
        query = dict(request.query_params)
        return _respond(state, request, answer_item_list(state, query, _visit(state, request)))

    async def home(request: Request) -> Response:
        return _respond(state, request, answer_home(state, _visit(state, request)))

    async def login(request: Request) -> Response:
        return _respond(state, request, answer_login())

    get = ["GET", "HEAD"]
    routes = [
        Route(ADMIN + "/{rest:path}", admin_route(state), methods=ADMIN_METHODS),
        Route("/", home, methods=get),
        Route("/login", login, methods=get),
        Route("/t/{code:path}", short_link, methods=get),
        Route("/vm/{code:path}", short_link, methods=get),
        Route("/vt/{code:path}", short_link, methods=get),
        Route("/cdn/{mirror}/{bucket}/{name}", image, methods=get),
        Route("/api/post/item_list/", item_list, methods=get),
        Route("/api/post/item_list", item_list, methods=get),
        Route("/{rest:path}", page, methods=get),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app
