"""The folder calls of contract §3 through HTTP: create, list (levels, paging, order), get,
move and rename, ancestors, delete, and the query, body and conflict refusals."""

from __future__ import annotations

import uuid

import pytest

from slideforge.runtime import Runtime
from tests.folders.support import folder, upload
from tests.helpers import ApiClient, err, ok

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_create_and_get(api: ApiClient) -> None:
    created = ok(api.post("/folders", json={"name": "  Campaign  ", "media_type": "upload"}), 201)
    uuid.UUID(created["id"])
    assert created["name"] == "Campaign"  # trimmed
    assert created["media_type"] == "upload" and created["parent_folder_id"] is None
    assert created["file_count"] == 0 and created["subfolder_count"] == 0
    assert created["preview_files"] == []
    assert created["created_at"].endswith("Z") and created["updated_at"].endswith("Z")
    assert ok(api.get(f"/folders/{created['id']}")) == created
    # ids are read leniently (any case, surrounding spaces) as elsewhere
    assert ok(api.get(f"/folders/{created['id'].upper()}"))["id"] == created["id"]
    child = ok(
        api.post(
            "/folders",
            json={"name": "Week 1", "media_type": "upload", "parent_folder_id": created["id"]},
        ),
        201,
    )
    assert child["parent_folder_id"] == created["id"]
    assert ok(api.get(f"/folders/{created['id']}"))["subfolder_count"] == 1


def test_list_levels_order_and_paging(api: ApiClient) -> None:
    names = ["beta", "Alpha", "gamma", "alpha 2"]
    ids = {name: folder(api, name) for name in names}
    folder(api, "Slides", "slideshow")
    inner = folder(api, "inner", parent=ids["beta"])
    listed = ok(api.get("/folders?media_type=upload"))
    assert listed["total"] == 4 and listed["limit"] == 50 and listed["offset"] == 0
    # by name, case ignored
    assert [f["name"] for f in listed["folders"]] == ["Alpha", "alpha 2", "beta", "gamma"]
    assert [f["subfolder_count"] for f in listed["folders"]] == [0, 0, 1, 0]
    page = ok(api.get("/folders?media_type=upload&limit=2&offset=1"))
    assert [f["name"] for f in page["folders"]] == ["alpha 2", "beta"]
    assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 1
    sub = ok(api.get(f"/folders?media_type=upload&parent_folder_id={ids['beta']}"))
    assert sub["total"] == 1 and sub["folders"][0]["id"] == inner
    assert ok(api.get("/folders?media_type=slideshow"))["total"] == 1
    assert ok(api.get("/folders?media_type=ai_video"))["folders"] == []
    # an empty parent_folder_id is the root level
    assert ok(api.get("/folders?media_type=upload&parent_folder_id="))["total"] == 4


@pytest.mark.parametrize(
    "query",
    [
        "",  # media_type is required
        "?media_type=image",
        "?media_type=upload&limit=0",
        "?media_type=upload&limit=101",
        "?media_type=upload&limit=ten",
        "?media_type=upload&offset=-1",
    ],
)
def test_list_refuses_bad_queries(api: ApiClient, query: str) -> None:
    body = err(api.get(f"/folders{query}"), 400, "invalid_query_parameter")
    assert body["message"].startswith("query parameter ")
    assert body["data"]["errors"]


def test_list_under_another_media_type_or_unknown_parent(api: ApiClient) -> None:
    parent = folder(api, "uploads")
    body = err(
        api.get(f"/folders?media_type=slideshow&parent_folder_id={parent}"),
        400,
        "invalid_query_parameter",
    )
    assert "media_type=upload" in body["message"]
    err(api.get(f"/folders?media_type=upload&parent_folder_id={UNKNOWN}"), 404, "folder_not_found")
    err(api.get("/folders?media_type=upload&parent_folder_id=nope"), 404, "folder_not_found")


def test_create_refusals(api: ApiClient) -> None:
    for body in (
        {"media_type": "upload"},
        {"name": "   ", "media_type": "upload"},
        {"name": "x" * 256, "media_type": "upload"},
        {"name": "x", "media_type": "images"},
        {"name": 3, "media_type": "upload"},
    ):
        err(api.post("/folders", json=body), 422, "invalid_payload")
    ok(api.post("/folders", json={"name": "x" * 255, "media_type": "upload"}), 201)
    err(
        api.post(
            "/folders", json={"name": "x", "media_type": "upload", "parent_folder_id": UNKNOWN}
        ),
        404,
        "folder_not_found",
    )
    slides = folder(api, "Slides", "slideshow")
    body = err(
        api.post(
            "/folders", json={"name": "x", "media_type": "upload", "parent_folder_id": slides}
        ),
        422,
        "invalid_parent_folder",
    )
    assert "slideshow" in body["message"]


def test_names_clash_per_level_trimmed_and_case_insensitively(api: ApiClient) -> None:
    top = folder(api, "Drafts")
    for name in ("Drafts", "drafts", "  DRAFTS "):
        body = err(
            api.post("/folders", json={"name": name, "media_type": "upload"}),
            409,
            "folder_name_conflict",
        )
        assert "choose another name" in body["message"]
    # other levels and other media types are other namespaces
    folder(api, "Drafts", "slideshow")
    folder(api, "drafts", parent=top)
    err(
        api.post(
            "/folders", json={"name": "DRAFTS", "media_type": "upload", "parent_folder_id": top}
        ),
        409,
        "folder_name_conflict",
    )
    # Unicode: é written precomposed and decomposed are one name
    folder(api, "Caf\u00e9")
    err(api.post("/folders", json={"name": "CAFE\u0301", "media_type": "upload"}), 409)


def test_move_rename_and_ancestors(api: ApiClient) -> None:
    a = folder(api, "A")
    b = folder(api, "B", parent=a)
    c = folder(api, "C", parent=b)
    d = folder(api, "D")
    crumbs = ok(api.get(f"/folders/{c}/ancestors"))
    assert crumbs["folder_id"] == c
    assert crumbs["ancestors"] == [
        {"id": a, "name": "A", "parent_folder_id": None, "depth": 0},
        {"id": b, "name": "B", "parent_folder_id": a, "depth": 1},
    ]
    assert ok(api.get(f"/folders/{a}/ancestors"))["ancestors"] == []
    # move B (with C) under D
    moved = ok(api.patch(f"/folders/{b}", json={"parent_folder_id": d}))
    assert moved["parent_folder_id"] == d and moved["subfolder_count"] == 1
    assert [x["id"] for x in ok(api.get(f"/folders/{c}/ancestors"))["ancestors"]] == [d, b]
    assert ok(api.get(f"/folders/{a}"))["subfolder_count"] == 0
    # to the root, renamed at the same time
    moved = ok(api.patch(f"/folders/{b}", json={"parent_folder_id": None, "name": " B2 "}))
    assert moved["parent_folder_id"] is None and moved["name"] == "B2"
    assert ok(api.get(f"/folders/{c}/ancestors"))["ancestors"][0]["depth"] == 0
    # rename only; a change of case of its own name is no clash
    assert ok(api.patch(f"/folders/{b}", json={"name": "b2"}))["name"] == "b2"
    # a move to where it is already changes nothing
    assert ok(api.patch(f"/folders/{c}", json={"parent_folder_id": b}))["parent_folder_id"] == b


def test_move_refusals(api: ApiClient) -> None:
    a = folder(api, "A")
    b = folder(api, "B", parent=a)
    c = folder(api, "C", parent=b)
    folder(api, "C")  # a root folder named C
    other = folder(api, "Shows", "slideshow")
    body = err(
        api.patch(f"/folders/{a}", json={"parent_folder_id": a}), 409, "folder_move_conflict"
    )
    assert "itself" in body["message"]
    body = err(
        api.patch(f"/folders/{a}", json={"parent_folder_id": c}), 409, "folder_move_conflict"
    )
    assert "own subfolders" in body["message"]
    err(api.patch(f"/folders/{a}", json={"parent_folder_id": b}), 409, "folder_move_conflict")
    # a name clash at the destination (case ignored)
    err(api.patch(f"/folders/{c}", json={"parent_folder_id": None}), 409, "folder_move_conflict")
    folder(api, "c2", parent=b)
    err(api.patch(f"/folders/{c}", json={"name": "C2"}), 409, "folder_name_conflict")
    err(api.patch(f"/folders/{a}", json={"parent_folder_id": other}), 422, "invalid_parent_folder")
    err(api.patch(f"/folders/{a}", json={"parent_folder_id": UNKNOWN}), 404, "folder_not_found")
    for body in ({}, {"name": None}, {"name": ""}, {"parent_folder_id": 5}):
        err(api.patch(f"/folders/{a}", json=body), 422, "invalid_payload")
    # nothing changed
    assert ok(api.get(f"/folders/{c}"))["parent_folder_id"] == b
    assert ok(api.get(f"/folders/{a}"))["parent_folder_id"] is None


def test_unknown_folder_ids(api: ApiClient) -> None:
    for bad in (UNKNOWN, "nope", "1"):
        err(api.get(f"/folders/{bad}"), 404, "folder_not_found")
        err(api.patch(f"/folders/{bad}", json={"name": "x"}), 404, "folder_not_found")
        err(api.delete(f"/folders/{bad}"), 404, "folder_not_found")
        err(api.get(f"/folders/{bad}/ancestors"), 404, "folder_not_found")
        err(api.get(f"/folders/{bad}/items"), 404, "folder_not_found")
        err(
            api.post(f"/folders/{bad}/items", json={"item_ids": [UNKNOWN]}), 404, "folder_not_found"
        )
        err(
            api.request("DELETE", f"/folders/{bad}/items", json={"item_ids": [UNKNOWN]}),
            404,
            "folder_not_found",
        )


def test_delete_cascades_to_subfolders_and_memberships_not_files(
    api: ApiClient, runtime: Runtime
) -> None:
    top = folder(api, "top")
    mid = folder(api, "mid", parent=top)
    low = folder(api, "low", parent=mid)
    keep = folder(api, "keep")
    files = [upload(api) for _ in range(3)]
    ok(api.post(f"/folders/{top}/items", json={"item_ids": files[:1]}))
    ok(api.post(f"/folders/{low}/items", json={"item_ids": files[1:]}))
    ok(api.post(f"/folders/{keep}/items", json={"item_ids": files}))
    response = api.delete(f"/folders/{top}")
    assert response.status_code == 200 and response.content
    assert ok(response) == {
        "id": top,
        "deleted": True,
        "deleted_folder_count": 3,
        "removed_item_count": 3,
    }
    for gone in (top, mid, low):
        err(api.get(f"/folders/{gone}"), 404, "folder_not_found")
    assert [f["id"] for f in ok(api.get("/folders?media_type=upload"))["folders"]] == [keep]
    # the files are still there, and still in the other folder
    listed = {f["id"] for f in ok(api.get("/files?limit=100"))["files"]}
    assert set(files) <= listed
    assert ok(api.get(f"/folders/{keep}/items"))["total"] == 3
