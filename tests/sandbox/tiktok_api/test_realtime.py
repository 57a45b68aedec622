"""TikTok sandbox on the system clock (how the product's dry runs use it): the background
ticker moves publishes along and fires webhooks without anyone polling."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_api import SandboxApp, SandboxOptions, TikTokSandbox, create_app
from tests.sandbox.tiktok_api.support import Api, Hook, MediaServer, error_of, wait_until


@pytest.fixture
def realtime(
    media_server: MediaServer, hook_server: Hook
) -> Iterator[tuple[TikTokSandbox, RunningServer]]:
    with hook_server.lock:
        hook_server.received.clear()
        hook_server.statuses.clear()
    sandbox = TikTokSandbox(
        app=SandboxApp(
            verified_url_prefixes=[f"{media_server.base}/media/"],
            allow_loopback_url_prefixes=True,
            webhook_url=hook_server.url,
        ),
        options=SandboxOptions(
            download_seconds=0.05,
            processing_seconds=0.05,
            moderation_seconds=0.1,
            tick_interval_seconds=0.02,
        ),
    )
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running
    running.stop()


def test_direct_post_completes_on_its_own(
    realtime: tuple[TikTokSandbox, RunningServer], media_server: MediaServer, hook_server: Hook
) -> None:
    sandbox, running = realtime
    with httpx.Client(base_url=running.base_url, timeout=10) as http:
        api = Api(http, sandbox, media_server)
        token = api.token(sandbox.users()[0].open_id)
        publish_id = api.publish_photo(token)
        assert wait_until(lambda: len(hook_server.received) >= 2, timeout=5)
        events = [json.loads(item["body"])["event"] for item in hook_server.received]
        assert events == ["post.publish.complete", "post.publish.publicly_available"]
        status = api.status(token, publish_id)
        assert status["status"] == "PUBLISH_COMPLETE"
        assert status["publicaly_available_post_id"] == [sandbox.posts()[0]["post_id"]]
        manual = http.post("/__sandbox/clock/advance", json={"seconds": 1})
        assert manual.status_code == 409
        assert error_of(api.post("/v2/post/publish/creator_info/query/", token)) == (200, "ok")
