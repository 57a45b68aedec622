"""Idempotency reservations after a crash (issue 9, defect 5): a reservation belongs to a
live process; a dead owner's is taken over at once, a live owner's is waited for only
briefly, then 409 create_in_progress with Retry-After."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from slideforge import liveness
from slideforge.models import Post, PostRequest, ProcessLease
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.posts.test_endpoints import body, later
from tests.sandboxes import TikTokEnv


def killed_process() -> tuple[int, int | None]:
    """A process of this machine that was running and was kill -9'd: (pid, start ticks)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    started = liveness.pid_start(proc.pid)
    assert started is not None
    proc.kill()
    proc.wait()
    return proc.pid, started


def add_lease(runtime: Runtime, **values: object) -> str:
    lease_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    row = {
        "id": lease_id,
        "host": "test-host",
        "pid": 4_000_000,
        "machine": "another-machine/pid:[1]",
        "pid_start": 1,
        "started_at": now - timedelta(hours=1),
        "heartbeat_at": now,
        **values,
    }
    with runtime.db.session() as session:
        session.add(ProcessLease(**row))
    return lease_id


def hold_key(runtime: Runtime, api: ApiClient, external_id: str, owner_id: str | None) -> None:
    """A reservation left in_progress by a request of ``owner_id`` (as a crash leaves it)."""
    with runtime.db.session() as session:
        session.add(
            PostRequest(
                workspace_id=api.workspace_id,
                key=f"ext:{external_id}",
                body_hash="0" * 64,
                state="in_progress",
                created_at=runtime.clock.now(),
                owner_id=owner_id,
            )
        )


def dead_owner(runtime: Runtime, case: str) -> str | None:
    if case == "killed here":  # kill -9 on this machine: seen at once, heartbeat still fresh
        pid, started = killed_process()
        return add_lease(runtime, pid=pid, pid_start=started, machine=liveness.machine_id())
    if case == "silent elsewhere":  # another machine's process stopped beating 40 s ago
        return add_lease(runtime, heartbeat_at=datetime.now(UTC) - timedelta(seconds=40))
    if case == "stopped":  # a process that stopped (its lease row is gone)
        return uuid.uuid4().hex
    return None  # a reservation from before owners were recorded (migration 0006)


@pytest.mark.parametrize("case", ["killed here", "silent elsewhere", "stopped", "no owner"])
def test_dead_owner_reservation_is_taken_over_at_once(
    case: str, api: ApiClient, runtime: Runtime, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    owner = dead_owner(runtime, case)
    external_id = f"crashed-{uuid.uuid4().hex[:8]}"
    hold_key(runtime, api, external_id, owner)
    payload = body(web, [account], external_id=external_id, scheduled_at=later())
    # Before the fix this request slept 90 s (the client's 60 s timeout fires first).
    created = ok(api.post("/posts", json=payload), 201)
    assert created["duplicate"] is False
    again = ok(api.post("/posts", json=payload), 200)
    assert again["id"] == created["id"] and again["duplicate"] is True
    with runtime.db.session() as session:
        row = session.scalar(
            sa.select(PostRequest).where(
                PostRequest.workspace_id == api.workspace_id,
                PostRequest.key == f"ext:{external_id}",
            )
        )
        assert row is not None and row.state == "done" and str(row.post_id) == created["id"]
        lease = liveness.current()
        assert lease is not None and row.owner_id == lease.id


@pytest.mark.parametrize("where", ["this process", "another machine"])
def test_live_owner_is_waited_for_briefly_then_409_with_retry_after(
    where: str, api: ApiClient, runtime: Runtime, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    lease = liveness.current()
    assert lease is not None
    owner = lease.id if where == "this process" else add_lease(runtime)
    external_id = f"running-{uuid.uuid4().hex[:8]}"
    hold_key(runtime, api, external_id, owner)
    payload = body(web, [account], external_id=external_id, scheduled_at=later())
    response = api.post("/posts", json=payload)
    answer = err(response, 409, "create_in_progress")
    assert response.headers["retry-after"] == "5"
    assert "retry in 5 seconds" in answer["message"]
    assert ok(api.get("/posts"))["summary"]["total"] == 0


def test_twins_of_a_live_request_still_get_one_post(
    api: ApiClient, runtime: Runtime, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    payload = body(web, [account], external_id=f"twin-{uuid.uuid4().hex[:8]}", scheduled_at=later())
    results: list[tuple[int, str]] = []

    def send() -> None:
        response = api.post("/posts", json=payload)
        results.append((response.status_code, response.json()["data"]["id"]))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200, 200, 201], results
    assert len({post_id for _, post_id in results}) == 1
    with runtime.db.session() as session:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(Post)
            .where(Post.workspace_id == api.workspace_id)
        )
    assert count == 1
