"""HTTP of /subscription and /credits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.billing import service
from slideforge.billing.schemas import Ledger, SubscriptionView
from slideforge.kit.envelope import Envelope, respond
from slideforge.kit.pagination import Page, page_params

router = APIRouter(tags=["billing"])
PageDep = Annotated[Page, Depends(page_params(50))]


@router.get("/subscription", response_model=Envelope[SubscriptionView])
def get_subscription(caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """Self-hosted: always active; credits are the month's allowance and its use."""
    view = service.subscription(
        session, caller, runtime.clock.now(), runtime.settings.credit_allowance
    )
    return respond(view)


@router.get("/credits", response_model=Envelope[Ledger])
def get_ledger(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep
) -> JSONResponse:
    """The credit ledger, newest first: grants, charges and refunds."""
    result = service.ledger(
        session,
        caller,
        runtime.clock.now(),
        runtime.settings.credit_allowance,
        limit=page.limit,
        offset=page.offset,
    )
    return respond(result)
