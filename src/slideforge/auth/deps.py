"""FastAPI dependencies: the database session of a request and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

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
    runtime = get_runtime(request)
    caller = authenticate(session, request.headers.get("authorization"), runtime.clock.now())
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


CallerDep = Annotated[Caller, Depends(get_caller)]
