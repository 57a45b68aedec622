"""/webhooks: create (secret shown once, stored encrypted), list, get, delete, deliveries, and
every refusal with its code."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa
from standardwebhooks import Webhook

from slideforge.models import WebhookEndpoint
from slideforge.runtime import Runtime
from slideforge.webhooks.events import EVENT_TYPES
from tests.helpers import ApiClient, err, ok


def test_create_list_get_delete(api: ApiClient, runtime: Runtime) -> None:
    created = ok(
        api.post(
            "/webhooks",
            json={
                "url": "https://hooks.example.com/slideforge",
                "events": ["post.failed", "post.published", "post.failed"],
                "description": "ops channel",
            },
        ),
        201,
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    Webhook(secret)  # a valid Standard Webhooks secret
    # Events keep the documented order, once each.
    assert created["events"] == ["post.published", "post.failed"]
    assert created["description"] == "ops channel"
    with runtime.db.session() as session:
        row = session.get(WebhookEndpoint, uuid.UUID(created["id"]))
        assert row is not None and secret not in row.secret_enc
        assert runtime.secrets.decrypt(row.secret_enc) == secret

    everything = ok(api.post("/webhooks", json={"url": "http://hooks.example.com/all"}), 201)
    assert everything["events"] == list(EVENT_TYPES)

    listed = ok(api.get("/webhooks"))
    assert listed["total"] == 2 and listed["event_types"] == list(EVENT_TYPES)
    assert [w["id"] for w in listed["webhooks"]] == [created["id"], everything["id"]]
    assert all("secret" not in w for w in listed["webhooks"])

    one = ok(api.get(f"/webhooks/{created['id']}"))
    assert one["url"] == "https://hooks.example.com/slideforge" and "secret" not in one
    assert ok(api.get(f"/webhooks/{created['id']}/deliveries")) == {
        "deliveries": [],
        "total": 0,
        "limit": 20,
        "offset": 0,
    }

    gone = ok(api.delete(f"/webhooks/{created['id']}"))
    assert gone == {"id": created["id"], "deleted": True}
    err(api.get(f"/webhooks/{created['id']}"), 404, "webhook_not_found")
    err(api.delete(f"/webhooks/{created['id']}"), 404, "webhook_not_found")
    assert ok(api.get("/webhooks"))["total"] == 1


def test_bad_urls_are_refused_with_what_to_change(api: ApiClient) -> None:
    for url in ("ftp://hooks.example.com/x", "not a url", "https://user:pw@example.com/h", "/x"):
        body = err(api.post("/webhooks", json={"url": url}), 422, "invalid_webhook_url")
        assert "http(s)" in body["message"]
    for url in (
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://0.0.0.0/hook",
    ):
        body = err(api.post("/webhooks", json={"url": url}), 422, "webhook_url_not_public")
        assert "public" in body["message"]
    err(api.post("/webhooks", json={}), 422, "invalid_payload")
    err(api.post("/webhooks", json={"url": ""}), 422, "invalid_payload")
    assert ok(api.get("/webhooks"))["total"] == 0


def test_unknown_and_empty_events_are_refused(api: ApiClient) -> None:
    body = err(
        api.post(
            "/webhooks",
            json={"url": "https://hooks.example.com/x", "events": ["post.published", "post.done"]},
        ),
        422,
        "unknown_webhook_event",
    )
    assert "'post.done'" in body["message"] and "post.outcome_unknown" in body["message"]
    assert body["data"]["errors"][0]["field"] == "events"
    err(
        api.post("/webhooks", json={"url": "https://hooks.example.com/x", "events": []}),
        422,
        "invalid_payload",
    )
    err(
        api.post("/webhooks", json={"url": "https://hooks.example.com/x", "events": "post.failed"}),
        422,
        "invalid_payload",
    )
    err(
        api.post("/webhooks", json={"url": "https://h.example.com/x", "description": "d" * 501}),
        422,
        "invalid_payload",
    )


def test_a_workspace_has_at_most_20_webhooks(api: ApiClient) -> None:
    for i in range(20):
        ok(api.post("/webhooks", json={"url": f"https://hooks.example.com/{i}"}), 201)
    body = err(
        api.post("/webhooks", json={"url": "https://hooks.example.com/21"}),
        409,
        "webhook_limit_reached",
    )
    assert "delete one" in body["message"]


def test_other_workspaces_webhooks_are_404(
    make_api: Callable[..., ApiClient], runtime: Runtime
) -> None:
    owner, intruder = make_api(), make_api()
    hook = ok(owner.post("/webhooks", json={"url": "https://hooks.example.com/o"}), 201)
    for method, path in (
        ("GET", f"/webhooks/{hook['id']}"),
        ("DELETE", f"/webhooks/{hook['id']}"),
        ("GET", f"/webhooks/{hook['id']}/deliveries"),
    ):
        err(intruder.request(method, path), 404, "webhook_not_found")
    assert ok(intruder.get("/webhooks"))["total"] == 0
    assert ok(owner.get(f"/webhooks/{hook['id']}"))["id"] == hook["id"]
    for bad in ("nope", str(uuid.uuid4())):
        err(owner.get(f"/webhooks/{bad}"), 404, "webhook_not_found")
        err(owner.get(f"/webhooks/{bad}/deliveries"), 404, "webhook_not_found")
    with runtime.db.session() as session:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == owner.workspace_id)
        )
    assert count == 1


def test_deliveries_paging_is_checked(api: ApiClient) -> None:
    hook = ok(api.post("/webhooks", json={"url": "https://hooks.example.com/p"}), 201)
    err(api.get(f"/webhooks/{hook['id']}/deliveries", params={"limit": 0}), 422)
    err(api.get(f"/webhooks/{hook['id']}/deliveries", params={"limit": 101}), 422)
    err(api.get(f"/webhooks/{hook['id']}/deliveries", params={"offset": -1}), 422)
    page = ok(api.get(f"/webhooks/{hook['id']}/deliveries", params={"limit": 5, "offset": 3}))
    assert page["limit"] == 5 and page["offset"] == 3
