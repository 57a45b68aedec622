"""Fixtures of the analytics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from platform_sandbox.server import serve_in_thread
from platform_sandbox.tiktok_web import TikTokWebSandbox
from platform_sandbox.tiktok_web import create_app as web_app
from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime


@pytest.fixture
def tiktok_web(
    runtime: Runtime, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TikTokWebSandbox]:
    sandbox = TikTokWebSandbox(clock)
    running = serve_in_thread(web_app(sandbox))
    monkeypatch.setattr(runtime.settings, "tiktok_web_base_url", running.base_url)
    monkeypatch.setattr(runtime.settings, "tiktok_short_link_base_url", running.base_url)
    yield sandbox
    running.stop()
