"""Memberships follow their items: deleting a slideshow or a file (through the services that
delete them, or any DELETE of the row) leaves no membership behind. Folders are scoped to
their workspace, and slideshow items to who may see the slideshow."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa

from slideforge.models import File, FolderItem
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.folders.support import folder, slideshow, upload
from tests.helpers import ApiClient, err, ok


def _render_files(runtime: Runtime, api: ApiClient) -> list[str]:
    with runtime.db.session() as session:
        return [
            str(i)
            for i in session.scalars(
                sa.select(File.id).where(
                    File.workspace_id == api.workspace_id, File.context == "render"
                )
            )
        ]


def _memberships(runtime: Runtime, api: ApiClient) -> int:
    with runtime.db.session() as session:
        return (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(FolderItem)
                .where(FolderItem.workspace_id == api.workspace_id)
            )
            or 0
        )


def test_sqlite_enforces_foreign_keys(runtime: Runtime) -> None:
    if runtime.db.dialect != "sqlite":
        return  # PostgreSQL always does
    with runtime.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_deleting_a_slideshow_removes_its_memberships(
    api: ApiClient, runtime: Runtime, web: Web
) -> None:
    shows = folder(api, "shows", "slideshow")
    renders = folder(api, "renders")
    doomed = slideshow(api, web, title="Doomed")
    kept = slideshow(api, web, title="Kept")
    ok(api.post(f"/slideshows/{doomed['id']}/render"))
    slides = _render_files(runtime, api)
    assert len(slides) == 1
    ok(api.post(f"/folders/{shows}/items", json={"item_ids": [doomed["id"], kept["id"]]}))
    ok(api.post(f"/folders/{renders}/items", json={"item_ids": slides}))
    assert _memberships(runtime, api) == 3
    ok(api.delete(f"/slideshows/{doomed['id']}"))
    # the slideshow's membership and its rendered slides' (files deleted with it) are gone
    assert _render_files(runtime, api) == []
    assert _memberships(runtime, api) == 1
    listed = ok(api.get(f"/folders/{shows}/items"))
    assert [i["id"] for i in listed["items"]] == [kept["id"]] and listed["total"] == 1
    assert ok(api.get(f"/folders/{renders}"))["file_count"] == 0
    assert ok(api.get(f"/folders/{shows}"))["file_count"] == 1


def test_a_new_render_removes_the_old_slides_memberships(
    api: ApiClient, runtime: Runtime, web: Web
) -> None:
    renders = folder(api, "renders")
    show = slideshow(api, web)
    ok(api.post(f"/slideshows/{show['id']}/render"))
    first = _render_files(runtime, api)
    ok(api.post(f"/folders/{renders}/items", json={"item_ids": first}))
    ok(api.patch(f"/slideshows/{show['id']}", json={"title": "Changed"}))
    ok(api.post(f"/slideshows/{show['id']}/render"))
    second = _render_files(runtime, api)
    assert second and not set(first) & set(second)  # the old render's files were replaced
    assert ok(api.get(f"/folders/{renders}/items"))["total"] == 0


def test_deleting_a_file_row_removes_its_memberships(api: ApiClient, runtime: Runtime) -> None:
    a, b = folder(api, "a"), folder(api, "b")
    gone, stays = upload(api), upload(api)
    ok(api.post(f"/folders/{a}/items", json={"item_ids": [gone, stays]}))
    ok(api.post(f"/folders/{b}/items", json={"item_ids": [gone]}))
    with runtime.db.session() as session:
        session.execute(sa.delete(File).where(File.id == uuid.UUID(gone)))
    assert [i["id"] for i in ok(api.get(f"/folders/{a}/items"))["items"]] == [stays]
    assert ok(api.get(f"/folders/{b}"))["file_count"] == 0
    assert _memberships(runtime, api) == 1


def test_other_workspaces_folders_are_not_found(
    make_api: Callable[..., ApiClient], runtime: Runtime
) -> None:
    owner, intruder = make_api(), make_api()
    top = folder(owner, "Secret")
    child = folder(owner, "Child", parent=top)
    file_id = upload(owner)
    ok(owner.post(f"/folders/{top}/items", json={"item_ids": [file_id]}))
    mine = folder(intruder, "Mine")
    attempts: list[tuple[str, str, object]] = [
        ("GET", f"/folders/{top}", None),
        ("PATCH", f"/folders/{top}", {"name": "stolen"}),
        ("PATCH", f"/folders/{top}", {"parent_folder_id": None}),
        ("DELETE", f"/folders/{top}", None),
        ("GET", f"/folders/{child}/ancestors", None),
        ("GET", f"/folders/{top}/items", None),
        ("POST", f"/folders/{top}/items", {"item_ids": [file_id]}),
        ("DELETE", f"/folders/{top}/items", {"item_ids": [file_id]}),
        ("GET", f"/folders?media_type=upload&parent_folder_id={top}", None),
        ("POST", "/folders", {"name": "x", "media_type": "upload", "parent_folder_id": top}),
        ("PATCH", f"/folders/{mine}", {"parent_folder_id": top}),
    ]
    for method, path, body in attempts:
        err(intruder.request(method, path, json=body), 404, "folder_not_found")
    # the owner's file is not the intruder's to file
    err(
        intruder.post(f"/folders/{mine}/items", json={"item_ids": [file_id]}), 404, "item_not_found"
    )
    assert [f["name"] for f in ok(intruder.get("/folders?media_type=upload"))["folders"]] == [
        "Mine"
    ]
    # the same names in two workspaces do not clash
    folder(intruder, "Secret")
    # nothing of the owner's changed
    assert ok(owner.get(f"/folders/{top}"))["file_count"] == 1
    assert ok(owner.get(f"/folders/{top}"))["name"] == "Secret"


def test_personal_slideshows_show_only_to_their_member(
    make_api: Callable[..., ApiClient], web: Web
) -> None:
    workspace = make_api()
    alice = make_api(workspace.workspace_name, personal="alice")
    bob = make_api(workspace.workspace_name, personal="bob")
    shows = folder(workspace, "shared", "slideshow")
    private = slideshow(alice, web, title="Alice's")
    shared = slideshow(workspace, web, title="Everyone's")
    # Bob cannot add Alice's slideshow: it is not found for him
    err(bob.post(f"/folders/{shows}/items", json={"item_ids": [private["id"]]}), 404)
    ok(alice.post(f"/folders/{shows}/items", json={"item_ids": [private["id"], shared["id"]]}))
    assert ok(alice.get(f"/folders/{shows}/items"))["total"] == 2
    for other in (bob, workspace):
        listed = ok(other.get(f"/folders/{shows}/items"))
        assert [i["id"] for i in listed["items"]] == [shared["id"]] and listed["total"] == 1
        assert ok(other.get(f"/folders/{shows}"))["file_count"] == 1
