"""The publish path's guarantees on the TikTok sandbox: a send is never repeated blindly,
retryable refusals get new attempts, tokens are refreshed, caps hold posts back, videos go
up in chunks."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from dbos import DBOS

from slideforge.models import Account, Post, PostTarget
from slideforge.publishing import workflows
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, mp4_bytes, ok
from tests.posts.test_endpoints import body, later
from tests.posts.test_publish import wait_post
from tests.sandboxes import TikTokEnv


def state(post: dict) -> dict:  # type: ignore[type-arg]
    return post["accounts"]["states"][0]


def test_5xx_after_the_platform_created_it_is_unknown_not_resent(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    """While TikTok's video list does not show the post yet, reconciliation cannot find it:
    the target stays unknown and nothing is sent again (tests/publishing/test_reconcile.py
    shows it found once listed)."""
    before = tiktok.sandbox.options.video_list_delay_seconds
    tiktok.sandbox.update_options(video_list_delay_seconds=3600)
    try:
        _created_then_5xx(api, tiktok, web)
    finally:
        tiktok.sandbox.update_options(video_list_delay_seconds=before)


def _created_then_5xx(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=500,
        error_code="internal_error",
        after_commit=True,
        open_id=open_id,
    )
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    post = wait_post(api, created["id"])
    assert post["status"] == "outcome_unknown"
    assert (
        state(post)["status"] == "outcome_unknown"
        and "internal error" in state(post)["error_message"]
    )
    time.sleep(2)  # nothing else happens: no second init
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1
    # A plain retry leaves unknown targets alone; include_unknown says "I checked".
    result = ok(api.post("/posts/retry", json={"post_ids": [created["id"]]}))
    assert result["retried"] == 0 and "include_unknown" in result["errors"][created["id"]]
    result = ok(
        api.post("/posts/retry", json={"post_ids": [created["id"]], "include_unknown": True})
    )
    assert result["retried"] == 1
    assert wait_post(api, created["id"])["status"] == "posted"


def _claimed(runtime: Runtime, post_id: str, send_state: str) -> str:
    """Put the post's target in the state a crashed run leaves: publishing, attempt 1."""
    from datetime import timedelta

    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))
        )
        assert target is not None
        target.status, target.attempt, target.send_state = "publishing", 1, send_state
        target.last_attempted_at = runtime.clock.now() - timedelta(minutes=30)
        target_id = str(target.id)
    for workflow in DBOS.list_workflows(workflow_id_prefix=f"publish:{target_id}:"):
        DBOS.cancel_workflow(workflow.workflow_id)  # its workflow is gone
    return target_id


def test_witness_blocks_a_second_send(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    """Replayed after a crash inside the send, the send step finds 'sending' and stops."""
    from slideforge.publishing import service

    account = tiktok.connect(api)
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(600))), 201)
    target_id = _claimed(runtime, created["id"], "armed")
    assert service.begin_send(runtime, target_id, 1, 1) == ("go", None)
    assert service.begin_send(runtime, target_id, 1, 1) == ("interrupted", None)
    assert service.begin_send(runtime, target_id, 2, 1) == ("obsolete", None)
    # Sent and recorded, but the run died before its step was checkpointed: the replay
    # gets the recorded answer and follows the post instead of giving up on it.
    service.record_sent(runtime, target_id, 1, {"publish_id": "p_pub_url~v2.1"})
    assert service.begin_send(runtime, target_id, 1, 1) == (
        "sent",
        {"publish_id": "p_pub_url~v2.1"},
    )
    assert tiktok.sandbox.publishes(open_id=tiktok.open_id(account)) == []


def test_sweep_settles_targets_whose_workflow_is_gone(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    account = tiktok.connect(api)
    maybe_sent = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(600))), 201)
    never_sent = ok(
        api.post("/posts", json=body(web, [account], caption="b", scheduled_at=later(700))), 201
    )
    _claimed(runtime, maybe_sent["id"], "sending")
    _claimed(runtime, never_sent["id"], "armed")
    counts = workflows.sweep(runtime)
    assert counts["settled"] >= 2  # the sweep is global: other tests may leave some too
    post = ok(api.get(f"/posts/{maybe_sent['id']}"))
    assert post["status"] == "outcome_unknown" and state(post)["error_code"] == "interrupted"
    # The never-sent one is simply published now (it was due: 'retry' at once).
    assert wait_post(api, never_sent["id"])["status"] == "posted"
    descriptions = [
        p["post_info"]["description"]
        for p in tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    ]
    assert descriptions == ["b"]


def test_rate_limited_init_gets_a_new_attempt(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=429,
        error_code="rate_limit_exceeded",
        open_id=open_id,
    )
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    post = wait_post(api, created["id"])
    assert post["status"] == "posted" and state(post)["attempt"] == 2
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1


def test_retryable_processing_failure_then_posted(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="photo_pull_failed", open_id=open_id
    )
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    post = wait_post(api, created["id"])
    assert post["status"] == "posted" and state(post)["attempt"] == 2
    publishes = tiktok.sandbox.publishes(open_id=open_id)
    assert [p["status"] for p in publishes] == ["FAILED", "PUBLISH_COMPLETE"]
    assert len(tiktok.sandbox.posts(open_id=open_id)) == 1


def test_expired_access_token_is_refreshed(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    account = tiktok.connect(api)
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None
        old_refresh = row.refresh_token_enc
        row.access_token_expires_at = runtime.clock.now()  # expired: refresh before use
    tiktok.sandbox.expire_access_tokens(tiktok.open_id(account))
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    assert wait_post(api, created["id"])["status"] == "posted"
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None and row.refresh_token_enc != old_refresh  # rotated token stored
        assert (
            row.access_token_expires_at is not None
            and row.access_token_expires_at > runtime.clock.now()
        )


def test_revoked_authorisation_marks_the_account(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    account = tiktok.connect(api)
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None
        row.access_token_expires_at = runtime.clock.now()
    tiktok.sandbox.revoke_authorization(tiktok.open_id(account))
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    post = wait_post(api, created["id"])
    assert post["status"] == "failed" and "reconnect" in state(post)["error_message"]
    accounts = ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    assert {a["id"]: a["status"] for a in accounts}[account] == "reauth_required"


def test_video_goes_up_in_chunks(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    video = web.add(f"v-{uuid.uuid4().hex}.mp4", mp4_bytes(21.0, 1080, 1920), "video/mp4")
    created = ok(
        api.post(
            "/posts",
            json=body(
                web,
                [account],
                media={"type": "video", "url": video},
                tiktok={"privacy_level": "PUBLIC_TO_EVERYONE", "disable_duet": True},
            ),
        ),
        201,
    )
    post = wait_post(api, created["id"])
    assert post["status"] == "posted", state(post)
    publish = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))[0]
    assert publish["source_info"]["source"] == "FILE_UPLOAD"
    assert publish["post_info"]["disable_duet"] is True
    # Live at once (the profile URL), the post's own URL once TikTok's moderation gives it
    # a public id.
    deadline = time.monotonic() + 30
    while "/video/" not in (state(post)["published_url"] or "") and time.monotonic() < deadline:
        time.sleep(0.5)
        post = ok(api.get(f"/posts/{created['id']}"))
    assert "/video/" in state(post)["published_url"]


def test_account_cap_holds_the_next_post_back(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    account = tiktok.connect(api, policy={"max_posts_per_24h": 1})
    first = ok(api.post("/posts", json=body(web, [account])), 201)
    assert wait_post(api, first["id"])["status"] == "posted"
    second = ok(api.post("/posts", json=body(web, [account], caption="second")), 201)
    assert "ACCOUNT_CAP" in {w["code"] for w in second["warnings"]}
    time.sleep(3)
    post = ok(api.get(f"/posts/{second['id']}"))
    assert post["status"] == "pending" and state(post)["attempt"] == 0
    assert len(tiktok.sandbox.publishes(open_id=tiktok.open_id(account))) == 1
    # The wait is a delayed workflow for the moved due time (no thread sleeps for a day).
    due = datetime.fromisoformat(state(post)["scheduled_for"].replace("Z", "+00:00"))
    assert due > datetime.now(UTC) + timedelta(hours=23)
    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(second["id"]))
        )
        assert target is not None
        waiting = DBOS.list_workflows(
            workflow_id_prefix=f"publish:{target.id}:", status=["DELAYED"], load_input=False
        )
        assert [w.workflow_id for w in waiting] == [
            workflows.workflow_id(str(target.id), target.revision, 1, target.scheduled_for)
        ]
    ok(api.post("/posts/delete", json={"postIds": [second["id"]]}))


def test_scheduled_post_goes_out_on_time(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    from datetime import UTC, datetime, timedelta

    account = tiktok.connect(api)
    due = datetime.now(UTC) + timedelta(seconds=32)  # beyond the 30 s "publish now" window
    created = ok(
        api.post(
            "/posts", json=body(web, [account], scheduled_at=due.isoformat().replace("+00:00", "Z"))
        ),
        201,
    )
    assert created["status"] == "scheduled"
    assert wait_post(api, created["id"], timeout=75)["status"] == "posted"
    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(created["id"]))
        )
        assert target is not None and target.last_attempted_at is not None
        assert target.last_attempted_at >= due
        post = session.get(Post, uuid.UUID(created["id"]))
        assert post is not None and post.status == "posted"


def test_scheduled_sweep_recovers_a_lost_enqueue(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    """The every-minute schedule itself (a workflow) re-enqueues a due target whose publish
    workflow never ran."""
    from datetime import UTC, datetime, timedelta

    account = tiktok.connect(api)
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(600))), 201)
    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(created["id"]))
        )
        assert target is not None
        target_id = str(target.id)
    for workflow in DBOS.list_workflows(workflow_id_prefix=f"publish:{target_id}:"):
        DBOS.cancel_workflow(workflow.workflow_id)  # the enqueue is "lost"
    with runtime.db.session() as session:
        target = session.get(PostTarget, uuid.UUID(target_id))
        assert target is not None
        target.scheduled_for = datetime.now(UTC) - timedelta(seconds=5)  # and it is due
    DBOS.start_workflow(workflows.sweep_due_targets, datetime.now(UTC), None).get_result()
    assert wait_post(api, created["id"])["status"] == "posted"
