"""Rows the analytics tests start from, written straight to the database: what the sweep and
refreshes would have stored (those are tested end to end against the sandboxes elsewhere)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slideforge.models import AnalyticsPost, AnalyticsRefresh, MetricSnapshot
from slideforge.runtime import Runtime


def seed_post(
    runtime: Runtime,
    workspace_id: uuid.UUID,
    target_id: str,
    published_at: datetime,
    *,
    snapshots: Sequence[tuple[float, dict[str, int]]] = (),
    **fields: Any,
) -> str:
    """An analytics post with snapshots ``(age in hours, counters)``; its latest counters are
    the last snapshot's."""
    with runtime.db.session() as session:
        row = AnalyticsPost(
            workspace_id=workspace_id,
            target_id=uuid.UUID(target_id),
            platform=fields.pop("platform", "tiktok"),
            platform_post_id=fields.pop("platform_post_id", uuid.uuid4().hex[:19]),
            published_at=published_at,
            link_state=fields.pop("link_state", "observed"),
            **fields,
        )
        session.add(row)
        session.flush()
        for hours, counters in snapshots:
            taken = published_at + timedelta(hours=hours)
            session.add(
                MetricSnapshot(
                    workspace_id=workspace_id,
                    analytics_post_id=row.id,
                    taken_at=taken,
                    age_seconds=int(hours * 3600),
                    milestone=f"{hours:g}h",
                    **counters,
                )
            )
            for name, value in counters.items():
                setattr(row, name, value)
            row.metrics_at = taken
        session.commit()
        return str(row.id)


def running_refresh(runtime: Runtime, workspace_id: uuid.UUID, target_id: str) -> str:
    """A refresh that is still running (as if its workflow were busy)."""
    with runtime.db.session() as session:
        row = AnalyticsRefresh(
            workspace_id=workspace_id,
            target_id=uuid.UUID(target_id),
            running_target_id=uuid.UUID(target_id),
            status="processing",
        )
        session.add(row)
        session.commit()
        return str(row.id)


def finished_refresh(
    runtime: Runtime,
    workspace_id: uuid.UUID,
    target_id: str,
    completed_at: datetime,
    *,
    free: bool = True,
) -> str:
    with runtime.db.session() as session:
        row = AnalyticsRefresh(
            workspace_id=workspace_id,
            target_id=uuid.UUID(target_id),
            status="completed",
            free_refresh_used=free,
            created_at=completed_at,
            started_at=completed_at,
            completed_at=completed_at,
        )
        session.add(row)
        session.commit()
        return str(row.id)
