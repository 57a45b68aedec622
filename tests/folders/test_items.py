"""A folder's items through HTTP: add (trimmed, deduped, counted), list, remove; which items
fit which folder; every refusal of the item calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from slideforge.models import File
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.folders.support import folder, pending_upload, slideshow, studio_file, upload
from tests.helpers import ApiClient, err, ok

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_add_list_and_remove_files(api: ApiClient) -> None:
    box = folder(api, "box")
    files = [upload(api, filename=f"f{i}.jpg") for i in range(6)]
    added = ok(api.post(f"/folders/{box}/items", json={"item_ids": files[:2]}))
    assert added == {"folder_id": box, "item_type": "file", "added_count": 2}
    # trimmed, any case, duplicates once; ids already in the folder are not counted
    again = [f" {files[0]}", files[1].upper(), f"{files[2]}  ", files[2], f"\t{files[3]}"]
    assert ok(api.post(f"/folders/{box}/items", json={"item_ids": again}))["added_count"] == 2
    ok(api.post(f"/folders/{box}/items", json={"item_ids": files[4:]}))
    listed = ok(api.get(f"/folders/{box}/items"))
    assert listed["folder_id"] == box and listed["media_type"] == "upload"
    assert listed["item_type"] == "file"
    assert listed["total"] == 6 and listed["limit"] == 50 and listed["offset"] == 0
    item = next(i for i in listed["items"] if i["id"] == files[0])
    assert set(item) == {"id", "url", "content_type", "filename", "size", "created_at", "added_at"}
    assert item["filename"] == "f0.jpg" and item["content_type"] == "image/jpeg"
    assert item["url"].startswith("http") and item["size"] > 0
    assert item["created_at"].endswith("Z") and item["added_at"].endswith("Z")
    # the ones added last first (ties by id): the first batch ends the list
    assert {i["id"] for i in listed["items"][-2:]} == set(files[:2])
    assert {i["id"] for i in listed["items"][:2]} == set(files[4:])
    page = ok(api.get(f"/folders/{box}/items?limit=2&offset=2"))
    assert [i["id"] for i in page["items"]] == [i["id"] for i in listed["items"][2:4]]
    assert page["total"] == 6 and page["limit"] == 2 and page["offset"] == 2
    # counts and previews (the 4 added last) in the folder and in the list
    got = ok(api.get(f"/folders/{box}"))
    assert got["file_count"] == 6
    assert [p["id"] for p in got["preview_files"]] == [i["id"] for i in listed["items"][:4]]
    assert ok(api.get("/folders?media_type=upload"))["folders"][0] == got
    # remove: memberships only, ids not in the folder are not counted
    removed = ok(
        api.request(
            "DELETE",
            f"/folders/{box}/items",
            json={"item_ids": [f" {files[0]}", files[0], UNKNOWN]},
        )
    )
    assert removed == {"folder_id": box, "item_type": "file", "removed_count": 1}
    assert ok(api.get(f"/folders/{box}/items"))["total"] == 5
    assert files[0] in {f["id"] for f in ok(api.get("/files?limit=100"))["files"]}


def test_item_ids_that_are_empty_or_not_ids(api: ApiClient) -> None:
    box = folder(api, "box")
    good = upload(api)
    body = err(
        api.post(f"/folders/{box}/items", json={"item_ids": [good, "  ", "abc", ""]}),
        422,
        "invalid_path",
    )
    assert [e["field"] for e in body["data"]["errors"]] == [
        "item_ids[1]",
        "item_ids[2]",
        "item_ids[3]",
    ]
    assert "item_ids[2]: 'abc' is not an id" in body["message"]
    err(
        api.request("DELETE", f"/folders/{box}/items", json={"item_ids": [" "]}),
        422,
        "invalid_path",
    )
    assert ok(api.get(f"/folders/{box}/items"))["total"] == 0  # nothing added


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"item_ids": []},
        {"item_ids": "a,b"},
        {"item_ids": [1]},
        {"item_ids": [UNKNOWN] * 201},
    ],
    ids=["missing", "empty", "string", "number", "over-200"],
)
def test_item_bodies_refused(api: ApiClient, body: dict[str, object]) -> None:
    box = folder(api, "box")
    err(api.post(f"/folders/{box}/items", json=body), 422, "invalid_payload")
    err(api.request("DELETE", f"/folders/{box}/items", json=body), 422, "invalid_payload")


def test_two_hundred_ids_are_accepted(api: ApiClient) -> None:
    box = folder(api, "box")
    file_id = upload(api)
    ids = [file_id] + [f" {file_id} "] * 199
    assert ok(api.post(f"/folders/{box}/items", json={"item_ids": ids}))["added_count"] == 1


def test_items_query_refusals(api: ApiClient) -> None:
    box = folder(api, "box")
    for query in ("limit=0", "limit=101", "offset=-1", "limit=x"):
        err(api.get(f"/folders/{box}/items?{query}"), 400, "invalid_query_parameter")


def test_missing_items_are_named(api: ApiClient, make_api: Callable[..., ApiClient]) -> None:
    box = folder(api, "box")
    mine = upload(api)
    theirs = upload(make_api())
    body = err(
        api.post(f"/folders/{box}/items", json={"item_ids": [mine, UNKNOWN, theirs]}),
        404,
        "item_not_found",
    )
    assert body["data"]["missing_ids"] == [UNKNOWN, theirs]
    assert UNKNOWN in body["message"] and theirs in body["message"]
    assert ok(api.get(f"/folders/{box}/items"))["total"] == 0  # all or nothing


def test_which_items_fit_which_folder(api: ApiClient, runtime: Runtime, web: Web) -> None:
    """slideshow: slideshows; ai_image: ai-studio images; ai_video: ai-studio videos; upload:
    every other ready file."""
    folders = {t: folder(api, t, t) for t in ("ai_image", "ai_video", "upload", "slideshow")}
    items = {
        "ai_image": studio_file(runtime, api, "image/png"),
        "ai_video": studio_file(runtime, api, "video/mp4"),
        "upload": upload(api, "video/mp4", "clip.mp4"),
        "slideshow": slideshow(api, web)["id"],
    }
    odd = studio_file(runtime, api, "audio/mpeg")  # a studio file that fits no folder
    for media_type, folder_id in folders.items():
        for kind, item_id in items.items():
            response = api.post(f"/folders/{folder_id}/items", json={"item_ids": [item_id]})
            if kind == media_type:
                assert ok(response)["added_count"] == 1
                continue
            body = err(response, 422, "invalid_folder_media_type")
            assert body["data"]["mismatched"][0]["id"] == item_id
            assert f"holds {media_type}" in body["message"]
        err(
            api.post(f"/folders/{folder_id}/items", json={"item_ids": [odd]}),
            422,
            "invalid_folder_media_type",
        )
    assert (
        ok(api.get(f"/folders/{folders['ai_video']}/items"))["items"][0]["id"] == items["ai_video"]
    )
    studio = ok(api.get(f"/folders/{folders['ai_image']}/items"))["items"][0]
    assert studio["content_type"] == "image/png" and studio["size"] == 1234
    # a rendered slide (context render) is an upload-folder file
    with_render = slideshow(api, web, title="Rendered")
    ok(api.post(f"/slideshows/{with_render['id']}/render"))
    with runtime.db.session() as session:
        render = session.scalars(
            sa.select(File.id).where(
                File.workspace_id == api.workspace_id, File.context == "render"
            )
        ).one()
    ok(api.post(f"/folders/{folders['upload']}/items", json={"item_ids": [str(render)]}))


def test_a_file_never_uploaded_is_refused(api: ApiClient) -> None:
    box = folder(api, "box")
    pending = pending_upload(api)
    body = err(
        api.post(f"/folders/{box}/items", json={"item_ids": [pending]}), 422, "item_not_ready"
    )
    assert body["data"]["pending_ids"] == [pending]


def test_slideshow_items(api: ApiClient, web: Web) -> None:
    shows = folder(api, "shows", "slideshow")
    first = slideshow(api, web, title="First show")
    second = slideshow(api, web, title="Second show")
    ok(api.post(f"/folders/{shows}/items", json={"item_ids": [first["id"]]}))
    ok(api.post(f"/folders/{shows}/items", json={"item_ids": [second["id"], first["id"]]}))
    rendered = ok(api.post(f"/slideshows/{second['id']}/render"))
    listed = ok(api.get(f"/folders/{shows}/items"))
    assert listed["item_type"] == "slideshow" and listed["media_type"] == "slideshow"
    assert [i["id"] for i in listed["items"]] == [second["id"], first["id"]]
    newest, oldest = listed["items"]
    assert newest["filename"] == "Second show"
    assert newest["url"] == rendered["preview_image_url"] and newest["content_type"] == "image/jpeg"
    assert oldest["filename"] == "First show" and oldest["url"] is None  # never rendered
    assert oldest["content_type"] is None and oldest["size"] is None
    removed = ok(api.request("DELETE", f"/folders/{shows}/items", json={"item_ids": [first["id"]]}))
    assert removed == {"folder_id": shows, "item_type": "slideshow", "removed_count": 1}
    ok(api.get(f"/slideshows/{first['id']}"))  # the slideshow itself stays
