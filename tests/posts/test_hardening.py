"""Issue 9 hardening of /posts through HTTP: the schedule horizon, out-of-range dates, cover
frames, accounts that were never connected, and slideshows posted without any text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slideforge.accounts import service as accounts
from slideforge.kit.clock import ManualClock, isoformat
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, mp4_bytes, ok
from tests.posts.test_endpoints import body, later
from tests.posts.test_publish import slides
from tests.sandboxes import TikTokEnv
from tests.slideshows.support import make_pack, manual


def test_schedule_horizon_on_create_and_patch(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, clock: ManualClock
) -> None:
    account = tiktok.connect(api)
    horizon = runtime.settings.schedule_horizon_days
    for far in (
        "9999-12-31T23:59:59Z",  # was a 500 (OverflowError in the cap check)
        "9999-12-31T23:59:59-05:00",  # the year 10000 in UTC
        isoformat(clock.now() + timedelta(days=horizon, minutes=5)),
    ):
        answer = err(
            api.post("/posts", json=body(web, [account], scheduled_at=far)),
            400,
            "validation_failed",
        )
        assert f"{horizon} days" in answer["message"] and "scheduled_at" in answer["message"]
        assert answer["data"]["errors"][0]["field"] == "scheduled_at"
    # The last day inside the horizon is fine, and so is a PATCH within it ...
    inside = isoformat(clock.now() + timedelta(days=horizon, minutes=-5))
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=inside)), 201)
    assert created["status"] == "scheduled"
    ok(api.patch(f"/posts/{created['id']}", json={"scheduled_at": later(120)}))
    # ... but not a PATCH beyond it.
    answer = err(
        api.patch(f"/posts/{created['id']}", json={"scheduled_at": "9999-12-31T23:59:59Z"}),
        400,
        "validation_failed",
    )
    assert f"{horizon} days" in answer["message"]
    # A malformed or past time keeps its own code.
    err(api.post("/posts", json=body(web, [account], scheduled_at="soon")), 422)
    err(
        api.post("/posts", json=body(web, [account], scheduled_at="0001-01-01T00:00:00Z")),
        422,
        "invalid_scheduled_at",
    )


def test_extreme_dates_in_list_filters(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    ok(api.post("/posts", json=body(web, [account])), 201)
    for since, until, total in (
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", 1),
        ("9999-12-31T23:59:59Z", None, 0),
        (None, "0001-01-01T00:00:00Z", 0),
    ):
        params = {k: v for k, v in (("since", since), ("until", until)) if v}
        assert ok(api.get("/posts", params=params))["summary"]["total"] == total
    # Valid ISO text whose UTC time leaves the years 1–9999: a 400, not a 500.
    err(api.get("/posts", params={"since": "0001-01-01T00:00:00+01:00"}), 400, "invalid_since")
    err(api.get("/posts", params={"until": "9999-12-31T23:59:59-05:00"}), 400, "invalid_until")


def test_cover_frame_is_bounded(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    video = web.add("hardening/v.mp4", mp4_bytes(20.0), "video/mp4")

    def video_post(**media: Any) -> dict[str, Any]:
        return {
            "caption": "v",
            "media": {"type": "video", "url": video, **media},
            "accounts": [{"id": account}],
        }

    for huge in (10**30, 2**63, 60_001):
        answer = err(api.post("/posts", json=video_post(cover_timestamp_ms=huge)), 422)
        assert "cover_timestamp_ms" in answer["message"]
        answer = err(
            api.post(
                "/posts",
                json={**video_post(), "tiktok": {"video_cover_timestamp_ms": huge}},
            ),
            422,
        )
        assert "video_cover_timestamp_ms" in answer["message"]
    # Known duration (20 s): beyond it is refused, inside it is fine.
    err(api.post("/posts", json=video_post(cover_timestamp_ms=25_000)), 400, "validation_failed")
    ok(api.post("/posts", json=video_post(cover_timestamp_ms=1_500)), 201)
    # TikTok's own cover time too, on create and on PATCH.
    beyond = {**video_post(), "tiktok": {"video_cover_timestamp_ms": 25_000}, "caption": "w"}
    answer = err(api.post("/posts", json=beyond), 400, "validation_failed")
    assert "tiktok.video_cover_timestamp_ms" in answer["message"]
    inside = {**video_post(), "tiktok": {"video_cover_timestamp_ms": 2_000}, "caption": "x"}
    post_id = ok(api.post("/posts", json=inside), 201)["id"]
    patch = {"tiktok": {"video_cover_timestamp_ms": 30_000}}
    err(api.patch(f"/posts/{post_id}", json=patch), 400, "validation_failed")


def test_unconnected_accounts_are_never_used(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        row = accounts.create_account(
            session, api.workspace_id, platform="tiktok", username="added_by_cli"
        )
        unconnected = str(row.id)
    listed = ok(api.get("/accounts", params={"status": "all"}))["accounts"]
    assert [a["status"] for a in listed if a["id"] == unconnected] == ["unconnected"]
    assert ok(api.get("/accounts"))["accounts"] == []  # not active
    shown = ok(api.get("/accounts", params={"status": "unconnected"}))["accounts"]
    assert [a["id"] for a in shown] == [unconnected]

    # Named explicitly: 400 at create time, saying how to connect it.
    answer = err(api.post("/posts", json=body(web, [unconnected])), 400, "account_not_connected")
    assert "POST /accounts/connect" in answer["message"] and "@added_by_cli" in answer["message"]
    answer = err(
        api.post(
            "/posts",
            json={
                **body(web, []),
                "accounts": None,
                "account_selection": {"account_id": unconnected},
            },
        ),
        400,
        "account_not_connected",
    )
    # Automatic choice never takes it: with only it, there is no account ...
    auto = {**body(web, []), "accounts": None, "account_selection": {"platform": "tiktok"}}
    err(api.post("/posts", json=auto), 400, "missing_accounts")
    # ... and with a connected one, the connected one posts.
    connected = tiktok.connect(api)
    for _ in range(3):
        created = ok(api.post("/posts", json={**auto, "caption": f"c{_}"}), 201)
        assert [a["account_id"] for a in created["accounts"]] == [connected]

    # PATCH cannot make it active (nor paused, then active) by hand.
    for status in ("active", "paused"):
        answer = err(
            api.patch(f"/accounts/{unconnected}", json={"status": status}),
            400,
            "account_not_connected",
        )
        assert "POST /accounts/connect" in answer["message"]
    other = ok(api.patch(f"/accounts/{unconnected}", json={"tags": ["later"]}))
    assert other["status"] == "unconnected"


def test_a_slideshow_posted_without_any_text_warns(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    pack_id, _ = make_pack(api, web, count=2)
    blank = ok(api.post("/slideshows/generate", json=manual(pack_id, slide_count=2)))
    for slide in blank["slides"]:
        slide["text_elements"] = []
    ok(api.patch(f"/slideshows/{blank['id']}", json={"slides": blank["slides"]}))
    rendered = ok(api.post(f"/slideshows/{blank['id']}/render"))
    for slide in rendered["slides"]:
        assert "SLIDES_WITHOUT_TEXT" in {w["code"] for w in slide["warnings"]}
    created = ok(
        api.post(
            "/posts",
            json={
                "caption": "blank",
                "media": {"type": "slideshow", "urls": rendered["rendered_image_urls"]},
                "accounts": [{"id": account}],
                "tiktok": {"post_mode": "MEDIA_UPLOAD"},
            },
        ),
        201,
    )
    warning = next(w for w in created["warnings"] if w["code"] == "SLIDES_WITHOUT_TEXT")
    assert blank["id"] in warning["message"] and warning["field"] == "media.urls"
    assert "SLIDES_WITHOUT_TEXT" in {
        w["code"] for w in ok(api.get(f"/posts/{created['id']}"))["warnings"]
    }

    # A slideshow with text, and plain images, post without that warning.
    texted = ok(
        api.post(
            "/slideshows/generate",
            json=manual(
                pack_id,
                slide_count=2,
                slide_config={"total_slides": 2, "slide_texts": {"0": "Hook", "1": "Tip"}},
            ),
        )
    )
    rendered = ok(api.post(f"/slideshows/{texted['id']}/render"))
    assert all(
        "SLIDES_WITHOUT_TEXT" not in {w["code"] for w in s["warnings"]} for s in rendered["slides"]
    )
    for urls in (rendered["rendered_image_urls"], slides(web, 2)):
        created = ok(
            api.post(
                "/posts",
                json={
                    "caption": "texted",
                    "media": {"type": "slideshow", "urls": urls},
                    "accounts": [{"id": account}],
                    "scheduled_at": later(),
                },
            ),
            201,
        )
        assert "SLIDES_WITHOUT_TEXT" not in {w["code"] for w in created["warnings"]}
