"""Account care on the TikTok sandbox with one manual clock for slideforge and the sandbox:
tokens are refreshed before they expire, a refusal marks the account and sends
account.reauth_required, and 15 days before the authorisation ends one account.reauth_soon
goes out per expiry."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dbos import DBOS

from slideforge.accounts import care
from slideforge.accounts import service as accounts
from slideforge.accounts.tokens import store_tokens
from slideforge.accounts.workflows import SCHEDULE, account_care
from slideforge.kit.clock import ManualClock, isoformat, parse_timestamp
from slideforge.models import Account
from slideforge.publishing.platforms.base import TokenSet
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, ok
from tests.sandboxes import TikTokEnv
from tests.webhooks.receiver import Inbox, Receiver, start_receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = start_receiver()
    yield running
    running.server.stop()


@pytest.fixture
def synced(tiktok: TikTokEnv, clock: ManualClock) -> Iterator[ManualClock]:
    """The sandbox reads the same manual clock as slideforge while the test runs."""
    original = tiktok.sandbox.clock
    tiktok.sandbox.clock = clock
    yield clock
    tiktok.sandbox.clock = original


def watch(api: ApiClient, receiver: Receiver) -> tuple[Inbox, str]:
    inbox = receiver.inbox()
    created = ok(
        api.post(
            "/webhooks",
            json={"url": inbox.url, "events": ["account.reauth_required", "account.reauth_soon"]},
        ),
        201,
    )
    return inbox, created["secret"]


def account_row(runtime: Runtime, account_id: str) -> Account:
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account_id))
        assert row is not None
        return row


def settle(inbox: Inbox, count: int) -> list[Any]:
    """Wait for ``count`` calls, then make sure no more come."""
    inbox.wait(lambda calls: len(calls) >= count)
    time.sleep(0.8)
    calls = inbox.received()
    assert len(calls) == count, [json.loads(c.body)["type"] for c in calls]
    return calls


def test_refresh_ahead_notice_once_then_reauth_when_the_refresh_token_expires(
    api: ApiClient, runtime: Runtime, tiktok: TikTokEnv, synced: ManualClock, receiver: Receiver
) -> None:
    inbox, secret = watch(api, receiver)
    account = tiktok.connect(api)
    start = account_row(runtime, account)
    assert start.access_token_expires_at and start.refresh_token_expires_at
    run = lambda: care.run(runtime, api.workspace_id)  # noqa: E731

    assert run() == {}  # a fresh authorisation needs nothing

    # 90 minutes before the access token expires: refreshed, before any post needs it.
    synced.set(start.access_token_expires_at - timedelta(minutes=90))
    assert run() == {"refreshed": 1}
    after = account_row(runtime, account)
    old_token = runtime.secrets.decrypt(start.access_token_enc or "")
    assert runtime.secrets.decrypt(after.access_token_enc or "") != old_token
    assert after.access_token_expires_at == synced.now() + timedelta(hours=24)
    assert after.refresh_token_enc != start.refresh_token_enc  # the rotated one is kept
    assert after.status == "active"
    listed = ok(api.get(f"/accounts/{account}"))
    assert listed["token_expires_at"] == isoformat(after.access_token_expires_at)
    synced.advance(hours=1)
    assert run() == {}

    # 15 days before the refresh token expires: one reauth_soon, however often care runs.
    ends = after.refresh_token_expires_at
    assert ends is not None
    synced.set(ends - timedelta(days=15) + timedelta(minutes=1))
    assert run() == {"refreshed+notice": 1}
    assert run() == {"ok": 1}
    synced.advance(hours=23)  # the access token is refreshed again; still no second notice
    assert run() == {"refreshed": 1}
    (call,) = settle(inbox, 1)
    soon = call.verified(secret)
    assert soon["type"] == "account.reauth_soon"
    data = soon["data"]
    assert data["account_id"] == account and data["platform"] == "tiktok"
    assert data["token"] == "refresh" and data["days_left"] == 14
    # The expiry as re-read at that refresh (TikTok counts whole seconds left).
    assert abs(parse_timestamp(data["expires_at"]) - ends) < timedelta(seconds=5)
    assert "POST /accounts/connect" in data["message"]
    assert account_row(runtime, account).status == "active"

    # Past the refresh token's expiry TikTok refuses: the account is marked, the workspace told.
    synced.set(ends + timedelta(hours=1))
    assert run() == {"reauth_required": 1}
    assert run() == {}  # marked accounts are left alone
    calls = settle(inbox, 2)
    required = calls[1].verified(secret)
    assert required["type"] == "account.reauth_required"
    assert required["data"]["account_id"] == account
    assert required["data"]["status"] == "reauth_required"
    assert "invalid_grant" in required["data"]["reason"]
    states = ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    assert {a["id"]: a["status"] for a in states}[account] == "reauth_required"


def test_revoked_authorisation_is_found_before_a_post_needs_it(
    api: ApiClient, runtime: Runtime, tiktok: TikTokEnv, synced: ManualClock, receiver: Receiver
) -> None:
    inbox, secret = watch(api, receiver)
    kept, revoked = tiktok.connect(api), tiktok.connect(api)
    tiktok.sandbox.revoke_authorization(tiktok.open_id(revoked))
    expires = account_row(runtime, revoked).access_token_expires_at
    assert expires is not None
    synced.set(expires - timedelta(minutes=30))
    counts = care.run(runtime, api.workspace_id)
    assert counts == {"refreshed": 1, "reauth_required": 1}
    (call,) = settle(inbox, 1)
    event = call.verified(secret)
    assert event["type"] == "account.reauth_required"
    assert event["data"]["account_id"] == revoked
    assert account_row(runtime, kept).status == "active"
    assert account_row(runtime, revoked).status == "reauth_required"


def test_a_token_without_refresh_gets_a_notice_then_is_marked(
    api: ApiClient, runtime: Runtime, clock: ManualClock, receiver: Receiver
) -> None:
    """A long-lived token that cannot be refreshed (no refresh token): notice 15 days ahead,
    marked once it has expired; no platform call is needed for either."""
    inbox, secret = watch(api, receiver)
    ends = clock.now() + timedelta(days=10)
    with runtime.db.session() as session:
        row = accounts.create_account(
            session, api.workspace_id, platform="tiktok", username="longlived"
        )
        store_tokens(
            runtime,
            row,
            TokenSet(
                access_token="act.x",
                access_expires_at=ends,
                refresh_token=None,
                refresh_expires_at=None,
            ),
        )
        account = str(row.id)
    assert care.run(runtime, api.workspace_id) == {"ok+notice": 1}
    assert care.run(runtime, api.workspace_id) == {"ok": 1}
    clock.set(ends - timedelta(hours=1))
    assert care.run(runtime, api.workspace_id) == {"expiring": 1}  # still usable
    clock.set(ends + timedelta(minutes=5))
    assert care.run(runtime, api.workspace_id) == {"reauth_required": 1}
    calls = settle(inbox, 2)  # two deliveries, in no promised order
    by_type = {event["type"]: event for event in (c.verified(secret) for c in calls)}
    soon, required = by_type["account.reauth_soon"], by_type["account.reauth_required"]
    assert soon["data"]["token"] == "access"
    assert soon["data"]["days_left"] == 10 and soon["data"]["account_id"] == account
    assert "cannot be refreshed" in required["data"]["reason"]


def test_the_care_schedule_runs_as_a_dbos_workflow(
    api: ApiClient, runtime: Runtime, tiktok: TikTokEnv
) -> None:
    schedule = DBOS.get_schedule("account-care")
    assert schedule is not None and schedule["schedule"] == SCHEDULE == "0 */10 * * * *"
    account = tiktok.connect(api)
    soon = datetime.now(UTC) + timedelta(minutes=30)
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account))
        assert row is not None
        row.access_token_expires_at = soon
        before = row.access_token_enc
    handle = DBOS.start_workflow(account_care, datetime.now(UTC), None)
    handle.get_result()
    after = account_row(runtime, account)
    assert after.access_token_enc != before and after.status == "active"
    assert after.access_token_expires_at is not None and after.access_token_expires_at > soon
