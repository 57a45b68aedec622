"""The calendar page over HTTP: which posts a range shows and where, its filters, its scoping to
the workspace, escaping, the failure reasons and platform links of the targets, and a fixed
number of queries whatever the number of posts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from markupsafe import escape

from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.dashboard.conftest import Dashboard
from tests.helpers import ApiClient, ok
from tests.posts.test_list_plans import captured, explain, filled  # noqa: F401 (a fixture)
from tests.posts.test_publish import slides, wait_post
from tests.sandboxes import InstagramEnv, TikTokEnv


class Cards(HTMLParser):
    """The post cards of a calendar page by id: their attributes and the cell around them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self._cell: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "data-drop" in found:
            self._cell = found
        if tag == "article" and "data-id" in found:
            self.cards[found["data-id"]] = {
                **found,
                "cell_day": self._cell.get("data-day", ""),
                "cell_hour": self._cell.get("data-hour", ""),
            }


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def post_at(
    api: ApiClient, web: Web, accounts: list[str], when: datetime | None, **extra: Any
) -> str:
    body: dict[str, Any] = {
        "caption": extra.pop("caption", f"calendar post {uuid.uuid4().hex[:6]}"),
        "media": {"type": "slideshow", "urls": slides(web, extra.pop("n", 1))},
        "accounts": [{"id": a} for a in accounts],
        **extra,
    }
    if when is not None:
        body["scheduled_at"] = iso(when)
    return str(ok(api.post("/posts", json=body), 201)["id"])


def monday_in(days: int) -> date:
    """The Monday of the week ``days`` from today (UTC): every time in it is ahead."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return day - timedelta(days=day.weekday())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def page(dashboard: Dashboard, **params: str) -> str:
    answer = dashboard.get("/app/calendar", params=params)
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def test_a_week_shows_its_posts_in_their_hour_and_not_the_next_weeks(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    monday = monday_in(14)
    sunday = monday + timedelta(days=6)
    first = post_at(api, web, [account], at(monday, 0, 30))
    last = post_at(api, web, [account], at(sunday, 23, 30))
    before = post_at(api, web, [account], at(monday - timedelta(days=1), 23, 30))
    after = post_at(api, web, [account], at(sunday + timedelta(days=1), 0, 30))

    html = page(dashboard, view="week", date=(monday + timedelta(days=3)).isoformat())
    cards = Cards(html).cards
    assert set(cards) == {first, last}
    assert cards[first]["cell_day"] == monday.isoformat() and cards[first]["cell_hour"] == "0"
    assert cards[first]["data-time"] == "00:30" and cards[first]["draggable"] == "true"
    assert cards[last]["cell_day"] == sunday.isoformat() and cards[last]["cell_hour"] == "23"
    assert "2 posts this week" in html and "times in UTC" in html
    # the previous and next weeks hold the others
    previous = Cards(page(dashboard, view="week", date=(monday - timedelta(days=1)).isoformat()))
    assert before in previous.cards and first not in previous.cards
    following = Cards(page(dashboard, view="week", date=(sunday + timedelta(days=1)).isoformat()))
    assert set(following.cards) == {after}
    # and the page links to them, keeping the view
    assert f"date={(monday - timedelta(days=4)).isoformat()}" in html  # previous: anchor - 7
    assert "view=week" in html


def test_a_month_shows_its_whole_weeks_and_nothing_beyond(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    anchor = (datetime.now(UTC) + timedelta(days=45)).date()
    first = anchor.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    on_first = post_at(api, web, [account], at(first, 0, 5))
    on_last = post_at(api, web, [account], at(last, 23, 55))
    grid_first = post_at(api, web, [account], at(grid_start, 9))
    before = post_at(api, web, [account], at(grid_start - timedelta(days=1), 23, 30))
    after = post_at(api, web, [account], at(grid_end + timedelta(days=1), 0, 30))

    html = page(dashboard, view="month", date=anchor.isoformat())
    cards = Cards(html).cards
    assert set(cards) == {on_first, on_last, grid_first}
    assert before not in cards and after not in cards
    assert cards[on_first]["cell_day"] == first.isoformat()
    assert cards[on_last]["cell_day"] == last.isoformat()
    # a day of the previous month in the first week is shown, marked as outside the month
    assert cards[grid_first]["cell_day"] == grid_start.isoformat()
    if grid_start != first:
        assert re.search(
            rf'class="day[^"]*outside[^"]*"[^>]*data-day="{grid_start.isoformat()}"', html
        )
    months = "January February March April May June July August September October November December"
    assert f"{months.split()[anchor.month - 1]} {anchor.year}" in html


def test_filters_by_platform_account_tag_and_status(
    api: ApiClient,
    dashboard: Dashboard,
    tiktok: TikTokEnv,
    instagram: InstagramEnv,
    web: Web,
) -> None:
    tagged = tiktok.connect(api, tags=["fashion"])
    plain = tiktok.connect(api)
    gram = instagram.connect(api)
    monday = monday_in(21)
    on_tagged = post_at(api, web, [tagged], at(monday, 10))
    on_plain = post_at(api, web, [plain], at(monday, 11))
    on_gram = post_at(api, web, [gram], at(monday, 12), n=2)
    day = monday.isoformat()

    def shown(**filters: str) -> set[str]:
        return set(Cards(page(dashboard, view="week", date=day, **filters)).cards)

    assert shown() == {on_tagged, on_plain, on_gram}
    assert shown(platform="instagram") == {on_gram}
    assert shown(platform="tiktok") == {on_tagged, on_plain}
    assert shown(account=plain) == {on_plain}
    assert shown(tag="fashion") == {on_tagged}
    assert shown(tag="fashion", platform="instagram") == set()
    assert shown(status="scheduled") == {on_tagged, on_plain, on_gram}
    assert shown(status="posted") == set()
    html = page(dashboard, view="week", date=day, status="posted")
    assert "No post matches these filters" in html and "Clear filters" in html
    # the form keeps what was chosen
    html = page(dashboard, view="week", date=day, account=plain)
    assert f'<option value="{plain}" selected>' in html
    assert '<option value="fashion">fashion</option>' in html


def test_another_workspace_sees_none_of_them(
    api: ApiClient,
    make_api: Callable[..., ApiClient],
    make_dashboard: Callable[[ApiClient], Dashboard],
    tiktok: TikTokEnv,
    web: Web,
) -> None:
    account = tiktok.connect(api, tags=["secret-tag"])
    monday = monday_in(28)
    post_id = post_at(api, web, [account], at(monday, 9), caption="only for workspace one")
    mine = make_dashboard(api)
    assert post_id in Cards(page(mine, view="week", date=monday.isoformat())).cards

    other = make_dashboard(make_api())
    for params in (
        {"view": "week", "date": monday.isoformat()},
        {"view": "month", "date": monday.isoformat()},
        {"view": "week", "date": monday.isoformat(), "account": account},
        {"view": "week", "date": monday.isoformat(), "tag": "secret-tag"},
    ):
        html = page(other, **params)
        assert Cards(html).cards == {}
        assert "only for workspace one" not in html and post_id not in html
    # nor its accounts or tags in the filters
    html = page(other, view="week", date=monday.isoformat())
    assert account not in html and "secret-tag" not in html


def test_a_hostile_caption_is_shown_as_text(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    monday = monday_in(35)
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    post_at(api, web, [account], at(monday, 9), caption=hostile)
    for view in ("week", "month"):
        html = page(dashboard, view=view, date=monday.isoformat())
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "onerror=&#34;alert(2)&#34;" in html or "onerror=&quot;alert(2)&quot;" in html


def test_failure_reason_retry_and_the_posted_link(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web
) -> None:
    failing = tiktok.connect(api)
    fine = tiktok.connect(api)
    tiktok.sandbox.add_failure(
        kind="fail_publish", fail_reason="spam_risk_text", open_id=tiktok.open_id(failing)
    )
    failed = post_at(api, web, [failing], None, caption="this one fails")
    posted = post_at(api, web, [fine], None, caption="this one is posted")
    failed_state = wait_post(api, failed)["accounts"]["states"][0]
    posted_post = wait_post(api, posted)
    assert failed_state["status"] == "failed", failed_state
    assert posted_post["status"] == "posted", posted_post
    link = posted_post["accounts"]["states"][0]["published_url"]

    html = page(dashboard)  # this week, the default view
    cards = Cards(html).cards
    assert {failed, posted} <= set(cards)
    assert "draggable" not in cards[failed] and "draggable" not in cards[posted]
    failed_card = re.search(rf'<article[^>]*data-id="{failed}".*?</article>', html, re.S)
    posted_card = re.search(rf'<article[^>]*data-id="{posted}".*?</article>', html, re.S)
    assert failed_card and posted_card
    text = failed_card.group(0)
    # the platform's reason: its code and message (TikTok's message names the code)
    message = failed_state["error_message"]
    assert "spam_risk_text" in message
    assert f'<span class="reason">{escape(message)}</span>' in text
    assert 'data-action="retry"' in text and 'data-action="delete"' in text
    assert 'data-action="move"' not in text
    text = posted_card.group(0)
    assert f'href="{link}"' in text and 'rel="noopener noreferrer"' in text
    assert 'class="badge posted"' in text
    # a posted post can be neither retried, moved nor deleted
    assert "data-action" not in text
    # its thumbnail is our own stored media
    assert re.search(r'<img src="http://127\.0\.0\.1:\d+/media/posts/', text)


def test_a_time_zone_moves_posts_to_their_local_day(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    monday = monday_in(42)
    post_id = post_at(api, web, [account], at(monday, 23, 30))
    utc = Cards(page(dashboard, view="week", date=monday.isoformat())).cards[post_id]
    assert (utc["data-day"], utc["data-time"]) == (monday.isoformat(), "23:30")
    html = page(dashboard, view="week", date=monday.isoformat(), tz="Asia/Tokyo")
    tokyo = Cards(html).cards[post_id]
    tuesday = (monday + timedelta(days=1)).isoformat()
    assert (tokyo["data-day"], tokyo["data-time"], tokyo["cell_hour"]) == (tuesday, "08:30", "8")
    assert tokyo["data-at"] == iso(at(monday, 23, 30))
    assert "times in Asia/Tokyo" in html and 'data-tz="Asia/Tokyo"' in html
    assert "tz=Asia%2FTokyo" in html  # the page's links keep the zone


def test_bad_parameters_answer_a_page_that_says_what_to_change(dashboard: Dashboard) -> None:
    for params, words in (
        ({"view": "year"}, "view: must be week or month"),
        ({"date": "2026-13-40"}, "date: must be a day written YYYY-MM-DD"),
        ({"date": "0001-01-01", "view": "month"}, "date: must be a day between"),
        ({"date": "9999-12-31"}, "date: must be a day between"),
        ({"tz": "Mars/Olympus"}, "is not an IANA time zone"),
        ({"status": "nope"}, "status: must be one of"),
        ({"platform": "myspace"}, "platform: must be one of"),
        ({"account": "not-an-id"}, "account: must be an account id"),
    ):
        answer = dashboard.get("/app/calendar", params=params)
        assert answer.status_code == 400, (params, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html")
        assert words in answer.text, (params, answer.text[:800])


def test_an_empty_calendar_says_how_to_make_a_post(dashboard: Dashboard) -> None:
    html = page(dashboard, view="month")
    assert Cards(html).cards == {}
    assert "No posts this month" in html and "POST /api/partner/v1/posts" in html
    assert 'href="/app/slideshows"' in html


@contextmanager
def statements(runtime: Runtime, values: set[Any]) -> Iterator[list[str]]:
    """The statements sent with one of ``values`` (ids, as any form a driver gets) bound."""
    seen: list[str] = []
    forms = {v for each in values for v in (each, each.hex, str(each))}

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        bound = parameters.values() if isinstance(parameters, dict) else parameters or ()
        if any(v in forms for v in bound if isinstance(v, str | uuid.UUID)):
            seen.append(statement)

    sa.event.listen(runtime.db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", before)


def test_the_page_reads_a_fixed_number_of_queries(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web, runtime: Runtime
) -> None:
    accounts = [tiktok.connect(api) for _ in range(3)]
    monday = monday_in(49)
    posts = {uuid.UUID(post_at(api, web, accounts[:1], at(monday, 9)))}

    def reads() -> list[str]:
        with statements(runtime, {api.workspace_id, *posts}) as seen:
            html = page(dashboard, view="month", date=monday.isoformat())
        assert {str(p) for p in posts} <= set(Cards(html).cards)
        return [s for s in seen if re.search(r"\b(post|post_target|account)\b", s)]

    one = reads()
    for n in range(5):
        created = post_at(api, web, accounts[: n % 3 + 1], at(monday + timedelta(days=n), 11), n=2)
        posts.add(uuid.UUID(created))
    six = reads()
    assert len(six) == len(one), six
    # the accounts, the posts of the range, their targets, the media of posts not seen
    # yet (thumbnails): nothing per post
    assert len(one) <= 4, one


def test_the_failure_reason_names_the_code_once() -> None:
    from types import SimpleNamespace

    from slideforge.dashboard.calendar import failure_reason

    def target(code: str | None, message: str | None) -> Any:
        return SimpleNamespace(error_code=code, error_message=message)

    assert failure_reason(target("rate_limited", "Too many posts today")) == (
        "rate_limited: Too many posts today"
    )
    assert failure_reason(target("spam", "flagged as spam (spam)")) == "flagged as spam (spam)"
    assert failure_reason(target(None, "lost")) == "lost"
    assert failure_reason(target("x", None)) == "x"


def test_a_span_is_whole_weeks_in_the_zone_across_a_dst_change() -> None:
    from zoneinfo import ZoneInfo

    from slideforge.dashboard.calendar import span_of

    paris = ZoneInfo("Europe/Paris")
    week = span_of("week", date(2026, 3, 25), paris)  # clocks go forward on Sunday the 29th
    assert week.days[0] == date(2026, 3, 23) and week.days[-1] == date(2026, 3, 29)
    assert week.start == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert week.end == datetime(2026, 3, 29, 22, tzinfo=UTC)  # midnight after, summer time
    month = span_of("month", date(2026, 2, 14), ZoneInfo("UTC"))  # starts on a Sunday
    assert month.days[0] == date(2026, 1, 26) and month.days[-1] == date(2026, 3, 1)
    assert (month.previous, month.next) == (date(2026, 1, 1), date(2026, 3, 1))
    assert month.title == "February 2026"


def test_the_thumbnail_is_the_smallest_stored_image(runtime: Runtime) -> None:
    from slideforge.dashboard.calendar import ThumbPicker

    def item(n: int, width: int, height: int) -> dict[str, Any]:
        return {
            "index": n,
            "source_url": f"https://cdn.example/{n}.jpg",
            "file_id": "",
            "key": f"posts/p/source/slide-{n:02d}.jpg",
            "content_type": "image/jpeg",
            "width": width,
            "height": height,
            "size": 1,
            "duration": None,
        }

    big = [item(0, 3024, 5376), item(1, 3024, 5376)]
    tiktok = [f"https://m.example/posts/p/tiktok/slide-{n:02d}.jpg" for n in range(2)]
    picker = ThumbPicker(runtime)
    thumbs, count, video = picker.pick(big, {"tiktok": tiktok}, 3)
    assert thumbs == tiktok and count == 2 and not video  # 1080 px wide beats 3024
    small = [item(0, 540, 960)]
    thumbs, _, _ = picker.pick(small, {"tiktok": tiktok[:1]}, 3)
    assert thumbs == [runtime.storage.url(small[0]["key"])]  # the copy is already smaller
    cover = {**item(1, 1080, 1920), "content_type": "image/jpeg"}
    clip = {**item(0, 1080, 1920), "content_type": "video/mp4", "key": "posts/p/source/video.mp4"}
    thumbs, _, video = picker.pick([clip, cover], {"tiktok": ["a", "b"]}, 3)
    assert video and thumbs == [runtime.storage.url(cover["key"])]


def test_an_edited_posts_thumbnails_follow_its_new_media(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, web: Web
) -> None:
    account = tiktok.connect(api)
    monday = monday_in(56)
    post_id = post_at(api, web, [account], at(monday, 9), n=1)

    def thumbs() -> list[str]:
        html = page(dashboard, view="week", date=monday.isoformat())
        card = re.search(rf'<article[^>]*data-id="{post_id}".*?</article>', html, re.S)
        assert card
        return re.findall(r'<img src="([^"]+)"', card.group(0))

    assert len(thumbs()) == 1
    ok(
        api.patch(
            f"/posts/{post_id}", json={"media": {"type": "slideshow", "urls": slides(web, 4)}}
        )
    )
    shown = thumbs()
    assert len(shown) == 3 and all("/media/posts/" in url for url in shown)
    html = page(dashboard, view="week", date=monday.isoformat())
    assert '<span class="more">+1</span>' in html


def test_the_calendars_queries_read_indexes(
    runtime: Runtime,
    make_api: Callable[..., ApiClient],
    make_dashboard: Callable[[ApiClient], Dashboard],
    filled: tuple[uuid.UUID, uuid.UUID],  # noqa: F811 (the fixture imported above)
) -> None:
    """With another workspace holding most rows (``tests/posts/test_list_plans.py``'s fill:
    posts published at once, so the calendar finds them by their targets' time), each query
    the month sends is explained on the database under test: none scans a table."""
    from slideforge.models import Workspace

    ours = filled[0]
    with runtime.db.session() as session:
        name = session.get(Workspace, ours).name  # type: ignore[union-attr]
    dashboard = make_dashboard(make_api(name))
    day = (datetime.now(UTC) - timedelta(days=59)).date().isoformat()
    with captured(runtime, ours) as queries:
        html = page(dashboard, view="month", date=day)
    assert len(Cards(html).cards) > 1_000
    read = [q for q in queries if re.search(r"\bFROM (post|post_target|account)\b", q[0])]
    assert len(read) >= 2, queries
    for statement, parameters in read:
        assert explain(runtime, statement, parameters) == [], statement
