"""Slideshows made through the API for the dashboard's slideshow tests (a pack of images on
the loopback web server, texts written by hand: no AI)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Web
from tests.helpers import ApiClient, ok
from tests.slideshows.support import make_pack, manual

EDITOR_DATA = re.compile(r'<script type="application/json" id="editor-data">(.*?)</script>', re.S)


def make_slideshow(
    api: ApiClient,
    web: Web,
    texts: list[str],
    *,
    title: str | None = None,
    aspect: str = "9:16",
    pack_id: str | None = None,
) -> dict[str, Any]:
    """A draft slideshow with one text per slide (generate with skip_ai)."""
    if pack_id is None:
        pack_id, _ = make_pack(api, web, count=2)
    body = manual(
        pack_id,
        aspect_ratio=aspect,
        slide_config={
            "total_slides": len(texts),
            "slide_texts": {str(i): text for i, text in enumerate(texts)},
        },
    )
    if title is not None:
        body["title"] = title
    data: dict[str, Any] = ok(api.post("/slideshows/generate", json=body))
    return data


def editor_data(html: str) -> dict[str, Any]:
    """The JSON block the editor page hands its script."""
    match = EDITOR_DATA.search(html)
    assert match, html[:500]
    data: dict[str, Any] = json.loads(match.group(1))
    return data
