"""The outbox: an event becomes one ``webhook_delivery`` row per subscribed endpoint, written
in the transaction of the change it reports (so it exists exactly when the change does).
After that transaction commits, a delivery workflow is enqueued for each new row; if the
process dies between the commit and the enqueue, the sweep (``webhooks.workflows``) finds the
row still pending and enqueues it. Workflow ids make both enqueues one workflow."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from slideforge.kit.clock import isoformat
from slideforge.kit.ids import new_id
from slideforge.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

_PENDING = "slideforge.webhook_outbox"


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
    with ``dedupe_key``, has not had a delivery with that key). Returns how many rows."""
    endpoints = [
        e
        for e in session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == workspace_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
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
    payload = {"type": event_type, "timestamp": isoformat(at), "data": data}
    ids: list[str] = []
    for endpoint in endpoints:
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
        ids.append(str(row.id))
    _after_commit(session).extend(ids)
    return len(ids)


def _after_commit(session: Session) -> list[str]:
    """The delivery ids this session's transaction created (enqueued once it commits)."""
    pending: list[str] | None = session.info.get(_PENDING)
    if pending is None:
        pending = []
        session.info[_PENDING] = pending
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)
    return pending


def _committed(session: Session) -> None:
    ids: list[str] = session.info.get(_PENDING) or []
    if not ids:
        return
    taken = list(ids)
    ids.clear()
    from slideforge import workers
    from slideforge.webhooks import workflows

    if not workers.is_running():
        return  # no DBOS in this process (a CLI command): the sweep delivers them
    for delivery_id in taken:
        try:
            workflows.enqueue(delivery_id, 1)
        except Exception:  # the rows are committed: the sweep will enqueue them
            log.warning("could not enqueue webhook delivery %s", delivery_id, exc_info=True)


def _rolled_back(session: Session) -> None:
    ids: list[str] | None = session.info.get(_PENDING)
    if ids:
        ids.clear()
