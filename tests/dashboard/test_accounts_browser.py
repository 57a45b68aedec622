"""The Accounts page in Chromium: connect a TikTok account through the sandbox's authorize
page and come back to the page with it listed, then edit its tags; the page at 375 px."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.helpers import ApiClient, ok
from tests.sandboxes import TikTokEnv


def test_connect_from_the_page_then_edit_the_tags(
    api: ApiClient, make_page: Callable[..., Any], tiktok: TikTokEnv
) -> None:
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username="from_the_page", display_name="From Page")
    page = make_page(api)
    # Reached through the navigation (htmx swaps the body): the page's script comes too.
    page.goto("/app/analytics")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    expect(page.get_by_text("No account yet")).to_be_visible()
    page.get_by_label("Tags for the new account").fill("launch")
    # The sandbox's authorize page approves as its default user (as `serve --sandbox` does).
    previous = tiktok.sandbox.app.default_user
    tiktok.sandbox.update_app(default_user=open_id)
    try:
        page.get_by_role("button", name="Connect TikTok").click()
        page.wait_for_url("**/app/accounts?connect=**")
    finally:
        tiktok.sandbox.update_app(default_user=previous)
    expect(page.get_by_text("Account connected: tiktok @from_the_page")).to_be_visible()
    card = page.locator("li.account", has_text="@from_the_page")
    expect(card.locator(".badge.status")).to_have_text("connected")
    expect(card.locator(".tags")).to_have_text("launch")
    (account,) = ok(api.get("/accounts"))["accounts"]
    assert account["username"] == "from_the_page" and account["tags"] == ["launch"]

    card.get_by_text("Edit tags and posting policy").click()
    card.get_by_label("Tags").fill("launch, spring ,  launch")
    card.get_by_label("Posts per 24 h").fill("3")
    card.get_by_role("button", name="Save").click()
    card = page.locator("li.account", has_text="@from_the_page")
    expect(card.locator(".tags .tag")).to_have_text(["launch", "spring"])
    expect(card).to_contain_text("Up to 3 posts per 24 h")
    saved = ok(api.get(f"/accounts/{account['id']}"))
    assert saved["tags"] == ["launch", "spring"] and saved["policy"]["max_posts_per_24h"] == 3

    # A refusal shows the API's own message next to the form.
    card.get_by_text("Edit tags and posting policy").click()
    card.get_by_label("Time zone").fill("Mars/Olympus")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("alert")).to_contain_text("IANA time zone")


def test_the_page_fits_a_phone(
    api: ApiClient, make_page: Callable[..., Any], tiktok: TikTokEnv
) -> None:
    tiktok.connect(api, "a_rather_long_username_for_a_phone", tags=["one", "two"])
    page = make_page(api, width=375, height=800)
    page.goto("/app/accounts")
    expect(page.get_by_role("heading", name="A_Rather_Long_Username_For_A_Phone")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Keyboard: the first control after the navigation is the connect form's field.
    page.get_by_label("Tags for the new account").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Connect TikTok")).to_be_focused()
