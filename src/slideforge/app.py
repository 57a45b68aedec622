"""create_app(runtime): routers, error handlers, body guards and media serving."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from slideforge import __version__
from slideforge.auth.ratelimit import RateLimiter
from slideforge.dashboard.routes import mount_dashboard
from slideforge.dashboard.web import PREFIX as DASHBOARD_PREFIX
from slideforge.kit.envelope import ERROR_RESPONSES, BodyGuard, install_error_handlers
from slideforge.runtime import Runtime

API_PREFIX = "/api/partner/v1"
UPLOAD_PREFIX = "/uploads/"


class StripTrailingSlash:
    """``/packs/`` is served as ``/packs`` (rewritten, never redirected: clients do not
    follow redirects)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "")
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope)
                scope["path"] = path.rstrip("/") or "/"
                scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


def api_router() -> APIRouter:
    from slideforge.accounts.endpoints import router as accounts
    from slideforge.analytics.endpoints import router as analytics
    from slideforge.billing.endpoints import router as billing
    from slideforge.copy_tiktok.endpoints import router as copy_tiktok
    from slideforge.files.endpoints import router as files
    from slideforge.folders.endpoints import router as folders
    from slideforge.packs.endpoints import router as packs
    from slideforge.posts.endpoints import router as posts
    from slideforge.products.endpoints import router as products
    from slideforge.slideshows.endpoints import router as slideshows
    from slideforge.studio.endpoints import router as studio
    from slideforge.templates.endpoints import router as templates
    from slideforge.webhooks.endpoints import router as webhooks

    router = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    features = [accounts, files, packs, products, billing, posts]
    # copy_tiktok before slideshows: /slideshows/copy-tiktok/… is not a slideshow id
    features += [copy_tiktok, slideshows, templates]
    features += [folders, webhooks, analytics, studio]
    for feature in features:
        router.include_router(feature)
    return router


def mount_mcp(app: FastAPI, runtime: Runtime) -> None:
    """The MCP server at ``/mcp`` (Streamable HTTP): its tools call this app in-process."""
    from slideforge.mcp_server.http import McpEndpoint
    from slideforge.mcp_server.server import build_server

    endpoint = McpEndpoint(build_server(app, runtime), runtime)
    app.router.add_route("/mcp", endpoint, include_in_schema=False)  # type: ignore[arg-type]


def create_app(runtime: Runtime) -> FastAPI:
    settings = runtime.settings
    app = FastAPI(
        title="slideforge",
        version=__version__,
        description=(
            "Self-hostable slideshow marketing engine. The API under /api/partner/v1 is a "
            "drop-in for the Genviral Partner API v1: every response is the envelope "
            "{ok, code, message, data?, error_code?}. Authenticate with "
            "`Authorization: Bearer <public_id.secret>`."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    install_error_handlers(app)

    from slideforge.accounts.endpoints import callback_router
    from slideforge.compat.ayrshare.endpoints import router as ayrshare
    from slideforge.compat.ugc import router as ugc
    from slideforge.files.endpoints import media_router, upload_router

    app.include_router(api_router())
    app.include_router(ugc)
    app.include_router(ayrshare)
    app.include_router(callback_router, responses=ERROR_RESPONSES)
    app.include_router(upload_router)
    app.include_router(media_router)
    mount_mcp(app, runtime)
    mount_dashboard(app, settings.resolved_media_base_url)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse(
            {"ok": True, "code": 200, "message": "OK", "data": {"version": __version__}}
        )

    @app.get("/", include_in_schema=False, response_model=None)
    def root(request: Request) -> dict[str, Any] | RedirectResponse:
        """Browsers go to the dashboard; scripts get where the API is."""
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(DASHBOARD_PREFIX + "/calendar", status_code=303)
        return {
            "ok": True,
            "code": 200,
            "message": "slideforge",
            "data": {"api": API_PREFIX, "docs": "/docs", "openapi": "/openapi.json"},
        }

    app.add_middleware(
        BodyGuard,
        json_limit=settings.max_json_body_bytes,
        json_depth=settings.max_json_depth,
        large_body_prefixes=(UPLOAD_PREFIX,),
        large_limit=max(settings.max_video_upload_bytes, settings.max_image_upload_bytes),
    )
    app.add_middleware(StripTrailingSlash)
    return app
