"""Every endpoint refuses another workspace's ids as if they did not exist (404), except what
the contract makes public on purpose (public packs: readable, never changeable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from slideforge.accounts import service as accounts
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, image_bytes, ok
from tests.sandboxes import TikTokEnv


def test_other_workspace_ids_answer_404(
    runtime: Runtime, make_api: Callable[..., ApiClient], web: Web
) -> None:
    owner = make_api()
    intruder = make_api()
    pack = ok(owner.post("/packs", json={"name": "secret pack"}), 201)
    image = ok(
        owner.post(
            f"/packs/{pack['id']}/images", json={"image_url": web.add("x.jpg", image_bytes())}
        ),
        201,
    )
    product = ok(owner.post("/products", json={"name": "secret product"}), 201)
    with runtime.db.session() as session:
        account = str(
            accounts.create_account(session, owner.workspace_id, platform="tiktok", username="o").id
        )
    webhook = ok(owner.post("/webhooks", json={"url": "https://hooks.example.com/o"}), 201)
    upload = ok(owner.post("/files", json={"contentType": "image/jpeg"}), 201)
    ok(
        httpx.put(
            upload["uploadUrl"], content=image_bytes(), headers={"Content-Type": "image/jpeg"}
        )
    )

    attempts = [
        ("GET", f"/packs/{pack['id']}", None),
        ("PATCH", f"/packs/{pack['id']}", {"name": "stolen"}),
        ("DELETE", f"/packs/{pack['id']}", None),
        ("POST", f"/packs/{pack['id']}/images", {"image_url": "https://example.com/a.jpg"}),
        ("DELETE", f"/packs/{pack['id']}/images/{image['id']}", None),
        ("GET", f"/products/{product['id']}", None),
        ("PATCH", f"/products/{product['id']}", {"name": "stolen"}),
        ("DELETE", f"/products/{product['id']}", None),
        ("GET", f"/accounts/{account}", None),
        ("PATCH", f"/accounts/{account}", {"tags": ["stolen"]}),
        ("GET", f"/webhooks/{webhook['id']}", None),
        ("GET", f"/webhooks/{webhook['id']}/deliveries", None),
        ("DELETE", f"/webhooks/{webhook['id']}", None),
    ]
    for method, path, body in attempts:
        response = intruder.request(method, path, json=body)
        err(response, 404)
    # Lists never show another workspace's rows.
    assert pack["id"] not in {
        p["id"] for p in ok(intruder.get("/packs", params={"limit": 100}))["packs"]
    }
    assert ok(intruder.get("/products"))["total"] == 0
    assert ok(intruder.get("/accounts", params={"status": "all"}))["accounts"] == []
    assert ok(intruder.get("/webhooks"))["webhooks"] == []
    assert ok(intruder.get("/files", params={"context": "all"}))["total"] == 0
    assert all(
        e["reference"].startswith("allowance") for e in ok(intruder.get("/credits"))["entries"]
    )
    # Nothing changed for the owner.
    assert ok(owner.get(f"/packs/{pack['id']}"))["name"] == "secret pack"
    assert ok(owner.get(f"/products/{product['id']}"))["name"] == "secret product"
    assert ok(owner.get(f"/accounts/{account}"))["tags"] == []
    assert ok(owner.get(f"/webhooks/{webhook['id']}"))["url"] == "https://hooks.example.com/o"


def test_other_workspace_slideshows_and_templates_answer_404(
    make_api: Callable[..., ApiClient], web: Web
) -> None:
    owner = make_api()
    intruder = make_api()
    pack = ok(owner.post("/packs", json={"name": "secret pack"}), 201)
    ok(
        owner.post(
            f"/packs/{pack['id']}/images",
            json={"image_url": web.add("cross/bg.jpg", image_bytes((108, 192)))},
        ),
        201,
    )
    product = ok(owner.post("/products", json={"name": "secret product"}), 201)
    slideshow = ok(
        owner.post(
            "/slideshows/generate",
            json={
                "skip_ai": True,
                "pack_id": pack["id"],
                "slide_config": {"total_slides": 1, "slide_texts": {"0": "secret"}},
            },
        )
    )
    ok(owner.post(f"/slideshows/{slideshow['id']}/render"))
    template = ok(
        owner.post(
            "/templates",
            json={
                "name": "secret template",
                "visibility": "workspace",
                "config": {"version": 1, "structure": {"slides": []}},
            },
        ),
        201,
    )
    sid, tid = slideshow["id"], template["id"]
    attempts = [
        ("GET", f"/slideshows/{sid}", None),
        ("PATCH", f"/slideshows/{sid}", {"title": "stolen"}),
        ("POST", f"/slideshows/{sid}/render", None),
        ("POST", f"/slideshows/{sid}/duplicate", None),
        ("POST", f"/slideshows/{sid}/video", {}),
        ("POST", f"/slideshows/{sid}/slides/0/regenerate", {}),
        ("DELETE", f"/slideshows/{sid}", None),
        ("POST", f"/templates/from-slideshow/{sid}", {}),
        ("GET", f"/templates/{tid}", None),
        ("PATCH", f"/templates/{tid}", {"name": "stolen"}),
        ("DELETE", f"/templates/{tid}", None),
    ]
    for method, path, body in attempts:
        err(intruder.request(method, path, json=body), 404)
    for field, value, code in (
        ("template_id", tid, "template_not_found"),
        ("pack_id", pack["id"], "pack_not_found"),
        ("product_id", product["id"], "product_not_found"),
    ):
        body = {"skip_ai": True, "slide_config": {"total_slides": 1}, field: value}
        err(intruder.post("/slideshows/generate", json=body), 404, code)
    other_pack = ok(intruder.post("/packs", json={"name": "mine"}), 201)
    err(
        intruder.post(
            "/slideshows/generate",
            json={
                "skip_ai": True,
                "pack_id": other_pack["id"],
                "slide_config": {"total_slides": 1, "pack_assignments": {"0": pack["id"]}},
            },
        ),
        404,
        "pack_not_found",
    )
    assert ok(intruder.get("/slideshows"))["total"] == 0
    assert ok(intruder.get("/templates"))["total"] == 0
    assert ok(intruder.get("/files", params={"context": "render"}))["total"] == 0
    after = ok(owner.get(f"/slideshows/{sid}"))
    assert after["title"] == slideshow["title"] and after["status"] == "rendered"
    assert ok(owner.get(f"/templates/{tid}"))["name"] == "secret template"


def test_copy_tiktok_previews_and_references_stay_in_their_workspace(
    runtime: Runtime, make_api: Callable[..., ApiClient], web: Web, monkeypatch: Any
) -> None:
    """Another workspace's preview_id is treated as missing (the post is fetched again), and
    its pack and product ids are unknown."""
    from platform_sandbox.server import serve_in_thread
    from platform_sandbox.tiktok_web import TikTokWebSandbox, create_app

    sandbox = TikTokWebSandbox()
    site = serve_in_thread(create_app(sandbox))
    monkeypatch.setattr(runtime.settings, "tiktok_web_base_url", site.base_url)
    try:
        post = sandbox.add_photo_post([image_bytes((270, 480))])
        owner, intruder = make_api(), make_api()
        preview = ok(owner.post("/slideshows/copy-tiktok/preview", json={"url": post.url}))
        pack = ok(owner.post("/packs", json={"name": "secret"}), 201)
        ok(
            owner.post(
                f"/packs/{pack['id']}/images", json={"image_url": web.add("cp.jpg", image_bytes())}
            ),
            201,
        )
        product = ok(owner.post("/products", json={"name": "secret product"}), 201)
        mine = ok(intruder.post("/packs", json={"name": "mine"}), 201)
        ok(
            intruder.post(
                f"/packs/{mine['id']}/images", json={"image_url": web.add("cq.jpg", image_bytes())}
            ),
            201,
        )
        body = {"url": post.url, "preview_id": preview["preview_id"], "pack_id": mine["id"]}
        sandbox.clear_requests()
        data = ok(intruder.post("/slideshows/copy-tiktok/import", json=body), 201)
        assert data["used_cached_preview"] is False and sandbox.requests("page")
        err(
            intruder.post("/slideshows/copy-tiktok/import", json={**body, "pack_id": pack["id"]}),
            404,
            "pack_not_found",
        )
        err(
            intruder.post(
                "/slideshows/copy-tiktok/import", json={**body, "product_id": product["id"]}
            ),
            404,
            "product_not_found",
        )
        assert ok(owner.get("/slideshows"))["total"] == 0
    finally:
        site.stop()


def test_other_workspace_posts_and_accounts_are_refused(
    make_api: Callable[..., ApiClient], web: Web, tiktok: TikTokEnv
) -> None:
    from tests.posts.test_endpoints import later
    from tests.posts.test_publish import slides

    owner = make_api()
    intruder = make_api()
    account = tiktok.connect(owner)
    post = ok(
        owner.post(
            "/posts",
            json={
                "caption": "mine",
                "media": {"type": "slideshow", "urls": slides(web, 1)},
                "accounts": [{"id": account}],
                "scheduled_at": later(300),
            },
        ),
        201,
    )
    err(intruder.get(f"/posts/{post['id']}"), 404)
    err(intruder.patch(f"/posts/{post['id']}", json={"caption": "stolen"}), 404)
    retried = ok(intruder.post("/posts/retry", json={"post_ids": [post["id"]]}))
    assert retried["retried"] == 0 and post["id"] in retried["errors"]
    deleted = ok(intruder.post("/posts/delete", json={"postIds": [post["id"]]}))
    assert deleted["deletedIds"] == [] and deleted["skipped"] == [post["id"]]
    # Posting through another workspace's account is refused.
    stolen = intruder.post(
        "/posts",
        json={
            "caption": "x",
            "media": {"type": "slideshow", "urls": slides(web, 1)},
            "accounts": [{"id": account}],
        },
    )
    err(stolen, 400, "unknown_accounts")
    assert ok(intruder.get("/posts"))["summary"]["total"] == 0
    assert ok(owner.get(f"/posts/{post['id']}"))["caption"] == "mine"
