"""The contract client's folder commands (docs/contract.md §3) as ``genviral.sh`` sends them —
raw query strings, a JSON content type on every call (bodiless DELETEs too), pretty-printed
JSON bodies, the comma list of ``--item-ids`` split but not trimmed — against the live
server, reading exactly the paths the client reads."""

from __future__ import annotations

from tests.analytics.test_contract_client import client_call
from tests.conftest import Web
from tests.folders.support import slideshow, upload
from tests.helpers import ApiClient


def test_the_contract_clients_folder_commands(api: ApiClient, web: Web) -> None:
    files = [upload(api, filename=f"shot-{i}.jpg") for i in range(3)]
    # create-folder --name Campaign --media-type upload: .data.id
    top = client_call(
        api, "POST", "/folders", '{\n  "name": "Campaign",\n  "media_type": "upload"\n}'
    )["data"]["id"]
    # create-folder --name "Week 1" --media-type upload --parent-folder-id TOP
    week = client_call(
        api,
        "POST",
        "/folders",
        '{\n  "name": "Week 1",\n  "media_type": "upload",\n  "parent_folder_id": "' + top + '"\n}',
    )["data"]["id"]
    other = client_call(
        api, "POST", "/folders", '{\n  "name": "Archive",\n  "media_type": "upload"\n}'
    )["data"]["id"]
    # list-folders --media-type upload: .data.total; .data.folders[]: .name .id .file_count
    # .subfolder_count .created_at
    listed = client_call(api, "GET", "/folders?media_type=upload&limit=50&offset=0")["data"]
    assert listed["total"] == 2
    rows = {f["id"]: f for f in listed["folders"]}
    assert rows[top]["name"] == "Campaign" and rows[top]["subfolder_count"] == 1
    assert isinstance(rows[top]["file_count"], int) and rows[top]["created_at"]
    # list-folders --parent-folder-id TOP
    sub = client_call(
        api, "GET", f"/folders?media_type=upload&limit=50&offset=0&parent_folder_id={top}"
    )["data"]
    assert [f["id"] for f in sub["folders"]] == [week] and sub["total"] == 1
    # get-folder --id WEEK: .data
    assert client_call(api, "GET", f"/folders/{week}")["data"]["parent_folder_id"] == top
    # folder-items-add --id WEEK --item-ids "a, b,c": the client splits on commas only
    added = client_call(
        api,
        "POST",
        f"/folders/{week}/items",
        '{\n  "item_ids": [\n    "'
        + files[0]
        + '",\n    " '
        + files[1]
        + '",\n    "'
        + files[2]
        + '"\n  ]\n}',
    )
    assert added["data"]["added_count"] == 3  # the client prints .data // .message
    # folder-items --id WEEK: .data.total; .data.items[]: .filename (or .id), .url, .created_at
    items = client_call(api, "GET", f"/folders/{week}/items?limit=50&offset=0")["data"]
    assert items["total"] == 3
    assert {i["filename"] or i["id"] for i in items["items"]} == {
        "shot-0.jpg",
        "shot-1.jpg",
        "shot-2.jpg",
    }
    assert all(i["url"] and i["created_at"] for i in items["items"])
    # move-folder --id WEEK --parent-folder-id OTHER, then --to-root
    moved = client_call(
        api, "PATCH", f"/folders/{week}", '{\n  "parent_folder_id": "' + other + '"\n}'
    )["data"]
    assert moved["parent_folder_id"] == other
    # folder-ancestors --id WEEK: .data.ancestors[]: .depth (numeric: depth*2), .name, .id
    crumbs = client_call(api, "GET", f"/folders/{week}/ancestors")["data"]["ancestors"]
    assert [(c["depth"] * 2, c["name"], c["id"]) for c in crumbs] == [(0, "Archive", other)]
    assert all(type(c["depth"]) is int for c in crumbs)
    moved = client_call(api, "PATCH", f"/folders/{week}", '{\n  "parent_folder_id": null\n}')
    assert moved["data"]["parent_folder_id"] is None
    assert client_call(api, "GET", f"/folders/{week}/ancestors")["data"]["ancestors"] == []
    # folder-items-remove --id WEEK --item-ids "a, b": a DELETE with a JSON body
    removed = client_call(
        api,
        "DELETE",
        f"/folders/{week}/items",
        '{\n  "item_ids": [\n    "' + files[0] + '",\n    " ' + files[1] + '"\n  ]\n}',
    )
    assert removed["data"]["removed_count"] == 2
    # slideshow folders: items without a url print "(slideshow)"
    shows = client_call(
        api, "POST", "/folders", '{\n  "name": "Shows",\n  "media_type": "slideshow"\n}'
    )["data"]["id"]
    show = slideshow(api, web, title="Hooks")
    client_call(api, "POST", f"/folders/{shows}/items", '{"item_ids": ["' + show["id"] + '"]}')
    item = client_call(api, "GET", f"/folders/{shows}/items?limit=50&offset=0")["data"]["items"][0]
    assert (item["filename"] or item["id"], item["url"] or "(slideshow)") == (
        "Hooks",
        "(slideshow)",
    )
    # delete-folder --id TOP: the output is discarded but must be JSON (no body sent)
    deleted = client_call(api, "DELETE", f"/folders/{top}")
    assert deleted["ok"] is True and deleted["data"]["deleted"] is True
    remaining = client_call(api, "GET", "/folders?media_type=upload&limit=50&offset=0")["data"]
    assert sorted(f["name"] for f in remaining["folders"]) == ["Archive", "Week 1"]
