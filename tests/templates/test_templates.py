"""/templates (contract §7): config v1 validation naming the JSON path, names unique per
owner, visibility and ownership with workspace and personal keys, list/get/patch/delete."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import ApiClient, err, ok

# The seed example of the public docs (seeds/002), byte for byte the same config.
SEED: dict[str, Any] = {
    "name": "Hooks Template",
    "description": "2-slide educational format",
    "visibility": "private",
    "config": {
        "version": 1,
        "structure": {
            "slides": [
                {
                    "type": "pack",
                    "id": "11111111-1111-1111-1111-111111111111",
                    "pinnedImageUrl": None,
                    "textElements": [
                        {
                            "id": "22222222-2222-2222-2222-222222222222",
                            "content": "Hook",
                            "x": 50,
                            "y": 25,
                            "fontSize": 48,
                            "width": 70,
                        }
                    ],
                }
            ]
        },
        "content": {
            "mode": "manual",
            "productId": None,
            "language": "en",
            "slideshowType": "educational",
        },
        "visuals": {
            "packId": None,
            "aspectRatio": "4:5",
            "textSettings": {"fontSize": "default", "preset": "tiktok", "width": "default"},
        },
    },
}
MINIMAL = {"version": 1, "structure": {"slides": []}, "content": {}, "visuals": {}}


def create(api: ApiClient, name: str = "T", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "config": MINIMAL, **fields}
    data: dict[str, Any] = ok(api.post("/templates", json=body), 201)
    return data


def test_create_the_docs_example(api: ApiClient) -> None:
    response = api.post("/templates", json=SEED)
    data = ok(response, 201)
    assert response.json()["message"] == "Template created"
    assert set(data) == {
        "id",
        "name",
        "description",
        "visibility",
        "preview_url",
        "use_count",
        "last_used_at",
        "created_at",
        "updated_at",
        "is_owner",
        "config",
    }
    assert data["name"] == "Hooks Template" and data["description"] == SEED["description"]
    assert data["visibility"] == "private" and data["preview_url"] is None
    assert data["use_count"] == 0 and data["last_used_at"] is None and data["is_owner"] is True
    assert data["created_at"].endswith("Z")
    assert data["config"] == SEED["config"]
    assert ok(api.get(f"/templates/{data['id']}")) == data


def test_the_clients_smallest_config_and_defaults(api: ApiClient) -> None:
    data = ok(api.post("/templates", json={"name": "Small", "config": MINIMAL}), 201)
    assert data["config"] == MINIMAL and data["visibility"] == "private"
    assert data["description"] is None
    # Unknown keys inside config are dropped, known ones kept as sent.
    config = {**MINIMAL, "extra": {"x": 1}, "visuals": {"aspectRatio": "9:16", "other": 2}}
    data = ok(api.post("/templates", json={"name": "Extra", "config": config}), 201)
    assert data["config"] == {**MINIMAL, "visuals": {"aspectRatio": "9:16"}}


def _with(path: list[Any], value: Any, *, delete: bool = False) -> dict[str, Any]:
    config = copy.deepcopy(SEED["config"])
    config["structure"]["slides"].append(copy.deepcopy(config["structure"]["slides"][0]))
    node = config
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return config


BAD_CONFIGS = [
    (_with(["version"], 2), "config.version"),
    (_with(["version"], True), "config.version"),
    (_with(["version"], "1"), "config.version"),
    (_with(["structure"], None, delete=True), "config.structure"),
    (_with(["structure", "slides"], None, delete=True), "config.structure.slides"),
    (
        _with(["structure", "slides", 1, "textElements", 0, "x"], 101),
        "config.structure.slides[1].textElements[0].x",
    ),
    (
        _with(["structure", "slides", 1, "textElements", 0, "x"], "50"),
        "config.structure.slides[1].textElements[0].x",
    ),
    (
        _with(["structure", "slides", 1, "textElements", 0, "content"], None, delete=True),
        "config.structure.slides[1].textElements[0].content",
    ),
    (
        _with(["structure", "slides", 0, "textElements", 0, "fontSize"], 7),
        "config.structure.slides[0].textElements[0].fontSize",
    ),
    (
        _with(["structure", "slides", 0, "textElements", 0, "textColor"], "not a colour"),
        "config.structure.slides[0].textElements[0].textColor",
    ),
    (_with(["structure", "slides", 1, "type"], "video"), "config.structure.slides[1].type"),
    (
        _with(["structure", "slides", 0, "pinnedImageUrl"], "ftp://x/y.jpg"),
        "config.structure.slides[0].pinnedImageUrl",
    ),
    (
        _with(["structure", "slides"], [SEED["config"]["structure"]["slides"][0]] * 11),
        "config.structure.slides",
    ),
    (
        _with(["structure", "packAssignments"], {"a": "11111111-1111-1111-1111-111111111111"}),
        "config.structure.packAssignments",
    ),
    (
        _with(["structure", "packAssignments"], {"0": "nope"}),
        'config.structure.packAssignments["0"]',
    ),
    (_with(["content", "mode"], "auto"), "config.content.mode"),
    (_with(["content", "language"], "e"), "config.content.language"),
    (_with(["content", "slideshowType"], "funny"), "config.content.slideshowType"),
    (_with(["content", "productId"], "nope"), "config.content.productId"),
    (_with(["visuals", "aspectRatio"], "16:9"), "config.visuals.aspectRatio"),
    (
        _with(["visuals", "textSettings", "fontSize"], "huge"),
        "config.visuals.textSettings.fontSize",
    ),
    (_with(["visuals", "textSettings", "preset"], "neon"), "config.visuals.textSettings.preset"),
    (
        _with(["visuals", "textSettings", "fontFamily"], "Comic Sans"),
        "config.visuals.textSettings.fontFamily",
    ),
    (_with(["visuals"], []), "config.visuals"),
]


@pytest.mark.parametrize(("config", "path"), BAD_CONFIGS)
def test_invalid_configs_name_the_path(api: ApiClient, config: dict[str, Any], path: str) -> None:
    body = err(
        api.post("/templates", json={"name": "Bad", "config": config}),
        422,
        "invalid_template_config",
    )
    assert body["message"].startswith(path + ":"), body["message"]
    assert body["data"]["errors"][0]["field"] == path
    assert ok(api.get("/templates"))["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"config": MINIMAL},
        {"name": "", "config": MINIMAL},
        {"name": "   ", "config": MINIMAL},
        {"name": "x" * 101, "config": MINIMAL},
        {"name": "T"},
        {"name": "T", "config": [1]},
        {"name": "T", "config": "{}"},
        {"name": "T", "config": MINIMAL, "visibility": "public"},
        {"name": "T", "config": MINIMAL, "description": "x" * 501},
        {"name": 5, "config": MINIMAL},
    ],
)
def test_invalid_bodies(api: ApiClient, body: dict[str, Any]) -> None:
    err(api.post("/templates", json=body), 422, "invalid_payload")


def test_names_are_unique_per_owner_after_trimming(
    api: ApiClient, make_api: Callable[..., ApiClient]
) -> None:
    first = create(api, "  Hooks  ")
    assert first["name"] == "Hooks"
    body = err(
        api.post("/templates", json={"name": "Hooks", "config": MINIMAL}),
        409,
        "template_name_conflict",
    )
    assert "Hooks" in body["message"]
    create(api, "hooks")  # exact comparison: another name
    alice = make_api(api.workspace_name, personal="alice")
    create(alice, "Hooks")  # another owner
    other_workspace = make_api()
    create(other_workspace, "Hooks")
    second = create(api, "Second")
    err(
        api.patch(f"/templates/{second['id']}", json={"name": " Hooks "}),
        409,
        "template_name_conflict",
    )
    assert ok(api.patch(f"/templates/{second['id']}", json={"name": "Second"}))["name"] == "Second"


def test_visibility_and_ownership(api: ApiClient, make_api: Callable[..., ApiClient]) -> None:
    alice = make_api(api.workspace_name, personal="alice")
    bob = make_api(api.workspace_name, personal="bob")
    body = err(
        alice.post("/templates", json={"name": "A", "config": MINIMAL, "visibility": "workspace"}),
        403,
        "workspace_key_required",
    )
    assert "personal key" in body["message"]
    private_ws = create(api, "Workspace private")
    shared = create(api, "Shared", visibility="workspace")
    alices = create(alice, "Alice's")
    err(
        alice.patch(f"/templates/{alices['id']}", json={"visibility": "workspace"}),
        403,
        "workspace_key_required",
    )
    # Private templates are invisible to everyone but their owner.
    err(alice.get(f"/templates/{private_ws['id']}"), 404, "not_found")
    err(bob.get(f"/templates/{alices['id']}"), 404, "not_found")
    err(api.get(f"/templates/{alices['id']}"), 404, "not_found")
    err(bob.patch(f"/templates/{alices['id']}", json={"name": "mine"}), 404, "not_found")
    # Workspace templates: every key reads them, only the owner changes them.
    seen = ok(alice.get(f"/templates/{shared['id']}"))
    assert seen["is_owner"] is False and seen["visibility"] == "workspace"
    body = err(
        alice.patch(f"/templates/{shared['id']}", json={"name": "x"}),
        403,
        "forbidden_template_access",
    )
    assert "owner" in body["message"]
    err(alice.delete(f"/templates/{shared['id']}"), 403, "forbidden_template_access")
    assert ok(api.get(f"/templates/{shared['id']}"))["is_owner"] is True
    # Another workspace key of the same workspace is the same owner.
    second_key = make_api(api.workspace_name)
    assert ok(second_key.get(f"/templates/{private_ws['id']}"))["is_owner"] is True
    listed = {t["id"] for t in ok(alice.get("/templates"))["templates"]}
    assert listed == {shared["id"], alices["id"]}
    listed = {t["id"] for t in ok(api.get("/templates"))["templates"]}
    assert listed == {private_ws["id"], shared["id"]}
    # Going private hides it from the members again.
    ok(api.patch(f"/templates/{shared['id']}", json={"visibility": "private"}))
    err(alice.get(f"/templates/{shared['id']}"), 404, "not_found")


def test_list_search_and_paging(api: ApiClient) -> None:
    a = create(api, "Alpha hooks", description="listicle")
    b = create(api, "Beta")
    c = create(api, "Gamma 100%")
    listed = ok(api.get("/templates"))
    assert listed["total"] == 3 and (listed["limit"], listed["offset"]) == (20, 0)
    assert [t["id"] for t in listed["templates"]] == [c["id"], b["id"], a["id"]]
    assert [
        t["id"] for t in ok(api.get("/templates", params={"limit": 1, "offset": 2}))["templates"]
    ] == [a["id"]]
    assert [t["id"] for t in ok(api.get("/templates", params={"search": "HOOK"}))["templates"]] == [
        a["id"]
    ]
    assert [
        t["id"] for t in ok(api.get("/templates", params={"search": "listicle"}))["templates"]
    ] == [a["id"]]
    assert ok(api.get("/templates", params={"search": "100%"}))["total"] == 1
    assert ok(api.get("/templates", params={"search": "%"}))["total"] == 1
    err(api.get("/templates", params={"limit": 101}), 422, "invalid_payload")


def test_update_and_delete(api: ApiClient) -> None:
    data = ok(api.post("/templates", json=SEED), 201)
    tid = data["id"]
    updated = ok(api.patch(f"/templates/{tid}", json={"description": None}))
    assert updated["description"] is None and updated["name"] == SEED["name"]
    assert updated["updated_at"] >= data["updated_at"]
    updated = ok(api.patch(f"/templates/{tid}", json={"config": MINIMAL, "name": "Renamed"}))
    assert updated["config"] == MINIMAL and updated["name"] == "Renamed"
    body = err(
        api.patch(f"/templates/{tid}", json={"config": {**MINIMAL, "version": 3}}),
        422,
        "invalid_template_config",
    )
    assert body["message"].startswith("config.version")
    err(api.patch(f"/templates/{tid}", json={}), 422, "invalid_payload")
    err(api.patch(f"/templates/{tid}", json={"name": None}), 422, "invalid_payload")
    err(api.patch(f"/templates/{tid}", json={"visibility": "public"}), 422, "invalid_payload")
    assert ok(api.delete(f"/templates/{tid}")) == {"id": tid, "deleted": True}
    err(api.get(f"/templates/{tid}"), 404, "not_found")
    err(api.delete(f"/templates/{tid}"), 404, "not_found")
    err(api.patch(f"/templates/{tid}", json={"name": "x"}), 404, "not_found")
    err(api.get("/templates/not-a-uuid"), 404, "not_found")


def test_concurrent_creates_with_one_name(api: ApiClient) -> None:
    """The unique (owner, name) constraint decides races the pre-check cannot see."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> int:
        response = api.post("/templates", json={"name": "Race", "config": MINIMAL})
        if response.status_code != 201:
            err(response, 409, "template_name_conflict")
        return response.status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(attempt, range(6)))
    assert statuses == [201] + [409] * 5
    assert ok(api.get("/templates", params={"search": "Race"}))["total"] == 1


def test_product_id_must_be_a_product_of_the_caller(
    api: ApiClient, make_api: Callable[..., ApiClient]
) -> None:
    """config.content.productId is checked like product_id elsewhere: another workspace's
    product (or an unknown id) is 404 product_not_found on create and on PATCH."""
    other = make_api()
    theirs = ok(other.post("/products", json={"name": "Their serum"}), 201)["id"]
    mine = ok(api.post("/products", json={"name": "My serum"}), 201)["id"]

    def config(product_id: str) -> dict[str, Any]:
        return {**MINIMAL, "content": {"productId": product_id}}

    for product_id in (theirs, "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812"):
        body = err(
            api.post("/templates", json={"name": "T", "config": config(product_id)}),
            404,
            "product_not_found",
        )
        assert "config.content.productId" in body["message"] and product_id in body["message"]
    assert ok(api.get("/templates"))["total"] == 0
    created = ok(api.post("/templates", json={"name": "T", "config": config(mine)}), 201)
    assert created["config"]["content"]["productId"] == mine
    err(
        api.patch(f"/templates/{created['id']}", json={"config": config(theirs)}),
        404,
        "product_not_found",
    )
    assert ok(api.get(f"/templates/{created['id']}"))["config"]["content"]["productId"] == mine
