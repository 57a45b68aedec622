"""POST /slideshows/{id}/render (contract §5.2, §12): synchronous rendering, URL order, the
readability checks, image failures naming the slide, and an edit made while rendering."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_sandbox.server import serve_in_thread
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.slideshows.support import make_pack, manual, photo


def generated(api: ApiClient, web: Web, *, slides: int = 3, aspect: str = "9:16") -> str:
    pack_id, _ = make_pack(api, web, count=slides)
    body = manual(
        pack_id,
        aspect_ratio=aspect,
        slide_config={
            "total_slides": slides,
            "slide_texts": {str(i): f"Slide number {i}" for i in range(slides)},
        },
    )
    data = ok(api.post("/slideshows/generate", json=body))
    return str(data["id"])


def render(api: ApiClient, slideshow_id: str) -> dict[str, Any]:
    # What genviral.sh sends: a JSON Content-Type and no body at all.
    response = api.post(f"/slideshows/{slideshow_id}/render")
    assert response.request.headers["content-type"] == "application/json"
    assert response.request.content == b""
    data: dict[str, Any] = ok(response)
    return data


def jpeg_size(url: str) -> tuple[int, int]:
    response = httpx.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG"
        image.load()
        return image.size


def test_render_returns_ordered_urls_checks_and_jpegs(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=3)
    started = time.monotonic()
    data = render(api, slideshow_id)
    assert time.monotonic() - started < 60
    assert data["status"] == "rendered" and data["last_rendered_at"]
    urls = [s["rendered_image_url"] for s in data["slides"]]
    assert all(urls) and data["rendered_image_urls"] == urls
    assert sorted(urls) == urls  # jq's `unique` sorts: the order must survive it
    assert [u.rsplit("/", 1)[1] for u in urls] == ["slide-00.jpg", "slide-01.jpg", "slide-02.jpg"]
    assert all(f"/renders/{slideshow_id}/" in u for u in urls)
    assert data["preview_image_url"] == urls[0]
    for slide in data["slides"]:
        assert slide["checks"] and any(c["kind"] == "contrast" for c in slide["checks"])
        assert all(c["severity"] in ("info", "warning", "error") for c in slide["checks"])
        fit = slide["text_fits"][0]
        assert fit["requested_size"] in (48, 40) and fit["shrunk"] is False
        assert fit["element_id"] == slide["text_elements"][0]["id"]
        assert isinstance(slide["warnings"], list)
    for url in urls:
        assert jpeg_size(url) == (1080, 1920)
    # GET shows the same; the files are listed as renders.
    assert ok(api.get(f"/slideshows/{slideshow_id}")) == data
    files = ok(api.get("/files", params={"context": "render", "limit": 100}))["files"]
    assert {f["url"] for f in files} >= set(urls)
    assert all(f["contentType"] == "image/jpeg" for f in files)


def test_render_again_changes_urls_and_removes_old_files(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=2, aspect="1:1")
    first = render(api, slideshow_id)
    second = render(api, slideshow_id)
    old, new = first["rendered_image_urls"], second["rendered_image_urls"]
    assert set(old).isdisjoint(new) and sorted(new) == new
    assert jpeg_size(new[1]) == (1080, 1080)
    for url in old:
        assert httpx.get(url).status_code == 404
    files = ok(api.get("/files", params={"context": "render", "limit": 100}))["files"]
    assert {f["url"] for f in files} == set(new)


@pytest.mark.parametrize(("aspect", "size"), [("4:5", (1080, 1350)), ("1:1", (1080, 1080))])
def test_aspect_ratios(api: ApiClient, web: Web, aspect: str, size: tuple[int, int]) -> None:
    data = render(api, generated(api, web, slides=1, aspect=aspect))
    assert jpeg_size(data["preview_image_url"]) == size


def test_ten_slides_sort_in_order(api: ApiClient, web: Web) -> None:
    data = render(api, generated(api, web, slides=10))
    urls = data["rendered_image_urls"]
    assert len(urls) == 10 and sorted(urls) == urls and urls[9].endswith("slide-09.jpg")


def test_checks_report_ui_zones_and_shrinking(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    slideshow = ok(api.get(f"/slideshows/{slideshow_id}"))
    slide = slideshow["slides"][0]
    slide["text_elements"] = [
        {"content": "Under the caption", "x": 50, "y": 92, "width": 60},
        {"content": "word " * 200, "x": 50, "y": 40, "width": 80, "font_size": 120},
    ]
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": [slide]}))
    data = render(api, slideshow_id)
    checks = data["slides"][0]["checks"]
    zones = [c for c in checks if c["kind"] == "ui_zone"]
    assert zones and zones[0]["element_index"] == 0 and "caption" in zones[0]["message"]
    fits = data["slides"][0]["text_fits"]
    assert fits[0]["shrunk"] is False
    assert fits[1]["shrunk"] is True and fits[1]["used_size"] < fits[1]["requested_size"]


def test_grids_overlays_filters_and_own_media(api: ApiClient, web: Web) -> None:
    upload = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    ok(
        httpx.put(
            upload["uploadUrl"], content=photo((200, 200)), headers={"Content-Type": "image/jpeg"}
        )
    )
    slideshow_id = generated(api, web, slides=1, aspect="4:5")
    grid = [web.add(f"grid/{i}.jpg", photo((300, 300), (20 * i, 40, 90))) for i in range(4)]
    slide = {
        "image_url": upload["url"],
        "grid_type": "2x2",
        "grid_images": grid,
        "background_filters": {
            "brightness": 0.8,
            "contrast": 1.1,
            "saturation": 1.2,
            "hue": 10,
            "blur": 2,
            "grayscale": 0,
            "sepia": 0.1,
            "invert": 0,
            "drop_shadow": 0.3,
            "opacity": 1,
        },
        "image_overlays": [{"image_url": upload["url"], "x": 80, "y": 20, "width": 20}],
        "text_elements": [{"content": "Grid", "x": 50, "y": 50}],
    }
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": [slide]}))
    data = render(api, slideshow_id)
    assert jpeg_size(data["preview_image_url"]) == (1080, 1350)


def test_missing_background_names_the_slide_and_url(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=2)
    slides = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"]
    missing = web.url("gone/missing.jpg")
    slides[1]["image_url"] = missing
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": slides}))
    body = err(api.post(f"/slideshows/{slideshow_id}/render"), 422, "image_fetch_failed")
    assert "slide 1" in body["message"] and missing in body["message"]
    assert "404" in body["message"]
    assert body["data"] == {"slide_index": 1, "field": "image_url", "url": missing}
    after = ok(api.get(f"/slideshows/{slideshow_id}"))
    assert after["status"] == "draft" and after["rendered_image_urls"] == []


def test_image_failures_each_have_a_code(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]

    def attempt(url: str, field: str = "image_url") -> dict[str, Any]:
        if field == "image_url":
            changed = {**slide, "image_url": url}
        else:
            changed = {**slide, "image_overlays": [{"image_url": url}]}
        ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": [changed]}))
        return api.post(f"/slideshows/{slideshow_id}/render").json()  # type: ignore[no-any-return]

    body = attempt(web.redirect_to("http://169.254.169.254/latest/meta-data"))
    assert body["error_code"] == "image_url_not_allowed" and "slide 0" in body["message"]
    not_image = web.add("bad/not-an-image.jpg", b"plain text", "image/jpeg")
    body = attempt(not_image)
    assert body["error_code"] == "invalid_image" and not_image in body["message"]
    body = attempt(not_image, field="overlay")
    assert body["error_code"] == "invalid_image"
    assert body["data"]["field"] == "image_overlays[0].image_url"


def test_no_slides_and_unknown_slideshow(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": []}))
    body = err(api.post(f"/slideshows/{slideshow_id}/render"), 422, "no_slides")
    assert "PATCH" in body["message"]
    err(api.post("/slideshows/00000000-0000-4000-8000-000000000000/render"), 404, "not_found")
    err(api.post("/slideshows/nope/render"), 404, "not_found")


# ---------------------------------------------------------------------------------------------
# an edit while rendering


class Gate:
    """A loopback image server whose images wait until the test opens the gate."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.open = threading.Event()
        self.data = photo()

        async def handle(request: Request) -> Response:
            import anyio

            self.requested.set()
            await anyio.to_thread.run_sync(self.open.wait, 30)
            return Response(self.data, media_type="image/jpeg")

        self.server = serve_in_thread(Starlette(routes=[Route("/{path:path}", handle)]))

    def url(self, name: str) -> str:
        return f"{self.server.base_url}/{name}"


@pytest.fixture
def gate(runtime: Runtime) -> Iterator[Gate]:
    g = Gate()
    yield g
    g.open.set()
    g.server.stop()


def test_an_edit_during_the_render_wins(api: ApiClient, web: Web, gate: Gate) -> None:
    slideshow_id = generated(api, web, slides=1)
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]
    ok(
        api.patch(
            f"/slideshows/{slideshow_id}",
            json={"slides": [{**slide, "image_url": gate.url("slow.jpg")}]},
        )
    )
    result: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: result.update(r=api.post(f"/slideshows/{slideshow_id}/render"))
    )
    worker.start()
    assert gate.requested.wait(20)
    # While the render waits for its image, someone edits the title (not even the slides).
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"title": "Edited meanwhile"}))
    gate.open.set()
    worker.join(60)
    body = err(result["r"], 409, "slideshow_changed")
    assert "Render again" in body["message"]
    after = ok(api.get(f"/slideshows/{slideshow_id}"))
    assert after["title"] == "Edited meanwhile" and after["status"] == "draft"
    assert after["rendered_image_urls"] == []
    assert ok(api.get("/files", params={"context": "render"}))["total"] == 0
    # Rendering again works.
    assert render(api, slideshow_id)["status"] == "rendered"


def test_a_slideshow_deleted_during_the_render(api: ApiClient, web: Web, gate: Gate) -> None:
    slideshow_id = generated(api, web, slides=1)
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]
    ok(
        api.patch(
            f"/slideshows/{slideshow_id}",
            json={"slides": [{**slide, "image_url": gate.url("slow2.jpg")}]},
        )
    )
    result: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: result.update(r=api.post(f"/slideshows/{slideshow_id}/render"))
    )
    worker.start()
    assert gate.requested.wait(20)
    ok(api.delete(f"/slideshows/{slideshow_id}"))
    gate.open.set()
    worker.join(60)
    err(result["r"], 404, "not_found")
    assert ok(api.get("/files", params={"context": "render"}))["total"] == 0


def test_downloads_have_a_total_budget(
    api: ApiClient, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slideforge.slideshows import rendering

    slideshow_id = generated(api, web, slides=1)
    # a background that must be downloaded (pack images are read from their derivatives)
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]
    fresh = web.add("budget/fresh.jpg", photo())
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": [{**slide, "image_url": fresh}]}))
    monkeypatch.setattr(rendering, "FETCH_BUDGET_SECONDS", -1)
    body = err(api.post(f"/slideshows/{slideshow_id}/render"), 422, "image_fetch_failed")
    assert "to download" in body["message"] and "slide 0" in body["message"]
