"""/analytics/targets and refreshes through HTTP: creation and its idempotence, handles,
what cannot be read, updates, deletion, the refresh rules (409 while one runs, free once a
day then credits, 402 when out, 429 right after one), scopes and suggestions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from platform_sandbox.tiktok_web import TikTokWebSandbox
from slideforge.billing import service as billing
from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.analytics.seed import finished_refresh, running_refresh
from tests.helpers import ApiClient, err, ok


def settle(api: ApiClient, target_id: str) -> dict[str, object]:
    """The target once its running refresh (the first read at creation) has ended."""
    deadline = time.monotonic() + 20
    while True:
        target = ok(api.get(f"/analytics/targets/{target_id}"))
        last = target["last_refresh"]
        if last is None or last["status"] in ("completed", "failed"):
            return target
        assert time.monotonic() < deadline, last
        time.sleep(0.1)


def make_target(api: ApiClient, handle: str | None = None) -> str:
    handle = handle or f"brand_{uuid.uuid4().hex[:8]}"
    data = ok(
        api.post("/analytics/targets", json={"platform": "tiktok", "identifier": handle}), 201
    )
    target_id = str(data["target"]["id"])
    settle(api, target_id)
    return target_id


def test_create_is_idempotent_per_handle(api: ApiClient) -> None:
    handle = f"Brand_{uuid.uuid4().hex[:6]}"
    created = ok(
        api.post(
            "/analytics/targets",
            json={"platform": "tiktok", "identifier": f"@{handle}", "alias": "Rival"},
        ),
        201,
    )
    assert created["created"] is True
    target = created["target"]
    assert target["normalized_identifier"] == handle.lower()
    assert target["display_name"] == "Rival"
    assert target["target_id"] == target["id"]
    assert target["workspace_id"] == str(api.workspace_id)
    assert target["source"] == "public_profile"
    again = ok(
        api.post(
            "/analytics/targets",
            json={"platform": "tiktok", "identifier": f"https://www.tiktok.com/@{handle}?lang=en"},
        )
    )
    assert again["created"] is False
    assert again["target"]["id"] == target["id"]
    listed = ok(api.get("/analytics/targets"))
    assert [t["id"] for t in listed["targets"]] == [target["id"]]
    assert listed["workspace_id"] == str(api.workspace_id)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"platform": "tiktok", "identifier": "https://evil.example/@x"}, "invalid_identifier"),
        ({"platform": "tiktok", "identifier": "two words"}, "invalid_identifier"),
        ({"platform": "tiktok", "identifier": "@"}, "invalid_identifier"),
        ({"platform": "tiktok", "identifier": "x" * 40}, "invalid_identifier"),
        ({"platform": "tiktok", "identifier": 42}, "invalid_payload"),
        ({"platform": "myspace", "identifier": "brand"}, "invalid_payload"),
        ({"identifier": "brand"}, "invalid_payload"),
        ({"platform": "instagram", "identifier": "natgeo"}, "platform_not_supported"),
        ({"platform": "youtube", "identifier": "@mkbhd"}, "platform_not_supported"),
    ],
)
def test_create_refuses_what_it_cannot_track(
    api: ApiClient, body: dict[str, object], code: str
) -> None:
    failure = err(api.post("/analytics/targets", json=body), 422, code)
    assert failure["message"]


def test_update_fields_and_refusals(api: ApiClient) -> None:
    target_id = make_target(api)
    path = f"/analytics/targets/{target_id}"
    err(api.patch(path, json={}), 422, "invalid_payload")
    err(api.patch(path, json={"favorite": "yes"}), 422, "invalid_payload")
    err(api.patch(path, json={"refreshPolicy": {"maxPosts": 0}}), 422, "invalid_payload")
    err(api.patch(path, json={"refreshPolicy": {"every": "day"}}), 422, "invalid_payload")
    err(api.patch(path, json={"colour": "red"}), 422, "invalid_payload")
    updated = ok(
        api.patch(
            path,
            json={
                "displayName": "Main rival",
                "favorite": True,
                "refreshPolicy": {"freeDailyRefresh": True, "maxPosts": 12},
            },
        )
    )
    assert updated["display_name"] == "Main rival"
    assert updated["metadata"]["favorite"] is True
    assert updated["refreshPolicy"] == {"freeDailyRefresh": True, "maxPosts": 12}
    cleared = ok(api.patch(path, json={"displayName": None, "refreshPolicy": None}))
    assert cleared["display_name"] is None
    assert cleared["refreshPolicy"] is None
    assert cleared["favorite"] is True


def test_delete_and_cross_workspace(make_api: Callable[..., ApiClient]) -> None:
    api, other = make_api(), make_api()
    target_id = make_target(api)
    err(other.get(f"/analytics/targets/{target_id}"), 404, "target_not_found")
    err(other.patch(f"/analytics/targets/{target_id}", json={"favorite": True}), 404)
    err(other.post(f"/analytics/targets/{target_id}/refresh"), 404)
    err(other.delete(f"/analytics/targets/{target_id}"), 404)
    refresh_id = ok(api.get(f"/analytics/targets/{target_id}"))["last_refresh"]["id"]
    err(other.get(f"/analytics/refreshes/{refresh_id}"), 404, "refresh_not_found")
    assert ok(api.delete(f"/analytics/targets/{target_id}")) == {"id": target_id, "deleted": True}
    err(api.get(f"/analytics/targets/{target_id}"), 404)
    err(api.get(f"/analytics/refreshes/{refresh_id}"), 404)
    err(api.get("/analytics/targets/not-an-id"), 404)


def test_refresh_conflict_while_one_runs(api: ApiClient, runtime: Runtime) -> None:
    target_id = make_target(api)
    running = running_refresh(runtime, api.workspace_id, target_id)
    failure = err(api.post(f"/analytics/targets/{target_id}/refresh"), 409, "analytics_conflict")
    assert running in failure["message"]


def test_refresh_is_free_once_a_day_then_paid(
    api: ApiClient, runtime: Runtime, clock: ManualClock, tiktok_web: TikTokWebSandbox
) -> None:
    tiktok_web.add_profile("paid.rival", followers=10)
    target_id = make_target(api, "paid.rival")  # its first read, at creation, is not the free one
    clock.advance(seconds=runtime.settings.analytics_refresh_cooldown_seconds + 1)
    first = ok(api.post(f"/analytics/targets/{target_id}/refresh"))
    assert first["wasFree"] is True
    assert first["refresh"]["free_refresh_used"] is True
    assert first["refresh"]["status"] in ("pending", "processing", "completed", "failed")
    polled = ok(api.get(f"/analytics/refreshes/{first['refresh']['id']}"))
    assert polled["id"] == first["refresh"]["id"]
    settle(api, target_id)
    # A completed free refresh today: the next one within the cooldown is refused, after it paid.
    clock.advance(seconds=1)
    finished_refresh(runtime, api.workspace_id, target_id, clock.now())
    limited = api.post(f"/analytics/targets/{target_id}/refresh")
    err(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) > 0
    clock.advance(seconds=runtime.settings.analytics_refresh_cooldown_seconds + 1)
    paid = ok(api.post(f"/analytics/targets/{target_id}/refresh"))
    assert paid["wasFree"] is False
    assert paid["refresh"]["credits_used"] == runtime.settings.analytics_refresh_credits
    assert settle(api, target_id)["last_refresh"]["status"] == "completed"
    subscription = ok(api.get("/subscription"))["subscription"]
    assert subscription["credits"]["used_this_period"] >= paid["refresh"]["credits_used"]


def test_refresh_without_credits_is_402(
    api: ApiClient, runtime: Runtime, clock: ManualClock
) -> None:
    target_id = make_target(api)
    finished_refresh(runtime, api.workspace_id, target_id, clock.now() - timedelta(hours=1))
    with runtime.db.session() as session:
        _, _, remaining = billing.balance(session, api.workspace_id, billing.period_of(clock.now()))
        billing.ensure_allowance(
            session, api.workspace_id, clock.now(), runtime.settings.credit_allowance
        )
        _, _, remaining = billing.balance(session, api.workspace_id, billing.period_of(clock.now()))
        billing.charge(
            session,
            api.workspace_id,
            remaining,
            "test:drain",
            "spent elsewhere",
            clock.now(),
            runtime.settings.credit_allowance,
        )
        session.commit()
    failure = err(api.post(f"/analytics/targets/{target_id}/refresh"), 402, "insufficient_credits")
    assert "credits" in failure["message"]
    # Nothing is left running: a refresh with credits is accepted later.
    assert ok(api.get(f"/analytics/targets/{target_id}"))["last_refresh"]["status"] != "pending"


def test_scopes_and_workspace_suggestions(make_api: Callable[..., ApiClient]) -> None:
    workspace = make_api()
    personal = make_api(workspace.workspace_name, personal="alice")
    mine = make_target(personal)
    assert [t["id"] for t in ok(personal.get("/analytics/targets"))["targets"]] == [mine]
    assert ok(workspace.get("/analytics/targets"))["targets"] == []
    err(workspace.get(f"/analytics/targets/{mine}"), 404)
    suggestions = ok(workspace.get("/analytics/workspace-suggestions"))
    assert isinstance(suggestions, list)
    assert [(s["scope"], s["name"], s["target_count"]) for s in suggestions] == [
        ("personal", "alice", 1)
    ]
    assert ok(personal.get("/analytics/workspace-suggestions")) == []
    make_target(workspace)
    assert [s["scope"] for s in ok(personal.get("/analytics/workspace-suggestions"))] == [
        "workspace"
    ]


def test_refresh_takes_no_body(api: ApiClient) -> None:
    """The contract's client POSTs refresh with a JSON content type and no body."""
    target_id = make_target(api)
    response = api.request(
        "POST",
        f"/analytics/targets/{target_id}/refresh",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
