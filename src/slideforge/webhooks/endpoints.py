"""HTTP of /webhooks."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import Deleted, Envelope, respond
from slideforge.kit.pagination import PageDep
from slideforge.webhooks import service
from slideforge.webhooks.schemas import (
    DeliveryList,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks", status_code=201, response_model=Envelope[WebhookCreated])
def create_webhook(
    body: WebhookCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Register a receiver. The answer carries its signing secret, shown this once."""
    created = service.create_webhook(session, runtime, caller, body)
    return respond(created, "Webhook created", 201)


@router.get("/webhooks", response_model=Envelope[WebhookList])
def list_webhooks(caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.list_webhooks(session, caller))


@router.get("/webhooks/{webhook_id}", response_model=Envelope[WebhookOut])
def get_webhook(webhook_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(service.get_webhook(session, caller, webhook_id))


@router.delete("/webhooks/{webhook_id}", response_model=Envelope[Deleted])
def delete_webhook(webhook_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """Delete a receiver; its pending deliveries stop."""
    return respond(service.delete_webhook(session, caller, webhook_id), "Webhook deleted")


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Envelope[DeliveryList])
def list_deliveries(
    webhook_id: str, caller: CallerDep, session: SessionDep, page: PageDep
) -> JSONResponse:
    """Newest first: each event, its status and every attempt."""
    result = service.list_deliveries(
        session, caller, webhook_id, limit=page.limit, offset=page.offset
    )
    return respond(result)
