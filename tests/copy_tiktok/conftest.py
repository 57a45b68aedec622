"""Fixtures for the TikTok fetcher tests: one TikTok web sandbox on loopback per test process
(reset before every test), driven by a ManualClock, and fetchers pointed at it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_web import TikTokWebSandbox, create_app
from slideforge.copy_tiktok.fetch import FetchConfig, TikTokFetcher, TikTokPost
from slideforge.kit.clock import ManualClock
from slideforge.kit.safehttp import SafeHttp

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def slide_image(index: int, fmt: str = "JPEG", size: tuple[int, int] = (54, 96)) -> bytes:
    """A small slide whose colour encodes its index (so order can be checked)."""
    buffer = io.BytesIO()
    color = ((index * 37) % 256, (index * 91) % 256, (255 - index * 19) % 256)
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def fake_heic(width: int = 1080, height: int = 1920) -> bytes:
    """An ISO-BMFF HEIC header with an ``ispe`` box (what the sniffer and prober read)."""
    ftyp = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    ispe = b"\x00\x00\x00\x14ispe\x00\x00\x00\x00" + width.to_bytes(4, "big")
    return ftyp + ispe + height.to_bytes(4, "big") + b"\x00" * 64


@dataclass
class Site:
    sandbox: TikTokWebSandbox
    base_url: str
    clock: ManualClock

    def config(self, **changes: Any) -> FetchConfig:
        base = FetchConfig(web_base_url=self.base_url, short_link_base_url=self.base_url)
        return replace(base, **changes)

    def fetcher(self, http: SafeHttp | None = None, **changes: Any) -> TikTokFetcher:
        return TikTokFetcher(
            http or SafeHttp(allow=["127.0.0.1"], timeout=10.0),
            self.config(**changes),
            clock=self.clock,
        )

    def fetch(self, url: str, **kwargs: Any) -> TikTokPost:
        return self.fetcher().fetch(url, **kwargs)


@pytest.fixture(scope="session")
def tiktok_site_server() -> Iterator[tuple[TikTokWebSandbox, RunningServer, ManualClock]]:
    clock = ManualClock(START)
    sandbox = TikTokWebSandbox(clock)
    server = serve_in_thread(create_app(sandbox))
    yield sandbox, server, clock
    server.stop()


@pytest.fixture
def site(tiktok_site_server: tuple[TikTokWebSandbox, RunningServer, ManualClock]) -> Site:
    sandbox, server, clock = tiktok_site_server
    sandbox.reset()
    clock.set(START)
    return Site(sandbox=sandbox, base_url=server.base_url, clock=clock)
