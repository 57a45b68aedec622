"""When may an account post? Pure functions over an account's posting policy and its
bookings (posts already scheduled, publishing or published on it).

A slot is free when:
- it is inside the account's allowed hours (in its time zone), if it has any;
- no booking is closer than the minimum gap;
- every rolling 24 h window containing it keeps at most ``max_posts_per_24h`` posts;
- for TikTok drafts (MEDIA_UPLOAD), every rolling 24 h window keeps at most
  ``max_drafts_per_24h`` drafts (TikTok's pending-share cap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAY = timedelta(hours=24)
EPSILON = timedelta(microseconds=1)


@dataclass(frozen=True)
class Policy:
    min_gap: timedelta
    max_per_24h: int
    max_drafts_per_24h: int | None
    allowed_hours: tuple[time, time] | None
    zone: ZoneInfo

    @classmethod
    def from_dict(cls, policy: dict[str, Any]) -> Policy:
        hours = policy.get("allowed_hours")
        window = None
        if hours:
            start = time.fromisoformat(hours["start"])
            end = time.fromisoformat(hours["end"])
            window = None if start == end else (start, end)
        drafts = policy.get("max_drafts_per_24h")
        return cls(
            min_gap=timedelta(minutes=int(policy.get("min_gap_minutes") or 0)),
            max_per_24h=int(policy.get("max_posts_per_24h") or 1_000_000),
            max_drafts_per_24h=int(drafts) if drafts is not None else None,
            allowed_hours=window,
            zone=ZoneInfo(policy.get("timezone") or "UTC"),
        )

    def describe_hours(self) -> str:
        if self.allowed_hours is None:
            return "any time"
        start, end = self.allowed_hours
        return f"{start:%H:%M}–{end:%H:%M} {self.zone.key}"


@dataclass(frozen=True)
class Booking:
    at: datetime
    is_draft: bool = False


def _in_hours(policy: Policy, at: datetime) -> bool:
    if policy.allowed_hours is None:
        return True
    start, end = policy.allowed_hours
    local = at.astimezone(policy.zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window wraps midnight


def _next_window_start(policy: Policy, at: datetime) -> datetime:
    assert policy.allowed_hours is not None
    start = policy.allowed_hours[0]
    local = at.astimezone(policy.zone)
    candidate = datetime.combine(local.date(), start, tzinfo=policy.zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=policy.zone)
    return candidate.astimezone(UTC)


def _window_overflow(times: Sequence[datetime], at: datetime, cap: int) -> datetime | None:
    """If adding a post at ``at`` makes some rolling 24 h window exceed ``cap``, the earliest
    time after which that is no longer so; else None."""
    nearby = sorted(t for t in times if at - DAY < t < at + DAY)
    if len(nearby) < cap:
        return None
    # Windows (w, w + 24h] containing `at`: w in [at - 24h, at). The count only grows when
    # a booking enters at its right edge, so these starts are the ones to check.
    starts = [at - DAY] + [t - DAY for t in nearby if t > at]
    worst: datetime | None = None
    for w in starts:
        count = sum(1 for t in nearby if w < t <= w + DAY)
        if count + 1 > cap:
            # It clears once the window's oldest booking is more than 24 h behind.
            inside = [t for t in nearby if w < t <= w + DAY]
            free_at = min(inside) + DAY + EPSILON
            worst = free_at if worst is None or free_at > worst else worst
    return worst


def blocking_reasons(
    policy: Policy, bookings: Sequence[Booking], at: datetime, *, is_draft: bool = False
) -> list[tuple[str, datetime]]:
    """Why ``at`` is not free, each with the earliest time that reason could be gone."""
    reasons: list[tuple[str, datetime]] = []
    if not _in_hours(policy, at):
        reasons.append(
            (
                f"outside its allowed hours ({policy.describe_hours()})",
                _next_window_start(policy, at),
            )
        )
    if policy.min_gap > timedelta(0):
        close = [b.at for b in bookings if abs(b.at - at) < policy.min_gap]
        if close:
            nearest = min(close, key=lambda t: abs(t - at))
            minutes = int(policy.min_gap.total_seconds() // 60)
            reasons.append(
                (
                    f"a post is booked at {nearest:%Y-%m-%d %H:%M} UTC, within its "
                    f"{minutes}-minute minimum gap",
                    max(close) + policy.min_gap,
                )
            )
    overflow = _window_overflow([b.at for b in bookings], at, policy.max_per_24h)
    if overflow is not None:
        reasons.append(
            (f"it already has {policy.max_per_24h} posts in a rolling 24 h around then", overflow)
        )
    if is_draft and policy.max_drafts_per_24h is not None:
        drafts = [b.at for b in bookings if b.is_draft]
        overflow = _window_overflow(drafts, at, policy.max_drafts_per_24h)
        if overflow is not None:
            reasons.append(
                (
                    f"it already has {policy.max_drafts_per_24h} drafts (MEDIA_UPLOAD) in a "
                    "rolling 24 h around then (TikTok's pending-share cap)",
                    overflow,
                )
            )
    return reasons


def next_free_slot(
    policy: Policy,
    bookings: Sequence[Booking],
    earliest: datetime,
    *,
    is_draft: bool = False,
    horizon: timedelta = timedelta(days=30),
) -> datetime | None:
    """The first free slot at or after ``earliest`` (None if none within the horizon)."""
    at = earliest
    limit = earliest + horizon
    for _ in range(10_000):
        reasons = blocking_reasons(policy, bookings, at, is_draft=is_draft)
        if not reasons:
            return at
        at = max(until for _, until in reasons)
        if at > limit:
            return None
    return None
