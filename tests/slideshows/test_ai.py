"""AI mode of generate and POST /slideshows/{id}/slides/{i}/regenerate against a fake
OpenAI-compatible endpoint on loopback; without one, 422 ai_not_configured."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.slideshows.support import FakeModel, fake_model, make_pack, manual


def ai_body(pack_id: str, **extra: Any) -> dict[str, Any]:
    body = manual(pack_id, **extra)
    del body["skip_ai"]
    return body


def contents(slide: dict[str, Any]) -> list[str]:
    return [e["content"] for e in slide["text_elements"]]


@pytest.mark.usefixtures("no_model")
def test_without_a_model_ai_calls_say_what_to_configure(api: ApiClient, web: Web) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    for body in (ai_body(pack_id), {**ai_body(pack_id), "skip_ai": False}):
        answer = err(api.post("/slideshows/generate", json=body), 422, "ai_not_configured")
        assert "SLIDEFORGE_AI_BASE_URL" in answer["message"] and "skip_ai" in answer["message"]
    assert ok(api.get("/slideshows"))["total"] == 0  # nothing invented, nothing created
    created = ok(api.post("/slideshows/generate", json=manual(pack_id)))
    err(
        api.post(f"/slideshows/{created['id']}/slides/0/regenerate", json={}),
        422,
        "no_text_elements",
    )
    slides = created["slides"]
    slides[0]["text_elements"] = [{"content": "Hook", "x": 50, "y": 50}]
    ok(api.patch(f"/slideshows/{created['id']}", json={"slides": slides}))
    answer = err(
        api.post(f"/slideshows/{created['id']}/slides/0/regenerate", json={}),
        422,
        "ai_not_configured",
    )
    # What to set for *this* call: the server settings, or edit the slide's texts yourself;
    # skip_ai / slide_config belong to generate, not to regenerate.
    assert "SLIDEFORGE_AI_BASE_URL" in answer["message"]
    assert "PATCH /slideshows/{id}" in answer["message"], answer["message"]
    assert "skip_ai" not in answer["message"] and "slide_config" not in answer["message"]


def test_ai_generation(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=3)
    product = ok(
        api.post("/products", json={"name": "Glow Serum", "description": "Vitamin C"}), 201
    )["id"]
    body = ai_body(pack_id, slide_count=3, product_id=product, language="de")
    data = ok(api.post("/slideshows/generate", json=body))
    assert data["title"] == "AI title" and data["original_prompt"] == "Morning routine tips"
    assert [contents(s) for s in data["slides"]] == [["AI 1.1"], ["AI 2.1"], ["AI 3.1"]]
    assert data["slides"][0]["text_elements"][0]["font_size"] == 48
    assert data["slides"][1]["text_elements"][0]["font_size"] == 40
    request = model.calls[-1]
    assert request["model"] == "text-test"
    assert request["response_format"] == {"type": "json_object"}
    user = request["messages"][-1]["content"]
    assert "Morning routine tips" in user and "Glow Serum" in user and "Vitamin C" in user
    assert "Language of every text: de" in user and "educational" in user
    assert "authorization" not in model.headers[-1]  # no key configured: no header


def test_ai_keeps_given_texts_and_fills_the_rest(
    api: ApiClient, web: Web, model: FakeModel
) -> None:
    pack_id, _ = make_pack(api, web, count=3)
    body = ai_body(
        pack_id,
        slide_config={
            "total_slides": 3,
            "slide_texts": {"1": "Mine"},
            "slide_text_elements": {"2": [{"content": "Also mine", "x": 50, "y": 80}]},
        },
    )
    data = ok(api.post("/slideshows/generate", json=body))
    assert [contents(s) for s in data["slides"]] == [["AI 1.1"], ["Mine"], ["Also mine"]]
    user = model.calls[-1]["messages"][-1]["content"]
    assert "- slide 1: 1 text" in user and "slide 2:" not in user and "slide 3:" not in user


def test_product_alone_is_enough(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    product = ok(api.post("/products", json={"name": "Lamp"}), 201)["id"]
    body = ai_body(pack_id, slide_count=1, product_id=product)
    del body["prompt"]
    data = ok(api.post("/slideshows/generate", json=body))
    assert contents(data["slides"][0]) == ["AI 1.1"] and data["original_prompt"] is None
    del body["product_id"]
    answer = err(api.post("/slideshows/generate", json=body), 422, "prompt_required")
    assert "prompt" in answer["message"]


@pytest.mark.parametrize(
    "reply",
    [
        "not json",
        json.dumps(["a list"]),
        json.dumps({"title": "t", "slides": []}),
        json.dumps({"title": "t", "slides": [{"slide": 1, "texts": [""]}]}),
    ],
)
def test_unusable_answers_are_502(api: ApiClient, web: Web, model: FakeModel, reply: str) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    model.reply = lambda _body: reply
    answer = err(
        api.post("/slideshows/generate", json=ai_body(pack_id, slide_count=1)), 502, "ai_failed"
    )
    assert "skip_ai" in answer["message"]
    assert ok(api.get("/slideshows"))["total"] == 0


def test_upstream_errors_are_502(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    model.status = 503
    answer = err(api.post("/slideshows/generate", json=ai_body(pack_id)), 502, "ai_failed")
    assert "HTTP 503" in answer["message"]


def test_code_fenced_json_is_accepted(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    model.reply = lambda _b: (
        '```json\n{"title": "F", "slides": [{"slide": 1, "texts": ["X"]}]}\n```'
    )
    data = ok(api.post("/slideshows/generate", json=ai_body(pack_id, slide_count=1)))
    assert data["title"] == "F" and contents(data["slides"][0]) == ["X"]


@pytest.fixture
def keyed_model(runtime: Runtime) -> Iterator[FakeModel]:
    yield from fake_model(runtime, api_key="sk-test-123")


def test_the_api_key_is_sent_as_bearer(api: ApiClient, web: Web, keyed_model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    ok(api.post("/slideshows/generate", json=ai_body(pack_id, slide_count=1)))
    assert keyed_model.headers[-1]["authorization"] == "Bearer sk-test-123"


def test_regenerate_one_slide(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=2)
    data = ok(api.post("/slideshows/generate", json=ai_body(pack_id, slide_count=2)))
    slides = data["slides"]
    slides[1]["text_elements"].append({"content": "Second line", "x": 30, "y": 80})
    data = ok(api.patch(f"/slideshows/{data['id']}", json={"slides": slides}))
    before = data["slides"][1]["text_elements"]
    rendered = ok(api.post(f"/slideshows/{data['id']}/render"))
    assert rendered["status"] == "rendered"
    result = ok(
        api.post(
            f"/slideshows/{data['id']}/slides/1/regenerate",
            json={"instruction": "make it punchier"},
        )
    )
    assert result["slide_index"] == 1
    after = result["slideshow"]["slides"][1]["text_elements"]
    assert [e["content"] for e in after] == ["New 2.1", "New 2.2"]
    for old, new in zip(before, after, strict=True):  # only the content changed
        assert {**old, "content": None} == {**new, "content": None}
    assert contents(result["slideshow"]["slides"][0]) == ["AI 1.1"]
    # New text: back to draft, rendered images cleared.
    assert result["slideshow"]["status"] == "draft"
    assert result["slideshow"]["rendered_image_urls"] == []
    user = model.calls[-1]["messages"][-1]["content"]
    assert "Instruction: make it punchier" in user and "slide 1: AI 1.1" in user
    assert ok(api.get(f"/slideshows/{data['id']}")) == result["slideshow"]
    # {} and no body at all are both fine.
    ok(api.post(f"/slideshows/{data['id']}/slides/0/regenerate", json={}))
    ok(api.post(f"/slideshows/{data['id']}/slides/0/regenerate"))


def test_regenerate_errors(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    data = ok(api.post("/slideshows/generate", json=ai_body(pack_id, slide_count=2)))
    sid = data["id"]
    body = err(api.post(f"/slideshows/{sid}/slides/2/regenerate", json={}), 404, "slide_not_found")
    assert "2 slides" in body["message"]
    err(api.post(f"/slideshows/{sid}/slides/-1/regenerate", json={}), 422, "invalid_payload")
    err(api.post(f"/slideshows/{sid}/slides/x/regenerate", json={}), 422, "invalid_payload")
    err(
        api.post(f"/slideshows/{sid}/slides/0/regenerate", json={"instruction": ""}),
        422,
        "invalid_payload",
    )
    err(
        api.post(f"/slideshows/{sid}/slides/0/regenerate", json={"instruction": "x" * 501}),
        422,
        "invalid_payload",
    )
    slides = data["slides"]
    slides[1]["text_elements"] = []
    ok(api.patch(f"/slideshows/{sid}", json={"slides": slides}))
    err(api.post(f"/slideshows/{sid}/slides/1/regenerate", json={}), 422, "no_text_elements")
    manual_body = manual(pack_id, slide_config={"total_slides": 1, "slide_texts": {"0": "x"}})
    del manual_body["prompt"]
    no_prompt = ok(api.post("/slideshows/generate", json=manual_body))
    err(
        api.post(f"/slideshows/{no_prompt['id']}/slides/0/regenerate", json={}),
        422,
        "no_original_prompt",
    )
    err(
        api.post("/slideshows/00000000-0000-4000-8000-000000000000/slides/0/regenerate", json={}),
        404,
        "not_found",
    )
    model.status = 500
    err(api.post(f"/slideshows/{sid}/slides/0/regenerate", json={}), 502, "ai_failed")


def test_an_edit_while_the_ai_writes_wins(api: ApiClient, web: Web, model: FakeModel) -> None:
    pack_id, _ = make_pack(api, web, count=1)
    data = ok(api.post("/slideshows/generate", json=ai_body(pack_id, slide_count=1)))
    asked, release = threading.Event(), threading.Event()

    def slow(_body: dict[str, Any]) -> str:
        asked.set()
        release.wait(30)
        return json.dumps({"texts": ["Too late"]})

    model.reply = slow
    result: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: result.update(
            r=api.post(f"/slideshows/{data['id']}/slides/0/regenerate", json={})
        )
    )
    worker.start()
    assert asked.wait(20)
    ok(api.patch(f"/slideshows/{data['id']}", json={"title": "Edited meanwhile"}))
    release.set()
    worker.join(60)
    body = err(result["r"], 409, "slideshow_changed")
    assert "Try again" in body["message"]
    after = ok(api.get(f"/slideshows/{data['id']}"))
    assert after["title"] == "Edited meanwhile"
    assert [e["content"] for e in after["slides"][0]["text_elements"]] == ["AI 1.1"]
