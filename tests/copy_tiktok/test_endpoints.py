"""POST /slideshows/copy-tiktok/preview and /import over HTTP, against the TikTok web sandbox:
the happy paths, the cached preview and its expiry, credits and refunds, the 8-slide cap,
backgrounds from packs and URLs, workspace scoping, and every error code of the contract."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import cache

import httpx
import pytest

from slideforge.billing import service as billing
from slideforge.kit.clock import ManualClock
from slideforge.kit.storage import LocalStorage
from slideforge.render import TextElementSpec, layout_text
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.copy_tiktok import slides
from tests.copy_tiktok.conftest import Site, fake_heic
from tests.helpers import ApiClient, err, image_bytes, ok

PREVIEW = "/slideshows/copy-tiktok/preview"
IMPORT = "/slideshows/copy-tiktok/import"

TEXTS = [
    TextElementSpec("3 habits that changed my mornings", y=20, width=80, font_size=64),
    TextElementSpec("Drink water first", y=50, width=70, font_size=52, style_preset="inverted"),
    TextElementSpec("No phone for an hour", y=78, width=90, font_size=48, style_preset="snapchat"),
    TextElementSpec("Save this for later", y=45, width=80, font_size=60),
]


def truth(index: int) -> str:
    """The text of slide ``index`` as the renderer wrapped it (what OCR reads back)."""
    laid = layout_text(TEXTS[index % len(TEXTS)], 1080, 1920)
    return "\n".join(line.text for line in laid.lines)


@cache
def text_slide(index: int) -> bytes:
    return slides.slide([TEXTS[index % len(TEXTS)]])


@pytest.fixture
def tiktok(site: Site, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The server's TikTok fetcher pointed at the sandbox."""
    monkeypatch.setattr(runtime.settings, "tiktok_web_base_url", site.base_url)
    monkeypatch.setattr(runtime.settings, "tiktok_short_link_base_url", site.base_url)
    yield site


def photo_post(site: Site, count: int = 2, **kwargs: object) -> str:
    post = site.sandbox.add_photo_post(
        [text_slide(i) for i in range(count)],
        author="creator",
        caption="Morning routine that works #morning #habits",
        music={"id": "7001", "title": "original sound", "author": "creator"},
        **kwargs,  # type: ignore[arg-type]
    )
    return post.url


def pack_with_images(api: ApiClient, web: Web, count: int) -> str:
    pack = ok(api.post("/packs", json={"name": "backgrounds"}), 201)
    for i in range(count):
        url = web.add(f"bg-{uuid.uuid4().hex}.jpg", image_bytes((90, 160), color=(i * 40, 90, 200)))
        ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
    return str(pack["id"])


def ledger(api: ApiClient) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = ok(api.get("/credits", params={"limit": 100}))["entries"]
    return [e for e in entries if str(e["reference"]).startswith("copy-tiktok:")]


# --------------------------------------------------------------------------- preview


def test_preview_fetches_reads_and_serves_the_slides(tiktok: Site, api: ApiClient) -> None:
    url = photo_post(tiktok, 2)
    data = ok(api.post(PREVIEW, json={"url": url}))
    uuid.UUID(data["preview_id"])
    assert data["source_url"] == url
    assert (data["slide_count"], data["total_slides"], data["capped"]) == (2, 2, False)
    assert data["estimated_credits"] == 1
    assert len(data["images"]) == 2
    for i, image_url in enumerate(data["images"]):
        served = httpx.get(image_url)
        assert served.status_code == 200 and served.content == text_slide(i)
    first, second = data["slides"]
    assert [e["content"] for e in first["text_elements"]] == [truth(0)]
    assert second["text_elements"][0]["content"] == "Drink water first"
    assert second["text_elements"][0]["style_preset"] == "inverted"
    assert data["post"]["hashtags"] == ["morning", "habits"]
    assert data["post"]["music"]["id"] == "7001"
    ok(api.get("/accounts"))  # the key still works after a preview


def test_a_short_link_preview_answers_the_expanded_url(tiktok: Site, api: ApiClient) -> None:
    url = photo_post(tiktok, 1)
    post_id = url.rsplit("/", 1)[1]
    code = tiktok.sandbox.add_short_link("ZMshort1", post_id=post_id)
    data = ok(api.post(PREVIEW, json={"url": f"https://vm.tiktok.com/{code}/"}))
    assert data["source_url"] == url


def test_a_post_of_twelve_slides_is_capped_at_eight(tiktok: Site, api: ApiClient, web: Web) -> None:
    post = tiktok.sandbox.add_photo_post([slides.plain(540, 960)] * 12)
    data = ok(api.post(PREVIEW, json={"url": post.url}))
    assert (data["slide_count"], data["total_slides"], data["capped"]) == (8, 12, True)
    assert len(data["images"]) == 8 and data["estimated_credits"] == 4
    pack = pack_with_images(api, web, 3)
    body = {"url": post.url, "preview_id": data["preview_id"], "pack_id": pack}
    result = ok(api.post(IMPORT, json=body), 201)
    assert (result["slide_count"], result["total_slides"], result["capped"]) == (8, 12, True)
    assert result["slideshow"]["slide_count"] == 8 and result["credits_used"] == 4
    show = ok(api.get(f"/slideshows/{result['slideshow']['id']}"))
    assert show["settings"]["aspect_ratio"] == "9:16"
    assert show["source"] == "copy_tiktok" and show["copied_from"]["source_url"] == post.url
    # 3 images for 8 slides: the pack repeats in order
    pack_urls = [i["url"] for i in ok(api.get(f"/packs/{pack}"))["images"]]
    assert [s["image_url"] for s in show["slides"]] == [pack_urls[i % 3] for i in range(8)]


# --------------------------------------------------------------------------- import


def test_import_reuses_the_cached_preview(tiktok: Site, api: ApiClient, web: Web) -> None:
    url = photo_post(tiktok, 2)
    preview = ok(api.post(PREVIEW, json={"url": url}))
    tiktok.sandbox.clear_requests()
    pack = pack_with_images(api, web, 5)
    body = {"url": url, "preview_id": preview["preview_id"], "pack_id": pack, "title": "Hooks"}
    data = ok(api.post(IMPORT, json=body), 201)
    assert data["used_cached_preview"] is True
    assert tiktok.sandbox.requests() == []  # nothing fetched again
    assert data["slideshow"]["title"] == "Hooks" and data["slideshow"]["status"] == "draft"
    assert (data["slide_count"], data["credits_used"]) == (2, 1)
    show = ok(api.get(f"/slideshows/{data['slideshow']['id']}"))
    assert show["source"] == "copy_tiktok" and show["status"] == "draft"
    texts = [[e["content"] for e in s["text_elements"]] for s in show["slides"]]
    assert texts == [[truth(0)], ["Drink water first"]]
    element = show["slides"][1]["text_elements"][0]
    assert element["style_preset"] == "inverted" and abs(element["y"] - 50) < 2
    # 5 images for 2 slides: spread over the pack (images 0 and 2)
    pack_urls = [i["url"] for i in ok(api.get(f"/packs/{pack}"))["images"]]
    assert [s["image_url"] for s in show["slides"]] == [pack_urls[0], pack_urls[2]]
    assert show["settings"]["image_pack_id"] == pack
    entries = ledger(api)
    assert [(e["kind"], e["amount"]) for e in entries] == [("charge", -1)]


def test_import_without_a_preview_fetches_the_post(tiktok: Site, api: ApiClient, web: Web) -> None:
    url = photo_post(tiktok, 3)
    product = ok(api.post("/products", json={"name": "Water bottle"}), 201)
    body = {"url": url, "pack_id": pack_with_images(api, web, 1), "product_id": product["id"]}
    data = ok(api.post(IMPORT, json=body), 201)
    assert data["used_cached_preview"] is False and data["credits_used"] == 2
    assert data["slideshow"]["title"] == "Morning routine that works #morning #habits"
    assert data["post"]["caption"].startswith("Morning routine")
    show = ok(api.get(f"/slideshows/{data['slideshow']['id']}"))
    assert show["product_id"] == product["id"]
    assert show["slides"][2]["text_elements"][0]["style_preset"] == "snapchat"
    assert len({s["image_url"] for s in show["slides"]}) == 1  # one image for every slide


def test_an_expired_preview_is_fetched_again(
    tiktok: Site, api: ApiClient, web: Web, clock: ManualClock
) -> None:
    url = photo_post(tiktok, 1)
    preview = ok(api.post(PREVIEW, json={"url": url}))
    clock.advance(minutes=11)
    tiktok.sandbox.clear_requests()
    body = {
        "url": url,
        "preview_id": preview["preview_id"],
        "pack_id": pack_with_images(api, web, 1),
    }
    data = ok(api.post(IMPORT, json=body), 201)
    assert data["used_cached_preview"] is False
    assert tiktok.sandbox.requests("page")  # TikTok was asked again
    # the workspace's next preview deletes the expired one and its images
    assert httpx.get(preview["images"][0]).status_code == 200
    fresh = ok(api.post(PREVIEW, json={"url": url}))
    assert httpx.get(preview["images"][0]).status_code == 404
    assert httpx.get(fresh["images"][0]).status_code == 200


def test_a_preview_of_another_post_or_workspace_is_not_used(
    tiktok: Site, make_api: Callable[..., ApiClient], web: Web
) -> None:
    owner, other = make_api(), make_api()
    url = photo_post(tiktok, 1)
    preview = ok(owner.post(PREVIEW, json={"url": url}))
    body = {
        "url": url,
        "preview_id": preview["preview_id"],
        "pack_id": pack_with_images(other, web, 1),
    }
    assert ok(other.post(IMPORT, json=body), 201)["used_cached_preview"] is False
    another = photo_post(tiktok, 1)
    body = {**body, "url": another, "pack_id": pack_with_images(owner, web, 1)}
    data = ok(owner.post(IMPORT, json=body), 201)
    assert data["used_cached_preview"] is False and data["source_url"] == another


def test_pack_images_are_fetched_through_safehttp(tiktok: Site, api: ApiClient, web: Web) -> None:
    url = photo_post(tiktok, 2)
    images = [web.add(f"u-{uuid.uuid4().hex}.png", image_bytes((80, 80), "PNG"))]
    data = ok(api.post(IMPORT, json={"url": url, "pack_images": images}), 201)
    show = ok(api.get(f"/slideshows/{data['slideshow']['id']}"))
    stored = {s["image_url"] for s in show["slides"]}
    assert len(stored) == 1
    (copy,) = stored
    assert httpx.get(copy).content == httpx.get(images[0]).content  # kept on this server
    assert show["slides"][0]["slide_type"] == "custom_image"

    refused = err(
        api.post(IMPORT, json={"url": url, "pack_images": ["http://169.254.169.254/latest/x.jpg"]}),
        422,
        "invalid_payload",
    )
    assert "pack_images[0]" in refused["message"] and "169.254.169.254" in refused["message"]
    missing = err(
        api.post(IMPORT, json={"url": url, "pack_images": [web.url("nothing-here.jpg")]}),
        422,
        "invalid_payload",
    )
    assert "could not be downloaded" in missing["message"]
    not_image = web.add(f"t-{uuid.uuid4().hex}.jpg", b"hello, not an image", "image/jpeg")
    bad = err(api.post(IMPORT, json={"url": url, "pack_images": [not_image]}), 422)
    assert "not a usable image" in bad["message"]
    assert [e["kind"] for e in ledger(api)] == ["charge"]  # refused URLs cost nothing


def test_a_failed_import_refunds_its_credits(tiktok: Site, api: ApiClient, web: Web) -> None:
    post = tiktok.sandbox.add_photo_post([text_slide(0), fake_heic()], endings=["jpeg", "heic"])
    before = ok(api.get("/subscription"))["subscription"]["credits"]["remaining"]
    failed = err(
        api.post(IMPORT, json={"url": post.url, "pack_id": pack_with_images(api, web, 1)}),
        500,
        "import_failed",
    )
    assert "Slide 2" in failed["message"] and "refunded" in failed["message"]
    entries = ledger(api)
    assert sorted((e["kind"], e["amount"]) for e in entries) == [("charge", -1), ("refund", 1)]
    assert len({e["reference"] for e in entries}) == 1
    assert ok(api.get("/subscription"))["subscription"]["credits"]["remaining"] == before
    assert ok(api.get("/slideshows"))["total"] == 0
    # the preview of the same post shows which slide cannot be read
    preview = ok(api.post(PREVIEW, json={"url": post.url}))
    assert preview["slides"][1]["ocr_error"] and preview["slides"][0]["ocr_error"] is None


# --------------------------------------------------------------------------- errors


def test_body_errors(tiktok: Site, api: ApiClient, web: Web) -> None:
    url = photo_post(tiktok, 1)
    pack = pack_with_images(api, web, 1)
    for path in (PREVIEW, IMPORT):
        raw = api.http.post(path, content=b'{"url": ')
        err(raw, 400, "invalid_json")
        err(api.post(path, json={}), 422, "invalid_payload")
        err(api.post(path, json={"url": 7}), 422, "invalid_payload")
        bad = err(
            api.post(path, json={"url": "https://example.com/@a/photo/1", "pack_id": pack}), 422
        )
        assert bad["error_code"] == "invalid_tiktok_url" and "example.com" in bad["message"]
    neither = err(api.post(IMPORT, json={"url": url}), 422, "pack_source_required")
    assert "pack_id" in neither["message"] and "pack_images" in neither["message"]
    both = {"url": url, "pack_id": pack, "pack_images": ["https://example.com/a.jpg"]}
    err(api.post(IMPORT, json=both), 422, "pack_source_conflict")
    err(api.post(IMPORT, json={"url": url, "pack_images": []}), 422, "invalid_payload")
    err(
        api.post(IMPORT, json={"url": url, "pack_images": ["ftp://x/a.jpg"]}),
        422,
        "invalid_payload",
    )
    err(
        api.post(IMPORT, json={"url": url, "pack_id": pack, "preview_id": "abc"}),
        422,
        "invalid_payload",
    )
    long_title = {"url": url, "pack_id": pack, "title": "x" * 201}
    err(api.post(IMPORT, json=long_title), 422, "invalid_payload")
    assert ledger(api) == []


def test_pack_and_product_errors(
    tiktok: Site, make_api: Callable[..., ApiClient], web: Web
) -> None:
    name = f"ws-{uuid.uuid4().hex[:10]}"
    alice, bob = make_api(name, personal="alice"), make_api(name, personal="bob")
    url = photo_post(tiktok, 1)
    pack = pack_with_images(alice, web, 1)
    missing = {"url": url, "pack_id": str(uuid.uuid4())}
    err(alice.post(IMPORT, json=missing), 404, "pack_not_found")
    empty = ok(alice.post("/packs", json={"name": "empty"}), 201)["id"]
    err(alice.post(IMPORT, json={"url": url, "pack_id": empty}), 422, "pack_empty")
    ghost = {"url": url, "pack_id": pack, "product_id": str(uuid.uuid4())}
    err(alice.post(IMPORT, json=ghost), 404, "product_not_found")
    product = ok(alice.post("/products", json={"name": "alice's"}), 201)["id"]
    err(
        bob.post(IMPORT, json={"url": url, "pack_id": pack, "product_id": product}),
        403,
        "forbidden_product_access",
    )
    assert ledger(alice) == []


def test_insufficient_credits_answer_before_tiktok_is_asked(
    tiktok: Site, api: ApiClient, web: Web, runtime: Runtime
) -> None:
    url = photo_post(tiktok, 4)
    pack = pack_with_images(api, web, 1)
    with runtime.db.session() as session:
        now = runtime.clock.now()
        billing.ensure_allowance(session, api.workspace_id, now, runtime.settings.credit_allowance)
        _, _, remaining = billing.balance(session, api.workspace_id, billing.period_of(now))
        billing.charge(session, api.workspace_id, remaining - 1, "test:spend", "spent", now, 0)
    tiktok.sandbox.clear_requests()
    preview = ok(api.post(PREVIEW, json={"url": url}))  # previews are free
    assert preview["estimated_credits"] == 2
    cached = {"url": url, "pack_id": pack, "preview_id": preview["preview_id"]}
    short = err(api.post(IMPORT, json=cached), 402, "insufficient_credits")
    assert short["message"] == "Copying this slideshow needs 2 credits and 1 remain this month."
    # without a preview: the post is fetched, then the charge of 2 is refused
    err(api.post(IMPORT, json={"url": url, "pack_id": pack}), 402, "insufficient_credits")
    with runtime.db.session() as session:
        billing.charge(
            session, api.workspace_id, 1, "test:spend-2", "spent", runtime.clock.now(), 0
        )
    tiktok.sandbox.clear_requests()
    err(api.post(IMPORT, json={"url": url, "pack_id": pack}), 402, "insufficient_credits")
    assert tiktok.sandbox.requests() == []  # refused before TikTok was asked
    assert ledger(api) == []


@pytest.mark.parametrize("path", [PREVIEW, IMPORT])
def test_tiktok_errors(
    path: str,
    tiktok: Site,
    api: ApiClient,
    web: Web,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pack = pack_with_images(api, web, 1)
    url = photo_post(tiktok, 1)
    video = tiktok.sandbox.add_video_post().url
    shown = err(api.post(path, json={"url": video, "pack_id": pack}), 422, "not_slideshow")
    assert "video" in shown["message"]

    tiktok.sandbox.rate_limit(1, retry_after=30)
    limited = api.post(path, json={"url": url, "pack_id": pack})
    err(limited, 429, "rate_limited")
    assert limited.headers["retry-after"] == "30"

    tiktok.sandbox.configure(web_mode="forbidden")
    err(api.post(path, json={"url": url, "pack_id": pack}), 502, "tiktok_fetch_failed")
    tiktok.sandbox.configure(web_mode="normal")

    monkeypatch.setattr(runtime.settings, "tiktok_impersonate", "chrome")
    config = err(api.post(path, json={"url": url, "pack_id": pack}), 500, "upstream_config_error")
    assert "SLIDEFORGE_TIKTOK_IMPERSONATE" in config["message"]
    assert ledger(api) == []


def test_preview_failed_when_the_images_cannot_be_kept(
    tiktok: Site, api: ApiClient, runtime: Runtime
) -> None:
    assert isinstance(runtime.storage, LocalStorage)
    blocker = runtime.storage.root / "copy-preview"
    moved = blocker.with_name(f"copy-preview.{uuid.uuid4().hex}")
    if blocker.exists():
        blocker.rename(moved)
    blocker.write_bytes(b"a file where the preview folder should be")
    try:
        failed = err(api.post(PREVIEW, json={"url": photo_post(tiktok, 1)}), 500, "preview_failed")
        assert "import without a preview" in failed["message"]
    finally:
        blocker.unlink()
        if moved.exists():
            moved.rename(blocker)
