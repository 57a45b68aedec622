"""Render inputs of a shape no platform takes are refused before rendering (issue 9,
defect 3), with 422 invalid_image naming the slide, the field and the URL."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Web
from tests.helpers import ApiClient, blank_png, err, image_bytes, ok
from tests.slideshows.test_render import generated, render


def _png(web: Web, width: int, height: int) -> str:
    return web.add(f"render-limits/{uuid.uuid4().hex}.png", blank_png(width, height), "image/png")


def _patch(api: ApiClient, slideshow_id: str, slide: dict[str, Any]) -> None:
    ok(api.patch(f"/slideshows/{slideshow_id}", json={"slides": [slide]}))


def test_extreme_background_is_refused(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]
    strip = _png(web, 1, 70_000)
    _patch(api, slideshow_id, {**slide, "image_url": strip})
    body = err(api.post(f"/slideshows/{slideshow_id}/render"), 422, "invalid_image")
    assert body["message"].startswith(f"slide 0 image_url ({strip}) cannot be used")
    assert "1:70,000" in body["message"] and "between 1:20 and 20:1" in body["message"]
    assert body["data"] == {"slide_index": 0, "field": "image_url", "url": strip}
    after = ok(api.get(f"/slideshows/{slideshow_id}"))
    assert after["status"] == "draft" and after["rendered_image_urls"] == []


def test_overlays_keep_only_the_side_limit(api: ApiClient, web: Web) -> None:
    slideshow_id = generated(api, web, slides=1)
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]
    divider = web.add(f"render-limits/{uuid.uuid4().hex}.png", image_bytes((600, 6), "PNG"))
    _patch(api, slideshow_id, {**slide, "image_overlays": [{"image_url": divider}]})
    assert len(render(api, slideshow_id)["rendered_image_urls"]) == 1  # 100:1 is fine here
    huge = _png(web, 20_000, 2_000)
    _patch(api, slideshow_id, {**slide, "image_overlays": [{"image_url": huge}]})
    body = err(api.post(f"/slideshows/{slideshow_id}/render"), 422, "invalid_image")
    assert "image_overlays[0].image_url" in body["message"] and "16384 px" in body["message"]
