"""HTTP of /accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from slideforge.accounts import oauth, service
from slideforge.accounts.capabilities import PLATFORMS
from slideforge.accounts.schemas import (
    AccountList,
    AccountOut,
    AccountUpdate,
    Connected,
    ConnectRequest,
    ConnectStart,
)
from slideforge.accounts.service import STATUSES
from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Envelope, respond
from slideforge.kit.errors import ApiError
from slideforge.kit.pagination import comma_list_pattern

router = APIRouter(tags=["accounts"])
callback_router = APIRouter(tags=["accounts"])


@router.get("/accounts", response_model=Envelope[AccountList])
def list_accounts(
    caller: CallerDep,
    session: SessionDep,
    status: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=comma_list_pattern("all", *STATUSES),
            description="Comma list of statuses, or all (default: active).",
        ),
    ] = None,
    platform: Annotated[
        str | None,
        Query(max_length=100, pattern=comma_list_pattern(*PLATFORMS)),
    ] = None,
    tag: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    """The workspace's active accounts (``status=all`` for every state)."""
    return respond(
        service.list_accounts(session, caller, status=status, platform=platform, tag=tag)
    )


@router.get("/accounts/{account_id}", response_model=Envelope[AccountOut])
def get_account(account_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.account_out(service.get_account(session, caller, account_id)))


@router.patch("/accounts/{account_id}", response_model=Envelope[AccountOut])
def update_account(
    account_id: str, body: AccountUpdate, caller: CallerDep, session: SessionDep
) -> JSONResponse:
    """Change tags, user/org group, posting policy (partial; ``null`` resets to the
    platform defaults), display name, or pause/resume."""
    return respond(service.update_account(session, caller, account_id, body), "Account updated")


@router.post("/accounts/connect", response_model=Envelope[ConnectStart])
def connect_account(
    body: ConnectRequest, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Start connecting an account: open ``authorize_url`` in a browser; the platform sends
    the user back to ``redirect_uri`` (this server), which creates or reconnects the
    account. The link is bound to this workspace, single-use, and expires in 15 minutes."""
    options = body.model_dump(exclude_none=True, exclude={"platform"})
    return respond(oauth.start_connect(session, runtime, caller, body.platform, options))


@callback_router.get(
    "/oauth/{platform}/callback",
    response_model=Envelope[Connected],
    responses={
        303: {
            "description": "A connect started with return_to: back to that dashboard page, "
            "with ?connect=<id> (the outcome, success or refusal, is shown there)."
        }
    },
)
def oauth_callback(
    platform: str,
    session: SessionDep,
    runtime: RuntimeDep,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Where the platform sends the user back after authorising (no API key: the state
    identifies the workspace)."""
    back = oauth.dashboard_return(session, platform, state)
    try:
        account, existed = oauth.finish_connect(
            session,
            runtime,
            platform,
            code=code,
            state=state,
            error=error,
            error_description=error_description,
        )
    except ApiError as exc:
        if back is None:
            raise
        session.rollback()
        oauth.record_outcome(session, back[0], ok=False, message=exc.message)
        return RedirectResponse(oauth.return_url(runtime, back[1], back[0]), status_code=303)
    message = "Account reconnected" if existed else "Account connected"
    if back is not None:
        oauth.record_outcome(
            session,
            back[0],
            ok=True,
            message=f"{message}: {platform} @{account.username}",
            account_id=account.id,
        )
        return RedirectResponse(oauth.return_url(runtime, back[1], back[0]), status_code=303)
    return respond(Connected(account=account, reconnected=existed), message)
