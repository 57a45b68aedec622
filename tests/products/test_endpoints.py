"""Products through HTTP, and product references from other resources."""

from __future__ import annotations

import uuid

import pytest

from slideforge.kit.errors import ApiError
from slideforge.products import service
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, err, ok


def test_product_crud(api: ApiClient) -> None:
    created = ok(
        api.post("/products", json={"name": " Glow Serum ", "url": "https://shop.example/glow"}),
        201,
    )
    assert created["name"] == "Glow Serum" and created["scope"] == "workspace"
    pid = created["id"]
    assert ok(api.get(f"/products/{pid}"))["url"] == "https://shop.example/glow"
    updated = ok(api.patch(f"/products/{pid}", json={"description": "Vitamin C", "url": None}))
    assert updated["description"] == "Vitamin C" and updated["url"] is None
    listed = ok(api.get("/products", params={"search": "glow"}))
    assert listed["total"] == 1
    err(api.patch(f"/products/{pid}", json={}), 422, "invalid_payload")
    err(api.patch(f"/products/{pid}", json={"name": None}), 422, "invalid_payload")
    err(
        api.post("/products", json={"name": "x", "url": "javascript:alert(1)"}),
        422,
        "invalid_payload",
    )
    ok(api.delete(f"/products/{pid}"))
    err(api.get(f"/products/{pid}"), 404, "product_not_found")


def test_personal_products_belong_to_their_member(make_api, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    alice = make_api(personal="alice")
    bob = make_api(alice.workspace_name, personal="bob")
    team = make_api(alice.workspace_name)
    mine = ok(alice.post("/products", json={"name": "Alice's"}), 201)
    shared = ok(team.post("/products", json={"name": "Shared"}), 201)
    assert mine["scope"] == "personal"
    err(bob.get(f"/products/{mine['id']}"), 404, "product_not_found")
    assert ok(bob.get(f"/products/{shared['id']}"))["name"] == "Shared"
    assert {p["id"] for p in ok(alice.get("/products"))["products"]} == {mine["id"], shared["id"]}
    with runtime.db.session() as session:
        from slideforge.auth.service import Caller

        bob_caller = Caller(bob.workspace_id, uuid.uuid4(), "personal", bob.member_id)
        with pytest.raises(ApiError) as info:
            service.check_reference(session, bob_caller, mine["id"])
        assert (info.value.status, info.value.error_code) == (403, "forbidden_product_access")
        with pytest.raises(ApiError) as info:
            service.check_reference(session, bob_caller, str(uuid.uuid4()))
        assert (info.value.status, info.value.error_code) == (404, "product_not_found")
        assert service.check_reference(
            session, bob_caller, f"  {shared['id'].upper()} "
        ) == uuid.UUID(shared["id"])
