"""The slide editor in a real browser (headless Chromium): drag and retype a text, save
with the loaded revision, render, a concurrent edit answered as a conflict, posting to
sandbox accounts, a phone-sized screen, and a new slideshow from the gallery."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import Web
from tests.dashboard.slideshows_support import make_slideshow
from tests.helpers import ApiClient, ok
from tests.sandboxes import InstagramEnv, TikTokEnv
from tests.slideshows.support import make_pack


def open_editor(
    make_page: Callable[..., Any], api: ApiClient, slideshow_id: str, **size: int
) -> Page:
    page: Page = make_page(api, **size)
    page.goto(f"/app/slideshows/{slideshow_id}")
    expect(page.locator("#boxes .box").first).to_be_visible()
    return page


def first_text(api: ApiClient, slideshow_id: str) -> dict[str, Any]:
    shown = ok(api.get(f"/slideshows/{slideshow_id}"))
    element: dict[str, Any] = shown["slides"][0]["text_elements"][0]
    return element


def test_drag_and_retype_a_text_save_then_render(
    api: ApiClient, web: Web, make_page: Callable[..., Any]
) -> None:
    pack_id, urls = make_pack(api, web, count=3)
    made = make_slideshow(api, web, ["Drag me", "Second slide"], pack_id=pack_id)
    before = ok(api.post(f"/slideshows/{made['id']}/render"))["slides"][0]["rendered_image_url"]
    page = open_editor(make_page, api, made["id"])
    picture = page.locator("#slide-img")
    expect(picture).to_have_attribute("src", before)

    box = page.get_by_role("button", name="Text 1: Drag me")
    start, stage = box.bounding_box(), page.locator("#stage").bounding_box()
    assert start and stage
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 0.2 * stage["width"], y + 0.1 * stage["height"], steps=8)
    page.mouse.up()
    page.get_by_label("Text", exact=True).fill("Moved and rewritten")
    expect(page.get_by_role("button", name="Text 1: Moved and rewritten")).to_be_visible()
    expect(page.locator("#state")).to_have_text("Unsaved changes")
    # another image of the pack as this slide's background
    other = next(u for u in urls if u != made["slides"][0]["image_url"])
    page.locator(f'#bg-list input[value="{other}"]').check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#state")).to_have_text("Saved.")

    saved = ok(api.get(f"/slideshows/{made['id']}"))
    element = saved["slides"][0]["text_elements"][0]
    assert element["content"] == "Moved and rewritten"
    assert abs(element["x"] - 30) < 1 and abs(element["y"] - 60) < 1, element
    assert saved["revision"] == made["revision"] + 1
    assert saved["slides"][0]["image_url"] == other
    assert saved["slides"][1]["text_elements"][0]["content"] == "Second slide"
    assert saved["slides"][1]["image_url"] == made["slides"][1]["image_url"]
    assert page.locator("#editor").get_attribute("data-revision") == str(saved["revision"])

    page.get_by_role("button", name="Render").click()
    expect(page.locator("#state")).to_have_text("Rendered.", timeout=60_000)
    after = ok(api.get(f"/slideshows/{made['id']}"))["slides"][0]["rendered_image_url"]
    assert after and after != before
    expect(picture).to_have_attribute("src", after)
    # the render's checks are listed for the slide
    expect(page.locator("#checks li").first).to_be_visible()
    assert "contrast" in page.locator("#checks").inner_text()


def test_a_concurrent_edit_is_reported_and_the_edits_are_kept(
    api: ApiClient, web: Web, make_page: Callable[..., Any]
) -> None:
    made = make_slideshow(api, web, ["Original"])
    page = open_editor(make_page, api, made["id"])
    ok(api.patch(f"/slideshows/{made['id']}", json={"title": "Changed elsewhere"}))
    page.get_by_role("button", name="Text 1: Original").click()
    page.get_by_label("Text", exact=True).fill("My edit")
    page.get_by_role("button", name="Save", exact=True).click()
    conflict = page.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("changed elsewhere")
    expect(conflict.get_by_role("button", name="Reload")).to_be_visible()
    # nothing was written, and the page still shows the unsaved edit
    assert first_text(api, made["id"])["content"] == "Original"
    expect(page.get_by_label("Text", exact=True)).to_have_value("My edit")
    expect(page.get_by_role("button", name="Text 1: My edit")).to_be_visible()
    # choosing to keep this version writes it over the other one
    page.get_by_role("button", name="Save mine over it").click()
    expect(page.locator("#state")).to_have_text("Saved.")
    assert first_text(api, made["id"])["content"] == "My edit"
    expect(conflict).to_be_hidden()


def test_post_the_rendered_slides_to_two_accounts(
    api: ApiClient,
    web: Web,
    tiktok: TikTokEnv,
    instagram: InstagramEnv,
    make_page: Callable[..., Any],
) -> None:
    accounts = [tiktok.connect(api), instagram.connect(api)]
    made = make_slideshow(api, web, ["Post me", "Two"], aspect="4:5")
    rendered = ok(api.post(f"/slideshows/{made['id']}/render"))
    page = open_editor(make_page, api, made["id"])
    form = page.locator("#post-form")
    form.get_by_label("Caption").fill("Two slides, two platforms")
    for account in accounts:
        form.locator(f'input[name="account"][value="{account}"]').check()
    # the API's refusal is shown as it says it
    past = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form.get_by_label("Scheduled time (your time zone)").fill(past)
    form.get_by_role("button", name="Post").click()
    expect(page.locator("#post-error")).to_contain_text("in the past")
    later = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form.get_by_label("Scheduled time (your time zone)").fill(later)
    form.get_by_role("button", name="Post").click()
    done = page.locator("#post-done")
    expect(done).to_contain_text("Scheduled")
    expect(done.get_by_role("link", name="See it in the calendar")).to_have_attribute(
        "href", "/app/calendar"
    )
    post_id = re.search(r"post ([0-9a-f-]{36})", done.inner_text())
    assert post_id
    post = ok(api.get(f"/posts/{post_id.group(1)}"))
    assert post["caption"] == "Two slides, two platforms" and post["status"] == "scheduled"
    assert post["media"]["type"] == "slideshow"
    assert post["media"]["urls"] == rendered["rendered_image_urls"]
    assert {s["account_id"] for s in post["accounts"]["states"]} == set(accounts)
    wanted = page.evaluate("(value) => new Date(value).toISOString()", later)
    assert datetime.fromisoformat(post["scheduled_at"]) == datetime.fromisoformat(wanted)


def test_the_editor_is_usable_375_px_wide(
    api: ApiClient, web: Web, make_page: Callable[..., Any]
) -> None:
    made = make_slideshow(api, web, ["Small screen", "Two"])
    page = open_editor(make_page, api, made["id"], width=375, height=760)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    stage = page.locator("#stage").bounding_box()
    assert stage and stage["width"] <= 375 and stage["height"] > 300
    page.get_by_role("button", name="Text 1: Small screen").click()
    page.get_by_label("Text", exact=True).fill("Typed on a phone")
    page.get_by_label("Font size (px)").fill("60")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#state")).to_have_text("Saved.")
    element = first_text(api, made["id"])
    assert element["content"] == "Typed on a phone" and element["font_size"] == 60
    page.get_by_role("button", name="Slide 2: Two").click()
    expect(page.get_by_role("button", name="Text 1: Two")).to_be_visible()
    post = page.get_by_role("button", name="Post")
    post.scroll_into_view_if_needed()
    expect(post).to_be_in_viewport()


def test_new_slideshow_from_the_gallery(
    api: ApiClient, web: Web, make_page: Callable[..., Any]
) -> None:
    made = make_slideshow(api, web, ["Already here"])
    make_pack(api, web, count=2, name="Fresh pack")
    page = open_editor(make_page, api, made["id"])
    # from the main menu: the gallery loads with its script
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Slideshows").click()
    page.wait_for_url("**/app/slideshows")
    form = page.locator("#generate-form")
    form.get_by_label("AI writes them from a prompt").check()
    form.get_by_label("Prompt", exact=True).fill("Three desk setup ideas")
    form.get_by_role("button", name="Create slideshow").click()
    expect(page.locator("#generate-error")).to_contain_text("AI text generation is not configured")
    form.get_by_label("I write the slide texts").check()
    expect(form.get_by_label("Prompt", exact=True)).to_be_hidden()
    form.get_by_label("Slide texts (one slide per line, 1–10 lines)").fill(
        "First idea\n\nSecond idea\n"
    )
    form.get_by_label("Image pack").select_option(label="Fresh pack (2 images)")
    form.get_by_role("button", name="Create slideshow").click()
    page.wait_for_url(re.compile(r".*/app/slideshows/[0-9a-f-]{36}$"))
    expect(page.get_by_role("button", name="Text 1: First idea")).to_be_visible()
    new_id = page.url.rsplit("/", 1)[1]
    shown = ok(api.get(f"/slideshows/{new_id}"))
    assert [s["text_elements"][0]["content"] for s in shown["slides"]] == [
        "First idea",
        "Second idea",
    ]
    assert shown["settings"]["aspect_ratio"] == "9:16"


def test_duplicate_then_delete(api: ApiClient, web: Web, make_page: Callable[..., Any]) -> None:
    made = make_slideshow(api, web, ["Keep a copy"], title="Original")
    page = open_editor(make_page, api, made["id"])
    page.get_by_role("button", name="Duplicate").click()
    page.wait_for_url(lambda url: "/app/slideshows/" in url and made["id"] not in url)
    copy_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_label("Title")).to_have_value("Copy of Original")
    expect(page.get_by_role("button", name="Text 1: Keep a copy")).to_be_visible()
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/app/slideshows")
    assert asked and "Delete this slideshow" in asked[0]
    listed = ok(api.get("/slideshows"))["slideshows"]
    assert [s["id"] for s in listed] == [made["id"]]
    assert copy_id not in page.content()
