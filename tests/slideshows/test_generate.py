"""POST /slideshows/generate in manual mode (skip_ai + slide_config), contract §5.1: every
rule of slide_config, packs, text defaults and every error code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.slideshows.support import make_pack, manual


def generate(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = ok(api.post("/slideshows/generate", json=body))
    return data


def texts(slide: dict[str, Any]) -> list[str]:
    return [e["content"] for e in slide["text_elements"]]


def test_client_defaults_make_a_draft_from_the_pack(api: ApiClient, web: Web) -> None:
    pack_id, urls = make_pack(api, web, count=3)
    data = generate(api, manual(pack_id))
    assert data["id"] and data["status"] == "draft" and data["title"] == "Morning routine tips"
    assert data["slide_count"] == 5 and len(data["slides"]) == 5
    assert [s["index"] for s in data["slides"]] == [0, 1, 2, 3, 4]
    assert data["settings"] == {
        "image_pack_id": pack_id,
        "aspect_ratio": "4:5",
        "slideshow_type": "educational",
        "advanced_settings": {
            "font_size": "default",
            "text_preset": "tiktok",
            "text_width": "default",
            "font_family": "TikTok Display",
        },
        "pack_assignments": None,
    }
    assert data["language"] == "en" and data["source"] == "partner_api"
    assert data["preview_image_url"] is None and data["rendered_image_urls"] == []
    assert data["last_rendered_at"] is None and data["revision"] == 1
    for slide in data["slides"]:
        assert slide["slide_type"] == "image_pack" and slide["pack_id"] == pack_id
        assert slide["image_url"] in urls and slide["rendered_image_url"] is None
        assert slide["text_elements"] == []  # skip_ai without texts: the server writes none
        assert slide["checks"] is None
    # Random pack images without replacement while the pack allows: 3 images, 5 slides.
    chosen = [s["image_url"] for s in data["slides"]]
    assert len(set(chosen[:3])) == 3 and chosen[3] != chosen[4]
    assert max(Counter(chosen).values()) == 2
    assert ok(api.get(f"/slideshows/{data['id']}")) == data


def test_enough_images_are_never_repeated(api: ApiClient, web: Web) -> None:
    pack_id, urls = make_pack(api, web, count=6)
    for _ in range(3):
        data = generate(api, manual(pack_id, slide_count=6))
        assert sorted(s["image_url"] for s in data["slides"]) == sorted(urls)


def test_total_slides_wins_over_slide_count(api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=2)
    data = generate(api, manual(pack_id, slide_count=5, slide_config={"total_slides": 2}))
    assert data["slide_count"] == 2
    # Without total_slides, the slide_types decide; without either, slide_count.
    data = generate(
        api, manual(pack_id, slide_count=5, slide_config={"slide_types": ["image_pack"] * 3})
    )
    assert data["slide_count"] == 3
    assert generate(api, manual(pack_id, slide_count=7))["slide_count"] == 7


def test_custom_and_pinned_images(api: ApiClient, web: Web) -> None:
    pack_id, urls = make_pack(api, web, count=3)
    custom = web.url("custom/cover.jpg")
    data = generate(
        api,
        manual(
            pack_id,
            slide_config={
                "total_slides": 4,
                "slide_types": ["custom_image", "image_pack", "image_pack", "image_pack"],
                "custom_images": {"0": {"image_url": custom, "image_id": "f1", "image_name": "c"}},
                "pinned_images": {"2": urls[0]},
            },
        ),
    )
    slides = data["slides"]
    assert slides[0]["slide_type"] == "custom_image" and slides[0]["image_url"] == custom
    assert slides[0]["pack_id"] is None
    assert slides[2]["image_url"] == urls[0]
    # The pinned image is used: the random picks take the other two first.
    assert {slides[1]["image_url"], slides[3]["image_url"]} == {urls[1], urls[2]}


def test_custom_images_without_slide_types_make_custom_slides(api: ApiClient, web: Web) -> None:
    custom = web.url("custom/a.jpg")
    data = generate(
        api,
        manual(
            slide_config={
                "total_slides": 1,
                "custom_images": {"0": {"image_url": custom}},
                "slide_texts": {"0": "Only custom"},
            }
        ),
    )
    assert data["slides"][0]["slide_type"] == "custom_image"
    assert data["slides"][0]["image_url"] == custom  # no pack needed at all
    assert data["settings"]["image_pack_id"] is None


def test_texts_elements_and_text_defaults(api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=3)
    data = generate(
        api,
        manual(
            pack_id,
            slide_config={
                "total_slides": 3,
                "slide_texts": {"0": "The hook", "1": "A point", "2": "ignored"},
                "slide_text_elements": {
                    "2": [
                        {"content": "Top", "x": 50, "y": 20, "font_size": 60, "width": 90},
                        {"content": "Bottom", "x": 40, "y": 70, "id": "mine"},
                    ]
                },
            },
        ),
    )
    s0, s1, s2 = data["slides"]
    assert texts(s0) == ["The hook"] and texts(s1) == ["A point"]
    assert texts(s2) == ["Top", "Bottom"]  # elements win over slide_texts
    title = s0["text_elements"][0]
    assert (
        title["font_size"] == 48
        and title["width"] == 70
        and (title["x"], title["y"])
        == (
            50,
            50,
        )
    )
    assert title["style_preset"] == "tiktok" and title["font_family"] == "TikTok Display"
    assert title["editable"] is True and title["id"]
    assert s1["text_elements"][0]["font_size"] == 40  # body size
    top, bottom = s2["text_elements"]
    assert (top["font_size"], top["width"], top["y"]) == (60, 90, 20)
    assert (bottom["font_size"], bottom["id"], bottom["x"]) == (40, "mine", 40)


@pytest.mark.parametrize(
    ("advanced", "title_size", "body_size", "width", "preset"),
    [
        ({"text_preset": "tiktok", "font_size": "small"}, 40, 33, 70, "tiktok"),
        ({"text_preset": "snapchat", "font_size": 30}, 30, 30, 70, "snapchat"),
        ({"text_preset": "inverted", "text_width": "narrow"}, 48, 40, 55, "inverted"),
        ({"text_preset": "shadow", "font_size": 8}, 8, 8, 70, "shadow"),
        ({"text_preset": "black", "font_size": 200.0}, 200, 200, 70, "black"),
    ],
)
def test_advanced_settings(
    api: ApiClient,
    web: Web,
    advanced: dict[str, Any],
    title_size: float,
    body_size: float,
    width: float,
    preset: str,
) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    data = generate(
        api,
        manual(
            pack_id,
            advanced_settings=advanced,
            slide_config={"total_slides": 2, "slide_texts": {"0": "T", "1": "B"}},
        ),
    )
    first, second = (s["text_elements"][0] for s in data["slides"])
    assert (first["font_size"], second["font_size"]) == (title_size, body_size)
    assert first["width"] == width and second["style_preset"] == preset
    assert data["settings"]["advanced_settings"]["text_preset"] == preset


def test_pack_assignments(api: ApiClient, web: Web, make_api: Callable[..., ApiClient]) -> None:
    main, main_urls = make_pack(api, web, count=2, name="main")
    other, other_urls = make_pack(api, web, count=2, name="other")
    stranger = make_api()
    public, public_urls = make_pack(stranger, web, count=1, name="public")
    ok(stranger.patch(f"/packs/{public}", json={"is_public": True}))
    data = generate(
        api,
        manual(
            main,
            slide_config={
                "total_slides": 4,
                "slide_types": ["image_pack", "image_pack", "custom_image", "image_pack"],
                "custom_images": {"2": {"image_url": web.url("c.jpg")}},
                # "2" is a custom_image slide: assignments apply to image_pack slides only.
                "pack_assignments": {"1": other, "2": other, "3": public},
            },
        ),
    )
    slides = data["slides"]
    assert slides[0]["image_url"] in main_urls and slides[0]["pack_id"] == main
    assert slides[1]["image_url"] in other_urls and slides[1]["pack_id"] == other
    assert slides[2]["image_url"] == web.url("c.jpg")
    assert slides[3]["image_url"] in public_urls and slides[3]["pack_id"] == public
    assert data["settings"]["pack_assignments"] == {"1": other, "3": public}
    # Every image_pack slide may get its pack from assignments alone; ids are given back in
    # their canonical form.
    data = generate(
        api,
        manual(slide_config={"total_slides": 1, "pack_assignments": {"0": f" {other.upper()}"}}),
    )
    assert data["slides"][0]["pack_id"] == other
    assert data["settings"]["pack_assignments"] == {"0": other}


def test_pinned_images_need_no_images_in_the_pack(api: ApiClient, web: Web) -> None:
    empty = ok(api.post("/packs", json={"name": "empty"}), 201)["id"]
    pinned = web.url("pinned.jpg")
    data = generate(
        api, manual(empty, slide_config={"total_slides": 1, "pinned_images": {"0": pinned}})
    )
    assert data["slides"][0]["image_url"] == pinned


def test_title_sources(api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    assert generate(api, manual(pack_id, title=" Mine "))["title"] == "Mine"
    body = manual(pack_id, prompt="First line\nsecond line")
    assert generate(api, body)["title"] == "First line"
    body = manual(pack_id)
    del body["prompt"]
    data = generate(api, body)
    assert data["title"] == "Untitled slideshow" and data["original_prompt"] is None


def test_product_reference(api: ApiClient, web: Web, make_api: Callable[..., ApiClient]) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    product = ok(api.post("/products", json={"name": "Serum"}), 201)["id"]
    assert generate(api, manual(pack_id, product_id=product))["product_id"] == product
    unknown = "00000000-0000-4000-8000-000000000000"
    err(
        api.post("/slideshows/generate", json=manual(pack_id, product_id=unknown)),
        404,
        "product_not_found",
    )
    alice = make_api(api.workspace_name, personal="alice")
    bob = make_api(api.workspace_name, personal="bob")
    private = ok(alice.post("/products", json={"name": "Alice's"}), 201)["id"]
    bob_pack, _ = make_pack(bob, web, count=1)
    err(
        bob.post("/slideshows/generate", json=manual(bob_pack, product_id=private)),
        403,
        "forbidden_product_access",
    )


# ---------------------------------------------------------------------------------------------
# every error


def _config(**config: Any) -> dict[str, Any]:
    return {"slide_config": config}


BAD_SLIDE_CONFIGS = [
    # (slide_config fields, error code, words the message must contain)
    ({"total_slides": 2, "slide_types": ["image_pack"]}, "invalid_slide_config", "slide_types"),
    ({"total_slides": 2, "slide_texts": {"a": "x"}}, "invalid_slide_config", 'slide_texts["a"]'),
    ({"total_slides": 2, "slide_texts": {"2": "x"}}, "invalid_slide_config", "out of range"),
    ({"total_slides": 2, "slide_texts": {"-1": "x"}}, "invalid_slide_config", "indexes"),
    (
        {"total_slides": 2, "pinned_images": {"1.0": "https://a.example/x.jpg"}},
        "invalid_slide_config",
        "pinned_images",
    ),
    (
        {"total_slides": 2, "custom_images": {"9": {"image_url": "https://a.example/x.jpg"}}},
        "invalid_slide_config",
        "custom_images",
    ),
    (
        {"total_slides": 2, "pack_assignments": {"5": "00000000-0000-4000-8000-000000000000"}},
        "invalid_slide_config",
        "pack_assignments",
    ),
    (
        {"total_slides": 2, "slide_text_elements": {"x": []}},
        "invalid_slide_config",
        "slide_text_elements",
    ),
    (
        {"total_slides": 1, "slide_types": ["custom_image"]},
        "invalid_slide_config",
        'custom_images["0"]',
    ),
    (
        {
            "total_slides": 1,
            "slide_types": ["image_pack"],
            "custom_images": {"0": {"image_url": "https://a.example/x.jpg"}},
        },
        "invalid_slide_config",
        "custom_image",
    ),
    (
        {
            "total_slides": 1,
            "slide_types": ["custom_image"],
            "custom_images": {"0": {"image_url": "https://a.example/x.jpg"}},
            "pinned_images": {"0": "https://a.example/y.jpg"},
        },
        "invalid_slide_config",
        "pin",
    ),
    (
        {"total_slides": 1, "custom_images": {"0": {"image_url": "http://10.0.0.7/x.jpg"}}},
        "invalid_slide_config",
        'custom_images["0"].image_url',
    ),
    (
        {"total_slides": 1, "custom_images": {"0": {"image_url": "https://xn--/a.jpg"}}},
        "invalid_slide_config",
        "not a valid URL",
    ),
    ({"total_slides": 0}, "invalid_payload", "total_slides"),
    ({"total_slides": 11}, "invalid_payload", "total_slides"),
    ({"total_slides": True}, "invalid_payload", "total_slides"),
    ({"slide_types": ["video"]}, "invalid_payload", "slide_types"),
    ({"custom_images": {"0": {"image_url": "ftp://a/x.jpg"}}}, "invalid_payload", "image_url"),
    ({"custom_images": {"0": {}}}, "invalid_payload", "image_url"),
    ({"slide_text_elements": {"0": [{"content": "x", "x": 101, "y": 1}]}}, "invalid_payload", "x"),
    ({"slide_text_elements": {"0": [{"content": "x", "y": 1}]}}, "invalid_payload", "x"),
    (
        {"slide_text_elements": {"0": [{"content": "x", "x": 1, "y": 1, "font_size": 7}]}},
        "invalid_payload",
        "font_size",
    ),
    ({"pack_assignments": {"0": "not-a-uuid"}}, "invalid_payload", "pack_assignments"),
    ({"slide_texts": {"0": 5}}, "invalid_payload", "slide_texts"),
]


@pytest.mark.parametrize(("config", "code", "words"), BAD_SLIDE_CONFIGS)
def test_bad_slide_config(
    api: ApiClient, web: Web, config: dict[str, Any], code: str, words: str
) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    body = err(
        api.post("/slideshows/generate", json=manual(pack_id, slide_config=config)), 422, code
    )
    assert words in body["message"], body["message"]


BAD_BODIES = [
    ({"slide_count": 0}, "slide_count"),
    ({"slide_count": 11}, "slide_count"),
    ({"slide_count": "5"}, "slide_count"),
    ({"slide_count": True}, "slide_count"),
    ({"slideshow_type": "funny"}, "slideshow_type"),
    ({"aspect_ratio": "16:9"}, "aspect_ratio"),
    ({"language": "e"}, "language"),
    ({"language": "x" * 33}, "language"),
    ({"advanced_settings": {"text_preset": "neon"}}, "text_preset"),
    ({"advanced_settings": {"font_size": "huge"}}, "font_size"),
    ({"advanced_settings": {"font_size": 7}}, "font_size"),
    ({"advanced_settings": {"font_size": 201}}, "font_size"),
    ({"advanced_settings": {"font_size": True}}, "font_size"),
    ({"advanced_settings": {"text_width": "wide"}}, "text_width"),
    ({"skip_ai": "true"}, "skip_ai"),
    ({"pack_id": "nope"}, "pack_id"),
    ({"product_id": "nope"}, "product_id"),
    ({"template_id": 7}, "template_id"),
    ({"slide_config": []}, "slide_config"),
]


@pytest.mark.parametrize(("change", "field"), BAD_BODIES)
def test_bad_bodies(api: ApiClient, change: dict[str, Any], field: str) -> None:
    body = err(api.post("/slideshows/generate", json=manual(**change)), 422, "invalid_payload")
    assert field in body["message"]


def test_pack_errors(api: ApiClient, web: Web, make_api: Callable[..., ApiClient]) -> None:
    body = err(
        api.post("/slideshows/generate", json=manual(slide_config={"total_slides": 2})),
        422,
        "pack_required",
    )
    assert "slide 0" in body["message"] and "pack_id" in body["message"]
    unknown = "00000000-0000-4000-8000-000000000000"
    err(api.post("/slideshows/generate", json=manual(unknown)), 404, "pack_not_found")
    stranger = make_api()
    private, _ = make_pack(stranger, web, count=1)
    err(api.post("/slideshows/generate", json=manual(private)), 404, "pack_not_found")
    pack_id, _ = make_pack(api, web, count=1)
    body = err(
        api.post(
            "/slideshows/generate",
            json=manual(pack_id, slide_config={"pack_assignments": {"1": unknown}}),
        ),
        404,
        "pack_not_found",
    )
    assert 'pack_assignments["1"]' in body["message"]
    empty = ok(api.post("/packs", json={"name": "empty"}), 201)["id"]
    body = err(api.post("/slideshows/generate", json=manual(empty)), 422, "pack_empty")
    assert empty in body["message"]


def test_template_id_errors(api: ApiClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    err(
        api.post("/slideshows/generate", json=manual(template_id=unknown)),
        404,
        "template_not_found",
    )


def test_not_json_and_not_an_object(api: ApiClient) -> None:
    err(api.post("/slideshows/generate", content=b"{nope"), 400, "invalid_json")
    err(api.post("/slideshows/generate", json=[1, 2]), 422, "invalid_payload")
