"""Helpers of the slideshow and template tests: packs with images on the loopback web
server, and a fake OpenAI-compatible chat endpoint."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from platform_sandbox.server import serve_in_thread
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, ok


def photo(size: tuple[int, int] = (360, 640), color: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """A JPEG with a gradient (so text contrast and shrinking have something to measure)."""
    image = Image.new("RGB", size, color)
    pixels = image.load()
    assert pixels is not None
    for y in range(0, size[1], 4):
        shade = int(120 * y / size[1])
        for x in range(0, size[0], 4):
            pixels[x, y] = (color[0], min(255, color[1] + shade), color[2])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def make_pack(
    api: ApiClient, web: Web, count: int = 3, name: str = "pack"
) -> tuple[str, list[str]]:
    pack = ok(api.post("/packs", json={"name": name}), 201)
    urls = []
    for i in range(count):
        url = web.add(f"ss/{uuid.uuid4().hex}/{i}.jpg", photo(color=(30 + 40 * i, 80, 150)))
        ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
        urls.append(url)
    # Let the metadata workflows finish now: none is left fetching when the test servers stop.
    deadline = time.monotonic() + 30
    while any(
        image["metadata"]["status"] in ("pending", "processing")
        for image in ok(api.get(f"/packs/{pack['id']}"))["images"]
    ):
        assert time.monotonic() < deadline, "pack metadata did not finish"
        time.sleep(0.05)
    return pack["id"], urls


def manual(pack_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A generate body as genviral.sh sends it with --skip-ai (it always sends these)."""
    body: dict[str, Any] = {
        "prompt": "Morning routine tips",
        "slide_count": 5,
        "slideshow_type": "educational",
        "aspect_ratio": "4:5",
        "language": "en",
        "advanced_settings": {"text_preset": "tiktok"},
        "skip_ai": True,
    }
    if pack_id:
        body["pack_id"] = pack_id
    body.update(extra)
    return body


@dataclass
class FakeModel:
    """An OpenAI-compatible /chat/completions on loopback. By default it answers every slide
    it is asked for with "AI <slide>.<n>"; ``reply`` overrides the answer's JSON text."""

    base_url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    reply: Callable[[dict[str, Any]], str] | None = None
    status: int = 200

    def answer(self, body: dict[str, Any]) -> str:
        if self.reply is not None:
            return self.reply(body)
        user = body["messages"][-1]["content"]
        wanted = re.findall(r"- slide (\d+): (\d+) text", user)
        if wanted:
            slides = [
                {"slide": int(n), "texts": [f"AI {n}.{j}" for j in range(1, int(k) + 1)]}
                for n, k in wanted
            ]
            return json.dumps({"title": "AI title", "slides": slides})
        match = re.search(r"Rewrite slide (\d+) \((\d+) text", user)
        assert match, user
        n, k = match.groups()
        return json.dumps({"texts": [f"New {n}.{j}" for j in range(1, int(k) + 1)]})


def fake_model(runtime: Runtime, *, api_key: str | None = None) -> Iterator[FakeModel]:
    holder: dict[str, FakeModel] = {}

    async def completions(request: Request) -> Response:
        model = holder["model"]
        body = await request.json()
        model.calls.append(body)
        model.headers.append(dict(request.headers))
        if model.status != 200:
            return Response(b"upstream down", status_code=model.status)
        content = model.answer(body)
        return JSONResponse({"choices": [{"message": {"role": "assistant", "content": content}}]})

    running = serve_in_thread(
        Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    )
    holder["model"] = FakeModel(running.base_url + "/v1")
    settings = runtime.settings
    saved = (settings.ai_base_url, settings.ai_api_key, settings.ai_model)
    settings.ai_base_url, settings.ai_api_key, settings.ai_model = (
        holder["model"].base_url,
        api_key,
        "text-test",
    )
    try:
        yield holder["model"]
    finally:
        settings.ai_base_url, settings.ai_api_key, settings.ai_model = saved
        running.stop()
