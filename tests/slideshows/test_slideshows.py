"""GET, PATCH (contract §5.4, the GET → PATCH round trip), duplicate, delete and list."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.slideshows.support import make_pack, manual

FILTERS = {
    "brightness": 1,
    "contrast": 1,
    "saturation": 1,
    "hue": 0,
    "blur": 0,
    "grayscale": 0,
    "sepia": 0,
    "invert": 0,
    "drop_shadow": 0,
    "opacity": 1,
}


def new_slideshow(api: ApiClient, web: Web, slides: int = 2, **extra: Any) -> dict[str, Any]:
    pack_id, _ = make_pack(api, web, count=2)
    body = manual(
        pack_id,
        slide_config={
            "total_slides": slides,
            "slide_texts": {str(i): f"Text {i}" for i in range(slides)},
        },
        **extra,
    )
    data: dict[str, Any] = ok(api.post("/slideshows/generate", json=body))
    return data


def test_get_and_unknown_ids(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    got = ok(api.get(f"/slideshows/{data['id']}"))
    assert got == data
    assert ok(api.get(f"/slideshows/{data['id'].upper()}"))["id"] == data["id"]
    for bad in ("00000000-0000-4000-8000-000000000000", "nope", "1"):
        err(api.get(f"/slideshows/{bad}"), 404, "not_found")
        err(api.patch(f"/slideshows/{bad}", json={"title": "x"}), 404, "not_found")
        err(api.delete(f"/slideshows/{bad}"), 404, "not_found")
        err(api.post(f"/slideshows/{bad}/duplicate"), 404, "not_found")


def test_round_trip_keeps_the_render(api: ApiClient, web: Web) -> None:
    """GET returns nulls and index; PATCHing it back (as an editor would) must work and,
    when nothing visual changed, keep the rendered images."""
    data = new_slideshow(api, web)
    rendered = ok(api.post(f"/slideshows/{data['id']}/render"))
    got = ok(api.get(f"/slideshows/{data['id']}"))
    assert got["slides"][0]["grid_images"] is None and got["slides"][0]["index"] == 0
    body = {
        "title": got["title"] + " (edited)",
        "status": got["status"],
        "slideshow_type": got["slideshow_type"],
        "product_id": got["product_id"],
        "settings": got["settings"],
        "slides": got["slides"],
        "revision": got["revision"],
    }
    patched = ok(api.patch(f"/slideshows/{data['id']}", json=body))
    assert patched["title"] == data["title"] + " (edited)"
    assert patched["status"] == "rendered"
    assert patched["rendered_image_urls"] == rendered["rendered_image_urls"]
    assert patched["slides"] == rendered["slides"]
    assert patched["revision"] == got["revision"] + 1
    # The most literal round trip: the whole GET data object, every read-only field included,
    # even after the slideshow's pack was deleted.
    ok(api.delete(f"/packs/{got['settings']['image_pack_id']}"))
    again = ok(api.get(f"/slideshows/{data['id']}"))
    patched = ok(api.patch(f"/slideshows/{data['id']}", json=again))
    assert patched["slides"] == again["slides"] and patched["settings"] == again["settings"]
    assert patched["status"] == "rendered" and patched["title"] == again["title"]


def test_changing_slides_resets_the_render(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    rendered = ok(api.post(f"/slideshows/{data['id']}/render"))
    old_urls = rendered["rendered_image_urls"]
    slides = copy.deepcopy(rendered["slides"])
    slides[1]["text_elements"][0]["content"] = "Changed"
    patched = ok(api.patch(f"/slideshows/{data['id']}", json={"slides": slides}))
    assert patched["status"] == "draft" and patched["preview_image_url"] is None
    assert patched["last_rendered_at"] is None and patched["rendered_image_urls"] == []
    assert all(s["rendered_image_url"] is None and s["checks"] is None for s in patched["slides"])
    assert patched["slides"][1]["text_elements"][0]["content"] == "Changed"
    for url in old_urls:  # the old render's files are gone
        assert httpx.get(url).status_code == 404
    # The aspect ratio changes the pictures too.
    ok(api.post(f"/slideshows/{data['id']}/render"))
    patched = ok(api.patch(f"/slideshows/{data['id']}", json={"settings": {"aspect_ratio": "1:1"}}))
    assert patched["status"] == "draft" and patched["rendered_image_urls"] == []
    assert patched["settings"]["aspect_ratio"] == "1:1"
    # Settings that do not change the pictures keep the render.
    ok(api.post(f"/slideshows/{data['id']}/render"))
    patched = ok(
        api.patch(
            f"/slideshows/{data['id']}",
            json={"settings": {"aspect_ratio": "1:1", "advanced_settings": {"font_size": 50}}},
        )
    )
    assert patched["status"] == "rendered" and len(patched["rendered_image_urls"]) == 2


def test_patch_fields(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    sid = data["id"]
    assert ok(api.patch(f"/slideshows/{sid}", json={"title": "  New  "}))["title"] == "New"
    assert ok(api.patch(f"/slideshows/{sid}", json={"status": "rendered"}))["status"] == "rendered"
    patched = ok(api.patch(f"/slideshows/{sid}", json={"slideshow_type": "personal"}))
    assert patched["slideshow_type"] == "personal"
    assert patched["settings"]["slideshow_type"] == "personal"
    patched = ok(
        api.patch(f"/slideshows/{sid}", json={"settings": {"slideshow_type": "educational"}})
    )
    assert patched["slideshow_type"] == "educational"
    product = ok(api.post("/products", json={"name": "P"}), 201)["id"]
    assert (
        ok(api.patch(f"/slideshows/{sid}", json={"product_id": product}))["product_id"] == product
    )
    assert ok(api.patch(f"/slideshows/{sid}", json={"product_id": None}))["product_id"] is None
    err(
        api.patch(
            f"/slideshows/{sid}", json={"product_id": "00000000-0000-4000-8000-000000000000"}
        ),
        404,
        "product_not_found",
    )


def test_patch_settings_merge(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    sid = data["id"]
    other, _ = make_pack(api, web, count=1, name="other")
    patched = ok(
        api.patch(
            f"/slideshows/{sid}",
            json={
                "settings": {"imagePackId": other, "advanced_settings": {"text_width": "narrow"}}
            },
        )
    )
    settings = patched["settings"]
    assert settings["image_pack_id"] == other
    assert settings["advanced_settings"] == {
        "font_size": "default",
        "text_preset": "tiktok",
        "text_width": "narrow",
        "font_family": "TikTok Display",
    }
    patched = ok(
        api.patch(f"/slideshows/{sid}", json={"settings": {"pack_assignments": {"1": other}}})
    )
    assert patched["settings"]["pack_assignments"] == {"1": other}
    assert patched["settings"]["image_pack_id"] == other  # untouched
    patched = ok(api.patch(f"/slideshows/{sid}", json={"settings": {"pack_assignments": {}}}))
    assert patched["settings"]["pack_assignments"] is None
    patched = ok(api.patch(f"/slideshows/{sid}", json={"settings": {"image_pack_id": ""}}))
    assert patched["settings"]["image_pack_id"] is None
    unknown = "00000000-0000-4000-8000-000000000000"
    err(
        api.patch(f"/slideshows/{sid}", json={"settings": {"image_pack_id": unknown}}),
        404,
        "pack_not_found",
    )
    body = err(
        api.patch(f"/slideshows/{sid}", json={"settings": {"pack_assignments": {"x": other}}}),
        422,
        "invalid_payload",
    )
    assert "pack_assignments" in body["message"]
    # New text elements take the current defaults: narrow width, and font size 50.
    ok(api.patch(f"/slideshows/{sid}", json={"settings": {"advanced_settings": {"font_size": 50}}}))
    slide = {"image_url": web.url("a.jpg"), "text_elements": [{"content": "x", "x": 5, "y": 6}]}
    element = ok(api.patch(f"/slideshows/{sid}", json={"slides": [slide]}))["slides"][0][
        "text_elements"
    ][0]
    assert (element["width"], element["font_size"], element["x"]) == (55, 50, 5)


def test_slides_accept_nulls_index_and_every_field(api: ApiClient, web: Web) -> None:
    sid = new_slideshow(api, web)["id"]
    slide = {
        "index": 7,
        "image_url": web.url("bg.jpg"),
        "rendered_image_url": "https://ignored.example/x.jpg",
        "checks": [{"anything": True}],
        "grid_images": None,
        "grid_type": None,
        "background_filters": {**FILTERS, "blur": 3.5},
        "image_overlays": [
            {
                "id": "ov",
                "image_url": web.url("logo.png"),
                "x": 10,
                "y": 90,
                "width": 20,
                "height": None,
                "rotation": -15,
                "opacity": 0.5,
            }
        ],
        "text_elements": [
            {
                "id": "t1",
                "content": "Hello",
                "x": 50,
                "y": 30,
                "width": 80,
                "height": 20,
                "font_size": 64,
                "editable": False,
                "style_preset": "snapchat",  # accepted in PATCH too (generation accepts it)
                "font_family": "Bebas Neue",
                "text_color": "#FFCC00",
                "background_color": "rgba(0, 0, 0, 0.5)",
                "outline_color": "#FF0000",
                "border_radius": 12,
            },
            {"content": "", "x": 0, "y": 100, "font_size": None, "text_color": None},
        ],
    }
    patched = ok(api.patch(f"/slideshows/{sid}", json={"slides": [slide]}))
    assert patched["slide_count"] == 1
    out = patched["slides"][0]
    assert out["index"] == 0 and out["rendered_image_url"] is None and out["checks"] is None
    assert out["background_filters"] == {**FILTERS, "blur": 3.5}
    assert out["image_overlays"] == [
        {
            "id": "ov",
            "image_url": web.url("logo.png"),
            "x": 10,
            "y": 90,
            "width": 20,
            "height": None,
            "rotation": -15,
            "opacity": 0.5,
        }
    ]
    first, second = out["text_elements"]
    assert first == {
        "id": "t1",
        "content": "Hello",
        "x": 50,
        "y": 30,
        "width": 80,
        "height": 20,
        "font_size": 64,
        "font_family": "Bebas Neue",
        "style_preset": "snapchat",
        "text_color": "#FFCC00",
        "background_color": "rgba(0, 0, 0, 0.5)",
        "border_radius": 12,
        "editable": False,
        "outline_color": "#FF0000",
    }
    assert second["content"] == "" and second["font_size"] == 48 and second["text_color"] is None
    # Grids: grid_images with grid_type, image_url optional then.
    grid = {
        "grid_type": "1+2",
        "grid_images": [web.url("1.jpg"), web.url("2.jpg"), web.url("3.jpg")],
        "text_elements": [],
    }
    out = ok(api.patch(f"/slideshows/{sid}", json={"slides": [grid]}))["slides"][0]
    assert out["image_url"] is None and out["grid_type"] == "1+2" and len(out["grid_images"]) == 3


BAD_SLIDES: list[tuple[dict[str, Any], str]] = [
    ({"text_elements": []}, "slides[0].image_url"),
    ({"image_url": "ftp://x/y.jpg", "text_elements": []}, "image_url"),
    ({"image_url": "http://10.1.2.3/y.jpg", "text_elements": []}, "slides[0].image_url"),
    ({"image_url": "https://xn--/y.jpg", "text_elements": []}, "not a valid URL"),
    ({"image_url": "https://a.example/y.jpg"}, "text_elements"),
    ({"image_url": "https://a.example/y.jpg", "text_elements": [{"content": "x", "x": 1}]}, "y"),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "grid_images": ["https://a.example/1.jpg"],
            "text_elements": [],
        },
        "grid_type",
    ),
    (
        {"image_url": "https://a.example/y.jpg", "grid_type": "3x3", "text_elements": []},
        "grid_type",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [],
            "background_filters": {k: v for k, v in FILTERS.items() if k != "sepia"},
        },
        "background_filters.sepia",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [],
            "background_filters": {**FILTERS, "opacity": 2},
        },
        "opacity",
    ),
    (
        {"image_url": "https://a.example/y.jpg", "text_elements": [], "image_overlays": [{"x": 1}]},
        "image_overlays[0].image_url",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [{"content": "x", "x": 1, "y": 1, "style_preset": "neon"}],
        },
        "style_preset",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [{"content": "x", "x": 1, "y": 1, "font_family": "Comic Sans"}],
        },
        "font_family",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [{"content": "x", "x": 1, "y": 1, "text_color": "reddish"}],
        },
        "text_color",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [{"content": "x", "x": 1, "y": 1, "background_color": " red"}],
        },
        "background_color",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [{"content": "x", "x": "1", "y": 1}],
        },
        "x",
    ),
    (
        {
            "image_url": "https://a.example/y.jpg",
            "text_elements": [{"content": "x", "x": 1, "y": 1, "editable": "yes"}],
        },
        "editable",
    ),
]


@pytest.mark.parametrize(("slide", "field"), BAD_SLIDES)
def test_bad_slides(api: ApiClient, web: Web, slide: dict[str, Any], field: str) -> None:
    sid = new_slideshow(api, web, slides=1)["id"]
    body = err(api.patch(f"/slideshows/{sid}", json={"slides": [slide]}), 422, "invalid_payload")
    assert field in body["message"], body["message"]
    assert ok(api.get(f"/slideshows/{sid}"))["revision"] == 1  # nothing changed


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"revision": 1},
        {"title": None},
        {"title": "   "},
        {"title": "x" * 201},
        {"status": "published"},
        {"slideshow_type": "other"},
        {"product_id": "nope"},
        {"settings": {"aspect_ratio": "2:3"}},
        {"settings": {"advanced_settings": {"font_size": 300}}},
        {"slides": "all"},
        {"slides": [{"image_url": "https://a.example/y.jpg", "text_elements": []}] * 36},
        {"revision": 0},
    ],
)
def test_bad_patches(api: ApiClient, web: Web, body: dict[str, Any]) -> None:
    sid = new_slideshow(api, web, slides=1)["id"]
    err(api.patch(f"/slideshows/{sid}", json=body), 422, "invalid_payload")


def test_stale_revision_conflicts(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    sid = data["id"]
    ok(api.patch(f"/slideshows/{sid}", json={"title": "A", "revision": 1}))
    body = err(api.patch(f"/slideshows/{sid}", json={"title": "B", "revision": 1}), 409, "conflict")
    assert "GET" in body["message"] and body["data"] == {"revision": 2}
    assert ok(api.get(f"/slideshows/{sid}"))["title"] == "A"


def test_duplicate(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    rendered = ok(api.post(f"/slideshows/{data['id']}/render"))
    copy_ = ok(api.post(f"/slideshows/{data['id']}/duplicate"), 201)
    assert copy_["id"] != data["id"] and copy_["title"] == f"Copy of {data['title']}"
    assert copy_["status"] == "draft" and copy_["preview_image_url"] is None
    assert copy_["last_rendered_at"] is None and copy_["rendered_image_urls"] == []
    assert copy_["slide_count"] == 2 and copy_["revision"] == 1
    assert [s["text_elements"] for s in copy_["slides"]] == [
        s["text_elements"] for s in rendered["slides"]
    ]
    assert all(s["rendered_image_url"] is None and s["checks"] is None for s in copy_["slides"])
    assert copy_["settings"] == rendered["settings"]
    assert ok(api.get(f"/slideshows/{data['id']}"))["status"] == "rendered"


def test_delete_removes_the_render_files(api: ApiClient, web: Web) -> None:
    data = new_slideshow(api, web)
    urls = ok(api.post(f"/slideshows/{data['id']}/render"))["rendered_image_urls"]
    assert ok(api.delete(f"/slideshows/{data['id']}")) == {"id": data["id"], "deleted": True}
    err(api.get(f"/slideshows/{data['id']}"), 404, "not_found")
    for url in urls:
        assert httpx.get(url).status_code == 404
    assert ok(api.get("/files", params={"context": "render"}))["total"] == 0


def test_list(api: ApiClient, web: Web) -> None:
    a = new_slideshow(api, web, prompt="Alpha 100% tips")
    b = new_slideshow(api, web, prompt="Beta routine")
    c = new_slideshow(api, web, prompt="Gamma routine")
    ok(api.post(f"/slideshows/{b['id']}/render"))
    listed = ok(api.get("/slideshows"))
    assert listed["total"] == 3 and listed["limit"] == 20 and listed["offset"] == 0
    assert [s["id"] for s in listed["slideshows"]] == [c["id"], b["id"], a["id"]]
    item = listed["slideshows"][1]
    assert set(item) == {
        "id",
        "title",
        "status",
        "slideshow_type",
        "product_id",
        "preview_image_url",
        "slide_count",
        "has_rendered_slide",
        "created_at",
        "updated_at",
    }
    assert item["has_rendered_slide"] is True and item["preview_image_url"]
    assert listed["slideshows"][0]["has_rendered_slide"] is False
    page = ok(api.get("/slideshows", params={"limit": 1, "offset": 1}))
    assert [s["id"] for s in page["slideshows"]] == [b["id"]] and page["total"] == 3
    rendered = ok(api.get("/slideshows", params={"status": "rendered"}))
    assert [s["id"] for s in rendered["slideshows"]] == [b["id"]]
    found = ok(api.get("/slideshows", params={"search": "ROUTINE"}))
    assert {s["id"] for s in found["slideshows"]} == {b["id"], c["id"]}
    assert ok(api.get("/slideshows", params={"search": "100%"}))["total"] == 1
    assert ok(api.get("/slideshows", params={"search": "_"}))["total"] == 0
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"status": "posted"}):
        err(api.get("/slideshows", params=params), 422, "invalid_payload")


def test_personal_keys_see_their_own(
    api: ApiClient, web: Web, make_api: Callable[..., ApiClient]
) -> None:
    alice = make_api(api.workspace_name, personal="alice")
    bob = make_api(api.workspace_name, personal="bob")
    mine = new_slideshow(alice, web)
    shared = new_slideshow(api, web)
    assert ok(alice.get(f"/slideshows/{mine['id']}"))["id"] == mine["id"]
    err(bob.get(f"/slideshows/{mine['id']}"), 404, "not_found")
    err(api.get(f"/slideshows/{mine['id']}"), 404, "not_found")
    assert ok(alice.get(f"/slideshows/{shared['id']}"))["id"] == shared["id"]
    assert {s["id"] for s in ok(alice.get("/slideshows"))["slideshows"]} == {
        mine["id"],
        shared["id"],
    }
    assert {s["id"] for s in ok(api.get("/slideshows"))["slideshows"]} == {shared["id"]}
