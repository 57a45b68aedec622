"""Small files that decode to many pixels (issue 9, defect 4), through HTTP: probing an upload
decodes nothing, a render shares and reduces its decodes and has a per-request pixel cap, and
a post whose variants are heavy answers 201 at once and has them made by the publish
workflow, where a slide that cannot be decoded fails the target naming the slide."""

from __future__ import annotations

import io
import struct
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from slideforge.kit import pixels
from slideforge.models import Post
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, ok
from tests.sandboxes import TikTokEnv

TERMINAL = ("posted", "failed", "partial", "outcome_unknown")


def png(mode: str, size: tuple[int, int], colour: Any) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return out.getvalue()


def undecodable_png(size: tuple[int, int] = (1200, 1600)) -> bytes:
    """A PNG whose header, chunks and CRCs are all intact, but whose pixel data is a zlib
    stream cut in half: it passes every check short of decoding, then fails to decode."""
    width, height = size

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes((i * 7 + y) % 256 for i in range(width * 3)) for y in range(8))
    stream = zlib.compress(raw * (height // 8))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", stream[: len(stream) // 2])
        + chunk(b"IEND", b"")
    )


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def reset_peak() -> float:
    """Reset this process's peak RSS (the server runs in it); returns the RSS now."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pytest.skip("cannot reset the peak RSS here (/proc/self/clear_refs)")
    return rss_mb()


def upload(api: ApiClient, data: bytes) -> tuple[httpx.Response, str]:
    created = ok(api.post("/files", json={"contentType": "image/png"}), 201)
    put = httpx.put(
        created["uploadUrl"], content=data, headers={"Content-Type": "image/png"}, timeout=60
    )
    return put, created["url"]


def wait_post(api: ApiClient, post_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        post = ok(api.get(f"/posts/{post_id}"))
        if post["status"] in TERMINAL:
            return post  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, post
        time.sleep(0.2)


def slides(web: Web, images: list[bytes]) -> list[str]:
    tag = uuid.uuid4().hex
    return [web.add(f"heavy/{tag}/{i}.png", data, "image/png") for i, data in enumerate(images)]


# -- uploads and renders ---------------------------------------------------------------------


def test_probing_a_64_megapixel_upload_decodes_nothing(api: ApiClient) -> None:
    data = png("LA", (8000, 8000), (120, 255))  # ~140 KB; 256 MB once decoded by Pillow
    assert len(data) < 300_000
    start = reset_peak()
    put, _ = upload(api, data)
    assert put.status_code == 200, put.text
    growth = peak_rss_mb() - start
    assert growth < 100, f"the probe grew the process by {growth:.0f} MB"
    listed = ok(api.get("/files"))["files"][0]
    assert (listed["width"], listed["height"]) == (8000, 8000)


def test_a_render_of_ten_slides_over_one_huge_png_decodes_it_once_reduced(
    api: ApiClient,
) -> None:
    put, url = upload(api, png("LA", (8000, 8000), (120, 255)))
    assert put.status_code == 200
    body = {
        "prompt": "hostile",
        "aspect_ratio": "9:16",
        "skip_ai": True,
        "slide_config": {
            "total_slides": 10,
            "slide_types": ["custom_image"] * 10,
            "custom_images": {str(i): {"image_url": url} for i in range(10)},
            "slide_texts": {str(i): f"Slide {i + 1}" for i in range(10)},
        },
    }
    slideshow = ok(api.post("/slideshows/generate", json=body))
    start = reset_peak()
    rendered = ok(api.post(f"/slideshows/{slideshow['id']}/render"))
    assert len(rendered["slides"]) == 10
    growth = peak_rss_mb() - start
    # One full-size decode (256 MB in Pillow) at a time, not ten (3 GB before).
    assert growth < 600, f"the render grew the process by {growth:.0f} MB"
    with Image.open(
        io.BytesIO(httpx.get(rendered["slides"][3]["rendered_image_url"]).content)
    ) as im:
        assert im.size == (1080, 1920)
        assert im.getpixel((20, 1900)) == pytest.approx((120, 120, 120), abs=3)


def test_a_render_over_the_per_request_pixel_cap_is_refused_naming_the_images(
    api: ApiClient, runtime: Runtime, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.settings, "image_request_budget_megapixels", 5.0)
    urls = slides(web, [png("RGB", (2000, 2000), (10 * i, 90, 160)) for i in range(2)])
    body = {
        "prompt": "cap",
        "aspect_ratio": "9:16",
        "skip_ai": True,
        "slide_config": {
            "total_slides": 2,
            "slide_types": ["custom_image"] * 2,
            "custom_images": {str(i): {"image_url": u} for i, u in enumerate(urls)},
        },
    }
    slideshow = ok(api.post("/slideshows/generate", json=body))
    body_out = err(api.post(f"/slideshows/{slideshow['id']}/render"), 422, "images_too_large")
    assert "8 megapixels" in body_out["message"] and "5 per render" in body_out["message"]
    assert urls[0] in body_out["message"] and "2000x2000" in body_out["message"]
    assert {i["url"] for i in body_out["data"]["images"]} == set(urls)


# -- posts -------------------------------------------------------------------------------------


@pytest.fixture
def heavy(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every post with more than 1 megapixel of variant work counts as heavy."""
    monkeypatch.setattr(runtime.settings, "post_media_inline_megapixels", 1.0)


def create(api: ApiClient, account: str, urls: list[str], **extra: Any) -> httpx.Response:
    return api.post(
        "/posts",
        json={
            "caption": "heavy slides",
            "media": {"type": "slideshow", "urls": urls},
            "accounts": [{"id": account}],
            "tiktok": {"privacy_level": "PUBLIC_TO_EVERYONE"},
            **extra,
        },
    )


def test_a_heavy_post_is_created_without_preparing_its_media(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, heavy: None
) -> None:
    account = tiktok.connect(api)
    urls = slides(web, [png("RGB", (2000, 3000), (40 * i, 90, 160)) for i in range(3)])
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    created = ok(create(api, account, urls, scheduled_at=later), 201)
    assert created["status"] == "scheduled"
    assert [a["account_id"] for a in created["accounts"]] == [account]
    with runtime.db.session() as session:
        post = session.get(Post, uuid.UUID(created["id"]))
        assert post is not None
        assert post.media_variants == {}  # left to the publish workflow
        assert [(i["width"], i["height"]) for i in post.media_items] == [(2000, 3000)] * 3


def test_a_heavy_post_gets_its_variants_from_the_workflow_and_is_posted(
    api: ApiClient, tiktok: TikTokEnv, web: Web, heavy: None
) -> None:
    account = tiktok.connect(api)
    urls = slides(web, [png("RGB", (2000, 3000), (40 * i, 90, 160)) for i in range(3)])
    created = ok(create(api, account, urls), 201)
    post = wait_post(api, created["id"])
    assert post["status"] == "posted", post["accounts"]
    publishes = tiktok.sandbox.publishes(open_id=tiktok.open_id(account))
    assert len(publishes) == 1
    images = publishes[0]["source_info"]["photo_images"]
    assert len(images) == 3
    for i, image_url in enumerate(images):
        with Image.open(io.BytesIO(httpx.get(image_url).content)) as im:
            assert im.format == "JPEG" and im.size == (1080, 1620)
            assert im.getpixel((540, 810)) == pytest.approx((40 * i, 90, 160), abs=3)


def test_a_heavy_post_with_an_undecodable_slide_fails_its_target_naming_the_slide(
    api: ApiClient, tiktok: TikTokEnv, web: Web, heavy: None
) -> None:
    account = tiktok.connect(api)
    urls = slides(web, [png("RGB", (2000, 3000), (40, 90, 160)), undecodable_png()])
    created = ok(create(api, account, urls), 201)
    post = wait_post(api, created["id"])
    assert post["status"] == "failed"
    state = post["accounts"]["states"][0]
    assert state["status"] == "failed" and state["error_code"] == "invalid_media"
    assert state["error_message"].startswith(f"slide 2 ({urls[1]}) cannot be used")
    assert "truncated or corrupt" in state["error_message"]
    assert tiktok.sandbox.publishes(open_id=tiktok.open_id(account)) == []


def test_a_light_post_with_an_undecodable_slide_is_refused_naming_the_slide(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    urls = slides(web, [image_bytes((300, 400), "PNG"), undecodable_png((300, 400))])
    body = err(create(api, account, urls), 400, "validation_failed")
    assert body["message"].startswith(f"media.urls[1]: slide 2 ({urls[1]}) cannot be used")


def test_the_pixel_budget_is_back_to_zero_after_the_work(
    api: ApiClient, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    urls = slides(web, [png("RGB", (3000, 4000), (200, 40, 90))])
    created = ok(create(api, account, urls), 201)
    assert wait_post(api, created["id"])["status"] == "posted"
    assert pixels.budget().used == 0


def test_an_edit_to_heavy_media_leaves_the_variants_to_the_workflow(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = tiktok.connect(api)
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    light = slides(web, [image_bytes((300, 400), "PNG")])
    created = ok(create(api, account, light, scheduled_at=later), 201)

    def variants() -> dict[str, Any]:
        with runtime.db.session() as session:
            post = session.get(Post, uuid.UUID(created["id"]))
            assert post is not None
            return dict(post.media_variants)

    assert len(variants()["tiktok"]) == 1  # light: made inside the request
    monkeypatch.setattr(runtime.settings, "post_media_inline_megapixels", 1.0)
    heavy_urls = slides(web, [png("RGB", (2000, 3000), (9, 9, 9)) for _ in range(2)])
    ok(
        api.patch(
            f"/posts/{created['id']}", json={"media": {"type": "slideshow", "urls": heavy_urls}}
        )
    )
    assert variants() == {}
