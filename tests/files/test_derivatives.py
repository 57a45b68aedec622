"""Render-ready derivatives made when an upload completes (files/derivatives.py): the
renderer's own cover result for the ingest canvases, stored beside the original."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from slideforge.files import derivatives
from slideforge.models import File
from slideforge.render.images import load_cover
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, ok


def photo(size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    rng = np.random.default_rng(size[0])
    small = rng.integers(0, 255, (size[1] // 50 + 1, size[0] // 50 + 1, len(mode)), np.uint8)
    image = Image.fromarray(small, mode).resize(size, Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def upload(api: ApiClient, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    created: dict[str, Any] = ok(
        api.post("/files", json={"contentType": content_type, "filename": "photo"}), 201
    )
    put = httpx.put(created["uploadUrl"], content=data, headers={"Content-Type": content_type})
    ok(put)
    return created


def file_row(runtime: Runtime, file_id: str) -> File:
    with runtime.db.session() as session:
        row = session.get(File, uuid.UUID(file_id))
        assert row is not None
        session.expunge(row)
        return row


def test_an_upload_gets_the_renderers_cover_for_the_ingest_canvases(
    api: ApiClient, runtime: Runtime
) -> None:
    data = photo((1500, 2000))
    created = upload(api, data)
    derivatives.drain()
    row = file_row(runtime, created["id"])
    assert row.derivatives == {"base": row.storage_key, "sizes": ["1080x1350", "1080x1920"]}
    for size in ((1080, 1920), (1080, 1350)):
        key = derivatives.derivative_key(row.storage_key, size)
        assert key == f"{row.storage_key}.c{size[0]}x{size[1]}.ppm"
        stored = runtime.storage.read(key)
        with Image.open(io.BytesIO(stored)) as image:
            assert image.format == "PPM" and image.size == size
        # exactly what the renderer makes of the original: renders from it are identical
        cover = load_cover(data, "x", size, runtime.settings.max_image_pixels)
        assert stored == derivatives.encode_ppm(cover)
    # 1:1 is not an ingest canvas by default: it comes after a first 1:1 render
    assert runtime.storage.size(derivatives.derivative_key(row.storage_key, (1080, 1080))) is None


@pytest.mark.parametrize("aspects", ["", "1:1"])
def test_the_ingest_canvases_are_a_setting(
    api: ApiClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, aspects: str
) -> None:
    monkeypatch.setattr(runtime.settings, "render_derivative_aspects", aspects)
    created = upload(api, photo((900, 900)))
    derivatives.drain()
    row = file_row(runtime, created["id"])
    if aspects:
        assert row.derivatives == {"base": row.storage_key, "sizes": ["1080x1080"]}
    else:
        assert row.derivatives is None


def test_transparent_images_get_none(api: ApiClient, runtime: Runtime) -> None:
    # their cover depends on the slide's background colour: renders read the original
    created = upload(api, photo((800, 800), "RGBA", "PNG"), "image/png")
    derivatives.drain()
    row = file_row(runtime, created["id"])
    assert row.derivatives is None
    assert runtime.storage.size(derivatives.derivative_key(row.storage_key, (1080, 1920))) is None
