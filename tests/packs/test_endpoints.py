"""Packs (contract §6) through HTTP, including the metadata workflow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from platform_sandbox.server import serve_in_thread
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, ok


def wait_metadata(api: ApiClient, pack_id: str, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        images = ok(api.get(f"/packs/{pack_id}"))["images"]
        if all(img["metadata"]["status"] in ("completed", "failed") for img in images):
            return images
        if time.monotonic() > deadline:
            raise AssertionError(f"metadata not finished: {images}")
        time.sleep(0.2)


def test_pack_crud(api: ApiClient) -> None:
    created = ok(api.post("/packs", json={"name": "  Summer  "}), 201)
    assert created["name"] == "Summer" and created["is_public"] is False
    assert created["image_count"] == 0 and created["images"] == []
    pack_id = created["id"]
    updated = ok(api.patch(f"/packs/{pack_id}", json={"name": "Summer 2", "is_public": True}))
    assert updated["name"] == "Summer 2" and updated["is_public"] is True
    err(api.patch(f"/packs/{pack_id}", json={}), 422, "invalid_payload")
    err(api.post("/packs", json={"name": "x" * 121}), 422, "invalid_payload")
    blank = err(api.post("/packs", json={"name": "   "}), 422, "invalid_payload")
    assert blank["message"] == "name: must not be empty or only spaces"
    err(api.post("/packs", json={"name": "\u0000\u0000"}), 422, "invalid_payload")
    assert ok(api.delete(f"/packs/{pack_id}")) == {"id": pack_id, "deleted": True}
    err(api.get(f"/packs/{pack_id}"), 404, "not_found")
    err(api.delete(f"/packs/{pack_id}"), 404, "not_found")
    err(api.get("/packs/not-a-uuid"), 404, "not_found")


def test_images_and_metadata(api: ApiClient, web: Web) -> None:
    pack = ok(api.post("/packs", json={"name": "P"}), 201)
    first = web.add("packs/one.jpg", image_bytes((300, 600), color=(240, 240, 240)))
    second = web.add(
        "packs/two.png", image_bytes((600, 300), "PNG", color=(10, 10, 60)), "image/png"
    )
    a = ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": first}), 201)
    assert a == {"id": a["id"], "url": first, "file_name": "image", "content_type": "image/jpeg"}
    b = ok(
        api.post(f"/packs/{pack['id']}/images", json={"image_url": second, "file_name": "two"}), 201
    )
    assert b["content_type"] == "image/png" and b["file_name"] == "two"
    images = wait_metadata(api, pack["id"])
    assert [img["id"] for img in images] == [a["id"], b["id"]]  # oldest first
    meta = images[0]["metadata"]
    assert meta["status"] == "completed"
    assert (meta["width"], meta["height"], meta["orientation"]) == (300, 600, "portrait")
    assert meta["brightness"] > 0.7 and meta["dominant_colors"][0]["hex"].startswith("#")
    assert meta["calm_region"]["position"] in ("top", "middle", "bottom")
    assert meta["suggested_text_preset"] in ("black", "white", "tiktok")
    assert meta["keywords"] == [] and meta["description"] is None
    assert "No vision model" in meta["note"]
    assert images[1]["metadata"]["orientation"] == "landscape"
    detail = ok(api.get(f"/packs/{pack['id']}"))
    assert detail["image_count"] == 2 and detail["preview_image_url"] == first
    listed = ok(api.get("/packs"))["packs"][0]
    assert listed["image_count"] == 2 and listed["preview_image_url"] == first
    ok(api.delete(f"/packs/{pack['id']}/images/{a['id']}"))
    err(api.delete(f"/packs/{pack['id']}/images/{a['id']}"), 404, "not_found")
    assert ok(api.get(f"/packs/{pack['id']}"))["image_count"] == 1


def test_metadata_failures_are_explained(api: ApiClient, web: Web) -> None:
    pack = ok(api.post("/packs", json={"name": "bad"}), 201)
    cases = {
        web.url("missing.jpg"): "could not be downloaded",
        web.add("text.jpg", b"plain text", "image/jpeg"): "not a usable image",
        web.redirect_to("http://169.254.169.254/latest/"): "cannot be fetched",
    }
    for url in cases:
        ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
    images = wait_metadata(api, pack["id"])
    for image in images:
        assert image["metadata"]["status"] == "failed"
        assert cases[image["url"]] in image["metadata"]["error"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a.jpg",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/a.jpg",
        "http://10.0.0.5/a.jpg",
        "not a url",
    ],
)
def test_unsafe_image_urls_are_refused(api: ApiClient, url: str) -> None:
    pack = ok(api.post("/packs", json={"name": "x"}), 201)
    body = err(
        api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 422, "invalid_payload"
    )
    assert "image_url" in body["message"]


def test_include_public_and_search(api: ApiClient, make_api, web: Web) -> None:  # type: ignore[no-untyped-def]
    other = make_api()
    mine = ok(api.post("/packs", json={"name": "Cozy mornings"}), 201)
    theirs = ok(other.post("/packs", json={"name": "Public beaches", "is_public": True}), 201)
    ok(other.post("/packs", json={"name": "Private stuff"}), 201)
    listed = ok(api.get("/packs", params={"include_public": "true", "limit": 100}))
    ids = {p["id"] for p in listed["packs"]}
    assert mine["id"] in ids and theirs["id"] in ids
    assert all(isinstance(p["is_public"], bool) for p in listed["packs"])
    flags = {p["id"]: p["is_owner"] for p in listed["packs"]}
    assert flags[mine["id"]] is True and flags[theirs["id"]] is False
    own_only = ok(api.get("/packs", params={"include_public": "false"}))
    assert {p["id"] for p in own_only["packs"]} == {mine["id"]}
    # Anything but the literal "false" means true.
    assert theirs["id"] in {
        p["id"]
        for p in ok(api.get("/packs", params={"include_public": "nope", "limit": 100}))["packs"]
    }
    found = ok(api.get("/packs", params={"search": "COZY", "include_public": "false"}))
    assert [p["id"] for p in found["packs"]] == [mine["id"]]
    assert ok(api.get("/packs", params={"search": "100%_"}))["total"] == 0
    # Public packs of others can be read but not changed.
    assert ok(api.get(f"/packs/{theirs['id']}"))["name"] == "Public beaches"
    err(api.patch(f"/packs/{theirs['id']}", json={"name": "mine now"}), 403, "forbidden")
    err(api.delete(f"/packs/{theirs['id']}"), 403, "forbidden")
    err(api.post(f"/packs/{theirs['id']}/images", json={"image_url": web.url("a.jpg")}), 403)


@pytest.fixture
def vision_model(runtime: Runtime) -> Iterator[list[dict[str, Any]]]:
    """An OpenAI-compatible endpoint on loopback answering with fixed JSON."""
    calls: list[dict[str, Any]] = []

    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        calls.append(body)
        content = (
            '{"description": "A calm beach at sunrise", "keywords": ["Beach", "sunrise", "calm"]}'
        )
        return JSONResponse({"choices": [{"message": {"role": "assistant", "content": content}}]})

    running = serve_in_thread(
        Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    )
    settings = runtime.settings
    saved = (settings.ai_base_url, settings.ai_vision_model)
    settings.ai_base_url, settings.ai_vision_model = running.base_url + "/v1", "vision-test"
    yield calls
    settings.ai_base_url, settings.ai_vision_model = saved
    running.stop()


def test_vision_keywords_feed_search(
    api: ApiClient, web: Web, vision_model: list[dict[str, Any]]
) -> None:
    pack = ok(api.post("/packs", json={"name": "Untitled"}), 201)
    url = web.add("beach.jpg", image_bytes((200, 300)))
    ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
    meta = wait_metadata(api, pack["id"])[0]["metadata"]
    assert meta["description"] == "A calm beach at sunrise"
    assert meta["keywords"] == ["beach", "sunrise", "calm"] and meta["model"] == "vision-test"
    assert vision_model and vision_model[0]["model"] == "vision-test"
    found = ok(api.get("/packs", params={"search": "sunrise", "include_public": "false"}))
    assert [p["id"] for p in found["packs"]] == [pack["id"]]


def test_own_uploaded_media_can_be_added(api: ApiClient) -> None:
    """Uploads are served from this server (loopback in embedded mode): still usable."""
    import httpx

    created = ok(api.post("/files", json={"contentType": "image/jpeg"}), 201)
    ok(
        httpx.put(
            created["uploadUrl"],
            content=image_bytes((90, 160)),
            headers={"Content-Type": "image/jpeg"},
        )
    )
    pack = ok(api.post("/packs", json={"name": "own media"}), 201)
    ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": created["url"]}), 201)
    meta = wait_metadata(api, pack["id"])[0]["metadata"]
    assert meta["status"] == "completed" and (meta["width"], meta["height"]) == (90, 160)
