"""POST /posts refuses media no platform can take before anything is stored (issue 9):
images of extreme shape (defect 3: a 1-px-wide strip broke TikTok's JPEG variant with a
500) and video bytes with no video behind the magic number (defect 2: IndexError → 500)."""

from __future__ import annotations

import uuid
from typing import Any

from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.files.test_upload_limits import MP4_MVHD_8
from tests.helpers import ApiClient, blank_png, err, image_bytes, mp4_bytes, ok
from tests.posts.test_publish import slides, wait_post
from tests.sandboxes import TikTokEnv


def _post(account: str, media: dict[str, Any]) -> dict[str, Any]:
    return {
        "caption": "limits",
        "media": media,
        "accounts": [{"id": account}],
        "tiktok": {"privacy_level": "SELF_ONLY"},
    }


def _strip(web: Web, width: int, height: int) -> str:
    return web.add(f"limits/{uuid.uuid4().hex}.png", blank_png(width, height), "image/png")


def test_extreme_slide_is_refused_naming_it(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    strip = _strip(web, 1, 70_000)  # taller than any JPEG can be
    media = {"type": "slideshow", "urls": [*slides(web, 1), strip]}
    body = err(api.post("/posts", json=_post(account, media)), 400, "validation_failed")
    message = body["message"]
    assert message.startswith("media.urls[1]: slide 2 (" + strip + ")")
    assert "1x70000" in message and "1:70,000" in message and "between 1:20 and 20:1" in message
    assert body["data"]["errors"][0]["field"] == "media.urls[1]"
    assert ok(api.get("/posts"))["summary"]["total"] == 0
    wide = _strip(web, 17_000, 1_000)  # 17:1 but a side over 16,384 px
    media = {"type": "slideshow", "urls": [wide]}
    body = err(api.post("/posts", json=_post(account, media)), 400, "validation_failed")
    assert "17000x1000" in body["message"] and "16384 px" in body["message"]


def test_a_slide_at_the_limit_is_posted(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    tall = web.add(f"limits/{uuid.uuid4().hex}.jpg", image_bytes((100, 2_000)))  # 1:20
    created = ok(
        api.post("/posts", json=_post(account, {"type": "slideshow", "urls": [tall]})), 201
    )
    assert wait_post(api, created["id"])["status"] == "posted"


def test_variant_encoder_checks_its_own_limits(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    """With the door limits lifted (as for media stored before they existed), TikTok's
    variant still refuses, by slide, a JPEG it cannot make instead of crashing."""
    account = tiktok.connect(api)
    settings = runtime.settings
    original = settings.max_image_aspect, settings.max_image_side
    settings.max_image_aspect, settings.max_image_side = 1e9, 10**9
    try:
        media = {"type": "slideshow", "urls": [*slides(web, 1), _strip(web, 1, 70_000)]}
        body = err(api.post("/posts", json=_post(account, media)), 400, "validation_failed")
    finally:
        settings.max_image_aspect, settings.max_image_side = original
    assert body["message"].startswith("media.urls[1]: slide 2 (1x70000) would be 1x70000 px")
    assert "TikTok JPEG" in body["message"] and "65500" in body["message"]


def test_extreme_cover_is_refused(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    video = web.add(f"limits/{uuid.uuid4().hex}.mp4", mp4_bytes(20.0), "video/mp4")
    cover = _strip(web, 30_000, 1_000)  # 30:1
    media = {"type": "video", "url": video, "cover_url": cover}
    body = err(api.post("/posts", json=_post(account, media)), 400, "validation_failed")
    assert body["message"].startswith(f"media.cover_url: {cover} cannot be used")
    assert "30:1" in body["message"]


def test_video_bytes_without_a_video(api: ApiClient, tiktok: TikTokEnv, web: Web) -> None:
    account = tiktok.connect(api)
    url = web.add(f"limits/{uuid.uuid4().hex}.mp4", MP4_MVHD_8, "video/mp4")
    body = err(
        api.post("/posts", json=_post(account, {"type": "video", "url": url})),
        400,
        "validation_failed",
    )
    assert url in body["message"] and "truncated or not a video" in body["message"]
