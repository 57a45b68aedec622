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


class Listing:
    """A list whose page n answers ``contents[n]``; cursors are page numbers."""

    def __init__(self, *contents: list[Any], more_after_last: bool = False) -> None:
        self.contents = contents
        self.more_after_last = more_after_last
        self.asked: list[Any] = []

    def __call__(self, cursor: Any) -> Page:
        self.asked.append(cursor)
        n = cursor or 0
        last = n == len(self.contents) - 1
        return Page(self.contents[n], not last or self.more_after_last, None if last else n + 1)


def test_it_stops_at_the_first_older_post_and_says_the_read_is_complete() -> None:
    read = Listing(
        [{"id": 1, "at": 9}, "junk", {"no": "id"}], [{"id": 2, "at": 5}, {"id": 3, "at": -1}]
    )
    found, complete = posts_since(read, seen, SINCE, 10)
    assert [s.post_id for s in found] == ["1", "2"] and complete
    assert read.asked == [None, 1]


def test_the_end_of_the_list_is_complete_and_a_page_cap_is_not() -> None:
    found, complete = posts_since(Listing([{"id": 1, "at": 3}]), seen, SINCE, 10)
    assert [s.post_id for s in found] == ["1"] and complete
    many = Listing(*[[{"id": n, "at": 100 - n}] for n in range(5)])
    found, complete = posts_since(many, seen, SINCE, 3)
    assert len(found) == 3 and not complete
    stuck = Listing([{"id": 1, "at": 3}], more_after_last=True)  # more, but no cursor to read it
    found, complete = posts_since(stuck, seen, SINCE, 10)
    assert len(found) == 1 and not complete
