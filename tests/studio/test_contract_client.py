"""The contract client's studio commands (docs/contract.md §10) as ``genviral.sh`` sends
them — JSON content type on every call, pretty-printed bodies, ``params`` only when a flag
set one — reading exactly the paths it reads."""

from __future__ import annotations

import time

from tests.analytics.test_contract_client import client_call
from tests.conftest import Web
from tests.helpers import ApiClient, image_bytes
from tests.studio.conftest import StudioEnv


def test_the_clients_studio_commands(api: ApiClient, studio: StudioEnv, web: Web) -> None:
    # studio-models: .data.total; .data.models[] -> .mode .id .name .provider .credits.default_cost
    listed = client_call(api, "GET", "/studio/models")["data"]
    assert isinstance(listed["models"], list) and listed["total"] == len(listed["models"]) == 4
    for model in listed["models"]:
        assert model["mode"] in ("image", "video") and model["id"] and model["name"]
        assert model["provider"] == "openai" and isinstance(model["credits"]["default_cost"], int)
    # studio-models --mode video
    videos = client_call(api, "GET", "/studio/models?mode=video")["data"]
    assert [m["mode"] for m in videos["models"]] == ["video", "video"]

    # studio-generate-image --model-id --prompt --image-urls a,b --size 1024x1024
    first = web.add("client/a.png", image_bytes((120, 80), "PNG"), "image/png")
    second = web.add("client/b.jpg", image_bytes((80, 120)), "image/jpeg")
    image = client_call(
        api,
        "POST",
        "/studio/images/generate",
        "{\n"
        '  "model_id": "openai/gpt-image-1",\n'
        '  "prompt": "a flat lay of both products",\n'
        f'  "image_urls": [\n    "{first}",\n    "{second}"\n  ],\n'
        '  "params": {\n    "size": "1024x1024"\n  }\n'
        "}",
    )["data"]
    assert image["output_url"] and image["file_id"] and image["credits_used"] == 4

    # studio-generate-video --model-id openai/sora-2 --prompt P --duration 8 --aspect-ratio 9:16
    started = client_call(
        api,
        "POST",
        "/studio/videos/generate",
        "{\n"
        '  "model_id": "openai/sora-2",\n'
        '  "prompt": "steam rising from a coffee cup",\n'
        '  "params": {\n    "duration_seconds": 8,\n    "aspect_ratio": "9:16"\n  }\n'
        "}",
    )
    assert started["code"] == 202
    data = started["data"]
    assert data["video_id"] and data["status"] == "processing" and data["credits_used"] == 26

    # studio-video-status --poll: succeeded stops, failed dies with .data.error
    deadline = time.monotonic() + 60
    while True:
        polled = client_call(api, "GET", f"/studio/videos/{data['video_id']}")["data"]
        assert polled["status"] != "failed", polled["error"]
        if polled["status"] == "succeeded":
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert polled["output_url"].endswith(".mp4")
