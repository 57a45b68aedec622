"""What every dashboard page shares: the templates, the signed-in caller of a page, the
security headers, HTML error pages and the CSRF check of forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slideforge import __version__
from slideforge.auth import browser
from slideforge.auth.deps import SessionDep, get_runtime
from slideforge.auth.service import Caller
from slideforge.kit.errors import ApiError
from slideforge.models import Workspace

PREFIX = "/app"
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["version"] = __version__
templates.globals["prefix"] = PREFIX
templates.globals["api"] = "/api/partner/v1"

# The pages' rules for the browser: our own scripts only (no inline script, no CDN), no
# framing (clickjacking), media from this server or the configured media origin.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def content_security_policy(media_origin: str) -> str:
    """Images may come from anywhere (pack images added by URL live on other sites; an image
    runs no code); scripts, styles, fetches and forms only from this server."""
    media = "'self' data: blob:" + (f" {media_origin}" if media_origin else "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src * data: blob:; media-src {media}; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _origin(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if sep else ""


class DashboardHeaders:
    """Adds the security headers to every answer under /app and to ``/``."""

    def __init__(self, app: ASGIApp, media_base_url: str) -> None:
        self.app = app
        self.csp = content_security_policy(_origin(media_base_url)).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/" or path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in names:
                        headers.append((name.lower().encode(), value.encode()))
                headers.append((b"content-security-policy", self.csp))
                if not path.startswith(PREFIX + "/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Page:
    """The signed-in caller of a page and what every template needs about it."""

    caller: Caller
    csrf_token: str
    workspace_name: str
    personal: bool


def _requested_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def get_page(request: Request, session: SessionDep) -> Page:
    runtime = get_runtime(request)
    cookie = request.cookies.get(browser.COOKIE, "")
    try:
        caller = browser.resolve(
            session,
            cookie,
            runtime.clock.now(),
            idle=timedelta(minutes=runtime.settings.dashboard_idle_minutes),
        )
    except ApiError:
        session.commit()  # an ended session is deleted
        raise SignInRequired(_requested_path(request)) from None
    name = session.scalar(sa.select(Workspace.name).where(Workspace.id == caller.workspace_id))
    session.commit()  # keep the page's own transaction short
    return Page(
        caller=caller,
        csrf_token=browser.csrf_token(runtime.secrets, cookie),
        workspace_name=name or "",
        personal=not caller.is_workspace_key,
    )


PageDep = Annotated[Page, Depends(get_page)]


async def check_form_csrf(request: Request, page: PageDep) -> Page:
    """For the dashboard's own POST forms: the hidden ``csrf_token`` field (or the header)."""
    runtime = get_runtime(request)
    sent = request.headers.get(browser.CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(browser.CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    browser.check_csrf(runtime.secrets, request.cookies.get(browser.COOKIE, ""), sent)
    return page


FormPageDep = Annotated[Page, Depends(check_form_csrf)]


def render(
    request: Request,
    template: str,
    page: Page | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A template (a page extends ``base.html``; a fragment for HTMX does not)."""
    html = templates.get_template(template).render(
        request=request,
        page=page,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def redirect(url: str, request: Request | None = None) -> Response:
    if request is not None and request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of the dashboard only (no open redirect)."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return PREFIX + "/calendar"


def sign_in_url(next_path: str) -> str:
    return f"{PREFIX}/sign-in?next={quote(next_path, safe='/')}"


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    """An error under /app as a page (the API's envelope is for scripts)."""
    return render(request, "error.html", None, status=status, message=message, status_code=status)


def dashboard_error_shape(
    request: Request,
    error_code: str,
    message: str,
    status: int,
    headers: dict[str, str] | None,
) -> Response:
    response = error_page(request, message, status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
