"""Pack images get render-ready derivatives in their metadata workflow; deleting the image or
the pack deletes them."""

from __future__ import annotations

import uuid

from PIL import Image

from slideforge.files import derivatives
from slideforge.models import PackImage
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.files.test_derivatives import photo
from tests.helpers import ApiClient, ok
from tests.slideshows.support import make_pack


def stored_keys(runtime: Runtime, image_id: str) -> list[str]:
    with runtime.db.session() as session:
        image = session.get(PackImage, uuid.UUID(image_id))
        assert image is not None
        assert image.derivatives == {
            "base": f"derivatives/pack-images/{image_id}",
            "sizes": ["1080x1350", "1080x1920"],
        }
        keys = derivatives.keys_of(image.derivatives)
    for key in keys:
        data = runtime.storage.read(key)
        assert data.startswith(b"P6\n")
    return keys


def test_pack_images_get_derivatives_and_lose_them_with_the_image(
    api: ApiClient, web: Web, runtime: Runtime
) -> None:
    pack_id, _ = make_pack(api, web, count=2)
    images = ok(api.get(f"/packs/{pack_id}"))["images"]
    first, second = (stored_keys(runtime, image["id"]) for image in images)
    ok(api.delete(f"/packs/{pack_id}/images/{images[0]['id']}"))
    assert all(runtime.storage.size(key) is None for key in first)
    assert all(runtime.storage.size(key) for key in second)
    ok(api.delete(f"/packs/{pack_id}"))
    assert all(runtime.storage.size(key) is None for key in second)


def test_a_pack_image_of_our_own_media_uses_its_files_derivatives(
    api: ApiClient, runtime: Runtime, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from tests.files.test_derivatives import file_row, upload

    monkeypatch.setattr(runtime.settings, "render_derivative_aspects", "9:16")
    created = upload(api, photo((1200, 1600)))
    derivatives.drain()
    monkeypatch.setattr(runtime.settings, "render_derivative_aspects", "9:16,1:1")
    pack = ok(api.post("/packs", json={"name": "own"}), 201)
    image = ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": created["url"]}), 201)
    import time

    deadline = time.monotonic() + 30
    while ok(api.get(f"/packs/{pack['id']}"))["images"][0]["metadata"]["status"] in (
        "pending",
        "processing",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    row = file_row(runtime, created["id"])
    # the missing 1:1 was added to the file; nothing recorded on the pack image
    assert row.derivatives == {"base": row.storage_key, "sizes": ["1080x1080", "1080x1920"]}
    with runtime.db.session() as session:
        assert session.get(PackImage, uuid.UUID(image["id"])).derivatives is None  # type: ignore[union-attr]
    key = derivatives.derivative_key(row.storage_key, (1080, 1080))
    with Image.open(runtime.storage.local_path(key)) as im:  # type: ignore[arg-type]
        assert im.size == (1080, 1080)
