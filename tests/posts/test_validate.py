"""POST /posts/validate: a dry run of POST /posts through HTTP — the same checks and refusals,
the plan (accounts, slots, media variants, warnings), and nothing stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from slideforge.kit.clock import ManualClock
from slideforge.models import File, Post, PostRequest
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, mp4_bytes, ok
from tests.posts.test_endpoints import body, later
from tests.posts.test_publish import slides
from tests.sandboxes import InstagramEnv, TikTokEnv


def _stored(runtime: Runtime, api: ApiClient) -> tuple[int, ...]:
    """The workspace's posts, files and idempotency reservations, and the stored post media
    (``posts/…`` in the storage)."""
    posts = runtime.settings.resolved_media_dir / "posts"
    kept = sum(1 for p in posts.rglob("*") if p.is_file()) if posts.exists() else 0
    with runtime.db.session() as session:
        counts = [
            int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(model)
                    .where(model.workspace_id == api.workspace_id)
                )
                or 0
            )
            for model in (Post, File, PostRequest)
        ]
    return (kept, *counts)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _same_refusal(api: ApiClient, payload: dict[str, Any], status: int, code: str) -> str:
    """The dry run refuses ``payload`` exactly as POST /posts does; the message."""
    dry = err(api.post("/posts/validate", json=payload), status, code)
    real = err(api.post("/posts", json=payload), status, code)
    assert (dry["error_code"], dry["message"], dry.get("data")) == (
        real["error_code"],
        real["message"],
        real.get("data"),
    )
    return str(dry["message"])


def test_plan_of_a_valid_post_and_nothing_stored(
    api: ApiClient, tiktok: TikTokEnv, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    tok = tiktok.connect(api)
    gram = instagram.connect(api)
    when = later(90)
    payload = body(web, [tok, gram], scheduled_at=when, external_id="plan-1")
    payload["media"] = {"type": "slideshow", "urls": slides(web, 2, (1440, 2560), "PNG")}
    before = _stored(runtime, api)
    plan = ok(api.post("/posts/validate", json=payload))
    assert _stored(runtime, api) == before  # no post, file or reservation
    assert plan["valid"] is True and plan["duplicate_of"] is None
    assert _at(plan["scheduled_at"]) == _at(when)
    by_id = {a["account_id"]: a for a in plan["accounts"]}
    assert set(by_id) == {tok, gram}
    assert by_id[tok]["platform"] == "tiktok" and by_id[gram]["platform"] == "instagram"
    assert all(_at(a["scheduled_for"]) == _at(when) and not a["draft"] for a in by_id.values())
    assert by_id[gram]["username"]
    media = plan["media"]
    assert media["type"] == "slideshow" and media["count"] == 2
    notes = {v["platform"]: " | ".join(v["notes"]) for v in media["variants"]}
    assert "converted" in notes["tiktok"] and "shorter side of 1080 px" in notes["tiktok"]
    assert "1080x1350" in notes["instagram"] and "slides 1, 2" in notes["instagram"]
    codes = {w["code"] for w in plan["warnings"]}
    assert codes & {"INSTAGRAM_PADDED", "INSTAGRAM_CROPPED"}
    assert "TIKTOK_PRIVACY_DEFAULT" in codes
    # The key was not taken: the real create with the same external_id makes the post, with
    # the plan's accounts, times and warnings.
    created = ok(api.post("/posts", json=payload), 201)
    assert created["duplicate"] is False
    assert {a["account_id"]: _at(a["scheduled_for"]) for a in created["accounts"]} == {
        a["account_id"]: _at(a["scheduled_for"]) for a in plan["accounts"]
    }
    assert [w["code"] for w in created["warnings"]] == [w["code"] for w in plan["warnings"]]
    assert _stored(runtime, api)[1] == before[1] + 1


def test_video_plan_and_draft(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    tok = tiktok.connect(api)
    video = web.add(f"v-{uuid.uuid4().hex}.mp4", mp4_bytes(20), "video/mp4")
    plan = ok(
        api.post(
            "/posts/validate",
            json=body(web, [tok], media={"type": "video", "url": video}, scheduled_at=later()),
        )
    )
    assert plan["media"]["type"] == "video" and plan["media"]["count"] == 1
    assert "not re-encoded" in plan["media"]["variants"][0]["notes"][0]
    inbox = ok(
        api.post("/posts/validate", json=body(web, [tok], tiktok={"post_mode": "MEDIA_UPLOAD"}))
    )
    assert inbox["accounts"][0]["draft"] is True
    assert inbox["scheduled_at"] is None  # now: no scheduled time, due at once


def test_refusals_equal_post_posts(
    api: ApiClient,
    make_api: Any,
    tiktok: TikTokEnv,
    web: Web,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    # The clock stands still: messages naming a time computed from now (the horizon) match.
    tok = tiktok.connect(api)
    theirs = tiktok.connect(make_api())
    paused = tiktok.connect(api)
    ok(api.patch(f"/accounts/{paused}", json={"status": "paused"}))
    good = body(web, [tok], scheduled_at=later())
    before = _stored(runtime, api)
    no_accounts = {"caption": "x", "media": good["media"]}
    _same_refusal(api, no_accounts, 400, "missing_accounts")
    both = {**good, "account_selection": {"tag": "x"}}
    assert "not both" in _same_refusal(api, both, 400, "validation_failed")
    assert theirs in _same_refusal(api, body(web, [theirs]), 400, "unknown_accounts")
    assert "paused" in _same_refusal(api, body(web, [paused]), 400, "unknown_accounts")
    _same_refusal(
        api, {**good, "scheduled_at": "2020-01-01T00:00:00Z"}, 422, "invalid_scheduled_at"
    )
    _same_refusal(api, {**good, "scheduled_at": "tomorrow"}, 422, "invalid_scheduled_at")
    far = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "days ahead" in _same_refusal(
        api, {**good, "scheduled_at": far}, 400, "validation_failed"
    )
    _same_refusal(
        api, {**good, "music_url": "https://open.spotify.com/track/1"}, 400, "invalid_music_url"
    )
    _same_refusal(api, {**good, "pinterest": {"title": "p"}}, 400, "validation_failed")
    missing = web.url(f"nope-{uuid.uuid4().hex}.jpg")
    unreachable = {**good, "media": {"type": "slideshow", "urls": [missing]}}
    assert missing in _same_refusal(api, unreachable, 400, "media_unreachable")
    gif = web.add(f"a-{uuid.uuid4().hex}.gif", image_bytes(fmt="GIF"), "image/gif")
    gif_post = {**good, "media": {"type": "slideshow", "urls": [*slides(web, 1), gif]}}
    assert "slide 2" in _same_refusal(api, gif_post, 400, "validation_failed")
    short = web.add(f"s-{uuid.uuid4().hex}.mp4", mp4_bytes(5), "video/mp4")
    short_post = {**good, "media": {"type": "video", "url": short}}
    assert "15–60" in _same_refusal(api, short_post, 400, "validation_failed")
    _same_refusal(api, {**good, "caption": "x" * 501}, 422, "invalid_payload")
    nobody = {"caption": "x", "media": good["media"], "account_selection": {"tag": "nobody"}}
    _same_refusal(api, nobody, 400, "missing_accounts")
    # No rows (a refused POST /posts may leave fetched slides in storage: only rows here).
    assert _stored(runtime, api)[1:] == before[1:]
    # An external_id already used with another body: 409 from both.
    ok(api.post("/posts", json={**good, "external_id": "taken"}), 201)
    _same_refusal(api, {**good, "caption": "other", "external_id": "taken"}, 409, "create_failed")


def test_automatic_choice_shows_account_and_slot(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    account = tiktok.connect(api, tags=["solo"], policy={"min_gap_minutes": 60})
    when = later(120)

    def auto(caption: str, strict: bool = False) -> dict[str, Any]:
        return {
            "caption": caption,
            "media": {"type": "slideshow", "urls": slides(web, 1)},
            "account_selection": {"strict": strict, "tag": "solo"},
            "scheduled_at": when,
        }

    first = ok(api.post("/posts/validate", json=auto("one")))
    assert first["accounts"][0]["account_id"] == account
    assert _at(first["accounts"][0]["scheduled_for"]) == _at(when)
    ok(api.post("/posts", json=auto("one")), 201)  # books the slot at `when`
    before = _stored(runtime, api)
    plan = ok(api.post("/posts/validate", json=auto("two")))
    assert _stored(runtime, api) == before
    slot = _at(plan["accounts"][0]["scheduled_for"])
    assert slot >= _at(when) + timedelta(minutes=60) and _at(plan["scheduled_at"]) == slot
    assert "RESCHEDULED" in {w["code"] for w in plan["warnings"]}
    created = ok(api.post("/posts", json=auto("two")), 201)  # the server books what it showed
    assert created["accounts"][0]["account_id"] == account
    assert _at(created["scheduled_at"]) == slot
    message = _same_refusal(api, auto("three", strict=True), 409, "no_account_available")
    assert "minimum gap" in message


def test_cap_warning_with_the_wait(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api, policy={"max_posts_per_24h": 1})
    ok(api.post("/posts", json=body(web, [account], scheduled_at=later(60))), 201)
    plan = ok(
        api.post(
            "/posts/validate", json=body(web, [account], caption="2nd", scheduled_at=later(90))
        )
    )
    assert "ACCOUNT_CAP" in {w["code"] for w in plan["warnings"]}
    waits = plan["accounts"][0]["waits_until"]
    assert waits and _at(waits) > _at(plan["accounts"][0]["scheduled_for"])


def test_duplicate_of_an_earlier_post(
    api: ApiClient, make_api: Any, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    payload = body(web, [account], scheduled_at=later(), external_id="dup-1")
    created = ok(api.post("/posts", json=payload), 201)
    plan = ok(api.post("/posts/validate", json=payload))
    assert plan["duplicate_of"] == created["id"] and plan["valid"] is True
    assert plan["accounts"][0]["account_id"] == account
    assert _at(plan["accounts"][0]["scheduled_for"]) == _at(created["accounts"][0]["scheduled_for"])
    # Without external_id, the same body within the dedupe window answers its post too.
    same_body = body(web, [account], scheduled_at=later(200))
    first = ok(api.post("/posts", json=same_body), 201)
    assert ok(api.post("/posts/validate", json=same_body))["duplicate_of"] == first["id"]
    # Another workspace's external_id names no post here; GET /posts/validate is no post.
    other = make_api()
    theirs = tiktok.connect(other)
    ok(
        other.post("/posts", json=body(web, [theirs], scheduled_at=later(), external_id="dup-2")),
        201,
    )
    mine = ok(api.post("/posts/validate", json={**payload, "external_id": "dup-2"}))
    assert mine["duplicate_of"] is None
    err(api.get("/posts/validate"), 404, "not_found")
