"""Time, behind a clock that tests can control. Every time rule reads ``clock.now()``."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, sandboxes)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds, **delta)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


def as_utc(value: datetime) -> datetime:
    """Naive datetimes (as SQLite returns them) are UTC; aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with a ``Z`` suffix and millisecond precision, as the contract's examples."""
    if value is None:
        return None
    value = as_utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class TimestampRangeError(ValueError):
    """A well-formed timestamp whose UTC time falls outside the years 1–9999."""


def parse_timestamp(raw: str) -> datetime:
    """Parse an ISO 8601 timestamp with a zone; tolerate a space where ``+`` was meant
    (query strings that were not URL-encoded) and a bare ``Z``. Raises ValueError
    (``TimestampRangeError`` when the time in UTC is outside the years 1–9999)."""
    text = raw.strip()
    if not text:
        raise ValueError("empty timestamp")
    # "2026-01-01T00:00:00 02:00": the + of the offset became a space.
    if len(text) > 19 and text[-6] == " " and text[-3] == ":":
        text = text[:-6] + "+" + text[-5:]
    elif len(text) > 19 and text[-5] == " " and text[-4:].isdigit():
        text = text[:-5] + "+" + text[-4:]
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("timestamp needs a time zone (Z or ±HH:MM)")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:00:00-05:00 is in the year 10000
        raise TimestampRangeError("the time in UTC is outside the years 1–9999") from exc
