"""The AI studio stand-in over real HTTP: OpenAI's images and videos shapes, its key check
and error shape, real PNG and H.264 MP4 bytes, idempotent video creation, failure rules."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from platform_sandbox.ai_studio import AiStudioOptions, AiStudioSandbox, create_app
from platform_sandbox.server import RunningServer, serve_in_thread
from slideforge.kit.clock import ManualClock
from tests.helpers import image_bytes

KEY = {"Authorization": "Bearer sk-sandbox-studio"}


@pytest.fixture
def standin() -> Iterator[tuple[AiStudioSandbox, RunningServer]]:
    sandbox = AiStudioSandbox(options=AiStudioOptions(queue_seconds=0.2, render_seconds=0.6))
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running
    running.stop()


def _error(response: httpx.Response, status: int, code: Any = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def test_key_check_and_openai_errors(standin: tuple[AiStudioSandbox, RunningServer]) -> None:
    _, server = standin
    url = f"{server.base_url}/v1/images/generations"
    body = {"model": "gpt-image-1", "prompt": "x"}
    assert "didn't provide an API key" in _error(httpx.post(url, json=body), 401)["message"]
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer sk-wrong-key-123"})
    assert _error(wrong, 401, "invalid_api_key")["message"].startswith("Incorrect API key")
    unknown = httpx.post(url, json={"model": "nope", "prompt": "x"}, headers=KEY)
    assert _error(unknown, 400, "invalid_value")["param"] == "model"
    refused = httpx.post(url, json={**body, "response_format": "b64_json"}, headers=KEY)
    assert _error(refused, 400, "unknown_parameter")["param"] == "response_format"
    blocked = httpx.post(url, json={**body, "prompt": "a forbidden-subject"}, headers=KEY)
    _error(blocked, 400, "moderation_blocked")


def test_images_are_real_pngs_drawn_from_the_prompt(
    standin: tuple[AiStudioSandbox, RunningServer],
) -> None:
    _, server = standin
    url = f"{server.base_url}/v1/images/generations"
    body = {"model": "gpt-image-1", "prompt": "a red bicycle", "n": 1, "size": "1536x1024"}
    first = httpx.post(url, json=body, headers=KEY, timeout=30).json()
    data = base64.b64decode(first["data"][0]["b64_json"])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (1536, 1024)
    again = httpx.post(url, json=body, headers=KEY, timeout=30).json()
    assert again["data"][0]["b64_json"] == first["data"][0]["b64_json"]  # deterministic
    other = httpx.post(url, json={**body, "prompt": "a blue boat"}, headers=KEY, timeout=30)
    assert other.json()["data"][0]["b64_json"] != first["data"][0]["b64_json"]
    # dall-e-3 answers a URL when asked
    hosted = httpx.post(
        url,
        json={"model": "dall-e-3", "prompt": "x", "size": "1024x1792", "response_format": "url"},
        headers=KEY,
        timeout=30,
    ).json()
    picture = httpx.get(hosted["data"][0]["url"])
    with Image.open(io.BytesIO(picture.content)) as image:
        assert image.size == (1024, 1792)


def test_edits_take_multipart_images(standin: tuple[AiStudioSandbox, RunningServer]) -> None:
    sandbox, server = standin
    url = f"{server.base_url}/v1/images/edits"
    files = [
        ("image[]", ("a.png", image_bytes((50, 50), "PNG"), "image/png")),
        ("image[]", ("b.jpg", image_bytes((50, 50)), "image/jpeg")),
    ]
    data = {"model": "gpt-image-1", "prompt": "combine", "size": "1024x1024"}
    answer = httpx.post(url, data=data, files=files, headers=KEY, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"][0]["b64_json"]
    bad = [("image[]", ("a.txt", b"not an image", "text/plain"))]
    _error(httpx.post(url, data=data, files=bad, headers=KEY), 400, "invalid_image_file")
    no_edits = httpx.post(url, data={**data, "model": "dall-e-3"}, files=files, headers=KEY)
    _error(no_edits, 400, "invalid_value")
    assert sandbox.counts["images_edits"] == 3


def _wait(server: RunningServer, video_id: str) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + 20
    while True:
        video = httpx.get(f"{server.base_url}/v1/videos/{video_id}", headers=KEY).json()
        if not seen or seen[-1] != video["status"]:
            seen.append(video["status"])
        if video["status"] in ("completed", "failed"):
            return seen
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.fixture
def clocked() -> Iterator[tuple[AiStudioSandbox, RunningServer, ManualClock]]:
    """A stand-in on a clock the test moves (a video's states follow its age)."""
    clock = ManualClock(datetime.now(UTC))
    sandbox = AiStudioSandbox(
        clock=clock, options=AiStudioOptions(queue_seconds=0.2, render_seconds=0.6)
    )
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running, clock
    running.stop()


def test_videos_go_from_queued_to_a_real_mp4(
    clocked: tuple[AiStudioSandbox, RunningServer, ManualClock],
) -> None:
    sandbox, server, clock = clocked
    url = f"{server.base_url}/v1/videos"
    body = {"model": "sora-2", "prompt": "a paper boat", "seconds": "4", "size": "720x1280"}
    headers = {**KEY, "Idempotency-Key": "k1"}
    created = httpx.post(url, json=body, headers=headers).json()
    assert created["object"] == "video" and created["status"] == "queued"
    assert {"id", "progress", "model", "seconds", "size", "created_at"} <= set(created)
    # The same Idempotency-Key answers the same job.
    assert httpx.post(url, json=body, headers=headers).json()["id"] == created["id"]
    assert len(sandbox.videos()) == 1
    early = httpx.get(f"{url}/{created['id']}/content", headers=KEY)
    _error(early, 400, "video_not_ready")
    seen = []
    for _ in range(4):  # 0, 0.25, 0.5, 0.75 s old
        seen.append(httpx.get(f"{url}/{created['id']}", headers=KEY).json()["status"])
        clock.advance(0.25)
    assert seen == ["queued", "in_progress", "in_progress", "completed"]
    content = httpx.get(f"{url}/{created['id']}/content", headers=KEY, timeout=60)
    assert content.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(content.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (360, 640)
        frames = sum(1 for _ in container.decode(stream))
    assert frames == 4 * 12
    _error(httpx.get(f"{url}/video_nope", headers=KEY), 404, "not_found")
    wrong = httpx.post(url, json={**body, "seconds": "5"}, headers=KEY)
    assert _error(wrong, 400, "invalid_value")["param"] == "seconds"


def test_failure_rules(standin: tuple[AiStudioSandbox, RunningServer]) -> None:
    _, server = standin
    admin = f"{server.base_url}/__sandbox"
    url = f"{server.base_url}/v1/videos"
    body = {"model": "sora-2", "prompt": "x"}
    rule = httpx.post(f"{admin}/failures", json={"preset": "rate_limited"})
    assert rule.status_code == 201, rule.text
    limited = httpx.post(url, json=body, headers=KEY)
    assert _error(limited, 429, "rate_limit_exceeded") and limited.headers["retry-after"]
    assert httpx.post(url, json=body, headers=KEY).status_code == 200  # the rule fired once
    httpx.post(
        f"{admin}/failures",
        json={"kind": "video_failed", "code": "moderation_blocked", "message": "Nope."},
    )
    failed = httpx.post(url, json=body, headers=KEY).json()
    assert _wait(server, failed["id"])[-1] == "failed"
    video = httpx.get(f"{url}/{failed['id']}", headers=KEY).json()
    assert video["error"] == {"code": "moderation_blocked", "message": "Nope."}
    unknown = httpx.post(f"{admin}/failures", json={"preset": "nope"})
    assert unknown.status_code == 400
    state = httpx.get(f"{admin}/state").json()
    assert state["videos"] == 2 and state["calls"]["videos_create"] == 3
    assert httpx.post(f"{admin}/reset").json() == {"reset": True}
    assert httpx.get(f"{admin}/state").json()["videos"] == 0
