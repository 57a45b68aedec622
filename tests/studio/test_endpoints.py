"""/studio through HTTP (contract §10): the configured models, images (synchronous), videos
(the workflow), credits charged once and refunded once, errors."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, ok
from tests.studio.conftest import StudioEnv


def ledger(api: ApiClient, prefix: str) -> list[dict[str, Any]]:
    entries = ok(api.get("/credits", params={"limit": 100}))["entries"]
    return [e for e in entries if str(e["reference"]).startswith(prefix)]


def remaining(api: ApiClient) -> int:
    return int(ok(api.get("/subscription"))["subscription"]["credits"]["remaining"])


def wait_video(api: ApiClient, video_id: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        data: dict[str, Any] = ok(api.get(f"/studio/videos/{video_id}"))
        if data["status"] != "processing":
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.2)


# -- without providers ------------------------------------------------------------------------


def test_without_providers_nothing_is_invented(api: ApiClient, runtime: Runtime) -> None:
    assert runtime.settings.studio_providers == []
    for query in ("", "?mode=image", "?mode=video"):
        data = ok(api.get(f"/studio/models{query}"))
        assert data["models"] == [] and data["total"] == 0
        assert "SLIDEFORGE_STUDIO_PROVIDERS" in data["note"]
    body = err(
        api.post("/studio/images/generate", json={"model_id": "openai/gpt-image-1", "prompt": "x"}),
        422,
        "studio_not_configured",
    )
    assert "SLIDEFORGE_STUDIO_PROVIDERS" in body["message"]
    body = err(
        api.post("/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "x"}),
        422,
        "studio_not_configured",
    )
    assert "SLIDEFORGE_STUDIO_PROVIDERS" in body["message"]
    assert ledger(api, "studio-") == []


# -- models -----------------------------------------------------------------------------------


def test_models_are_the_configured_ones(api: ApiClient, studio: StudioEnv) -> None:
    everything = ok(api.get("/studio/models"))
    assert everything["mode"] == "all" and everything["total"] == 4
    assert "note" not in everything or everything["note"] is None
    by_id = {m["id"]: m for m in everything["models"]}
    assert set(by_id) == {
        "openai/gpt-image-1",
        "openai/dall-e-3",
        "openai/sora-2",
        "openai/sora-2-pro",
    }
    image = by_id["openai/gpt-image-1"]
    assert image["mode"] == "image" and image["provider"] == "openai"
    assert image["credits"]["default_cost"] == 4
    assert image["capabilities"] == ["text_to_image", "image_to_image"]
    assert "image_urls" in image["inputs"]["optional"] and image["inputs"]["max_images"] == 16
    assert image["params"]["size"]["enum"] == ["1024x1536", "1024x1024", "1536x1024"]
    assert image["params"]["aspect_ratio"]["enum"] == ["2:3", "1:1", "3:2"]
    assert image["raw_available_params"] == ["quality", "background"]
    video = by_id["openai/sora-2"]
    assert video["mode"] == "video"
    assert video["credits"]["default_cost"] == 10 + 2 * 4  # cost + per second x 4 s
    assert video["params"]["duration_seconds"]["enum"] == [4, 8, 12]
    assert video["params"]["resolution"]["enum"] == ["720p"]
    # No speech: speech fields are never offered (contract: only speech/lipsync models).
    for model in everything["models"]:
        assert not {"speech_text", "voice_id", "audio_url"} & set(model["inputs"]["optional"])
        # the key is a secret: never shown
        assert "sk-sandbox" not in str(model)
    images = ok(api.get("/studio/models?mode=image"))
    assert images["mode"] == "image" and {m["mode"] for m in images["models"]} == {"image"}
    videos = ok(api.get("/studio/models?mode=video"))
    assert videos["total"] == 2 and {m["mode"] for m in videos["models"]} == {"video"}
    err(api.get("/studio/models?mode=audio"), 422, "invalid_query")


# -- images -----------------------------------------------------------------------------------


def test_generate_image_stores_an_ai_studio_file(api: ApiClient, studio: StudioEnv) -> None:
    before = remaining(api)
    data = ok(
        api.post(
            "/studio/images/generate",
            json={"model_id": "openai/gpt-image-1", "prompt": "a calm morning desk"},
        )
    )
    assert data["model_id"] == "openai/gpt-image-1" and data["provider"] == "openai"
    assert data["credits_used"] == 4 and remaining(api) == before - 4
    picture = httpx.get(data["output_url"])
    assert picture.status_code == 200
    with Image.open(io.BytesIO(picture.content)) as image:
        assert image.format == "PNG" and image.size == (1024, 1536)  # the first size
    files = ok(api.get("/files?context=ai-studio"))["files"]
    assert [f["id"] for f in files] == [data["file_id"]]
    assert files[0]["contentType"] == "image/png" and files[0]["url"] == data["output_url"]
    # images from the studio go into packs like any other image
    pack = ok(api.post("/packs", json={"name": "AI", "is_public": False}), 201)
    added = ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": data["output_url"]}), 201)
    assert added["url"] == data["output_url"]
    # … and into ai_image folders (not upload folders: they hold what people uploaded)
    folder = ok(api.post("/folders", json={"name": "AI", "media_type": "ai_image"}), 201)
    added = ok(api.post(f"/folders/{folder['id']}/items", json={"item_ids": [data["file_id"]]}))
    assert added["added_count"] == 1
    items = ok(api.get(f"/folders/{folder['id']}/items"))["items"]
    assert [i["url"] for i in items] == [data["output_url"]]
    uploads = ok(api.post("/folders", json={"name": "Up", "media_type": "upload"}), 201)
    refused = api.post(f"/folders/{uploads['id']}/items", json={"item_ids": [data["file_id"]]})
    assert err(refused, 422, "invalid_folder_media_type")
    charges = ledger(api, "studio-image:")
    assert [e["kind"] for e in charges] == ["charge"] and charges[0]["amount"] == -4
    # the provider got no response_format (gpt-image refuses it) and our key
    assert studio.sandbox.counts == {"images_generations": 1}


def test_image_params_choose_the_size_and_format(api: ApiClient, studio: StudioEnv) -> None:
    data = ok(
        api.post(
            "/studio/images/generate",
            json={
                "model_id": "openai/gpt-image-1",
                "prompt": "wide shot",
                "params": {"aspect_ratio": "3:2", "output_format": "jpeg", "max_images": 1},
                "raw_params": {"quality": "low"},
            },
        )
    )
    assert data["content_type"] == "image/jpeg" and (data["width"], data["height"]) == (1536, 1024)
    dalle = ok(
        api.post(
            "/studio/images/generate",
            json={"model_id": "openai/dall-e-3", "prompt": "tall", "params": {"size": "1024x1792"}},
        )
    )
    assert (dalle["width"], dalle["height"]) == (1024, 1792) and dalle["credits_used"] == 3


def test_image_urls_are_fetched_and_sent_as_edits(
    api: ApiClient, studio: StudioEnv, web: Web
) -> None:
    first = web.add("studio/first.png", image_bytes((300, 200), "PNG"), "image/png")
    second = web.add("studio/second.jpg", image_bytes((200, 300)), "image/jpeg")
    data = ok(
        api.post(
            "/studio/images/generate",
            json={
                "model_id": "openai/gpt-image-1",
                "prompt": "put both on one table",
                "image_urls": [first, second],
            },
        )
    )
    assert data["credits_used"] == 4
    assert studio.sandbox.counts == {"images_edits": 1}
    # an image of our own media is read from storage
    again = ok(
        api.post(
            "/studio/images/generate",
            json={
                "model_id": "openai/gpt-image-1",
                "prompt": "again",
                "image_urls": [data["output_url"]],
            },
        )
    )
    assert again["file_id"] != data["file_id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"model_id": "openai/nope", "prompt": "x"}, "invalid_payload"),
        ({"model_id": "openai/sora-2", "prompt": "x"}, "invalid_payload"),
        (
            {"model_id": "openai/dall-e-3", "prompt": "x", "image_urls": ["https://e.com/a.png"]},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/gpt-image-1", "prompt": "x", "params": {"resolution": "2K"}},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/gpt-image-1", "prompt": "x", "raw_params": {"seed": 3}},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/gpt-image-1", "prompt": "x", "params": {"size": "512x512"}},
            "invalid_input",
        ),
        (
            {"model_id": "openai/gpt-image-1", "prompt": "x", "params": {"max_images": 2}},
            "invalid_input",
        ),
        (
            {"model_id": "openai/gpt-image-1", "prompt": "x", "params": {"aspect_ratio": "9:16"}},
            "invalid_input",
        ),
        (
            {"model_id": "openai/gpt-image-1", "prompt": "x", "image_urls": ["http://127.0.0.2/a"]},
            "image_url_not_allowed",
        ),
        (
            {
                "model_id": "openai/gpt-image-1",
                "prompt": "x",
                "image_urls": ["http://169.254.169.254/latest/meta-data"],
            },
            "image_url_not_allowed",
        ),
    ],
    ids=[
        "unknown-model",
        "video-model",
        "no-image-input",
        "resolution",
        "raw-param",
        "size",
        "max-images",
        "ratio",
        "loopback",
        "metadata",
    ],
)
def test_image_refusals_cost_nothing(
    api: ApiClient, studio: StudioEnv, body: dict[str, Any], code: str
) -> None:
    before = remaining(api)
    err(api.post("/studio/images/generate", json=body), 422, code)
    assert remaining(api) == before and ledger(api, "studio-") == []
    assert studio.sandbox.counts == {}


def test_image_url_that_is_not_an_image(api: ApiClient, studio: StudioEnv, web: Web) -> None:
    url = web.add("studio/not-image.png", b"hello", "image/png")
    body = err(
        api.post(
            "/studio/images/generate",
            json={"model_id": "openai/gpt-image-1", "prompt": "x", "image_urls": [url]},
        ),
        422,
        "invalid_input",
    )
    assert "image_urls[0]" in body["message"]
    err(
        api.post(
            "/studio/images/generate",
            json={
                "model_id": "openai/gpt-image-1",
                "prompt": "x",
                "image_urls": [web.url("__status/404")],
            },
        ),
        422,
        "image_fetch_failed",
    )


@pytest.mark.parametrize(
    ("rule", "prompt", "words"),
    [
        ({"preset": "content_policy"}, "a cat", "refused"),
        ({}, "a forbidden-subject", "safety system"),
        ({"preset": "server_error", "count": 1}, "a cat", "unavailable"),
    ],
    ids=["content-policy-rule", "moderation-word", "server-error"],
)
def test_provider_failure_refunds_once(
    api: ApiClient, studio: StudioEnv, rule: dict[str, Any], prompt: str, words: str
) -> None:
    if rule:
        studio.sandbox.add_failure(endpoint="images_generations", **rule)
    before = remaining(api)
    body = err(
        api.post(
            "/studio/images/generate", json={"model_id": "openai/gpt-image-1", "prompt": prompt}
        ),
        500,
        "generation_failed",
    )
    assert words in body["message"] and "4 credits were refunded" in body["message"]
    assert remaining(api) == before
    entries = ledger(api, "studio-image:")
    assert sorted(e["kind"] for e in entries) == ["charge", "refund"]
    assert len({e["reference"] for e in entries}) == 1
    assert ok(api.get("/files?context=ai-studio"))["files"] == []


def test_insufficient_credits(
    make_api: Any, studio: StudioEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(studio.runtime.settings, "credit_allowance", 3)
    api = make_api()
    body = err(
        api.post("/studio/images/generate", json={"model_id": "openai/gpt-image-1", "prompt": "x"}),
        402,
        "insufficient_credits",
    )
    assert body["data"] == {"required": 4, "remaining": 3}
    err(
        api.post("/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "x"}),
        402,
        "insufficient_credits",
    )
    assert studio.sandbox.counts == {}


# -- videos -----------------------------------------------------------------------------------


def test_video_is_generated_stored_and_charged_once(api: ApiClient, studio: StudioEnv) -> None:
    before = remaining(api)
    started = ok(
        api.post(
            "/studio/videos/generate",
            json={
                "model_id": "openai/sora-2",
                "prompt": "waves at dawn",
                "params": {"duration_seconds": 4},
            },
        ),
        202,
    )
    assert started["status"] == "processing" and started["output_url"] is None
    assert started["credits_used"] == 18 and remaining(api) == before - 18
    done = wait_video(api, started["video_id"])
    assert done["status"] == "succeeded", done
    assert done["prediction_id"] and done["prediction_id"].startswith("video_")
    assert done["progress"] == 100 and done["error"] is None
    content = httpx.get(done["output_url"])
    assert content.status_code == 200 and content.content[4:8] == b"ftyp"
    files = ok(api.get("/files?context=ai-studio&type=video"))["files"]
    assert [f["id"] for f in files] == [done["file_id"]]
    assert files[0]["contentType"] == "video/mp4"
    assert (files[0]["width"], files[0]["height"]) == (360, 640)  # the stand-in's half scale
    assert files[0]["durationSeconds"] == pytest.approx(4, abs=0.3)
    assert [e["kind"] for e in ledger(api, "studio-video:")] == ["charge"]
    assert remaining(api) == before - 18


def test_video_with_a_first_frame(api: ApiClient, studio: StudioEnv, web: Web) -> None:
    url = web.add("studio/frame.jpg", image_bytes((400, 300)), "image/jpeg")
    started = ok(
        api.post(
            "/studio/videos/generate",
            json={
                "model_id": "openai/sora-2",
                "prompt": "pan across",
                "image_url": url,
                "params": {"aspect_ratio": "16:9", "resolution": "720p"},
            },
        ),
        202,
    )
    done = wait_video(api, started["video_id"])
    # the stand-in refuses a reference of another size than the video's: it was cropped
    assert done["status"] == "succeeded", done
    assert [v["size"] for v in studio.sandbox.videos()] == ["1280x720"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"model_id": "openai/sora-2", "prompt": "x", "speech_text": "hi"},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/sora-2", "prompt": "x", "voice_id": "v"},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/sora-2", "prompt": "x", "audio_url": "https://e.com/a.mp3"},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/sora-2", "prompt": "x", "params": {"fps": 24}},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/sora-2-pro", "prompt": "x", "image_url": "https://e.com/a.png"},
            "model_input_not_supported",
        ),
        (
            {"model_id": "openai/sora-2", "prompt": "x", "params": {"duration_seconds": 5}},
            "invalid_input",
        ),
        ({"model_id": "openai/sora-2"}, "invalid_input"),
        ({"model_id": "openai/gpt-image-1", "prompt": "x"}, "invalid_payload"),
        (
            {"model_id": "openai/sora-2", "prompt": "x", "image_url": "http://127.0.0.2/a.png"},
            "image_url_not_allowed",
        ),
    ],
    ids=[
        "speech",
        "voice",
        "audio",
        "fps",
        "no-image-input",
        "duration",
        "no-prompt",
        "image-model",
        "loopback",
    ],
)
def test_video_refusals_cost_nothing(
    api: ApiClient, studio: StudioEnv, body: dict[str, Any], code: str
) -> None:
    before = remaining(api)
    err(api.post("/studio/videos/generate", json=body), 422, code)
    assert remaining(api) == before and ledger(api, "studio-") == []


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            {
                "kind": "video_failed",
                "code": "moderation_blocked",
                "message": "Blocked by moderation.",
            },
            "Blocked by moderation.",
        ),
        ({"endpoint": "videos_create", "preset": "content_policy"}, "refused the video"),
        ({"endpoint": "videos_create", "preset": "server_error", "count": None}, "unavailable"),
    ],
    ids=["job-failed", "submit-refused", "provider-down"],
)
def test_failed_video_is_refunded_once(
    api: ApiClient, studio: StudioEnv, rule: dict[str, Any], words: str
) -> None:
    studio.sandbox.add_failure(**rule)
    before = remaining(api)
    started = ok(
        api.post("/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "x"}), 202
    )
    done = wait_video(api, started["video_id"], seconds=40)
    assert done["status"] == "failed" and done["output_url"] is None
    assert words in done["error"] and "18 credits were refunded" in done["error"]
    assert remaining(api) == before
    assert sorted(e["kind"] for e in ledger(api, "studio-video:")) == ["charge", "refund"]


def test_videos_of_other_workspaces_are_not_found(
    api: ApiClient, make_api: Any, studio: StudioEnv
) -> None:
    started = ok(
        api.post("/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "x"}), 202
    )
    other = make_api()
    err(other.get(f"/studio/videos/{started['video_id']}"), 404, "video_not_found")
    err(api.get("/studio/videos/not-an-id"), 404, "video_not_found")
    err(api.get("/studio/videos/00000000-0000-0000-0000-000000000000"), 404, "video_not_found")
    wait_video(api, started["video_id"])
