"""Connecting a TikTok account through the real OAuth flow against the sandbox:
POST /accounts/connect → authorize URL → callback → account listed."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from slideforge.models import Account
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, err, ok
from tests.sandboxes import TikTokEnv


def authorize(url: str, **extra: str) -> str:
    """What the user's browser does: open the authorize page, get sent to our callback."""
    from urllib.parse import urlencode

    response = httpx.get(f"{url}&{urlencode(extra)}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_connect_then_reconnect(api: ApiClient, tiktok: TikTokEnv, runtime: Runtime) -> None:
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username="glowcreator", display_name="Glow Creator")
    start = ok(
        api.post(
            "/accounts/connect",
            json={"platform": "tiktok", "tags": ["beauty"], "user_group": "team-a"},
        )
    )
    assert start["authorize_url"].startswith(tiktok.server.base_url + "/v2/auth/authorize/")
    query = parse_qs(urlsplit(start["authorize_url"]).query)
    assert query["scope"][0] == runtime.settings.tiktok_scopes and query["redirect_uri"] == [
        start["redirect_uri"]
    ]
    callback = authorize(start["authorize_url"], sandbox_user=open_id)
    assert callback.startswith(start["redirect_uri"])
    connected = ok(httpx.get(callback))
    account = connected["account"]
    assert connected["reconnected"] is False
    assert account["username"] == "glowcreator" and account["tags"] == ["beauty"]
    assert account["user_group"] == "team-a" and account["status"] == "active"
    listed = ok(api.get("/accounts"))["accounts"]
    assert [a["id"] for a in listed] == [account["id"]]
    assert "token" not in str(listed[0]).lower().replace("token_expires_at", "")
    # The link is single-use.
    err(httpx.get(callback), 400, "invalid_oauth_state")
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account["id"]))
        assert row is not None and row.refresh_token_enc and "video.publish" in row.granted_scopes
        first_refresh = row.refresh_token_enc
        row.tags = ["beauty", "edited"]
        row.status = "reauth_required"
    again = ok(api.post("/accounts/connect", json={"platform": "tiktok"}))
    reconnected = ok(httpx.get(authorize(again["authorize_url"], sandbox_user=open_id)))
    assert reconnected["reconnected"] is True and reconnected["account"]["id"] == account["id"]
    assert reconnected["account"]["tags"] == ["beauty", "edited"]  # history kept
    assert reconnected["account"]["status"] == "active"
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account["id"]))
        assert row is not None and row.refresh_token_enc and row.refresh_token_enc != first_refresh


def test_connect_errors(
    api: ApiClient, tiktok: TikTokEnv, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username="shy")
    start = ok(api.post("/accounts/connect", json={"platform": "tiktok"}))
    denied = authorize(start["authorize_url"], sandbox_user=open_id, sandbox_decision="deny")
    body = err(httpx.get(denied), 400, "authorization_denied")
    assert "did not authorise" in body["message"]
    base = start["redirect_uri"]
    err(httpx.get(base, params={"code": "x", "state": "forged"}), 400, "invalid_oauth_state")
    err(httpx.get(base, params={"code": "x"}), 400, "invalid_oauth_state")
    err(api.post("/accounts/connect", json={"platform": "myspace"}), 422, "invalid_payload")
    bad_tags = {"platform": "tiktok", "tags": ["ok", {"a": 1}, 7]}
    assert (
        "strings"
        in err(api.post("/accounts/connect", json=bad_tags), 422, "invalid_payload")["message"]
    )
    monkeypatch.setattr(runtime.settings, "pinterest_client_id", None)  # no Pinterest app
    err(
        api.post("/accounts/connect", json={"platform": "pinterest"}),
        422,
        "platform_not_configured",
    )
    # A partial grant (no video.publish) is refused with words.
    partial = ok(api.post("/accounts/connect", json={"platform": "tiktok"}))
    callback = authorize(
        partial["authorize_url"], sandbox_user=open_id, sandbox_scopes="user.info.basic"
    )
    assert "video.publish" in err(httpx.get(callback), 400, "connect_failed")["message"]
    assert ok(api.get("/accounts", params={"status": "all"}))["accounts"] == []


def test_state_is_bound_to_its_workspace(make_api, tiktok: TikTokEnv) -> None:  # type: ignore[no-untyped-def]
    a, b = make_api(), make_api()
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username="bound")
    start = ok(a.post("/accounts/connect", json={"platform": "tiktok"}))
    ok(httpx.get(authorize(start["authorize_url"], sandbox_user=open_id)))
    assert len(ok(a.get("/accounts"))["accounts"]) == 1
    assert ok(b.get("/accounts"))["accounts"] == []


def test_connecting_an_account_added_without_oauth_makes_it_active(
    api: ApiClient, tiktok: TikTokEnv, runtime: Runtime
) -> None:
    """``slideforge accounts add`` makes an ``unconnected`` account; signing in as that
    username through OAuth connects that same account (no duplicate) and activates it."""
    from slideforge.accounts import service

    with runtime.db.session() as session:
        added = str(
            service.create_account(
                session, api.workspace_id, platform="tiktok", username="Added_Later", tags=["x"]
            ).id
        )
    assert ok(api.get(f"/accounts/{added}"))["status"] == "unconnected"
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username="added_later", display_name="Added")
    start = ok(api.post("/accounts/connect", json={"platform": "tiktok"}))
    connected = ok(httpx.get(authorize(start["authorize_url"], sandbox_user=open_id)))
    assert connected["account"]["id"] == added and connected["account"]["status"] == "active"
    assert connected["account"]["tags"] == ["x"]
    listed = ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    assert [a["id"] for a in listed] == [added]
    assert tiktok.open_id(added) == open_id
