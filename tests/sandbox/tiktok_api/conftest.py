"""Fixtures for the TikTok sandbox tests: one sandbox server, one media server and one
webhook receiver per session (the sandbox is reset before every test), and a ManualClock."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_api import SandboxApp, SandboxUser, TikTokSandbox, create_app
from slideforge.kit.clock import ManualClock
from tests.sandbox.tiktok_api.support import (
    CREATOR,
    OTHER,
    PRIVATE,
    REDIRECT_URI,
    START,
    Api,
    Hook,
    MediaServer,
    hook_app,
    media_app,
)


@pytest.fixture(scope="session")
def media_server() -> Iterator[MediaServer]:
    hits: Counter[str] = Counter()
    release = threading.Event()
    running = serve_in_thread(media_app(hits, release))
    yield MediaServer(server=running, hits=hits, slow_release=release)
    release.set()
    running.stop()


@pytest.fixture(scope="session")
def hook_server() -> Iterator[Hook]:
    ref: list[Hook] = []
    running = serve_in_thread(hook_app(ref))
    ref.append(Hook(server=running))
    yield ref[0]
    running.stop()


@pytest.fixture(scope="session")
def session_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def session_sandbox(
    session_clock: ManualClock, media_server: MediaServer
) -> Iterator[tuple[TikTokSandbox, RunningServer]]:
    sandbox = TikTokSandbox(
        clock=session_clock,
        app=SandboxApp(
            client_key="sbawtestclientkey",
            client_secret="test-client-secret",
            redirect_uris=[REDIRECT_URI],
            verified_url_prefixes=[f"{media_server.base}/media/"],
            allow_loopback_url_prefixes=True,
            default_user=CREATOR,
        ),
        users=[
            SandboxUser(open_id=CREATOR, username="public.creator", display_name="Public One"),
            SandboxUser(
                open_id=PRIVATE,
                username="private.creator",
                display_name="Private One",
                private_account=True,
            ),
            SandboxUser(open_id=OTHER, username="other.creator", display_name="Other"),
        ],
    )
    running = serve_in_thread(create_app(sandbox))
    yield sandbox, running
    running.stop()


@pytest.fixture
def manual_clock(session_clock: ManualClock) -> ManualClock:
    session_clock.set(START)
    return session_clock


@pytest.fixture
def sandbox(
    session_sandbox: tuple[TikTokSandbox, RunningServer], manual_clock: ManualClock
) -> TikTokSandbox:
    sandbox, _ = session_sandbox
    sandbox.reset(keep_config=False)
    return sandbox


@pytest.fixture
def base_url(session_sandbox: tuple[TikTokSandbox, RunningServer]) -> str:
    return session_sandbox[1].base_url


@pytest.fixture
def client(base_url: str, sandbox: TikTokSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=15) as http:
        yield http


@pytest.fixture
def tiktok(client: httpx.Client, sandbox: TikTokSandbox, media_server: MediaServer) -> Api:
    return Api(client, sandbox, media_server)


@pytest.fixture
def hook(hook_server: Hook, sandbox: TikTokSandbox) -> Hook:
    """The webhook receiver, emptied, and registered as the app's callback URL."""
    with hook_server.lock:
        hook_server.received.clear()
        hook_server.statuses.clear()
    sandbox.update_app(webhook_url=hook_server.url)
    return hook_server
