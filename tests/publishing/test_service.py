"""The publish path's bookkeeping under concurrency: a post's status is rolled up from all of
its targets, so two targets of one post finishing at the same moment must still end the post
``posted`` (on PostgreSQL's READ COMMITTED both could read the other as unfinished)."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa
from dbos import DBOS

from slideforge.models import Post, PostTarget
from slideforge.publishing import service
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.posts.test_endpoints import body, later
from tests.sandboxes import TikTokEnv


def _publishing_targets(runtime: Runtime, post_id: str) -> list[str]:
    """Both targets claimed for attempt 1 and their own workflows gone, so only the test
    moves them."""
    with runtime.db.session() as session:
        targets = list(
            session.scalars(
                sa.select(PostTarget)
                .where(PostTarget.post_id == uuid.UUID(post_id))
                .order_by(PostTarget.id)
            )
        )
        for target in targets:
            target.status, target.attempt, target.send_state = "publishing", 1, "sent"
        ids = [str(t.id) for t in targets]
    for target_id in ids:
        for workflow in DBOS.list_workflows(workflow_id_prefix=f"publish:{target_id}:"):
            DBOS.cancel_workflow(workflow.workflow_id)
    return ids


def test_two_targets_finishing_at_once_end_the_post_posted(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    accounts = [tiktok.connect(api), tiktok.connect(api)]
    created = ok(api.post("/posts", json=body(web, accounts, scheduled_at=later(120))), 201)
    first, second = _publishing_targets(runtime, created["id"])
    outcome: dict[str, object] = {}

    def finish_second() -> None:
        try:
            outcome["first"] = service.record_done(
                runtime, second, 1, platform_status="PUBLISH_COMPLETE", post_id=None, url=None
            )
        except BaseException as exc:  # surfaced by the assertion below
            outcome["error"] = exc

    other = threading.Thread(target=finish_second)
    with runtime.db.session() as session:
        # The first target finishes and its rollup is computed (the second is still
        # publishing, so the post stays pending) -- and this transaction is still open
        # when the second target finishes in another one.
        target = service._target(session, first, lock=True)
        assert target is not None
        service._finish(session, target, "posted", runtime.clock.now())
        session.flush()
        other.start()
        other.join(timeout=0.7)
        assert other.is_alive(), "the second finish must wait for the first to commit"
    other.join(timeout=30)
    assert not other.is_alive() and "error" not in outcome, outcome
    assert outcome["first"] is True
    with runtime.db.session() as session:
        post = session.get(Post, uuid.UUID(created["id"]))
        assert post is not None and post.status == "posted"
    assert ok(api.get(f"/posts/{created['id']}"))["status"] == "posted"
