"""Packs & files pages over HTTP: what a workspace sees (its own packs and files, public packs
of others read-only, never another workspace's private things), escaping, paging, and the
pack page with its images' metadata."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from slideforge.dashboard.library import POLL_ROUNDS
from slideforge.models import PackImage
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.dashboard.conftest import Dashboard
from tests.folders.support import upload
from tests.helpers import ApiClient, image_bytes, ok
from tests.packs.test_endpoints import vision_model, wait_metadata

__all__ = ["vision_model"]  # the fixture, for pytest

HOSTILE = '<script>alert("x")</script>'


def make_pack(api: ApiClient, name: str, *, public: bool = False) -> str:
    return str(ok(api.post("/packs", json={"name": name, "is_public": public}), 201)["id"])


def test_the_library_shows_only_this_workspaces_packs_and_files(
    api: ApiClient, make_api: Callable[..., ApiClient], dashboard: Dashboard
) -> None:
    other = make_api()
    mine = make_pack(api, "mine " + HOSTILE)
    make_pack(other, "their private pack")
    theirs_public = make_pack(other, "their public pack", public=True)
    upload(api, filename=f"{HOSTILE}.jpg")
    upload(other, filename="their-file.jpg")

    page = dashboard.get("/app/library")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f'href="/app/library/packs/{mine}"' in html
    assert "mine &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert HOSTILE not in html and "<script>" not in html
    assert "their private pack" not in html and "their-file.jpg" not in html
    # another workspace's public pack is listed, marked read-only
    assert f'href="/app/library/packs/{theirs_public}"' in html
    card = html.split(f'href="/app/library/packs/{theirs_public}"', 2)[2].split("</li>", 1)[0]
    assert "read-only" in card
    # the uploaded file: its name (escaped), type, size and dimensions
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;.jpg" in html
    assert "image/jpeg" in html and "64×48" in html


def test_files_are_paged_newest_first_and_filtered_by_type(
    api: ApiClient, dashboard: Dashboard
) -> None:
    for i in range(21):
        upload(api, filename=f"photo-{i:02}.jpg")
    upload(api, content_type="video/mp4", filename="clip.mp4")
    first = dashboard.get("/app/library").text
    assert 'Uploaded files <span class="muted">(22)</span>' in first
    assert "clip.mp4" in first and "photo-20.jpg" in first and "photo-01.jpg" not in first
    assert "1–20 of 22" in first
    following = re.search(r'<a href="(\?[^"]*files_offset=20[^"]*)">Next files</a>', first)
    assert following
    second = dashboard.get("/app/library" + following.group(1).replace("&amp;", "&")).text
    assert "photo-01.jpg" in second and "photo-00.jpg" in second and "clip.mp4" not in second
    assert "21–22 of 22" in second and "Previous files" in second

    videos = dashboard.get("/app/library", params={"type": "video"}).text
    assert "clip.mp4" in videos and "photo-" not in videos
    assert dashboard.get("/app/library", params={"type": "pdf"}).status_code == 422


def test_pack_search_and_paging_keep_the_other_list(api: ApiClient, dashboard: Dashboard) -> None:
    for i in range(25):
        make_pack(api, f"pack {i:02}")
    make_pack(api, "sunrise shots")
    # only this workspace's packs (other tests' public packs are listed otherwise)
    page = dashboard.get("/app/library", params={"mine": "1", "files_offset": "0"}).text
    assert "1–24 of 26" in page and "sunrise shots" in page and "pack 00" not in page
    assert 'href="?mine=1&amp;files_offset=0&amp;offset=24">Next packs</a>' in page
    last = dashboard.get("/app/library", params={"mine": "1", "offset": "24"}).text
    assert "pack 00" in last and "pack 01" in last and "sunrise shots" not in last
    found = dashboard.get("/app/library", params={"q": "sunrise", "mine": "1"}).text
    assert "sunrise shots" in found and "pack 01" not in found
    none = dashboard.get("/app/library", params={"q": HOSTILE}).text
    assert "No pack matches" in none and HOSTILE not in none


def test_a_pack_page_of_another_workspace_is_not_found_unless_public(
    api: ApiClient, make_api: Callable[..., ApiClient], dashboard: Dashboard, web: Web
) -> None:
    other = make_api()
    private = make_pack(other, "secret pack")
    secret = web.add(f"{uuid.uuid4().hex}.jpg", image_bytes())
    ok(
        other.post(f"/packs/{private}/images", json={"image_url": secret, "file_name": "s.jpg"}),
        201,
    )
    for path in (
        f"/app/library/packs/{private}",
        f"/app/library/packs/{private}/images",
        "/app/library/packs/not-an-id",
    ):
        answer = dashboard.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "secret pack" not in answer.text and secret not in answer.text

    public = make_pack(other, "shared backgrounds", public=True)
    shared = web.add(f"{uuid.uuid4().hex}.jpg", image_bytes())
    ok(other.post(f"/packs/{public}/images", json={"image_url": shared}), 201)
    page = dashboard.get(f"/app/library/packs/{public}").text
    assert "shared backgrounds" in page and "read-only" in page
    # nothing to change: no settings, no upload zone, no remove buttons
    assert 'id="pack-settings"' not in page and 'id="dropzone"' not in page
    assert 'data-method="DELETE"' not in page


def test_the_pack_page_shows_each_image_and_its_metadata(
    api: ApiClient, dashboard: Dashboard, web: Web, vision_model: list[dict[str, Any]]
) -> None:
    pack = make_pack(api, "beach")
    url = web.add(f"beach-{uuid.uuid4().hex}.jpg", image_bytes((200, 300), color=(30, 120, 200)))
    image = ok(
        api.post(f"/packs/{pack}/images", json={"image_url": url, "file_name": HOSTILE}), 201
    )
    wait_metadata(api, pack)
    page = dashboard.get(f"/app/library/packs/{pack}").text
    assert "A calm beach at sunrise" in page
    assert all(f'<span class="badge">{w}</span>' in page for w in ("beach", "sunrise", "calm"))
    assert "200×300" in page and "portrait" in page and "vision-test" in page
    assert re.search(r'class="swatch" style="background: #[0-9a-f]{6}"', page)
    assert "completed" in page and "hx-trigger" not in page
    assert f'data-api="/packs/{pack}/images/{image["id"]}" data-method="DELETE"' in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert 'id="pack-settings"' in page and 'id="dropzone"' in page
    # the fragment alone (what the page swaps in after a change)
    fragment = dashboard.get(f"/app/library/packs/{pack}/images").text
    assert fragment.startswith('<section id="pack-images"') and "<html" not in fragment
    assert "A calm beach at sunrise" in fragment


def test_the_images_list_polls_while_metadata_is_pending_and_then_gives_up(
    api: ApiClient, dashboard: Dashboard, web: Web, runtime: Runtime
) -> None:
    pack = make_pack(api, "waiting")
    url = web.add(f"{uuid.uuid4().hex}.jpg", image_bytes())
    image = ok(api.post(f"/packs/{pack}/images", json={"image_url": url}), 201)
    wait_metadata(api, pack)
    with runtime.db.session() as session:  # as if its metadata job never ran
        row = session.get(PackImage, uuid.UUID(image["id"]))
        assert row is not None
        row.meta_status = "pending"
        session.commit()
    path = f"/app/library/packs/{pack}/images"
    polling = dashboard.get(path).text
    assert 'hx-trigger="every 3s"' in polling and f"{path}?round=1" in polling
    last = dashboard.get(path, params={"round": POLL_ROUNDS}).text
    assert "hx-trigger" not in last and "reload the page later" in last
