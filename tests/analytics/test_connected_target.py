"""A tracked account that is one of ours is read through the platform's API (the TikTok
sandbox over HTTP): its counters and posts on a refresh, and an honest failure when its token
lacks the read scopes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from slideforge.accounts import service as accounts
from slideforge.accounts.tokens import store_tokens
from slideforge.publishing.platforms.base import TokenSet
from slideforge.runtime import Runtime
from tests.analytics.test_targets import settle
from tests.helpers import ApiClient, ok
from tests.sandboxes import TikTokEnv


def connect_with_scopes(tiktok: TikTokEnv, api: ApiClient, scopes: list[str]) -> str:
    """A sandbox creator whose authorisation grants only ``scopes``; its username."""
    username = f"scoped_{uuid.uuid4().hex[:8]}"
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username=username, display_name=username)
    body = tiktok.sandbox.issue_tokens(open_id, scopes=scopes)
    runtime: Runtime = tiktok.runtime
    now = datetime.now(UTC)
    with runtime.db.session() as session:
        row = accounts.create_account(
            session,
            api.workspace_id,
            platform="tiktok",
            username=username,
            platform_user_id=open_id,
        )
        store_tokens(
            runtime,
            row,
            TokenSet(
                access_token=body["access_token"],
                access_expires_at=now + timedelta(seconds=int(body["expires_in"])),
                refresh_token=body["refresh_token"],
                refresh_expires_at=now + timedelta(seconds=int(body["refresh_expires_in"])),
                scopes=body["scope"],
            ),
        )
    return username


def test_our_account_is_read_through_the_api(api: ApiClient, tiktok: TikTokEnv) -> None:
    account_id = tiktok.connect(api)
    username = ok(api.get("/accounts"))["accounts"][0]["username"]
    created = ok(
        api.post("/analytics/targets", json={"platform": "tiktok", "identifier": username}), 201
    )
    assert created["target"]["source"] == "connected_account"
    assert created["target"]["account_id"] == account_id
    target = settle(api, created["target"]["id"])
    assert target["last_refresh"]["status"] == "completed", target["last_refresh"]
    assert target["profile"]["username"] == username
    assert target["profile"]["followers"] is not None


def test_a_token_without_the_read_scopes_fails_the_refresh_plainly(
    api: ApiClient, tiktok: TikTokEnv
) -> None:
    username = connect_with_scopes(
        tiktok, api, ["user.info.basic", "video.publish", "video.upload"]
    )
    created = ok(
        api.post("/analytics/targets", json={"platform": "tiktok", "identifier": username}), 201
    )
    target = settle(api, created["target"]["id"])
    refresh = target["last_refresh"]
    assert refresh["status"] == "failed"
    assert "scope_not_authorized" in refresh["error"]
    assert target["profile"] is None


def test_deleting_our_accounts_target_stops_measuring_it(
    api: ApiClient, tiktok: TikTokEnv, runtime: Runtime
) -> None:
    from slideforge.models import Account

    account_id = tiktok.connect(api)
    username = ok(api.get("/accounts"))["accounts"][0]["username"]
    body = {"platform": "tiktok", "identifier": username}
    target = ok(api.post("/analytics/targets", json=body), 201)["target"]
    settle(api, target["id"])
    ok(api.delete(f"/analytics/targets/{target['id']}"))
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        assert account is not None and account.analytics_stopped_at is not None
    again = ok(api.post("/analytics/targets", json=body), 201)["target"]
    settle(api, again["id"])
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        assert account is not None and account.analytics_stopped_at is None
