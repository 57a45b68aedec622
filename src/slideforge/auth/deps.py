"""FastAPI dependencies: the database session of a request and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from slideforge.auth import browser
from slideforge.auth.ratelimit import retry_after_header
from slideforge.auth.service import Caller, authenticate
from slideforge.kit.errors import ApiError
from slideforge.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request, committed when the endpoint returned and before the
    response is sent (``Depends(scope="function")``), so the work a service registered with
    ``kit.db.on_commit`` (enqueues, cancels, file deletions) is done by then too."""
    with get_runtime(request).db.session() as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_caller(request: Request, session: SessionDep) -> Caller:
    """The key of ``Authorization: Bearer``; without that header, the dashboard's session
    cookie (whose changes must carry the page's CSRF token)."""
    runtime = get_runtime(request)
    authorization = request.headers.get("authorization")
    cookie = request.cookies.get(browser.COOKIE)
    if not authorization and cookie:
        caller = cookie_caller(request, session, cookie)
    else:
        caller = authenticate(session, authorization, runtime.clock.now())
    wait = request.app.state.rate_limiter.take(str(caller.key_id))
    if wait > 0:
        raise ApiError(
            "rate_limited",
            f"Too many requests for this API key; retry in {retry_after_header(wait)} s.",
            429,
            headers={"Retry-After": retry_after_header(wait)},
        )
    # The caller's own transaction stays short: commit the last_used_at write now.
    session.commit()
    return caller


def cookie_caller(request: Request, session: Session, cookie: str) -> Caller:
    runtime = get_runtime(request)
    settings = runtime.settings
    caller = browser.resolve(
        session,
        cookie,
        runtime.clock.now(),
        idle=timedelta(minutes=settings.dashboard_idle_minutes),
    )
    if request.method not in browser.SAFE_METHODS:
        browser.check_csrf(runtime.secrets, cookie, request.headers.get(browser.CSRF_HEADER))
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
