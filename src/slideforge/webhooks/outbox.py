"""The outbox: an event becomes one ``webhook_delivery`` row per subscribed endpoint, written
in the transaction of the change it reports (so it exists exactly when the change does).
After that transaction commits, a delivery workflow is enqueued for each new row
(``jobs.deliver_webhook``); if the process dies between the commit and the enqueue, or runs
no workers (a CLI command), the sweep (``webhooks.workflows``) finds the row still pending and
enqueues it. Workflow ids make both enqueues one workflow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge import jobs
from slideforge.kit.clock import isoformat
from slideforge.kit.ids import new_id
from slideforge.kit.pagination import oldest_first
from slideforge.models import WebhookDelivery, WebhookEndpoint
from slideforge.webhooks.formats import AYRSHARE, ayrshare_body


def emit(
    session: Session,
    workspace_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
    *,
    at: datetime,
    dedupe_key: str | None = None,
) -> int:
    """Queue ``event_type`` for every endpoint of the workspace that subscribes to it (and,
    with ``dedupe_key``, has not had a delivery with that key). Returns how many rows. An
    endpoint with another body format (``webhooks.formats``) gets that vendor's body, or
    nothing when the vendor has no such webhook."""
    endpoints = [
        e
        for e in session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == workspace_id)
            .order_by(*oldest_first(WebhookEndpoint))
        )
        if event_type in (e.events or [])
    ]
    if dedupe_key is not None and endpoints:
        done = set(
            session.scalars(
                sa.select(WebhookDelivery.endpoint_id).where(
                    WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]),
                    WebhookDelivery.dedupe_key == dedupe_key,
                )
            )
        )
        endpoints = [e for e in endpoints if e.id not in done]
    if not endpoints:
        return 0
    ours = {"type": event_type, "timestamp": isoformat(at), "data": data}
    count = 0
    for endpoint in endpoints:
        payload: dict[str, Any] | None = ours
        if endpoint.body_format == AYRSHARE:
            payload = ayrshare_body(
                event_type, data, at, url=endpoint.url, hook_id=str(endpoint.id)
            )
        if payload is None:
            continue
        row = WebhookDelivery(
            id=new_id(),
            workspace_id=workspace_id,
            endpoint_id=endpoint.id,
            event_type=event_type,
            payload=payload,
            dedupe_key=dedupe_key,
            status="pending",
            attempt_count=0,
            attempts=[],
            next_attempt_at=at,
            created_at=at,
        )
        session.add(row)
        jobs.deliver_webhook.after_commit(session, str(row.id), 1)
        count += 1
    return count
