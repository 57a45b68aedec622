"""Two moves racing (A into B, B into A) never make a cycle: folder-tree changes of a
workspace are serialised (the workspace row locked on PostgreSQL, BEGIN IMMEDIATE on SQLite)
and each re-checks the ancestry inside that lock. Run on both databases."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from slideforge.auth.service import Caller
from slideforge.folders import service
from slideforge.folders.schemas import FolderUpdate
from slideforge.kit.errors import ApiError
from slideforge.runtime import Runtime
from tests.folders.support import folder
from tests.helpers import ApiClient, ok


def _parents(api: ApiClient, *ids: str) -> list[str | None]:
    return [ok(api.get(f"/folders/{i}"))["parent_folder_id"] for i in ids]


def test_a_move_waits_for_the_move_in_progress_and_sees_it(
    api: ApiClient, runtime: Runtime
) -> None:
    """The first move is made and left uncommitted; the second (in a thread) must wait for it
    and then refuse. Without the lock it would read the tree as it was and make a cycle."""
    a, b = folder(api, "A"), folder(api, "B")
    caller = Caller(workspace_id=api.workspace_id, key_id=uuid.uuid4(), scope="workspace")
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def second_move() -> None:
        try:
            with runtime.db.session() as session:
                service.update_folder(session, runtime, caller, b, FolderUpdate(parent_folder_id=a))
            outcome["result"] = "moved"
        except ApiError as exc:
            outcome["result"] = exc.error_code
        finally:
            finished.set()

    first = runtime.db.sessions()
    try:
        service.update_folder(first, runtime, caller, a, FolderUpdate(parent_folder_id=b))
        thread = threading.Thread(target=second_move)
        thread.start()
        # Give the second move every chance to run now (it must not get past the lock).
        finished.wait(1.0)
        first.commit()
    finally:
        first.close()
    thread.join(30)
    assert outcome["result"] == "folder_move_conflict"
    assert _parents(api, a, b) == [b, None]


def test_http_moves_racing_leave_one_move_and_no_cycle(api: ApiClient) -> None:
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
    base = f"{api.base_url}/api/partner/v1"
    with (
        httpx.Client(headers=headers, timeout=60) as one,
        httpx.Client(headers=headers, timeout=60) as two,
    ):
        for round_ in range(10):
            a, b = folder(api, f"A{round_}"), folder(api, f"B{round_}")
            barrier = threading.Barrier(2)

            def move(
                client: httpx.Client, folder_id: str, into: str, barrier: threading.Barrier
            ) -> int:
                barrier.wait()
                response = client.patch(
                    f"{base}/folders/{folder_id}", json={"parent_folder_id": into}
                )
                return response.status_code

            with ThreadPoolExecutor(2) as pool:
                futures = [
                    pool.submit(move, one, a, b, barrier),
                    pool.submit(move, two, b, a, barrier),
                ]
                statuses = sorted(f.result() for f in futures)
            assert statuses == [200, 409], statuses
            parents = _parents(api, a, b)
            assert parents in ([b, None], [None, a]), parents
