"""A marketer's first hour in the dashboard, in headless Chromium against the real server and
the platform sandboxes: sign in, upload an image into a new pack, make a slideshow from it,
drag and retype its text, render, post it now to two sandbox accounts, watch the calendar show
both posted with their links, see a sandbox's refusal with its reason — and a second
workspace's key sees none of it. The screenshots of the calendar and the editor in the README
are taken here (``SLIDEFORGE_SCREENSHOTS=docs`` writes them into docs/)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.helpers import ApiClient, ok
from tests.sandboxes import InstagramEnv, TikTokEnv

DOCS = Path(__file__).resolve().parents[2] / "docs"


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """docs/<name> when asked to refresh the README's pictures, else a temporary file."""
    if os.environ.get("SLIDEFORGE_SCREENSHOTS") == "docs":
        return DOCS / name
    return tmp_path / name


def photo_jpeg() -> bytes:
    """A real photo (scikit-image's coffee cup, a test dependency) for the README's pictures."""
    import io

    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    Image.fromarray(data.coffee()).save(out, "JPEG", quality=90)
    return out.getvalue()


def calendar_until(page: Page, predicate: Callable[[Page], bool], timeout: float = 90) -> None:
    """Reload the calendar until the published state shows (publishing runs in the workers)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto("/app/calendar")
        if predicate(page):
            return
        assert time.monotonic() < deadline, page.locator("#calendar").inner_text()
        page.wait_for_timeout(500)


def post_from_editor(page: Page, caption: str, account_ids: list[str]) -> str:
    form = page.locator("#post-form")
    form.get_by_label("Caption").fill(caption)
    for account in account_ids:
        form.locator(f'input[name="account"][value="{account}"]').check()
    form.get_by_label("Now").check()
    form.get_by_role("button", name="Post").click()
    done = page.locator("#post-done")
    expect(done).to_be_visible()
    found = re.search(r"post ([0-9a-f-]{36})", done.inner_text())
    assert found, done.inner_text()
    for account in account_ids:  # ready for the next post
        form.locator(f'input[name="account"][value="{account}"]').uncheck()
    return found.group(1)


def test_first_hour_in_the_dashboard(
    api: ApiClient,
    make_api: Callable[..., ApiClient],
    tiktok: TikTokEnv,
    instagram: InstagramEnv,
    make_page: Callable[..., Any],
    tmp_path: Path,
) -> None:
    good = [tiktok.connect(api, "journey_tok"), instagram.connect(api, "journey_gram")]
    refusing = tiktok.connect(api, "journey_refused")
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(refusing)
    )

    # sign in (the fixture fills the form) and make a pack with an uploaded image
    page: Page = make_page(api, width=1366, height=900)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Packs & files").click()
    page.get_by_label("Name").fill("Journey shots")
    page.get_by_role("button", name="Create pack").click()
    page.wait_for_url("**/app/library/packs/*")
    page.get_by_label("Images to add").set_input_files(
        [
            {
                "name": "coffee.jpg",
                "mimeType": "image/jpeg",
                "buffer": photo_jpeg(),
            }
        ]
    )
    upload = page.get_by_role("list", name="Uploads").get_by_role("listitem").first
    expect(upload).to_contain_text("Added to the pack")

    # a slideshow from that pack, with texts of our own
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Slideshows").click()
    form = page.locator("#generate-form")
    form.get_by_label("I write the slide texts").check()
    form.get_by_label("Slide texts (one slide per line, 1–10 lines)").fill(
        "3 coffee habits that stick\nGrind right before brewing\nOne cup before 10 am"
    )
    form.get_by_label("Image pack").select_option(label="Journey shots (1 image)")
    form.get_by_label("Aspect ratio").select_option("4:5")
    form.get_by_role("button", name="Create slideshow").click()
    page.wait_for_url(re.compile(r".*/app/slideshows/[0-9a-f-]{36}$"))
    slideshow_id = page.url.rsplit("/", 1)[1]

    # drag the first text up and retype it, save, render
    box = page.get_by_role("button", name="Text 1: 3 coffee habits that stick")
    start, stage = box.bounding_box(), page.locator("#stage").bounding_box()
    assert start and stage
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 0.2 * stage["height"], steps=8)
    page.mouse.up()
    page.get_by_label("Text", exact=True).fill("3 coffee habits that actually stick")
    page.get_by_role("button", name="Render").click()
    expect(page.locator("#state")).to_have_text("Rendered.", timeout=60_000)
    shown = ok(api.get(f"/slideshows/{slideshow_id}"))
    first = shown["slides"][0]["text_elements"][0]
    assert first["content"] == "3 coffee habits that actually stick"
    assert first["y"] < 45, first  # moved up from the middle
    assert all(s.get("rendered_image_url") for s in shown["slides"])
    page.get_by_role("button", name="Text 1: 3 coffee habits that actually stick").click()
    page.get_by_label("TikTok safe zones").check()
    page.screenshot(path=str(screenshot_path(tmp_path, "dashboard-editor.png")))

    # post now to the two accounts, then to the one whose platform refuses
    posted_id = post_from_editor(page, "Coffee habits #morningroutine", good)
    refused_id = post_from_editor(page, "Coffee habits, again", [refusing])

    def settled(calendar: Page) -> bool:
        posted = calendar.locator(f"#post-{posted_id} .targets a")
        refused = calendar.locator(f"#post-{refused_id} .badge.failed")
        return posted.count() == 2 and refused.count() >= 1

    calendar_until(page, settled)
    posted_card = page.locator(f"#post-{posted_id}")
    links = posted_card.locator(".targets a")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    post = ok(api.get(f"/posts/{posted_id}"))
    assert hrefs == {s["published_url"] for s in post["accounts"]["states"]}, (hrefs, post)
    expect(posted_card.locator(".thumbs img").first).to_be_visible()
    refused_card = page.locator(f"#post-{refused_id}")
    refused_state = ok(api.get(f"/posts/{refused_id}"))["accounts"]["states"][0]
    assert refused_state["status"] == "failed", refused_state
    expect(refused_card.locator(".reason")).to_contain_text(refused_state["error_message"])
    expect(refused_card.get_by_role("button", name="Retry")).to_be_visible()
    page.screenshot(path=str(screenshot_path(tmp_path, "dashboard-calendar.png")), full_page=True)

    # another workspace's key sees none of it
    stranger = make_page(make_api())
    expect(stranger.locator(f"#post-{posted_id}")).to_have_count(0)
    expect(stranger.locator("#calendar")).not_to_contain_text("Coffee habits")
    stranger.goto("/app/slideshows")
    expect(stranger.locator("main")).not_to_contain_text("3 coffee habits")
    assert stranger.goto(f"/app/slideshows/{slideshow_id}").status == 404  # type: ignore[union-attr]
    stranger.goto("/app/library")
    expect(stranger.locator("main")).not_to_contain_text("Journey shots")
    stranger.goto("/app/accounts")
    expect(stranger.locator("main")).not_to_contain_text("journey_tok")
