"""Pack images of a shape no platform takes fail their metadata with the reason (issue 9,
defect 3), so slideshows generated from the pack never pick them."""

from __future__ import annotations

import uuid

from tests.conftest import Web
from tests.helpers import ApiClient, blank_png, ok
from tests.packs.test_endpoints import wait_metadata
from tests.slideshows.support import manual, photo


def test_extreme_pack_image_fails_its_metadata(api: ApiClient, web: Web) -> None:
    pack = ok(api.post("/packs", json={"name": "limits"}), 201)
    tag = uuid.uuid4().hex
    strip = web.add(f"pack-limits/{tag}/strip.png", blank_png(1, 70_000), "image/png")
    good = web.add(f"pack-limits/{tag}/good.jpg", photo())
    for url in (strip, good):
        ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
    images = {image["url"]: image["metadata"] for image in wait_metadata(api, pack["id"])}
    assert images[strip]["status"] == "failed"
    assert "1x70000" in images[strip]["error"] and "1:70,000" in images[strip]["error"]
    assert images[good]["status"] == "completed"
    body = manual(pack["id"], slide_config={"total_slides": 4, "slide_texts": {"0": "hi"}})
    slideshow = ok(api.post("/slideshows/generate", json=body))
    assert {slide["image_url"] for slide in slideshow["slides"]} == {good}
