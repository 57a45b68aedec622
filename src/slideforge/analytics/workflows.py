"""DBOS workflows of analytics: one refresh of a tracked account (started by the request
that asked for it), and the minute sweep that tracks newly posted targets, starts the daily
refreshes that policies ask for, restarts refreshes whose start was lost, and takes the due
snapshots of our posts, one step per account (a crash resumes after the accounts done)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetWorkflowID

from slideforge import runtime as rt
from slideforge.analytics import reading
from slideforge.analytics import targets as target_rules

log = logging.getLogger(__name__)

QUEUE = "analytics"
QUEUE_OPTIONS: dict[str, Any] = {"concurrency": 4}
SCHEDULE = "15 * * * * *"
STALE_REFRESH = timedelta(minutes=5)


def enqueue_refresh(refresh_id: str) -> None:
    with SetWorkflowID(f"analytics-refresh:{refresh_id}"):
        DBOS.enqueue_workflow(QUEUE, refresh_target, refresh_id)


@DBOS.step(retries_allowed=True, max_attempts=3, interval_seconds=2.0, backoff_rate=2.0)
def _run_refresh(refresh_id: str) -> str:
    return reading.run_refresh(rt.current(), refresh_id)


@DBOS.workflow()
def refresh_target(refresh_id: str) -> str:
    return _run_refresh(refresh_id)


@DBOS.step()
def _housekeeping() -> tuple[list[str], list[str]]:
    """Track new posts, start policy refreshes; the stale refreshes and the due accounts."""
    runtime = rt.current()
    now = runtime.clock.now()
    with runtime.db.session() as session:
        reading.track_posted(session, now)
        target_rules.policy_refreshes(session, now)
        session.commit()
        stale = reading.stale_refreshes(session, now, STALE_REFRESH)
        due = reading.due_accounts(session, now)
    return stale, due


@DBOS.step(retries_allowed=True, max_attempts=2, interval_seconds=2.0)
def _snapshot_account(account_id: str) -> dict[str, int]:
    return reading.snapshot_account(rt.current(), account_id)


def sweep_once() -> dict[str, int]:
    """One pass of the sweep (also what ``analytics_sweep`` runs)."""
    stale, due = _housekeeping()
    for refresh_id in stale:
        _run_refresh(refresh_id)
    totals: dict[str, int] = {}
    for account_id in due:
        try:
            counts = _snapshot_account(account_id)
        except Exception:  # the next sweep tries this account again
            log.exception("analytics snapshots failed for account %s", account_id)
            counts = {"error": 1}
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    if totals:
        log.info("analytics sweep: %s", totals)
    return totals


@DBOS.workflow()
def analytics_sweep(scheduled: datetime, context: Any) -> None:
    sweep_once()
