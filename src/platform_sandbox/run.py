"""Start every platform sandbox on loopback and say how to point slideforge at them: for
``slideforge sandbox`` (standalone) and ``slideforge serve --sandbox`` (in-process, the
default of ``make run``, so a fresh install can connect accounts, post and copy slideshows
without any real platform)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from platform_sandbox.server import RunningServer, serve_in_thread


@dataclass
class Sandboxes:
    servers: dict[str, RunningServer] = field(default_factory=dict)
    # Settings (field name -> value) that point a slideforge server at the sandboxes.
    settings: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def env(self) -> dict[str, str]:
        out = {}
        for name, value in self.settings.items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                text = ",".join(value)
            elif isinstance(value, list | dict):
                text = json.dumps(value)
            else:
                text = str(value)
            out[f"SLIDEFORGE_{name.upper()}"] = text
        return out


def start_sandboxes(
    *,
    public_base_url: str,
    media_base_url: str,
    oauth_redirect_base_url: str,
    host: str = "127.0.0.1",
    port: int | None = None,
) -> Sandboxes:
    """TikTok (Content Posting API and web pages), Instagram and Pinterest sandboxes and the
    AI studio's provider stand-in, on ``port``, ``port+1``… (free ports when None). The
    TikTok app trusts the media base URL as a verified prefix, knows our OAuth callback, and
    approves as its demo creator."""
    from platform_sandbox import ai_studio, instagram, pinterest, tiktok_web
    from platform_sandbox.tiktok_api import SandboxApp, TikTokSandbox
    from platform_sandbox.tiktok_api import create_app as tiktok_app

    def at(offset: int) -> int | None:
        return port + offset if port else None

    running = Sandboxes()
    tiktok = TikTokSandbox()
    tiktok.update_app(
        redirect_uris=[f"{oauth_redirect_base_url}/oauth/tiktok/callback"],
        verified_url_prefixes=[media_base_url.rstrip("/") + "/"],
        allow_loopback_url_prefixes=True,
    )
    app: SandboxApp = tiktok.app
    running.servers["tiktok"] = serve_in_thread(tiktok_app(tiktok), host, at(0))
    running.servers["tiktok-web"] = serve_in_thread(tiktok_web.create_app(), host, at(1))
    # Instagram and Pinterest: their seeded app knows our callback; media is pulled from our
    # media URLs (loopback http is fine for the sandboxes).
    ig_sandbox = instagram.InstagramSandbox()
    ig_app = ig_sandbox.apps()[0]
    ig_sandbox.update_app(
        ig_app.client_id, redirect_uris=[f"{oauth_redirect_base_url}/oauth/instagram/callback"]
    )
    pin_sandbox = pinterest.PinterestSandbox()
    pin_app = pin_sandbox.apps()[0]
    pin_sandbox.update_app(
        pin_app.client_id, redirect_uris=[f"{oauth_redirect_base_url}/oauth/pinterest/callback"]
    )
    running.servers["instagram"] = serve_in_thread(instagram.create_app(ig_sandbox), host, at(2))
    running.servers["pinterest"] = serve_in_thread(pinterest.create_app(pin_sandbox), host, at(3))
    studio = ai_studio.AiStudioSandbox()
    running.servers["ai-studio"] = serve_in_thread(ai_studio.create_app(studio), host, at(4))
    ig_base = running.servers["instagram"].base_url
    pin_base = running.servers["pinterest"].base_url
    tiktok_base = running.servers["tiktok"].base_url
    web = running.servers["tiktok-web"]
    running.settings = {
        "tiktok_client_key": app.client_key,
        "tiktok_client_secret": app.client_secret,
        "tiktok_api_base_url": tiktok_base,
        "tiktok_authorize_url": f"{tiktok_base}/v2/auth/authorize/",
        "tiktok_web_base_url": web.base_url,
        "tiktok_short_link_base_url": web.base_url,
        "instagram_client_id": ig_app.client_id,
        "instagram_client_secret": ig_app.client_secret,
        "instagram_authorize_url": f"{ig_base}/oauth/authorize",
        "instagram_token_url": f"{ig_base}/oauth/access_token",
        "instagram_graph_url": ig_base,
        "facebook_authorize_url": f"{ig_base}/v23.0/dialog/oauth",
        "facebook_graph_url": ig_base,
        "pinterest_client_id": pin_app.client_id,
        "pinterest_client_secret": pin_app.client_secret,
        "pinterest_authorize_url": f"{pin_base}/oauth/",
        "pinterest_api_base_url": pin_base,
        "studio_providers": studio_providers(
            running.servers["ai-studio"].base_url + "/v1", studio.options.api_keys[0]
        ),
        # Only the web sandbox's port is opened to the page fetcher, not the whole loopback.
        "ssrf_allow": [f"{urlsplit(web.base_url).hostname}:{web.port}"],
    }
    del public_base_url  # the sandboxes reach us through media and OAuth URLs only
    return running


def studio_providers(base_url: str, api_key: str) -> list[dict[str, Any]]:
    """``SLIDEFORGE_STUDIO_PROVIDERS`` pointing at the AI studio stand-in: two image models
    and two video models, with costs in credits."""
    return [
        {
            "name": "openai",
            "kind": "images",
            "base_url": base_url,
            "api_key": api_key,
            "models": [
                {
                    "id": "gpt-image-1",
                    "name": "GPT Image 1 (sandbox)",
                    "description": "Text to image, and edits of up to 16 input images.",
                    "cost": 4,
                    "image_input": "optional",
                    "max_images": 16,
                    "sizes": ["1024x1536", "1024x1024", "1536x1024"],
                    "output_formats": ["png", "jpeg", "webp"],
                    "raw_params": ["quality", "background"],
                },
                {
                    "id": "dall-e-3",
                    "name": "DALL·E 3 (sandbox)",
                    "description": "Text to image.",
                    "cost": 3,
                    "sizes": ["1024x1792", "1024x1024", "1792x1024"],
                    "response_format": "b64_json",
                },
            ],
        },
        {
            "name": "openai",
            "kind": "videos",
            "base_url": base_url,
            "api_key": api_key,
            "models": [
                {
                    "id": "sora-2",
                    "name": "Sora 2 (sandbox)",
                    "description": "Text or first frame to video, 4-12 s.",
                    "cost": 10,
                    "cost_per_second": 2,
                    "image_input": "optional",
                    "sizes": ["720x1280", "1280x720"],
                    "durations": [4, 8, 12],
                },
                {
                    "id": "sora-2-pro",
                    "name": "Sora 2 Pro (sandbox)",
                    "description": "Text to video, larger sizes.",
                    "cost": 20,
                    "cost_per_second": 5,
                    "sizes": ["720x1280", "1280x720", "1024x1792", "1792x1024"],
                    "durations": [4, 8, 12],
                },
            ],
        },
    ]
