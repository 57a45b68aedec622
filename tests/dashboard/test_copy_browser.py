"""Copy a TikTok in a browser, against the TikTok web sandbox: paste a photo-post URL, see each
original slide beside its rebuilt slide (the text read from it), import it with a pack's
images as backgrounds, and get the link to the new slideshow. One test: reading the text of
the slides takes seconds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.conftest import Web
from tests.copy_tiktok.conftest import Site, site, tiktok_site_server
from tests.copy_tiktok.test_endpoints import pack_with_images, photo_post, tiktok, truth
from tests.helpers import ApiClient, ok

__all__ = ["site", "tiktok", "tiktok_site_server"]  # fixtures, for pytest


def test_preview_a_photo_post_and_import_it_into_a_pack(
    api: ApiClient, web: Web, tiktok: Site, make_page: Callable[..., Any]
) -> None:
    pack_id = pack_with_images(api, web, 2)
    url = photo_post(tiktok, 2)
    page = make_page(api, width=375, height=800)
    page.goto("/app/copy")

    address = page.get_by_label("TikTok photo-post URL")
    address.fill("https://example.com/@creator/photo/1")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("alert")).to_contain_text("tiktok")  # the API's refusal

    address.fill(url)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("status").filter(has_text="reading the text")).to_be_visible()
    slides = (
        page.get_by_role("list", name="Slides: original and rebuilt")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading"))
    )
    expect(slides).to_have_count(2, timeout=30_000)
    expect(page.locator("#copy-busy")).to_be_hidden()
    expect(page.get_by_text("@creator", exact=True)).to_be_visible()

    for i, slide in enumerate((slides.nth(0), slides.nth(1))):
        original = slide.get_by_role("img", name=f"Original slide {i + 1}")
        expect(original).to_have_js_property("naturalWidth", 1080)
        rebuilt = slide.get_by_role("img", name=f"Rebuilt slide {i + 1}:")
        expect(rebuilt).to_contain_text(truth(i).split("\n")[0])
        # side by side, even on a phone
        left, right = original.bounding_box(), rebuilt.bounding_box()
        assert left and right and abs(left["y"] - right["y"]) < 2 and right["x"] > left["x"]
        assert right["x"] + right["width"] <= 375
    expect(slides.nth(1).get_by_role("list")).to_contain_text("Drink water first")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll

    page.get_by_label("Backgrounds from pack").select_option(pack_id)
    page.get_by_label("Title (optional)").fill("Copied <script>mornings</script>")
    page.get_by_role("button", name="Import").click()
    opened = page.get_by_role("link", name="Open “Copied <script>mornings</script>”")
    expect(opened).to_be_visible(timeout=30_000)
    href = opened.get_attribute("href")
    assert href and href.startswith("/app/slideshows/")
    show = ok(api.get("/slideshows/" + href.rsplit("/", 1)[1]))
    assert show["title"] == "Copied <script>mornings</script>"
    texts = [[e["content"] for e in slide["text_elements"]] for slide in show["slides"]]
    assert texts == [[truth(0)], [truth(1)]]
    images = {image["url"] for image in ok(api.get(f"/packs/{pack_id}"))["images"]}
    assert {slide["image_url"] for slide in show["slides"]} <= images
