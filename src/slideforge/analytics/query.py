"""The analytics calls' shared query: a period (``range`` or ``start``+``end``), platforms and
tracked accounts, as the contract's client sends them (raw comma lists, its own aliases).

Every refusal is ``422 invalid_query`` naming the parameter and what it accepts."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from slideforge.kit.errors import ApiError
from slideforge.kit.ids import parse_id, split_list

RANGES: dict[str, timedelta | None] = {
    "14d": timedelta(days=14),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
    "all": None,
}


def invalid_query(parameter: str, rule: str) -> ApiError:
    return ApiError(
        "invalid_query",
        f"{parameter}: {rule}",
        422,
        data={"errors": [{"field": parameter, "message": rule}]},
    )


@dataclass(frozen=True)
class Period:
    """``[start, end)`` and the period of the same length before it (for deltas)."""

    start: datetime
    end: datetime
    preset: str | None  # the range name, or None for start/end

    @property
    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start, None)

    def days(self) -> list[date]:
        first, last = self.start.date(), (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Filters:
    period: Period
    platforms: tuple[str, ...]  # empty: all
    target_ids: tuple[uuid.UUID, ...]  # empty: all


DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Periods the answers can be computed for (a period's previous one is as long again).
FIRST_DAY, LAST_DAY = date(2010, 1, 1), date(2100, 12, 31)
MAX_DAYS = 3660


def _date(parameter: str, raw: str) -> date:
    try:
        if not DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid_query(parameter, f"{raw!r} is not a date: use YYYY-MM-DD") from None


def period(
    now: datetime,
    range_: str | None,
    start: str | None,
    end: str | None,
    *,
    default: str = "30d",
    first_seen: datetime | None = None,
) -> Period:
    """``start``/``end`` (both, inclusive days, UTC) win over ``range``; without either the
    ``default`` range. ``all`` starts at the first post seen (``first_seen``)."""
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise invalid_query(missing, "start and end go together: give both, or use range")
    if start is not None and end is not None:
        first, last = _date("start", start), _date("end", end)
        if last < first:
            raise invalid_query("end", f"{end} is before start {start}")
        if first < FIRST_DAY:
            raise invalid_query("start", f"{start} is before {FIRST_DAY.isoformat()}")
        if last > LAST_DAY:
            raise invalid_query("end", f"{end} is after {LAST_DAY.isoformat()}")
        if (last - first).days >= MAX_DAYS:
            raise invalid_query(
                "end", f"a period is at most {MAX_DAYS} days: choose a start closer to the end"
            )
        return Period(
            datetime.combine(first, time(), UTC),
            datetime.combine(last + timedelta(days=1), time(), UTC),
            None,
        )
    name = default if range_ is None else range_
    if name not in RANGES:
        raise invalid_query(
            "range", f"{range_!r} is not a range: use one of {', '.join(RANGES)}, or start+end"
        )
    length = RANGES[name]
    # A range ends now, and includes what was published at this very moment.
    now += timedelta(microseconds=1)
    if length is None:
        # From the day of the first post seen (a month back when none was).
        if first_seen is None or first_seen >= now:
            return Period(now - timedelta(days=30), now, name)
        return Period(datetime.combine(first_seen.date(), time(), UTC), now, name)
    return Period(now - length, now, name)


def platforms(raw: str | None) -> tuple[str, ...]:
    """The platforms of a comma list (the route's pattern admits only known ones)."""
    return tuple(dict.fromkeys(split_list(raw)))


def target_ids(raw: str | None) -> tuple[uuid.UUID, ...]:
    ids: list[uuid.UUID] = []
    for value in split_list(raw):
        parsed = parse_id(value)
        if parsed is None:
            raise invalid_query(
                "accounts", f"{value!r} is not a tracked account id (GET /analytics/targets)"
            )
        ids.append(parsed)
    return tuple(dict.fromkeys(ids))


def filters(
    now: datetime,
    *,
    range_: str | None,
    start: str | None,
    end: str | None,
    platforms_raw: str | None,
    accounts_raw: str | None,
    default: str = "30d",
    first_seen: datetime | None = None,
) -> Filters:
    return Filters(
        period(now, range_, start, end, default=default, first_seen=first_seen),
        platforms(platforms_raw),
        target_ids(accounts_raw),
    )


def choice(parameter: str, raw: str | None, default: str, allowed: tuple[str, ...]) -> str:
    if raw is None:
        return default
    value = raw
    if value not in allowed:
        raise invalid_query(parameter, f"{raw!r}: use one of {', '.join(allowed)}")
    return value
