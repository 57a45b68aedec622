"""The three platform sandboxes on the test's own clock (the runtime's ManualClock), for the
analytics loop: one clock moves our milestones, the sandboxes' processing and their counters
together. The server's settings point at them for the test and are restored after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from platform_sandbox.instagram import InstagramOptions, InstagramSandbox
from platform_sandbox.instagram import create_app as instagram_app
from platform_sandbox.pinterest import PinterestOptions, PinterestSandbox
from platform_sandbox.pinterest import create_app as pinterest_app
from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_api import SandboxApp, SandboxOptions, TikTokSandbox
from platform_sandbox.tiktok_api import create_app as tiktok_app
from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.sandboxes import InstagramEnv, PinterestEnv, TikTokEnv


@dataclass
class LoopSandboxes:
    tiktok: TikTokEnv
    instagram: InstagramEnv
    pinterest: PinterestEnv


@contextmanager
def loop_sandboxes(
    runtime: Runtime,
    server: RunningServer,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    seed: int = 11,
) -> Iterator[LoopSandboxes]:
    settings = runtime.settings
    tiktok = TikTokSandbox(
        clock=clock,
        app=SandboxApp(
            client_key="loop-client",
            client_secret="loop-secret",
            redirect_uris=[f"{server.base_url}/oauth/tiktok/callback"],
            verified_url_prefixes=[f"{server.base_url}/media/"],
            allow_loopback_url_prefixes=True,
        ),
        options=SandboxOptions(
            download_seconds=1, processing_seconds=1, moderation_seconds=30, metrics_seed=seed
        ),
    )
    instagram = InstagramSandbox(
        clock=clock,
        options=InstagramOptions(
            image_processing_seconds=1,
            carousel_processing_seconds=1,
            video_processing_seconds=1,
            fetch_timeout_seconds=5,
            metrics_seed=seed,
        ),
    )
    pinterest = PinterestSandbox(
        clock=clock,
        options=PinterestOptions(
            media_processing_seconds=1,
            multiple_images_check="same_dimensions",
            fetch_timeout_seconds=5,
            metrics_seed=seed,
        ),
    )
    ig_app, pin_app = instagram.apps()[0], pinterest.apps()[0]
    instagram.update_app(
        ig_app.client_id, redirect_uris=[f"{server.base_url}/oauth/instagram/callback"]
    )
    pinterest.update_app(
        pin_app.client_id, redirect_uris=[f"{server.base_url}/oauth/pinterest/callback"]
    )
    servers = [serve_in_thread(tiktok_app(tiktok)), serve_in_thread(instagram_app(instagram))]
    servers.append(serve_in_thread(pinterest_app(pinterest)))
    tt, ig, pin = (s.base_url for s in servers)
    for name, value in {
        "tiktok_client_key": "loop-client",
        "tiktok_client_secret": "loop-secret",
        "tiktok_api_base_url": tt,
        "tiktok_authorize_url": tt + "/v2/auth/authorize/",
        "instagram_client_id": ig_app.client_id,
        "instagram_client_secret": ig_app.client_secret,
        "instagram_authorize_url": f"{ig}/oauth/authorize",
        "instagram_token_url": f"{ig}/oauth/access_token",
        "instagram_graph_url": ig,
        "instagram_login": "instagram",
        "pinterest_client_id": pin_app.client_id,
        "pinterest_client_secret": pin_app.client_secret,
        "pinterest_authorize_url": f"{pin}/oauth/",
        "pinterest_api_base_url": pin,
    }.items():
        monkeypatch.setattr(settings, name, value)
    try:
        yield LoopSandboxes(
            TikTokEnv(tiktok, servers[0], runtime),
            InstagramEnv(instagram, servers[1], runtime, clock),  # type: ignore[arg-type]
            PinterestEnv(pinterest, servers[2], runtime, clock),  # type: ignore[arg-type]
        )
    finally:
        for running in servers:
            running.stop()
        tiktok.close()
