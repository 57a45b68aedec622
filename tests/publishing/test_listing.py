"""``base.posts_since``: how the adapters read an account's list of posts for
reconciliation (TikTok's video list, Instagram's media list, Pinterest's board pins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from slideforge.publishing.platforms.base import Page, Seen, posts_since

SINCE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def seen(item: dict[str, Any]) -> Seen | None:
    if "id" not in item:
        return None
    return Seen(str(item["id"]), None, SINCE + timedelta(minutes=item["at"]), matches=False)


def pages(*contents: list[Any], more_after_last: bool = False) -> Any:
    """A list whose page n answers ``contents[n]``; cursors are page numbers."""
    asked: list[Any] = []

    def read_page(cursor: Any) -> Page:
        asked.append(cursor)
        n = cursor or 0
        last = n == len(contents) - 1
        return Page(contents[n], not last or more_after_last, None if last else n + 1)

    read_page.asked = asked  # type: ignore[attr-defined]
    return read_page


def test_it_stops_at_the_first_older_post_and_says_the_read_is_complete() -> None:
    read = pages(
        [{"id": 1, "at": 9}, "junk", {"no": "id"}], [{"id": 2, "at": 5}, {"id": 3, "at": -1}]
    )
    found, complete = posts_since(read, seen, SINCE, 10)
    assert [s.post_id for s in found] == ["1", "2"] and complete
    assert read.asked == [None, 1]


def test_the_end_of_the_list_is_complete_and_a_page_cap_is_not() -> None:
    found, complete = posts_since(pages([{"id": 1, "at": 3}]), seen, SINCE, 10)
    assert [s.post_id for s in found] == ["1"] and complete
    many = pages(*[[{"id": n, "at": 100 - n}] for n in range(5)])
    found, complete = posts_since(many, seen, SINCE, 3)
    assert len(found) == 3 and not complete
    stuck = pages([{"id": 1, "at": 3}], more_after_last=True)  # more, but no cursor to read it
    found, complete = posts_since(stuck, seen, SINCE, 10)
    assert len(found) == 1 and not complete
