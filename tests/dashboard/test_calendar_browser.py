"""The calendar in Chromium: dragging a scheduled post to another day or hour (and the Move…
dialog for the keyboard) reschedules it through the API; a refused move shows the API's
message and the card goes back; Retry and Delete; days stack on a 375 px screen.

The moving tests freeze the server's clock on a Wednesday morning, so the days before it are
in the past and the days after it ahead, whatever day the tests run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from slideforge.kit.clock import ManualClock
from tests.conftest import Web
from tests.dashboard.test_calendar import at, monday_in, post_at
from tests.helpers import ApiClient, err, ok
from tests.posts.test_publish import wait_post
from tests.sandboxes import TikTokEnv


def wednesday_morning(clock: ManualClock) -> date:
    """The server's clock, frozen at 10:00 UTC on a Wednesday a few weeks ahead."""
    monday = monday_in(21)
    clock.set(at(monday + timedelta(days=2), 10))
    return monday + timedelta(days=2)


def scheduled_at(api: ApiClient, post_id: str) -> str:
    return str(ok(api.get(f"/posts/{post_id}"))["scheduled_at"])


def test_drag_a_scheduled_post_to_another_day_of_the_month(
    api: ApiClient,
    make_page: Callable[..., Any],
    tiktok: TikTokEnv,
    web: Web,
    clock: ManualClock,
) -> None:
    wednesday = wednesday_morning(clock)
    thursday, friday = wednesday + timedelta(days=1), wednesday + timedelta(days=2)
    post_id = post_at(api, web, [tiktok.connect(api)], at(thursday, 12, 15))
    page = make_page(api)
    page.goto(f"/app/calendar?view=week&date={wednesday}")
    # the month view through its link: the page's script drives it
    page.get_by_role("link", name="Month", exact=True).click()
    expect(page).to_have_url(f"/app/calendar?view=month&date={wednesday}")
    card = page.locator(f"#post-{post_id}")
    expect(page.locator(f'.day[data-day="{thursday}"]').locator(card)).to_be_visible()

    target = page.locator(f'.day[data-day="{friday}"]')
    card.drag_to(target)
    expect(
        page.locator("#toasts .toast").filter(has_text=f"Moved to {friday} 12:15")
    ).to_be_visible()
    expect(target.locator(card)).to_be_visible()
    assert scheduled_at(api, post_id) == f"{friday}T12:15:00.000Z"


def test_a_refused_drag_shows_the_apis_message_and_the_card_goes_back(
    api: ApiClient,
    make_page: Callable[..., Any],
    tiktok: TikTokEnv,
    web: Web,
    clock: ManualClock,
) -> None:
    wednesday = wednesday_morning(clock)
    thursday, tuesday = wednesday + timedelta(days=1), wednesday - timedelta(days=1)
    post_id = post_at(api, web, [tiktok.connect(api)], at(thursday, 12, 15))
    page = make_page(api)
    page.goto(f"/app/calendar?view=month&date={wednesday}")
    card = page.locator(f"#post-{post_id}")

    card.drag_to(page.locator(f'.day[data-day="{tuesday}"]'))  # in the past
    refusal = err(
        api.patch(f"/posts/{post_id}", json={"scheduled_at": f"{tuesday}T12:15:00Z"}), 422
    )
    expect(page.locator("#toasts [role=alert]").filter(has_text=refusal["message"])).to_be_visible()
    expect(page.locator(f'.day[data-day="{thursday}"]').locator(card)).to_be_visible()
    expect(card.locator("time")).to_have_text("12:15")
    assert scheduled_at(api, post_id) == f"{thursday}T12:15:00.000Z"


def test_move_to_another_hour_by_dragging_and_with_the_keyboard(
    api: ApiClient,
    make_page: Callable[..., Any],
    tiktok: TikTokEnv,
    web: Web,
    clock: ManualClock,
) -> None:
    wednesday = wednesday_morning(clock)
    thursday, saturday = wednesday + timedelta(days=1), wednesday + timedelta(days=3)
    post_id = post_at(api, web, [tiktok.connect(api)], at(thursday, 12, 15))
    page = make_page(api)
    # From a page without the calendar's script (an error page), back through its link.
    page.goto("/app/calendar?view=year")
    page.get_by_role("link", name="Back to the calendar").click()
    expect(page).to_have_url("/app/calendar")
    page.wait_for_function("window.sfCalendar !== undefined")
    card = page.locator(f"#post-{post_id}")

    four = page.locator(f'.slot[data-day="{thursday}"][data-hour="16"]')
    card.drag_to(four)
    expect(four.locator(card)).to_be_visible()
    expect(card.locator("time")).to_have_text("16:15")
    expect(page.locator("#toasts .toast").filter(has_text="Moved to")).to_have_count(1)
    assert scheduled_at(api, post_id) == f"{thursday}T16:15:00.000Z"

    card.get_by_role("button", name="Move…").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Move the post")).to_be_visible()
    page.get_by_label("New time (UTC)").fill(f"{saturday}T09:45")
    page.keyboard.press("Enter")
    expect(
        page.locator(f'.slot[data-day="{saturday}"][data-hour="9"]').locator(card)
    ).to_be_visible()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(card.get_by_role("button", name="Move…")).to_be_focused()
    # the card moves at once; the API has answered when the toast says so
    expect(
        page.locator("#toasts .toast").filter(has_text=f"Moved to {saturday} 09:45")
    ).to_be_visible()
    assert scheduled_at(api, post_id) == f"{saturday}T09:45:00.000Z"


def test_retry_and_delete_buttons(
    api: ApiClient, make_page: Callable[..., Any], tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(account), count=2
    )
    retried = post_at(api, web, [account], None, caption="retry me")
    deleted = post_at(api, web, [account], None, caption="delete me")
    for post_id in (retried, deleted):
        assert wait_post(api, post_id)["status"] == "failed"
    page = make_page(api)
    page.goto(f"/app/calendar?view=week&date={datetime.now(UTC).date()}")

    page.locator(f"#post-{retried}").get_by_role("button", name="Retry").click()
    assert wait_post(api, retried, statuses=("posted",))["status"] == "posted"
    page.reload()
    expect(page.locator(f"#post-{retried} .meta .badge")).not_to_have_text("failed")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#post-{deleted}").get_by_role("button", name="Delete").click()
    expect(page.locator("#toasts .toast").filter(has_text="Post deleted")).to_be_visible()
    expect(page.locator(f"#post-{deleted}")).to_have_count(0)
    err(api.get(f"/posts/{deleted}"), 404, "not_found")


def test_days_stack_on_a_375px_screen(
    api: ApiClient, make_page: Callable[..., Any], tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    monday = monday_in(28)
    tuesday = monday + timedelta(days=1)
    first = post_at(api, web, [account], at(monday, 9), caption="a long caption " * 12)
    second = post_at(api, web, [account], at(tuesday, 18))
    page = make_page(api, width=375, height=800)
    for view in ("week", "month"):
        page.goto(f"/app/calendar?view={view}&date={monday}")
        one = page.locator(f'.day[data-day="{monday}"]').bounding_box()
        two = page.locator(f'.day[data-day="{tuesday}"]').bounding_box()
        assert one and two
        assert abs(one["x"] - two["x"]) < 1 and two["y"] >= one["y"] + one["height"], (one, two)
        assert one["width"] > 300
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        for post_id in (first, second):
            expect(
                page.locator(f"#post-{post_id}").get_by_role("button", name="Move…")
            ).to_be_visible()
