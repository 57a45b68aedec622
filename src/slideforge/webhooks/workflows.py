"""DBOS workflows of webhook delivery.

``deliver_webhook`` (id ``webhook:{delivery}:{attempt}``, queue ``webhooks``) makes one
attempt in a step and, when it must be retried, enqueues the next attempt as a *delayed*
workflow: no thread ever sleeps through a backoff. ``webhook_sweep`` (every minute) enqueues pending rows
whose attempt is overdue: the enqueue after a commit may have been lost (the process died
between the two), or an attempt's workflow ended in an error before recording anything.

Enqueues run in a fresh ``contextvars`` context, so they work from anywhere — a request, a
workflow, or inside a step (DBOS refuses to start workflows from a step's own context) — and
always start root workflows."""

from __future__ import annotations

import contextvars
import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from slideforge import runtime as rt
from slideforge.models import WebhookDelivery
from slideforge.runtime import Runtime
from slideforge.webhooks import delivery

log = logging.getLogger(__name__)

QUEUE = "webhooks"
QUEUE_OPTIONS: dict[str, Any] = {"worker_concurrency": 8, "polling_interval_sec": 0.2}
# An attempt this late (by its row's next_attempt_at) has lost its workflow.
OVERDUE_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500
FINISHED = ("SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")


def workflow_id(delivery_id: str, attempt: int) -> str:
    return f"webhook:{delivery_id}:{attempt}"


def enqueue(delivery_id: str, attempt: int, delay: float = 0.0, *, suffix: str = "") -> None:
    """Start attempt ``attempt`` of a delivery (once per workflow id), ``delay`` s from now."""

    def start() -> None:
        with (
            SetWorkflowID(workflow_id(delivery_id, attempt) + suffix),
            SetEnqueueOptions(delay_seconds=delay if delay > 0 else None),
        ):
            DBOS.enqueue_workflow(QUEUE, deliver_webhook, delivery_id, attempt)

    contextvars.Context().run(start)


@DBOS.step(retries_allowed=False)
def _webhook_attempt(delivery_id: str, attempt: int) -> dict[str, Any]:
    return delivery.attempt(rt.current(), delivery_id, attempt)


@DBOS.workflow()
def deliver_webhook(delivery_id: str, attempt: int) -> str:
    result = _webhook_attempt(delivery_id, attempt)
    if result["outcome"] == "retry":
        enqueue(delivery_id, attempt + 1, float(result["delay"]))
    return str(result["outcome"])


def sweep(runtime: Runtime) -> int:
    """Enqueue overdue pending deliveries; returns how many were (re)started."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        rows = session.execute(
            sa.select(WebhookDelivery.id, WebhookDelivery.attempt_count)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now - OVERDUE_AFTER,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(SWEEP_BATCH)
        ).all()
    started = 0
    for row_id, count in rows:
        delivery_id, attempt = str(row_id), count + 1
        status = DBOS.get_workflow_status(workflow_id(delivery_id, attempt))
        if status is None:
            enqueue(delivery_id, attempt)
        elif status.status in FINISHED:
            # It ended without recording this attempt (e.g. the database was unreachable):
            # a new run of the same attempt.
            enqueue(delivery_id, attempt, suffix=f":{int(now.timestamp())}")
        else:
            continue
        started += 1
    if started:
        log.info("webhook sweep: %d overdue deliveries enqueued", started)
    return started


@DBOS.step()
def _webhook_sweep_step() -> int:
    runtime = rt.current()
    return contextvars.Context().run(sweep, runtime)


@DBOS.workflow()
def webhook_sweep(scheduled: datetime, context: Any) -> None:
    """Every minute: deliveries whose enqueue was lost get their workflow."""
    _webhook_sweep_step()
