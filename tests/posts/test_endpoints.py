"""POST/GET/PATCH /posts, retry and delete (contract §4) through HTTP: every rule and code."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, mp4_bytes, ok
from tests.posts.test_publish import slides, wait_post
from tests.sandboxes import TikTokEnv


def later(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def body(web: Web, accounts: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "caption": "hello",
        "media": {"type": "slideshow", "urls": slides(web, 1)},
        "accounts": [{"id": a} for a in accounts],
        **extra,
    }


def test_scheduled_post_shape_list_and_get(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    when = later(90)
    created = ok(
        api.post(
            "/posts",
            json=body(
                web,
                [account],
                scheduled_at=when,
                external_id="run-1",
                tiktok={"post_mode": "DIRECT_POST", "privacy_level": "SELF_ONLY"},
            ),
        ),
        201,
    )
    assert created["status"] == "scheduled" and created["scheduled_at"].startswith(when[:16])
    assert created["duplicate"] is False
    listed = ok(api.get("/posts", params={"limit": 10}))
    assert listed["summary"]["total"] == 1 and listed["summary"]["by_status"]["scheduled"] == 1
    item = listed["posts"][0]
    assert item["id"] == created["id"] and item["media"]["type"] == "slideshow"
    assert item["tiktok"]["post_mode"] == "DIRECT_POST"  # the draft-cap guard reads this
    assert item["accounts"]["total"] == 1
    state = item["accounts"]["states"][0]
    assert state["account_id"] == account and state["status"] == "scheduled"
    assert ok(api.get(f"/posts/{created['id']}"))["external_id"] == "run-1"
    err(api.get("/posts/not-a-post"), 404, "not_found")


def test_since_until_tolerate_unencoded_plus(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    ok(api.post("/posts", json=body(web, [account], scheduled_at=later())), 201)
    since = (datetime.now(UTC) - timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    since = since[:-2] + ":" + since[-2:]
    raw = api.http.get("/posts?limit=100&since=" + since)  # '+' unencoded: arrives as a space
    assert ok(raw)["summary"]["total"] == 1
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok(api.get("/posts", params={"since": future}))["summary"]["total"] == 0
    err(api.get("/posts", params={"since": "yesterday"}), 400, "invalid_since")
    err(api.get("/posts", params={"until": "2026-13-01"}), 400, "invalid_until")
    err(api.get("/posts", params={"status": "nope"}), 422)


def test_account_errors(
    api: ApiClient, make_api, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:  # type: ignore[no-untyped-def]
    other = make_api()
    theirs = tiktok.connect(other)
    body_ = err(api.post("/posts", json=body(web, [theirs])), 400, "unknown_accounts")
    assert theirs in body_["message"]
    err(api.post("/posts", json=body(web, ["not-a-uuid"])), 400, "unknown_accounts")
    no_accounts = {"caption": "x", "media": {"type": "slideshow", "urls": slides(web, 1)}}
    err(api.post("/posts", json=no_accounts), 400, "missing_accounts")
    err(api.post("/posts", json={**no_accounts, "accounts": []}), 422, "invalid_payload")
    err(api.post("/posts", json={**no_accounts, "accounts": [{"id": theirs}] * 11}), 422)
    paused = tiktok.connect(api)
    ok(api.patch(f"/accounts/{paused}", json={"status": "paused"}))
    body_ = err(api.post("/posts", json=body(web, [paused])), 400, "unknown_accounts")
    assert "paused" in body_["message"]


def test_validation_rules(api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime) -> None:
    account = tiktok.connect(api)
    from slideforge.accounts import service as accounts

    with runtime.db.session() as session:
        gram = str(
            accounts.create_account(
                session, api.workspace_id, platform="instagram", username="gram", status="active"
            ).id
        )
    ok_body = body(web, [account])
    err(api.post("/posts", json={**ok_body, "caption": "x" * 501}), 422, "invalid_payload")
    err(api.post("/posts", json={**ok_body, "media": {"type": "slideshow", "urls": []}}), 422)
    err(
        api.post(
            "/posts",
            json={**ok_body, "media": {"type": "slideshow", "urls": ["https://e.com/a.jpg"] * 36}},
        ),
        422,
    )
    err(
        api.post("/posts", json={**ok_body, "media": {"type": "gif", "url": "https://e.com/a"}}),
        422,
    )
    err(api.post("/posts", json={**ok_body, "external_id": "x" * 129}), 422)
    err(
        api.post("/posts", json={**ok_body, "music_url": "https://open.spotify.com/track/1"}),
        400,
        "invalid_music_url",
    )
    err(
        api.post("/posts", json={**ok_body, "music_url": "https://tiktok.com.evil.example/v/1"}),
        400,
        "invalid_music_url",
    )
    err(
        api.post("/posts", json={**ok_body, "scheduled_at": "2020-01-01T00:00:00Z"}),
        422,
        "invalid_scheduled_at",
    )
    err(
        api.post("/posts", json={**ok_body, "scheduled_at": "tomorrow"}),
        422,
        "invalid_scheduled_at",
    )
    both = {**ok_body, "tiktok": {"title": "t"}, "pinterest": {"title": "p"}}
    err(api.post("/posts", json=both), 400, "validation_failed")
    mixed = body(web, [account, gram], tiktok={"privacy_level": "SELF_ONLY"})
    assert (
        "every target" in err(api.post("/posts", json=mixed), 400, "validation_failed")["message"]
    )
    err(
        api.post("/posts", json=body(web, [account], pinterest={"title": "p"})),
        400,
        "validation_failed",
    )
    video = {
        **ok_body,
        "media": {"type": "video", "url": web.add("v.mp4", mp4_bytes(20), "video/mp4")},
        "tiktok": {"post_mode": "MEDIA_UPLOAD"},
    }
    assert (
        "MEDIA_UPLOAD" in err(api.post("/posts", json=video), 400, "validation_failed")["message"]
    )
    eleven_slides_ig = body(web, [gram], media={"type": "slideshow", "urls": slides(web, 11)})
    assert (
        "at most 10"
        in err(api.post("/posts", json=eleven_slides_ig), 400, "validation_failed")["message"]
    )


def test_media_checks(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    missing = web.url("nope.jpg")
    body_ = err(
        api.post(
            "/posts", json=body(web, [account], media={"type": "slideshow", "urls": [missing]})
        ),
        400,
        "media_unreachable",
    )
    assert missing in body_["message"]
    body_ = err(
        api.post(
            "/posts",
            json=body(
                web,
                [account],
                media={"type": "slideshow", "urls": ["http://169.254.169.254/latest/x.jpg"]},
            ),
        ),
        400,
        "media_unreachable",
    )
    assert "public" in body_["message"]
    gif = web.add("anim.gif", image_bytes(fmt="GIF"), "image/gif")
    good = web.add("good.jpg", image_bytes((1080, 1920)))
    body_ = err(
        api.post(
            "/posts", json=body(web, [account], media={"type": "slideshow", "urls": [good, gif]})
        ),
        400,
        "validation_failed",
    )
    assert "slide 2" in body_["message"] and "GIF" in body_["message"]
    short = web.add("short.mp4", mp4_bytes(5), "video/mp4")
    assert (
        "15–60"
        in err(
            api.post("/posts", json=body(web, [account], media={"type": "video", "url": short})),
            400,
            "validation_failed",
        )["message"]
    )
    no_duration = web.add("nodur.mp4", mp4_bytes(0), "video/mp4")
    created = ok(
        api.post(
            "/posts",
            json=body(
                web, [account], media={"type": "video", "url": no_duration}, scheduled_at=later()
            ),
        ),
        201,
    )
    assert "VIDEO_DURATION_MISSING" in {w["code"] for w in created["warnings"]}
    square = web.add("square.png", image_bytes((800, 800), "PNG"), "image/png")
    created = ok(
        api.post(
            "/posts",
            json=body(
                web, [account], media={"type": "slideshow", "urls": [square]}, scheduled_at=later()
            ),
        ),
        201,
    )
    assert "ASPECT_RATIO" in {w["code"] for w in created["warnings"]}


def test_images_are_normalised_for_tiktok(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    """A PNG and an oversize image become JPEGs with the short side at most 1080 px."""
    import io

    import httpx
    from PIL import Image

    from slideforge.models import Post

    account = tiktok.connect(api)
    big = web.add("big.png", image_bytes((1440, 2560), "PNG"), "image/png")
    created = ok(
        api.post(
            "/posts",
            json=body(
                web, [account], media={"type": "slideshow", "urls": [big]}, scheduled_at=later()
            ),
        ),
        201,
    )
    with runtime.db.session() as session:
        import uuid

        post = session.get(Post, uuid.UUID(created["id"]))
        assert post is not None
        url = post.media_variants["tiktok"][0]
    image = Image.open(io.BytesIO(httpx.get(url).content))
    assert image.format == "JPEG" and min(image.size) == 1080


def test_idempotency(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    payload = body(web, [account], external_id="campaign-12", scheduled_at=later())
    first = ok(api.post("/posts", json=payload), 201)
    again = ok(api.post("/posts", json=payload), 200)
    assert again["id"] == first["id"] and again["duplicate"] is True
    changed = {**payload, "caption": "something else"}
    assert "external_id" in err(api.post("/posts", json=changed), 409, "create_failed")["message"]
    # Without an external_id, the same body within the window is the same post.
    plain = body(web, [account], scheduled_at=later(120))
    one = ok(api.post("/posts", json=plain), 201)
    two = ok(api.post("/posts", json=plain), 200)
    assert one["id"] == two["id"] and two["duplicate"] is True
    assert ok(api.get("/posts"))["summary"]["total"] == 2


def test_concurrent_retries_make_one_post(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    """curl re-POSTs on timeouts: identical requests racing must give one post."""
    account = tiktok.connect(api)
    payload = body(
        web, [account], scheduled_at=later(), media={"type": "slideshow", "urls": slides(web, 4)}
    )
    results: list[tuple[int, str]] = []

    def send() -> None:
        response = api.post("/posts", json=payload)
        results.append((response.status_code, response.json()["data"]["id"]))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({post_id for _, post_id in results}) == 1, results
    assert sorted(code for code, _ in results) == [200, 200, 200, 201]
    assert ok(api.get("/posts"))["summary"]["total"] == 1


def test_edit_reschedules_and_delete_cancels(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(60))), 201)
    patched = ok(
        api.patch(f"/posts/{created['id']}", json={"caption": "edited", "scheduled_at": None})
    )
    assert patched["status"] == "pending"
    post = wait_post(api, created["id"])
    assert post["status"] == "posted" and post["caption"] == "edited"
    err(
        api.patch(f"/posts/{created['id']}", json={"caption": "too late"}), 409, "post_not_editable"
    )
    err(api.patch(f"/posts/{created['id']}", json={}), 422, "invalid_payload")
    publishes = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    assert len(publishes) == 1 and publishes[0]["post_info"]["description"] == "edited"

    scheduled = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(30))), 201)
    result = ok(
        api.post("/posts/delete", json={"postIds": [scheduled["id"], created["id"], "nope"]})
    )
    assert result["deletedIds"] == [scheduled["id"]]
    assert result["blockedStatuses"] == [{"id": created["id"], "status": "posted"}]
    assert result["skipped"] == ["nope"]
    err(api.get(f"/posts/{scheduled['id']}"), 404)
    err(api.post("/posts/delete", json={}), 422, "invalid_payload")
    ok(api.post("/posts/delete", json={"post_ids": [created["id"]]}))  # snake_case accepted


def test_edit_scheduled_post_to_a_later_time(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(5))), 201)
    new_time = later(300)
    patched = ok(
        api.patch(
            f"/posts/{created['id']}", json={"scheduled_at": new_time, "tiktok": {"title": "T"}}
        )
    )
    assert patched["status"] == "scheduled" and patched["scheduled_at"].startswith(new_time[:16])
    post = ok(api.get(f"/posts/{created['id']}"))
    assert post["tiktok"] == {"title": "T"}
    assert post["accounts"]["states"][0]["scheduled_for"].startswith(new_time[:16])
    cleared = ok(api.patch(f"/posts/{created['id']}", json={"tiktok": None}))
    assert cleared["status"] == "scheduled"
    assert ok(api.get(f"/posts/{created['id']}"))["tiktok"] is None


def test_retry_failed_post(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    tiktok.sandbox.add_failure(
        kind="fail_publish",
        fail_reason="picture_size_check_failed",
        open_id=tiktok.open_id(account),
    )
    created = ok(api.post("/posts", json=body(web, [account])), 201)
    assert wait_post(api, created["id"])["status"] == "failed"
    result = ok(api.post("/posts/retry", json={"post_ids": [created["id"], "nope"]}))
    assert (
        result["retried"] == 1 and result["ids"] == [created["id"]] and "nope" in result["errors"]
    )
    post = wait_post(api, created["id"])
    assert post["status"] == "posted" and post["accounts"]["states"][0]["attempt"] == 1
    again = ok(api.post("/posts/retry", json={"post_ids": [created["id"]]}))
    assert again["retried"] == 0 and again["failed"] == [created["id"]]
    err(api.post("/posts/retry", json={"post_ids": []}), 422)


@pytest.mark.parametrize("strict", [True, False])
def test_account_selection(api: ApiClient, tiktok: TikTokEnv, web: Web, strict: bool) -> None:
    a = tiktok.connect(api, tags=["beauty"], policy={"min_gap_minutes": 60})
    b = tiktok.connect(api, tags=["beauty"], policy={"min_gap_minutes": 60})
    tiktok.connect(api, tags=["other"])
    when = later(120)
    chosen = []
    for _ in range(2):
        created = ok(
            api.post(
                "/posts",
                json={
                    "caption": "auto",
                    "media": {"type": "slideshow", "urls": slides(web, 1)},
                    "account_selection": {"strict": strict, "tag": "beauty"},
                    "scheduled_at": when,
                },
            ),
            201,
        )
        chosen.append(created["accounts"][0]["account_id"])
    assert set(chosen) == {a, b}  # least recently posted / free first, never the same slot
    third = api.post(
        "/posts",
        json={
            "caption": "auto 3",
            "media": {"type": "slideshow", "urls": slides(web, 1)},
            "account_selection": {"strict": strict, "tag": "beauty"},
            "scheduled_at": when,
        },
    )
    if strict:
        body_ = err(third, 409, "no_account_available")
        assert "minimum gap" in body_["message"]
    else:
        created = ok(third, 201)
        slot = datetime.fromisoformat(created["scheduled_at"].replace("Z", "+00:00"))
        assert slot >= datetime.fromisoformat(when.replace("Z", "+00:00")) + timedelta(minutes=60)
        assert "RESCHEDULED" in {w["code"] for w in created["warnings"]}
    missing = api.post(
        "/posts",
        json={
            "caption": "none",
            "media": {"type": "slideshow", "urls": slides(web, 1)},
            "account_selection": {"tag": "nobody"},
        },
    )
    err(missing, 400, "missing_accounts")
    both = api.post(
        "/posts",
        json={
            "caption": "both",
            "media": {"type": "slideshow", "urls": slides(web, 1)},
            "accounts": [{"id": str(uuid.uuid4())}],
            "account_selection": {"tag": "beauty"},
        },
    )
    assert "not both" in err(both, 400, "validation_failed")["message"]


def test_concurrent_automatic_choice_never_books_one_slot_twice(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    accounts = [
        tiktok.connect(api, user_group="crew", policy={"min_gap_minutes": 120}) for _ in range(3)
    ]
    when = later(240)
    urls = slides(web, 1)
    results: list[dict[str, Any]] = []

    def book(i: int) -> None:
        response = api.post(
            "/posts",
            json={
                "caption": f"race {i}",
                "media": {"type": "slideshow", "urls": urls},
                "account_selection": {"strict": False, "user_group": "crew"},
                "scheduled_at": when,
            },
        )
        results.append(ok(response, 201))

    threads = [threading.Thread(target=book, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots: dict[str, list[datetime]] = {a: [] for a in accounts}
    for created in results:
        state = created["accounts"][0]
        slots[state["account_id"]].append(
            datetime.fromisoformat(state["scheduled_for"].replace("Z", "+00:00"))
        )
    for times in slots.values():
        times.sort()
        assert all(b - a >= timedelta(minutes=120) for a, b in pairwise(times)), times
    assert sum(len(t) for t in slots.values()) == 6
