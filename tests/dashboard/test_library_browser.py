"""Packs & files in a browser: make a pack through the form, upload images into it (file
input and drop) with per-file progress, see the API's refusal of broken files, remove an
image, rename and publish the pack, delete it."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.helpers import ApiClient, image_bytes, ok
from tests.packs.test_endpoints import wait_metadata


def test_make_a_pack_and_upload_images_into_it(
    api: ApiClient, make_page: Callable[..., Any]
) -> None:
    page = make_page(api)
    # from another page through the menu (each page's own script must load)
    page.goto("/app/copy")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Packs & files").click()
    expect(page.get_by_role("heading", name="Packs & files")).to_be_visible()

    page.get_by_label("Name").fill("Morning shots")
    page.get_by_role("button", name="Create pack").click()
    page.wait_for_url("**/app/library/packs/*")
    expect(page.get_by_role("heading", name="Morning shots", level=1)).to_be_visible()
    pack_id = page.url.rsplit("/", 1)[1]
    # back to the list and into the pack again, as htmx swaps pages within the library
    page.get_by_role("link", name="← Packs & files").click()
    page.get_by_role("link", name="Morning shots").click()
    expect(page.get_by_role("heading", name="Add images")).to_be_visible()

    page.get_by_label("Images to add").set_input_files(
        [
            {
                "name": "sunrise.png",
                "mimeType": "image/png",
                "buffer": image_bytes((90, 160), "PNG"),
            },
            {"name": "notes.png", "mimeType": "image/png", "buffer": b"these are not pixels"},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"plain text"},
        ]
    )
    uploads = page.get_by_role("list", name="Uploads").get_by_role("listitem")
    expect(uploads).to_have_count(3)
    good, broken, text = uploads.nth(0), uploads.nth(1), uploads.nth(2)
    expect(good).to_contain_text("Added to the pack")
    expect(good.get_by_role("progressbar")).to_have_attribute("value", "100")
    # the API's own refusals, per file
    expect(broken).to_contain_text(
        "notes.png: The bytes are not an image but the upload was declared image/png."
    )
    expect(text).to_contain_text("notes.txt: contentType")

    # a file dropped on the zone goes the same way
    dropped = page.evaluate_handle(
        """(encoded) => {
            const data = new DataTransfer();
            const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
            data.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
            return data;
        }""",
        base64.b64encode(image_bytes((120, 90))).decode(),
    )
    page.locator("#dropzone").dispatch_event("drop", {"dataTransfer": dropped})
    expect(uploads).to_have_count(4)
    expect(uploads.nth(3)).to_contain_text("Added to the pack")

    images = page.get_by_role("list", name="Images of the pack").get_by_role("listitem")
    expect(images).to_have_count(2)
    expect(images.first).to_contain_text("sunrise.png")
    pack = ok(api.get(f"/packs/{pack_id}"))
    assert [image["file_name"] for image in pack["images"]] == ["sunrise.png", "dropped.jpg"]
    assert pack["images"][0]["url"].startswith(api.base_url + "/media/")
    # the image shows (served by this server under the page's Content-Security-Policy)
    expect(images.first.get_by_role("img")).to_have_js_property("naturalWidth", 90)

    # the list refreshes by itself once the metadata is computed
    wait_metadata(api, pack_id)
    expect(images.first).to_contain_text("completed", timeout=15_000)
    expect(images.first).to_contain_text("90×160")

    page.once("dialog", lambda dialog: dialog.accept())
    images.first.get_by_role("button", name="Remove sunrise.png").click()
    expect(images).to_have_count(1)
    expect(images.first).to_contain_text("dropped.jpg")
    assert len(ok(api.get(f"/packs/{pack_id}"))["images"]) == 1

    # rename it and make it public (PATCH /packs/{id})
    page.get_by_label("Name").fill("Evening shots")
    page.get_by_label("Public (other workspaces can use it)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Evening shots", level=1)).to_be_visible()
    assert ok(api.get(f"/packs/{pack_id}"))["is_public"] is True

    # the pack is on the library page, and the uploaded files too
    page.get_by_role("link", name="← Packs & files").click()
    expect(page.get_by_role("link", name="Evening shots")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("sunrise.png")
    expect(page.get_by_role("table")).to_contain_text("dropped.jpg")

    page.get_by_role("link", name="Evening shots").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete pack").click()
    page.wait_for_url("**/app/library")
    expect(page.get_by_role("link", name="Evening shots")).to_have_count(0)
