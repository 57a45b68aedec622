"""The draft watch's schedule: one status check per interval (a minute for the first hour, 10
minutes for the first day, an hour until 7 days), each interval one round number (the
tracking workflow's id), nothing after the watch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slideforge.publishing.service import DRAFT_WATCH, draft_check_round

DELIVERED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(**elapsed: float) -> int | None:
    return draft_check_round(DELIVERED, DELIVERED + timedelta(**elapsed))


def n(**elapsed: float) -> int:
    found = at(**elapsed)
    assert found is not None
    return found


def test_one_round_per_interval() -> None:
    assert at(seconds=0) == at(seconds=59)
    assert at(seconds=60) == n(seconds=0) + 1
    assert at(minutes=59, seconds=59) == n(seconds=0) + 59
    # From the first hour on: every 10 minutes.
    assert at(hours=1) == at(hours=1, minutes=9)
    assert at(hours=1, minutes=10) == n(hours=1) + 1
    # From the first day on: hourly.
    assert at(days=1) == at(days=1, minutes=59)
    assert at(days=1, hours=1) == n(days=1) + 1
    rounds = [at(minutes=m) for m in range(0, int(DRAFT_WATCH.total_seconds() // 60), 7)]
    assert all(r is not None for r in rounds)
    # Later checks never reuse an earlier number, across the phases too.
    assert sorted(r for r in rounds if r is not None) == [r for r in rounds if r is not None]
    assert at(hours=1) != at(seconds=0) and at(days=1) != at(hours=1)


def test_nothing_before_the_delivery_or_after_the_watch() -> None:
    assert at(seconds=-1) is None
    assert at(days=7) is None and at(days=30) is None
    assert at(days=6, hours=23, minutes=59) is not None
