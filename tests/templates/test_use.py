"""Templates in use: generate with template_id (use_count, last_used_at, body overrides,
manual and AI modes) and POST /templates/from-slideshow/{id} (preserve_text, names, preview)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.slideshows.support import FakeModel, make_pack, manual, photo


def template_config(pack_id: str | None, custom_url: str | None = None) -> dict[str, Any]:
    slides: list[dict[str, Any]] = [
        {
            "type": "pack",
            "id": "s1",
            "pinnedImageUrl": None,
            "textElements": [
                {"id": "h", "content": "Hook here", "x": 50, "y": 20, "fontSize": 60, "width": 80},
                {"content": "Subline", "x": 50, "y": 35, "stylePreset": "white"},
            ],
        },
        {
            "type": "custom",
            "pinnedImageUrl": custom_url,
            "textElements": [{"content": "Point", "x": 40, "y": 60, "textColor": "#ff0000"}],
        },
        {"type": "pack", "textElements": []},
    ]
    return {
        "version": 1,
        "structure": {"slides": slides},
        "content": {"mode": "manual", "language": "fr", "slideshowType": "personal"},
        "visuals": {
            "packId": pack_id,
            "aspectRatio": "9:16",
            "textSettings": {"fontSize": "small", "preset": "black", "fontFamily": "Poppins"},
        },
    }


def new_template(api: ApiClient, config: dict[str, Any], name: str = "Tpl") -> dict[str, Any]:
    data: dict[str, Any] = ok(api.post("/templates", json={"name": name, "config": config}), 201)
    return data


def test_generate_from_a_template(api: ApiClient, web: Web) -> None:
    pack_id, urls = make_pack(api, web, count=2)
    custom = web.url("tpl/custom.jpg")
    template = new_template(api, template_config(pack_id, custom))
    body = {"template_id": template["id"], "skip_ai": True}
    data = ok(api.post("/slideshows/generate", json=body))
    assert data["template_id"] == template["id"] and data["slide_count"] == 3
    assert data["title"] == "Tpl" and data["language"] == "fr"
    assert data["slideshow_type"] == "personal"
    settings = data["settings"]
    assert settings["aspect_ratio"] == "9:16" and settings["image_pack_id"] == pack_id
    assert settings["advanced_settings"] == {
        "font_size": "small",
        "text_preset": "black",
        "text_width": "default",
        "font_family": "Poppins",
    }
    s0, s1, s2 = data["slides"]
    assert (
        s0["image_url"] in urls and s2["image_url"] in urls and s0["image_url"] != s2["image_url"]
    )
    assert s1["slide_type"] == "custom_image" and s1["image_url"] == custom
    hook, sub = s0["text_elements"]
    assert (hook["id"], hook["content"], hook["font_size"], hook["width"]) == (
        "h",
        "Hook here",
        60,
        80,
    )
    assert (sub["content"], sub["font_size"], sub["style_preset"]) == ("Subline", 40, "white")
    assert sub["font_family"] == "Poppins" and hook["style_preset"] == "black"
    point = s1["text_elements"][0]
    assert (point["font_size"], point["text_color"], point["width"]) == (33, "#ff0000", 70)
    assert s2["text_elements"] == []
    used = ok(api.get(f"/templates/{template['id']}"))
    assert used["use_count"] == 1 and used["last_used_at"]
    ok(api.post("/slideshows/generate", json=body))
    assert ok(api.get(f"/templates/{template['id']}"))["use_count"] == 2


def test_body_fields_override_the_template(api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=2)
    other, other_urls = make_pack(api, web, count=1, name="other")
    template = new_template(api, template_config(pack_id, web.url("c.jpg")))
    body = manual(
        other,
        template_id=template["id"],
        title="Mine",
        slide_config={"slide_texts": {"0": "Replaced hook", "2": "Text on a text-less slide"}},
    )
    # genviral.sh-style body: it always sends slide_count, type, aspect ratio, language and
    # text_preset, so they win; slide_count 5 pads the 3 template slides with pack slides.
    data = ok(api.post("/slideshows/generate", json=body))
    assert data["title"] == "Mine" and data["slide_count"] == 5
    assert data["settings"]["aspect_ratio"] == "4:5" and data["language"] == "en"
    assert data["settings"]["image_pack_id"] == other
    assert data["settings"]["advanced_settings"]["text_preset"] == "tiktok"
    assert data["settings"]["advanced_settings"]["font_size"] == "small"  # not sent: template's
    s0 = data["slides"][0]
    assert [e["content"] for e in s0["text_elements"]] == ["Replaced hook", "Subline"]
    assert s0["image_url"] in other_urls
    assert data["slides"][1]["slide_type"] == "custom_image"
    assert [e["content"] for e in data["slides"][2]["text_elements"]] == [
        "Text on a text-less slide"
    ]
    assert data["slides"][4]["text_elements"] == []


def test_template_custom_slide_without_image(api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    template = new_template(api, template_config(pack_id, None))
    body = {"template_id": template["id"], "skip_ai": True}
    answer = err(api.post("/slideshows/generate", json=body), 422, "invalid_slide_config")
    assert "template slide 1" in answer["message"] and 'custom_images["1"]' in answer["message"]
    body["slide_config"] = {"custom_images": {"1": {"image_url": web.url("given.jpg")}}}
    data = ok(api.post("/slideshows/generate", json=body))
    assert data["slides"][1]["image_url"] == web.url("given.jpg")
    assert ok(api.get(f"/templates/{template['id']}"))["use_count"] == 1  # failures don't count


def test_ai_template_fills_placeholders(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=2)
    config = template_config(pack_id, web.url("c.jpg"))
    config["content"] = {"mode": "ai", "prompt": "Paris on a budget"}
    template = new_template(api, config)
    data = ok(api.post("/slideshows/generate", json={"template_id": template["id"]}))
    assert data["original_prompt"] == "Paris on a budget" and data["title"] == "AI title"
    contents = [[e["content"] for e in s["text_elements"]] for s in data["slides"]]
    assert contents == [["AI 1.1", "AI 1.2"], ["AI 2.1"], []]
    assert data["slides"][0]["text_elements"][0]["y"] == 20  # layout kept
    user = model.calls[-1]["messages"][-1]["content"]
    assert "- slide 1: 2 texts" in user and "slide 3:" not in user


def test_templates_of_others_cannot_be_used(
    api: ApiClient, web: Web, make_api: Callable[..., ApiClient]
) -> None:
    alice = make_api(api.workspace_name, personal="alice")
    pack_id, _ = make_pack(api, web, count=1)
    private = new_template(api, template_config(pack_id, web.url("c.jpg")))
    err(
        alice.post("/slideshows/generate", json={"template_id": private["id"], "skip_ai": True}),
        404,
        "template_not_found",
    )
    ok(api.patch(f"/templates/{private['id']}", json={"visibility": "workspace"}))
    data = ok(
        alice.post("/slideshows/generate", json={"template_id": private["id"], "skip_ai": True})
    )
    assert data["template_id"] == private["id"]


def slideshow_with_layout(api: ApiClient, web: Web) -> dict[str, Any]:
    pack_id, _ = make_pack(api, web, count=2)
    other, _ = make_pack(api, web, count=1, name="other")
    body = manual(
        pack_id,
        aspect_ratio="9:16",
        title="Skincare",
        advanced_settings={"text_preset": "shadow", "text_width": "narrow"},
        slide_config={
            "total_slides": 3,
            "slide_types": ["image_pack", "custom_image", "image_pack"],
            "custom_images": {"1": {"image_url": web.add("custom/x.jpg", photo())}},
            "pack_assignments": {"2": other},
            "slide_text_elements": {
                "0": [{"content": "Hook", "x": 50, "y": 20, "font_size": 70, "width": 90}],
                "1": [{"content": "Step", "x": 30, "y": 40, "font_family": "Anton"}],
            },
        },
    )
    data: dict[str, Any] = ok(api.post("/slideshows/generate", json=body))
    return data


def test_from_slideshow_with_an_empty_body(api: ApiClient, web: Web) -> None:
    source = slideshow_with_layout(api, web)
    response = api.post(f"/templates/from-slideshow/{source['id']}", json={})
    data = ok(response, 201)
    assert data["name"] == "Skincare template" and data["visibility"] == "private"
    assert data["is_owner"] is True and data["preview_url"] is None  # never rendered
    config = data["config"]
    slides = config["structure"]["slides"]
    assert [s["type"] for s in slides] == ["pack", "custom", "pack"]
    assert slides[0]["pinnedImageUrl"] is None
    assert slides[1]["pinnedImageUrl"] == web.url("custom/x.jpg")
    hook = slides[0]["textElements"][0]
    assert (hook["content"], hook["x"], hook["y"], hook["fontSize"], hook["width"]) == (
        "Hook",
        50,
        20,
        70,
        90,
    )
    assert hook["stylePreset"] == "shadow"
    assert slides[1]["textElements"][0]["fontFamily"] == "Anton"
    assert config["structure"]["packAssignments"] == {"2": source["slides"][2]["pack_id"]}
    assert config["content"]["mode"] == "manual" and config["content"]["language"] == "en"
    assert config["visuals"]["aspectRatio"] == "9:16"
    assert config["visuals"]["packId"] == source["settings"]["image_pack_id"]
    assert config["visuals"]["textSettings"]["width"] == "narrow"
    # A second one gets a unique generated name.
    again = ok(api.post(f"/templates/from-slideshow/{source['id']}", json={}), 201)
    assert again["name"] == "Skincare template (2)"
    # And the template reproduces the layout.
    made = ok(api.post("/slideshows/generate", json={"template_id": data["id"], "skip_ai": True}))
    assert [[e["content"] for e in s["text_elements"]] for s in made["slides"]] == [
        ["Hook"],
        ["Step"],
        [],
    ]
    assert made["slides"][2]["pack_id"] == source["slides"][2]["pack_id"]


def test_from_slideshow_without_text(api: ApiClient, web: Web) -> None:
    source = slideshow_with_layout(api, web)
    body = {
        "name": "Layout only",
        "description": "d",
        "visibility": "private",
        "preserve_text": False,
    }
    data = ok(api.post(f"/templates/from-slideshow/{source['id']}", json=body), 201)
    assert data["name"] == "Layout only" and data["description"] == "d"
    elements = [e for s in data["config"]["structure"]["slides"] for e in s["textElements"]]
    assert [e["content"] for e in elements] == ["", ""]
    assert (elements[0]["x"], elements[0]["y"], elements[0]["fontSize"]) == (50, 20, 70)
    assert data["config"]["content"]["mode"] == "ai"
    err(
        api.post(f"/templates/from-slideshow/{source['id']}", json=body),
        409,
        "template_name_conflict",
    )


def test_from_slideshow_errors(
    api: ApiClient, web: Web, make_api: Callable[..., ApiClient]
) -> None:
    source = slideshow_with_layout(api, web)
    alice = make_api(api.workspace_name, personal="alice")
    err(
        api.post("/templates/from-slideshow/00000000-0000-4000-8000-000000000000", json={}),
        404,
        "not_found",
    )
    mine = slideshow_with_layout(alice, web)
    # A member's slideshow is theirs: the workspace key does not see it.
    err(api.post(f"/templates/from-slideshow/{mine['id']}", json={}), 404, "not_found")
    err(
        alice.post(f"/templates/from-slideshow/{mine['id']}", json={"visibility": "workspace"}),
        403,
        "workspace_key_required",
    )
    err(
        api.post(f"/templates/from-slideshow/{source['id']}", json={"preserve_text": "no"}),
        422,
        "invalid_payload",
    )
    slides = source["slides"] * 4  # 12 slides: more than a template holds
    ok(api.patch(f"/slideshows/{source['id']}", json={"slides": slides}))
    body = err(
        api.post(f"/templates/from-slideshow/{source['id']}", json={}),
        422,
        "invalid_template_config",
    )
    assert "at most 10" in body["message"]


def test_from_slideshow_keeps_its_own_preview(api: ApiClient, web: Web) -> None:
    source = slideshow_with_layout(api, web)
    rendered = ok(api.post(f"/slideshows/{source['id']}/render"))
    data = ok(api.post(f"/templates/from-slideshow/{source['id']}", json={}), 201)
    preview = data["preview_url"]
    assert preview and preview != rendered["preview_image_url"]
    assert httpx.get(preview).content == httpx.get(rendered["preview_image_url"]).content
    ok(api.post(f"/slideshows/{source['id']}/render"))  # the old render's files go away
    assert httpx.get(rendered["preview_image_url"]).status_code == 404
    assert httpx.get(preview).status_code == 200  # the template's copy stays
    ok(api.delete(f"/templates/{data['id']}"))
    assert httpx.get(preview).status_code == 404
