"""UGC-compatible calls (seeds/001) through HTTP."""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa
from dbos import DBOS

from slideforge.models import Account, PostTarget
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, mp4_bytes, ok
from tests.posts.test_endpoints import later
from tests.posts.test_publish import slides, wait_post
from tests.sandboxes import InstagramEnv, TikTokEnv


def ugc(api: ApiClient) -> httpx.Client:
    return httpx.Client(base_url=api.base_url + "/ugc", headers=dict(api.http.headers), timeout=60)


def test_automatic_account_choice(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    first = tiktok.connect(api, tags=["fitness"])
    second = tiktok.connect(api, tags=["fitness"])
    client = ugc(api)
    when = later(60)
    a = ok(
        client.post(
            "/post/slideshow",
            json={
                "accountId": None,
                "imageUrls": slides(web, 2),
                "caption": "leg day",
                "postTime": when,
                "strict": True,
                "tag": "fitness",
                "musicPostId": "7559313483398008095",
            },
        ),
        201,
    )
    b = ok(
        client.post(
            "/post/slideshow",
            json={
                "accountId": None,
                "imageUrls": slides(web, 2),
                "caption": "arm day",
                "postTime": when,
                "strict": True,
                "tag": "fitness",
            },
        ),
        201,
    )
    chosen = {a["account_id"], b["account_id"]}
    assert chosen == {first, second}
    assert a["status"] == "scheduled" and a["type"] == "slideshow" and a["platform"] == "tiktok"
    assert a["music_post_id"] == "7559313483398008095" and b["music_post_id"] is None
    assert a["social_id"] is None and a["postUrl"] is None and len(a["media_urls"]) == 2
    assert "MUSIC_NOT_ATTACHED" in {w["code"] for w in a["warnings"]}
    third = client.post(
        "/post/slideshow",
        json={
            "accountId": None,
            "imageUrls": slides(web, 1),
            "caption": "core",
            "postTime": when,
            "strict": True,
            "tag": "fitness",
        },
    )
    err(third, 409, "no_account_available")


def test_given_account_and_immediate_video(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    client = ugc(api)
    video = web.add("ugc.mp4", mp4_bytes(30.0), "video/mp4")
    created = ok(
        client.post(
            "/post/video", json={"accountId": account, "videoUrl": video, "caption": "now"}
        ),
        201,
    )
    assert created["account_id"] == account and created["type"] == "video"
    assert created["media_urls"] == [video] and created["caption"] == "now"
    assert wait_post(api, created["id"])["status"] == "posted"


def test_a_scheduled_post_has_its_workflow_when_the_answer_comes(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    """The compat endpoint only creates the post: the posts service starts the publish
    workflow after its commit (a day ahead, so no sweep could have started it instead), and
    a delete cancels it after its own."""
    account = tiktok.connect(api)
    created = ok(
        ugc(api).post(
            "/post/slideshow",
            json={"accountId": account, "imageUrls": slides(web, 1), "postTime": later(24 * 60)},
        ),
        201,
    )
    with runtime.db.session() as session:
        post_id = uuid.UUID(created["id"])
        target_id = session.scalar(sa.select(PostTarget.id).where(PostTarget.post_id == post_id))

    def publish_workflows() -> list[str]:
        found = DBOS.list_workflows(workflow_id_prefix=f"publish:{target_id}:", load_input=False)
        return [w.status for w in found]

    assert publish_workflows() == ["DELAYED"]
    ok(api.post("/posts/delete", json={"postIds": [created["id"]]}))
    assert publish_workflows() == ["CANCELLED"]


def test_ugc_validation(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    client = ugc(api)
    err(
        client.post("/post/slideshow", json={"accountId": None, "imageUrls": []}),
        422,
        "invalid_payload",
    )
    err(
        client.post("/post/slideshow", json={"imageUrls": ["ftp://x/y.jpg"]}),
        422,
        "invalid_payload",
    )
    err(client.post("/post/video", json={"videoUrl": web.url("x.mp4"), "caption": "x" * 501}), 422)
    err(
        client.post(
            "/post/slideshow",
            json={"accountId": "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812", "imageUrls": slides(web, 1)},
        ),
        400,
        "unknown_accounts",
    )
    err(
        client.post(
            "/post/slideshow", json={"accountId": None, "imageUrls": slides(web, 1), "tag": "ghost"}
        ),
        400,
        "missing_accounts",
    )
    err(httpx.post(api.base_url + "/ugc/post/slideshow", json={}), 401, "unauthorized")


def test_post_time_beyond_the_horizon(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    tiktok.connect(api)
    client = ugc(api)
    for far in ("9999-12-31T23:59:59Z", "2999-01-01T00:00:00+02:00"):
        answer = err(
            client.post(
                "/post/slideshow",
                json={"accountId": None, "imageUrls": slides(web, 1), "postTime": far},
            ),
            400,
            "validation_failed",
        )
        assert "postTime" in answer["message"] and "days ahead" in answer["message"]
        assert "scheduled_at" not in answer["message"]
        assert answer["data"]["errors"][0]["field"] == "postTime"


def test_platform_filter_with_mixed_accounts_under_one_tag(
    api: ApiClient, tiktok: TikTokEnv, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    """One tag on a TikTok and an Instagram account: ``platform`` picks among them, a
    slideshow with music goes to the TikTok one, and music on Instagram is refused."""
    on_tiktok = tiktok.connect(api, tags=["mix"])
    on_instagram = instagram.connect(api)
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(on_instagram))
        assert row is not None
        row.tags = ["mix"]
        session.commit()
    client = ugc(api)
    when = later(90)

    def post(**extra: object) -> dict[str, object]:
        answer: dict[str, object] = ok(
            client.post(
                "/post/slideshow",
                json={
                    "accountId": None,
                    "imageUrls": slides(web, 2, size=(1080, 1350)),
                    "caption": f"mixed {uuid.uuid4().hex[:6]}",
                    "postTime": when,
                    "tag": "mix",
                    **extra,
                },
            ),
            201,
        )
        return answer

    insta = post(platform="instagram")
    assert insta["account_id"] == on_instagram and insta["platform"] == "instagram"
    tik = post(platform="tiktok")
    assert tik["account_id"] == on_tiktok and tik["platform"] == "tiktok"
    music = post(musicPostId="7559313483398008095")
    assert music["account_id"] == on_tiktok and music["music_post_id"] == "7559313483398008095"
    refused = err(
        client.post(
            "/post/slideshow",
            json={
                "accountId": None,
                "imageUrls": slides(web, 1),
                "tag": "mix",
                "platform": "instagram",
                "musicPostId": "7559313483398008095",
            },
        ),
        422,
        "ugc_music_needs_tiktok",
    )
    assert "platform" in refused["message"]
    err(
        client.post(
            "/post/slideshow",
            json={"accountId": None, "imageUrls": slides(web, 1), "platform": "pinterest"},
        ),
        422,
        "invalid_payload",
    )
