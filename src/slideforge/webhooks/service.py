"""Rules of /webhooks: endpoints (workspace-scoped; the signing secret is stored encrypted and
shown once) and their deliveries."""

from __future__ import annotations

import base64
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.kit.clock import isoformat
from slideforge.kit.envelope import Deleted
from slideforge.kit.errors import ApiError
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import newest_first, oldest_first
from slideforge.kit.safehttp import UnsafeUrlError, check_url
from slideforge.models import WebhookDelivery, WebhookEndpoint
from slideforge.runtime import Runtime
from slideforge.webhooks.events import EVENT_TYPES, summary
from slideforge.webhooks.formats import SLIDEFORGE
from slideforge.webhooks.schemas import (
    DeliveryAttempt,
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
)

MAX_ENDPOINTS = 20
SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_out(row: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        url=row.url,
        description=row.description,
        events=list(row.events or []),
        created_at=isoformat(row.created_at),
        updated_at=isoformat(row.updated_at),
    )


def check_webhook_url(runtime: Runtime, raw: str) -> str:
    """The URL rules SafeHttp applies, checked at creation: http(s), a host, no credentials,
    no literal private/loopback/link-local address (names are checked when each delivery
    resolves them)."""
    url = raw.strip()
    try:
        check_url(url)
    except UnsafeUrlError as exc:
        raise ApiError(
            "invalid_webhook_url",
            f"url: {exc}; send the http(s) URL of your receiver, e.g. "
            "https://example.com/slideforge/webhooks",
            422,
        ) from exc
    try:
        runtime.http.policy.check_literal(url)
    except UnsafeUrlError as exc:
        raise ApiError(
            "webhook_url_not_public",
            f"url: {exc}; webhooks are only sent to public addresses: use a public host name "
            "or address",
            422,
        ) from exc
    return url


def _events(requested: list[str] | None) -> list[str]:
    if requested is None:
        return list(EVENT_TYPES)
    unknown = [e for e in requested if e not in EVENT_TYPES]
    if unknown:
        raise ApiError(
            "unknown_webhook_event",
            f"events: unknown event type {unknown[0]!r}; use any of {', '.join(EVENT_TYPES)} "
            "(or leave events out to receive them all)",
            422,
            data={"errors": [{"field": "events", "message": f"unknown event {unknown[0]!r}"}]},
        )
    return [e for e in EVENT_TYPES if e in requested]


def create_webhook(
    session: Session, runtime: Runtime, caller: Caller, body: WebhookCreate
) -> WebhookCreated:
    url = check_webhook_url(runtime, body.url)
    events = _events(body.events)
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.workspace_id == caller.workspace_id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise ApiError(
            "webhook_limit_reached",
            f"this workspace already has {MAX_ENDPOINTS} webhooks: delete one "
            "(DELETE /webhooks/{id}) before adding another",
            409,
        )
    secret = new_secret()
    now = runtime.clock.now()
    row = WebhookEndpoint(
        workspace_id=caller.workspace_id,
        url=url,
        description=body.description,
        events=events,
        secret_enc=runtime.secrets.encrypt(secret),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return WebhookCreated(**webhook_out(row).model_dump(), secret=secret)


def _get(session: Session, caller: Caller, webhook_id: object) -> WebhookEndpoint:
    parsed = parse_id(webhook_id)
    row = session.get(WebhookEndpoint, parsed) if parsed else None
    # Endpoints registered through a compatible API (another body format) are managed there.
    if row is None or row.workspace_id != caller.workspace_id or row.body_format != SLIDEFORGE:
        raise ApiError("webhook_not_found", f"webhook {webhook_id} not found", 404)
    return row


def list_webhooks(session: Session, caller: Caller) -> WebhookList:
    rows = list(
        session.scalars(
            sa.select(WebhookEndpoint)
            .where(
                WebhookEndpoint.workspace_id == caller.workspace_id,
                WebhookEndpoint.body_format == SLIDEFORGE,
            )
            .order_by(*oldest_first(WebhookEndpoint))
        )
    )
    return WebhookList(
        webhooks=[webhook_out(r) for r in rows], total=len(rows), event_types=list(EVENT_TYPES)
    )


def get_webhook(session: Session, caller: Caller, webhook_id: object) -> WebhookOut:
    return webhook_out(_get(session, caller, webhook_id))


def delete_webhook(session: Session, caller: Caller, webhook_id: object) -> Deleted:
    """Deletes the endpoint and its deliveries: pending ones stop at their next attempt
    (their workflow finds no row and ends)."""
    row = _get(session, caller, webhook_id)
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == row.id))
    session.delete(row)
    session.flush()
    return Deleted(id=row.id)


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        webhook_id=row.endpoint_id,
        type=row.event_type,
        summary=summary(row.payload or {}),
        payload=row.payload or {},
        status=row.status,
        attempt_count=row.attempt_count,
        attempts=[DeliveryAttempt(**a) for a in row.attempts or []],
        next_attempt_at=isoformat(row.next_attempt_at) if row.status == "pending" else None,
        delivered_at=isoformat(row.delivered_at),
        created_at=isoformat(row.created_at),
    )


def list_deliveries(
    session: Session, caller: Caller, webhook_id: object, *, limit: int, offset: int
) -> DeliveryList:
    """Newest first."""
    endpoint = _get(session, caller, webhook_id)
    where = (
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.workspace_id == caller.workspace_id,
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery).where(*where))
    rows = session.scalars(
        sa.select(WebhookDelivery)
        .where(*where)
        .order_by(*newest_first(WebhookDelivery))
        .limit(limit)
        .offset(offset)
    )
    return DeliveryList(
        deliveries=[delivery_out(r) for r in rows], total=total or 0, limit=limit, offset=offset
    )
