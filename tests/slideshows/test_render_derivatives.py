"""Renders read render-ready derivatives instead of decoding originals (files/derivatives.py,
slideshows/rendering.py): which bytes storage gives out, identical slides either way, and
derivatives made after the first render of an image that had none."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from slideforge.files import derivatives
from slideforge.kit.storage import LocalStorage
from slideforge.models import File
from slideforge.render.images import load_cover
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.files.test_derivatives import file_row, photo, upload
from tests.helpers import ApiClient, ok
from tests.slideshows.support import make_pack, manual


class SpyStorage(LocalStorage):
    """The test's local storage, noting which keys were read and which handed out as paths."""

    def __init__(self, root: Path, base_url: str) -> None:
        super().__init__(root, base_url)
        self.read_keys: list[str] = []
        self.path_keys: list[str] = []

    def read(self, key: str) -> bytes:
        self.read_keys.append(key)
        return super().read(key)

    def size(self, key: str) -> int | None:
        self.read_keys.append(key)
        return super().size(key)

    def local_path(self, key: str) -> Path | None:
        self.path_keys.append(key)
        return super().local_path(key)


@pytest.fixture
def spy(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[SpyStorage]:
    storage = runtime.storage
    assert isinstance(storage, LocalStorage)
    spying = SpyStorage(storage.root, storage.base_url)
    monkeypatch.setattr(runtime, "storage", spying)
    yield spying


def slideshow_over(api: ApiClient, web: Web, image_url: str, aspect: str = "9:16") -> str:
    pack_id, _ = make_pack(api, web, count=1)
    body = manual(
        pack_id,
        aspect_ratio=aspect,
        slide_config={"total_slides": 1, "slide_texts": {"0": "Read me over the photo"}},
    )
    slideshow_id = str(ok(api.post("/slideshows/generate", json=body))["id"])
    slide = ok(api.get(f"/slideshows/{slideshow_id}"))["slides"][0]
    patched = {"slides": [{**slide, "image_url": image_url}]}
    ok(api.patch(f"/slideshows/{slideshow_id}", json=patched))
    return slideshow_id


def render(api: ApiClient, slideshow_id: str) -> bytes:
    data: dict[str, Any] = ok(api.post(f"/slideshows/{slideshow_id}/render"))
    return httpx.get(data["slides"][0]["rendered_image_url"]).content


def test_a_render_reads_the_derivative_not_the_original(
    api: ApiClient, web: Web, runtime: Runtime, spy: SpyStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = upload(api, photo((2400, 3200)))
    derivatives.drain()
    row = file_row(runtime, created["id"])
    slideshow_id = slideshow_over(api, web, created["url"])
    spy.read_keys.clear()
    from_derivative = render(api, slideshow_id)
    assert derivatives.derivative_key(row.storage_key, (1080, 1920)) in spy.path_keys
    assert row.storage_key not in spy.read_keys  # the 7.7 MP original was not even read

    monkeypatch.setattr(runtime.settings, "render_derivatives", False)
    spy.read_keys.clear()
    from_original = render(api, slideshow_id)
    assert row.storage_key in spy.read_keys
    assert from_original == from_derivative  # byte for byte: the derivative is the cover


def test_an_old_file_gets_its_derivative_after_its_first_render(
    api: ApiClient, web: Web, runtime: Runtime, spy: SpyStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime.settings, "render_derivative_aspects", "")  # none at upload
    data = photo((1600, 1600))
    created = upload(api, data)
    derivatives.drain()
    assert file_row(runtime, created["id"]).derivatives is None
    slideshow_id = slideshow_over(api, web, created["url"], aspect="1:1")

    first = render(api, slideshow_id)  # from the original, then the derivative is made
    derivatives.drain()
    row = file_row(runtime, created["id"])
    assert row.derivatives == {"base": row.storage_key, "sizes": ["1080x1080"]}
    key = derivatives.derivative_key(row.storage_key, (1080, 1080))
    cover = load_cover(data, "x", (1080, 1080), runtime.settings.max_image_pixels)
    assert runtime.storage.read(key) == derivatives.encode_ppm(cover)

    spy.read_keys.clear()
    spy.path_keys.clear()
    assert render(api, slideshow_id) == first
    assert key in spy.path_keys and row.storage_key not in spy.read_keys


def test_rerendering_purges_the_derivatives_of_the_old_render_files(
    api: ApiClient, web: Web, runtime: Runtime
) -> None:
    # a rendered slide used as another slideshow's background gets a derivative too
    source = slideshow_over(api, web, web.add(f"d/{uuid.uuid4().hex}.jpg", photo((1200, 1800))))
    rendered_url = ok(api.post(f"/slideshows/{source}/render"))["slides"][0]["rendered_image_url"]
    other = slideshow_over(api, web, rendered_url)
    ok(api.post(f"/slideshows/{other}/render"))
    derivatives.drain()
    with runtime.db.session() as session:
        import sqlalchemy as sa

        render_file = session.scalar(
            sa.select(File).where(File.storage_key == rendered_url.split("/media/", 1)[1])
        )
        assert render_file is not None and render_file.derivatives is not None
        keys = derivatives.keys_of(render_file.derivatives)
    assert keys and all(runtime.storage.size(k) for k in keys)
    ok(api.post(f"/slideshows/{source}/render"))  # the old render's files go, and theirs
    assert all(runtime.storage.size(k) is None for k in keys)
