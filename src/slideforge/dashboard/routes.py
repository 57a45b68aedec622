"""The dashboard's routes, mounted by ``create_app``: the pages, their static files, and the
HTML answers for errors under /app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from slideforge.dashboard import (
    accounts,
    analytics,
    calendar,
    copy,
    library,
    signin,
    slideshows,
)
from slideforge.dashboard.web import (
    PREFIX,
    STATIC_DIR,
    DashboardHeaders,
    SignInRequired,
    dashboard_error_shape,
    redirect,
    sign_in_url,
)
from slideforge.kit.envelope import register_error_shape


def mount_dashboard(app: FastAPI, media_base_url: str) -> None:
    for feature in (signin, calendar, slideshows, library, copy, accounts, analytics):
        app.include_router(feature.router)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    register_error_shape(PREFIX, dashboard_error_shape)

    @app.exception_handler(SignInRequired)
    async def _sign_in_first(request: Request, exc: SignInRequired) -> Response:
        return redirect(sign_in_url(exc.next_path), request)

    app.add_middleware(DashboardHeaders, media_base_url=media_base_url)
