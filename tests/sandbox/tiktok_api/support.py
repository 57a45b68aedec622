"""Helpers for the TikTok sandbox tests: media and webhook receivers, constants and a thin
HTTP client for the sandbox API."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from platform_sandbox.server import RunningServer
from platform_sandbox.tiktok_api import TikTokSandbox
from tests.sandbox.videos import good_mp4, tiny_mp4

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
REDIRECT_URI = "https://app.slideforge.test/oauth/tiktok/callback"
CREATOR = "-000creator-public"
PRIVATE = "-000creator-private"
OTHER = "-000creator-other"


def image_bytes(width: int, height: int, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 40


@dataclass
class MediaServer:
    """Loopback media host: the URLs the product would publish from."""

    server: RunningServer
    hits: Counter[str] = field(default_factory=Counter)
    slow_release: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return self.server.base_url

    def url(self, name: str) -> str:
        return f"{self.base}/media/{name}"


def media_app(hits: Counter[str], slow_release: threading.Event) -> Starlette:
    files = {
        "a.jpg": (image_bytes(1080, 1350), "image/jpeg"),
        "b.jpg": (image_bytes(720, 1280), "image/jpeg"),
        "c.webp": (image_bytes(1080, 1920, "WEBP"), "image/webp"),
        "slide.png": (image_bytes(1080, 1350, "PNG"), "image/png"),
        "wide.jpg": (image_bytes(1440, 1920), "image/jpeg"),
        "text.jpg": (b"this is not an image at all", "image/jpeg"),
        "clip.mp4": (MP4_BYTES, "video/mp4"),
        "clip.txt": (b"plain text pretending to be a video" * 10, "video/mp4"),
        "tiny.mp4": (tiny_mp4(), "video/mp4"),  # H.264, 100x100, 3 frames
        "good.mp4": (good_mp4(), "video/mp4"),  # H.264, 360x640, 5 s
    }

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        hits[name] += 1
        if name == "redirect.jpg":
            return RedirectResponse("/media/a.jpg", status_code=302)
        if name == "slow.jpg":
            # Hold the connection until the test releases it (or 5 s pass).
            with anyio.move_on_after(5):
                while not slow_release.is_set():
                    await anyio.sleep(0.02)
            return Response(files["a.jpg"][0], media_type="image/jpeg")
        if name not in files:
            return Response("not found", status_code=404)
        body, media_type = files[name]
        return Response(body, media_type=media_type)

    return Starlette(routes=[Route("/media/{name}", serve)])


@dataclass
class Hook:
    """Webhook receiver: records every delivery; answers ``statuses`` in order, then 200."""

    server: RunningServer
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/hook"


def hook_app(hook_ref: list[Hook]) -> Starlette:
    async def receive(request: Request) -> Response:
        hook = hook_ref[0]
        body = await request.body()
        with hook.lock:
            hook.received.append(
                {"body": body, "signature": request.headers.get("tiktok-signature")}
            )
            status = hook.statuses.pop(0) if hook.statuses else 200
        return Response(status_code=status)

    return Starlette(routes=[Route("/hook", receive, methods=["POST"])])


class Api:
    """Thin helpers over the HTTP API (one access token at a time)."""

    def __init__(self, http: httpx.Client, sandbox: TikTokSandbox, media: MediaServer) -> None:
        self.http = http
        self.sandbox = sandbox
        self.media = media

    def token(self, open_id: str = CREATOR, scopes: list[str] | None = None) -> str:
        response = self.http.post(
            "/__sandbox/tokens",
            json={
                "open_id": open_id,
                "scopes": scopes or ["user.info.basic", "video.publish", "video.upload"],
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["access_token"])

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, token: str, body: Any = None) -> httpx.Response:
        return self.http.post(path, headers=self.auth(token), json=body)

    def photo_body(
        self,
        names: list[str] | None = None,
        *,
        mode: str = "DIRECT_POST",
        privacy: str | None = "PUBLIC_TO_EVERYONE",
        title: str = "Five tips",
        description: str = "Slideshow #tips",
        cover: int = 0,
    ) -> dict[str, Any]:
        post_info: dict[str, Any] = {"title": title, "description": description}
        if privacy is not None:
            post_info["privacy_level"] = privacy
        return {
            "media_type": "PHOTO",
            "post_mode": mode,
            "post_info": post_info,
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_images": [self.media.url(name) for name in (names or ["a.jpg", "b.jpg"])],
                "photo_cover_index": cover,
            },
        }

    def init_photo(self, token: str, **kwargs: Any) -> httpx.Response:
        return self.post("/v2/post/publish/content/init/", token, self.photo_body(**kwargs))

    def publish_photo(self, token: str, **kwargs: Any) -> str:
        response = self.init_photo(token, **kwargs)
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["publish_id"])

    def status(self, token: str, publish_id: str) -> dict[str, Any]:
        response = self.post("/v2/post/publish/status/fetch/", token, {"publish_id": publish_id})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["error"]["code"] == "ok"
        return dict(body["data"])

    def advance(self, seconds: float) -> None:
        response = self.http.post("/__sandbox/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text


def error_of(response: httpx.Response) -> tuple[int, str]:
    """(HTTP status, error.code) of an enveloped answer; checks the envelope on the way."""
    body = response.json()
    assert set(body) == {"data", "error"}, body
    assert set(body["error"]) == {"code", "message", "log_id"}, body
    assert len(body["error"]["log_id"]) == 34
    return response.status_code, str(body["error"]["code"])


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll a real-world condition (another thread or server) for up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
