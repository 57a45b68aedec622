"""Free slots under a posting policy (pure rules, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slideforge.posts.scheduling import Booking, Policy, blocking_reasons, next_free_slot

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def policy(**kw) -> Policy:  # type: ignore[no-untyped-def]
    base = {
        "min_gap": timedelta(minutes=30),
        "max_per_24h": 15,
        "max_drafts_per_24h": 5,
        "allowed_hours": None,
        "zone": ZoneInfo("UTC"),
    }
    base.update(kw)
    return Policy(**base)


def test_free_when_nothing_booked() -> None:
    assert blocking_reasons(policy(), [], T0) == []
    assert next_free_slot(policy(), [], T0) == T0


def test_min_gap_pushes_to_after_the_gap() -> None:
    bookings = [Booking(T0 - timedelta(minutes=10)), Booking(T0 + timedelta(minutes=5))]
    reasons = blocking_reasons(policy(), bookings, T0)
    assert "minimum gap" in reasons[0][0]
    assert next_free_slot(policy(), bookings, T0) == T0 + timedelta(minutes=35)


def test_rolling_cap_waits_for_the_oldest_to_leave_the_window() -> None:
    bookings = [Booking(T0 - timedelta(hours=23) + timedelta(minutes=i)) for i in range(3)]
    p = policy(min_gap=timedelta(0), max_per_24h=3)
    reasons = blocking_reasons(p, bookings, T0)
    assert reasons and "3 posts" in reasons[0][0]
    slot = next_free_slot(p, bookings, T0)
    assert slot is not None and slot > bookings[0].at + timedelta(hours=24)
    assert slot < bookings[0].at + timedelta(hours=24, seconds=1)


def test_cap_counts_future_bookings_too() -> None:
    # Three posts booked in the next 20 hours: a post now would make 4 in one window.
    bookings = [Booking(T0 + timedelta(hours=h)) for h in (1, 10, 20)]
    p = policy(min_gap=timedelta(0), max_per_24h=3)
    assert blocking_reasons(p, bookings, T0)
    assert not blocking_reasons(p, bookings, T0 + timedelta(hours=30))


def test_allowed_hours_in_the_account_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    p = policy(allowed_hours=(time(9), time(21)), zone=paris)
    late = datetime(2026, 3, 10, 21, 30, tzinfo=paris)
    reasons = blocking_reasons(p, [], late.astimezone(UTC))
    assert "allowed hours" in reasons[0][0] and "Europe/Paris" in reasons[0][0]
    slot = next_free_slot(p, [], late.astimezone(UTC))
    assert slot == datetime(2026, 3, 11, 9, 0, tzinfo=paris).astimezone(UTC)


def test_allowed_hours_wrapping_midnight() -> None:
    p = policy(allowed_hours=(time(22), time(2)))
    assert not blocking_reasons(p, [], datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    assert not blocking_reasons(p, [], datetime(2026, 3, 11, 1, 0, tzinfo=UTC))
    assert blocking_reasons(p, [], datetime(2026, 3, 11, 12, 0, tzinfo=UTC))


def test_drafts_cap_only_for_drafts() -> None:
    drafts = [Booking(T0 - timedelta(hours=h), is_draft=True) for h in range(1, 6)]
    p = policy(min_gap=timedelta(0))
    assert not blocking_reasons(p, drafts, T0, is_draft=False)
    reasons = blocking_reasons(p, drafts, T0, is_draft=True)
    assert reasons and "drafts" in reasons[0][0]


def test_several_constraints_converge() -> None:
    p = policy(allowed_hours=(time(9), time(10)), max_per_24h=2)
    bookings = [
        Booking(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)),
        Booking(datetime(2026, 3, 10, 9, 40, tzinfo=UTC)),
    ]
    slot = next_free_slot(p, bookings, datetime(2026, 3, 10, 9, 10, tzinfo=UTC))
    assert slot is not None
    assert not blocking_reasons(p, bookings, slot)
    assert slot.date() > datetime(2026, 3, 10).date()


def test_no_slot_within_horizon() -> None:
    p = policy(max_per_24h=1, min_gap=timedelta(days=40))
    assert next_free_slot(p, [Booking(T0)], T0, horizon=timedelta(days=30)) is None
