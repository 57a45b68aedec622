"""The whole path of an agent over MCP (Streamable HTTP): accounts → generate → render (the
slides come back as images) → validate → plan → confirm → the post is published on the TikTok
sandbox, once, however often the confirmed call is repeated."""

from __future__ import annotations

import base64
import io
import time
import uuid

import anyio
from mcp.types import ImageContent
from PIL import Image

from platform_sandbox.server import RunningServer
from slideforge.kit.clock import ManualClock
from tests.conftest import Web
from tests.helpers import ApiClient
from tests.mcp_server.support import call, data, over_http, refusal, run
from tests.posts.test_endpoints import body
from tests.sandboxes import TikTokEnv
from tests.slideshows.support import make_pack, manual


def test_full_flow_posts_on_the_tiktok_sandbox(
    server: RunningServer, api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    pack_id, _ = make_pack(api, web, count=3)
    texts = {"0": "Three habits", "1": "Sleep early", "2": "Drink water"}
    slide_config = {"total_slides": 3, "slide_texts": texts}
    tiktok_options = {"post_mode": "DIRECT_POST", "privacy_level": "SELF_ONLY"}
    external_id = f"mcp-{uuid.uuid4().hex[:8]}"

    async def work() -> None:
        async with over_http(server, api.key) as session:
            accounts = data(await call(session, "list_accounts"))["accounts"]
            assert [a["id"] for a in accounts] == [account]

            generate = {k: v for k, v in manual(pack_id).items() if k != "slide_count"}
            made = data(
                await call(session, "generate_slideshow", **generate, slide_config=slide_config)
            )
            slideshow_id = made["id"]
            assert made["status"] == "draft" and made["slide_count"] == 3

            rendered = await call(session, "render_slideshow", slideshow_id=slideshow_id)
            report = data(rendered)
            assert len(report["slides"]) == 3
            assert all(isinstance(s["checks"], list) for s in report["slides"])
            images = [c for c in rendered.content if isinstance(c, ImageContent)]
            assert len(images) == 3 and {i.mime_type for i in images} == {"image/jpeg"}
            with Image.open(io.BytesIO(base64.b64decode(images[0].data))) as preview:
                assert preview.format == "JPEG" and preview.width == 360
                assert preview.height == 450  # 4:5

            post = {
                "caption": "Three habits #morning",
                "accounts": [account],
                "slideshow_id": slideshow_id,
                "tiktok": tiktok_options,
            }
            plan = data(await call(session, "validate_post", **post))
            assert plan["valid"] is True
            assert [a["account_id"] for a in plan["accounts"]] == [account]

            planned = data(await call(session, "schedule_post", **post, external_id=external_id))
            assert planned["plan"]["accounts"][0]["account_id"] == account
            token = planned["plan_token"]
            # Nothing is stored by the plan; a commit needs its token, for these arguments.
            assert data(await call(session, "list_posts"))["posts"] == []
            missing = refusal(
                await call(session, "schedule_post", **post, external_id=external_id, confirm=True)
            )
            assert missing["error_code"] == "plan_token_invalid" and missing["status"] == 422
            changed = {**post, "caption": "Something else"}
            altered = refusal(
                await call(
                    session,
                    "schedule_post",
                    **changed,
                    external_id=external_id,
                    confirm=True,
                    plan_token=token,
                )
            )
            assert altered["error_code"] == "plan_token_invalid"
            assert "does not match" in altered["message"]

            arguments = {**post, "external_id": external_id, "confirm": True, "plan_token": token}
            created = data(await call(session, "schedule_post", **arguments))
            again = data(await call(session, "schedule_post", **arguments))
            assert again["id"] == created["id"] and again["duplicate"] is True
            listed = data(await call(session, "list_posts"))["posts"]
            assert [p["id"] for p in listed] == [created["id"]]

            deadline = time.monotonic() + 60
            while True:
                shown = data(await call(session, "get_post", post_id=created["id"]))
                if shown["status"] not in ("pending", "scheduled", "processing", "retry"):
                    break
                assert time.monotonic() < deadline, shown
                await anyio.sleep(0.3)
            assert shown["status"] == "posted", shown
            # A posted post is not deleted, and retry has nothing failed to retry.
            kept = data(await call(session, "delete_post", post_id=created["id"]))
            assert kept["deletedIds"] == [] and kept["blockedStatuses"][0]["status"] == "posted"
            retried = data(await call(session, "retry_post", post_id=created["id"]))
            assert retried["retried"] == 0

    run(work)
    assert len(tiktok.sandbox.publishes(open_id=tiktok.open_id(account))) == 1


def test_validate_and_plan_refuse_as_post_does(
    server: RunningServer, api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    """A body POST /posts refuses is refused by validate_post and schedule_post's plan with
    the same error_code, status and message, and nothing is stored."""
    account = tiktok.connect(api)
    post = body(web, [account], caption="x" * 501)
    answer = api.post("/posts", json=post)
    assert answer.status_code == 422
    expected = {k: answer.json()[k] for k in ("error_code", "message")}
    arguments = {"caption": post["caption"], "media": post["media"], "accounts": [account]}

    async def work() -> None:
        async with over_http(server, api.key) as session:
            for tool, extra in (("validate_post", {}), ("schedule_post", {"external_id": "e1"})):
                refused = refusal(await call(session, tool, **arguments, **extra))
                assert refused["status"] == 422, tool
                assert {k: refused[k] for k in expected} == expected, tool
            assert data(await call(session, "list_posts"))["posts"] == []

    run(work)


def test_a_plan_token_expires_after_ten_minutes(
    server: RunningServer, api: ApiClient, tiktok: TikTokEnv, web: Web, clock: ManualClock
) -> None:
    account = tiktok.connect(api)
    post = body(web, [account], tiktok={"post_mode": "DIRECT_POST", "privacy_level": "SELF_ONLY"})
    arguments = {**post, "accounts": [account], "external_id": f"exp-{uuid.uuid4().hex[:8]}"}

    async def work() -> None:
        async with over_http(server, api.key) as session:
            planned = data(await call(session, "schedule_post", **arguments))
            clock.advance(minutes=10, seconds=1)
            late = refusal(
                await call(
                    session,
                    "schedule_post",
                    **arguments,
                    confirm=True,
                    plan_token=planned["plan_token"],
                )
            )
            assert late["error_code"] == "plan_token_invalid" and "expired" in late["message"]
            assert data(await call(session, "list_posts"))["posts"] == []

    run(work)


def test_retry_post_leaves_an_unknown_outcome_alone(
    server: RunningServer, api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    """TikTok took the post but answered 500: the outcome is unknown (it may be live), and
    retry_post (the REST retry without include_unknown) does not send it again."""
    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=500,
        error_code="internal_error",
        after_commit=True,
        open_id=open_id,
    )
    post = body(web, [account])
    arguments = {**post, "accounts": [account], "external_id": f"unk-{uuid.uuid4().hex[:8]}"}

    async def work() -> None:
        async with over_http(server, api.key) as session:
            token = data(await call(session, "schedule_post", **arguments))["plan_token"]
            created = data(
                await call(session, "schedule_post", **arguments, confirm=True, plan_token=token)
            )
            deadline = time.monotonic() + 60
            while (shown := data(await call(session, "get_post", post_id=created["id"])))[
                "status"
            ] != "outcome_unknown":
                assert shown["status"] not in ("posted", "failed"), shown
                assert time.monotonic() < deadline, shown
                await anyio.sleep(0.3)
            retried = data(await call(session, "retry_post", post_id=created["id"]))
            assert retried["retried"] == 0
            assert "include_unknown" in retried["errors"][created["id"]]

    run(work)
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1


def test_slideshow_to_video_over_mcp(server: RunningServer, api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=2)
    slide_config = {"total_slides": 2, "slide_texts": {"0": "One", "1": "Two"}}

    async def work() -> None:
        async with over_http(server, api.key) as session:
            generate = {k: v for k, v in manual(pack_id).items() if k != "slide_count"}
            made = data(
                await call(session, "generate_slideshow", **generate, slide_config=slide_config)
            )
            done = data(
                await call(
                    session,
                    "slideshow_to_video",
                    slideshow_id=made["id"],
                    seconds_per_slide=1,
                    fps=24,
                    wait_seconds=60,
                )
            )
            video = done["video"]
            assert video["status"] == "succeeded", video
            assert (video["width"], video["height"], video["duration"]) == (1080, 1350, 2.0)
            busy = refusal(
                await call(session, "slideshow_to_video", slideshow_id=made["id"], fps=25)
            )
            assert (busy["error_code"], busy["status"]) == ("invalid_payload", 422)

    run(work)
