"""Accounts (contract §1) through HTTP."""

from __future__ import annotations

import uuid

from slideforge.accounts import service
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, err, ok


def add(runtime: Runtime, api: ApiClient, platform: str, username: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """An account row that looks connected (``status`` active; tests that post use
    sandboxes.TikTokEnv.connect, which stores real sandbox tokens)."""
    kwargs.setdefault("status", "active")
    with runtime.db.session() as session:
        row = service.create_account(
            session, api.workspace_id, platform=platform, username=username, **kwargs
        )
        return str(row.id)


def test_list_shape_and_active_only(runtime: Runtime, api: ApiClient) -> None:
    tiktok = add(runtime, api, "tiktok", "tok", tags=["beauty"], user_group="team-a")
    add(runtime, api, "instagram", "gram")
    paused = add(runtime, api, "pinterest", "pin")
    ok(api.patch(f"/accounts/{paused}", json={"status": "paused"}))
    data = ok(api.get("/accounts"))
    assert data["scope"] == "workspace" and data["workspace_id"] == str(api.workspace_id)
    assert {a["username"] for a in data["accounts"]} == {"tok", "gram"}
    item = next(a for a in data["accounts"] if a["id"] == tiktok)
    uuid.UUID(item["id"])
    assert item["platform"] == "tiktok" and item["type"] == "byo" and item["status"] == "active"
    assert item["display_name"] == "tok" and item["tags"] == ["beauty"]
    assert item["policy"]["max_posts_per_24h"] == 15
    assert "slideshow" in item["capabilities"]["supported_content_kinds"]
    assert "access_token" not in str(item) and "refresh_token" not in str(item)
    assert len(ok(api.get("/accounts", params={"status": "all"}))["accounts"]) == 3
    assert len(ok(api.get("/accounts", params={"status": "paused"}))["accounts"]) == 1
    assert len(ok(api.get("/accounts", params={"platform": "tiktok,instagram"}))["accounts"]) == 2
    assert len(ok(api.get("/accounts", params={"tag": "beauty"}))["accounts"]) == 1
    err(api.get("/accounts", params={"status": "bogus"}), 422, "invalid_payload")
    err(api.get("/accounts", params={"platform": "myspace"}), 422, "invalid_payload")


def test_patch_account(runtime: Runtime, api: ApiClient) -> None:
    acc = add(runtime, api, "tiktok", "tok2")
    data = ok(
        api.patch(
            f"/accounts/{acc}",
            json={
                "tags": [" a ", "b", "a", ""],
                "user_group": "g1",
                "org_group": "org",
                "policy": {
                    "min_gap_minutes": 90,
                    "allowed_hours": {"start": "09:00", "end": "21:30"},
                    "timezone": "Europe/Paris",
                },
            },
        )
    )
    assert data["tags"] == ["a", "b"] and data["user_group"] == "g1"
    assert data["policy"]["min_gap_minutes"] == 90 and data["policy"]["timezone"] == "Europe/Paris"
    assert data["policy"]["max_posts_per_24h"] == 15  # default kept
    data = ok(api.patch(f"/accounts/{acc}", json={"policy": {"max_posts_per_24h": 5}}))
    assert data["policy"]["min_gap_minutes"] == 90 and data["policy"]["max_posts_per_24h"] == 5
    data = ok(api.patch(f"/accounts/{acc}", json={"policy": None}))
    assert data["policy"]["min_gap_minutes"] == 30
    for bad, field in (
        ({"policy": {"timezone": "Mars/Olympus"}}, "timezone"),
        ({"policy": {"allowed_hours": {"start": "25:00", "end": "10:00"}}}, "start"),
        ({"policy": {"min_gap_minutes": -1}}, "min_gap_minutes"),
        ({"policy": {"surprise": 1}}, "surprise"),
        ({"status": "revoked"}, "status"),
        ({"tags": "not-a-list"}, "tags"),
    ):
        body = err(api.patch(f"/accounts/{acc}", json=bad), 422, "invalid_payload")
        assert field in body["message"], body
    err(api.patch(f"/accounts/{acc}", json={}), 422, "invalid_payload")


def test_reauth_required_cannot_be_reactivated_by_patch(runtime: Runtime, api: ApiClient) -> None:
    acc = add(runtime, api, "tiktok", "tok3")
    with runtime.db.session() as session:
        from slideforge.models import Account

        row = session.get(Account, uuid.UUID(acc))
        assert row is not None
        row.status = "reauth_required"
    body = err(api.patch(f"/accounts/{acc}", json={"status": "active"}), 422, "invalid_payload")
    assert "reconnect" in body["message"]
    assert ok(api.get(f"/accounts/{acc}"))["status"] == "reauth_required"
