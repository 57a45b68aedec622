"""Signing in with an API key, and out."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from slideforge.auth import browser
from slideforge.auth.deps import RuntimeDep, SessionDep
from slideforge.dashboard.web import (
    PREFIX,
    FormPageDep,
    redirect,
    render,
    safe_next,
)
from slideforge.kit.crypto import random_token
from slideforge.kit.errors import ApiError

router = APIRouter(prefix=PREFIX, include_in_schema=False)

# The sign-in form's own CSRF pair (no session yet): a random cookie and its HMAC in the form,
# so another site cannot sign a browser in with the attacker's key (login CSRF).
SIGNIN_COOKIE = "sf_signin"


def _cookie_flags(runtime: RuntimeDep) -> dict[str, bool | str]:
    secure = runtime.settings.public_base_url.startswith("https://")
    return {"httponly": True, "secure": secure, "samesite": "lax"}


def _sign_in_form(
    request: Request, runtime: RuntimeDep, *, next_path: str, error: str = "", status: int = 200
) -> HTMLResponse:
    nonce = random_token(24)
    response = render(
        request,
        "sign_in.html",
        None,
        status=status,
        next=safe_next(next_path),
        error=error,
        form_token=runtime.secrets.sign("signin:" + nonce),
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        nonce,
        max_age=3600,
        path=PREFIX + "/sign-in",
        **_cookie_flags(runtime),  # type: ignore[arg-type]
    )
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, runtime: RuntimeDep, next: str = "") -> HTMLResponse:
    return _sign_in_form(request, runtime, next_path=next)


@router.post("/sign-in")
def sign_in(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    api_key: Annotated[str, Form(max_length=300)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    if not nonce or not runtime.secrets.verify("signin:" + nonce, form_token):
        return _sign_in_form(
            request,
            runtime,
            next_path=next,
            error="The sign-in form expired or was not sent from this page: try again.",
            status=403,
        )
    if not api_key.strip():
        return _sign_in_form(
            request, runtime, next_path=next, error="Paste an API key.", status=422
        )
    settings = runtime.settings
    # A session the browser already holds is ended, never reused (session fixation).
    browser.sign_out(session, request.cookies.get(browser.COOKIE, ""))
    try:
        token = browser.sign_in(
            session,
            api_key,
            runtime.clock.now(),
            lifetime=timedelta(hours=settings.dashboard_session_hours),
        )
    except ApiError:
        session.rollback()
        return _sign_in_form(
            request,
            runtime,
            next_path=next,
            error="This API key is unknown or revoked. Create one with "
            "`slideforge keys create --workspace NAME` and paste the whole <public_id>.<secret>.",
            status=401,
        )
    session.commit()
    response = redirect(safe_next(next))
    response.set_cookie(
        browser.COOKIE,
        token,
        max_age=settings.dashboard_session_hours * 3600,
        path="/",
        **_cookie_flags(runtime),  # type: ignore[arg-type]
    )
    response.delete_cookie(SIGNIN_COOKIE, path=PREFIX + "/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, page: FormPageDep, session: SessionDep) -> Response:
    browser.sign_out(session, request.cookies.get(browser.COOKIE, ""))
    session.commit()
    response = redirect(PREFIX + "/sign-in", request)
    response.delete_cookie(browser.COOKIE, path="/")
    return response


@router.get("")
def home() -> Response:
    return redirect(PREFIX + "/calendar")
