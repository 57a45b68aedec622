"""Pin analytics and the pin list in the Pinterest sandbox.

``GET /v5/pins/{pin_id}/analytics?start_date=&end_date=&metric_types=[&app_types=]
[&split_field=]`` answers ``{"all": {"daily_metrics": [...], "summary_metrics": {...},
"lifetime_metrics": {...}}}`` (with ``split_field=APP_TYPE`` one such object per app type).
The counters grow on the sandbox clock (``platform_sandbox.common.engagement``, seeded by
``PinterestOptions.metrics_seed``): a day's value is what the pin gathered that UTC day;
``summary_metrics`` sums the days asked, ``lifetime_metrics`` is everything since the pin
was created. ``start_date`` more than 90 days back, or an ``end_date`` before it, answers 400.
``GET /v5/pins`` lists the user's pins newest first with ``page_size`` and ``bookmark``."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from platform_sandbox.common import DAY, Reply
from platform_sandbox.common.engagement import Counters, counters
from platform_sandbox.pinterest.boards import PinterestBoards
from platform_sandbox.pinterest.errors import PinterestError, invalid
from platform_sandbox.pinterest.records import AccessToken, ApiCall, Pin

LOOKBACK_DAYS = 90
PIN_METRICS = ("IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK")
APP_TYPES = ("ALL", "MOBILE", "TABLET", "WEB")
# The share of a pin's activity each app type sees (ALL is the whole).
APP_SHARES = {"ALL": 1.0, "MOBILE": 0.7, "TABLET": 0.1, "WEB": 0.2}


def _metric(name: str, grown: Counters) -> int:
    return {
        "IMPRESSION": grown.views,
        "SAVE": grown.saves,
        "PIN_CLICK": grown.pin_clicks,
        "OUTBOUND_CLICK": grown.outbound_clicks,
    }[name]


def _day(raw: str | None, name: str) -> date:
    if not raw:
        raise invalid(f"Invalid request: '{name}' is a required property")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise invalid(f"Invalid parameter: {name} '{raw}' is not a date (YYYY-MM-DD)") from exc


class PinterestAnalytics(PinterestBoards):
    """``GET /v5/pins/{pin_id}/analytics``, ``GET /v5/pins`` and the user account's
    growing counters."""

    def _pin_counters(self, pin: Pin, at: float) -> Counters:
        return counters(self._options.metrics_seed, f"pinterest:{pin.id}", at - pin.created_at)

    def _account_growth(self, user_id: str) -> tuple[int, int]:
        """(followers the user's pins brought, impressions of the last 30 days)."""
        now = self._now()
        follows = views = 0
        for pin in self._pins.values():
            if pin.user_id != user_id:
                continue
            grown = self._pin_counters(pin, now)
            follows += grown.follows
            views += grown.views - self._pin_counters(pin, now - 30 * DAY).views
        return follows, views

    def _user_account(self, ctx: ApiCall, token: AccessToken) -> Reply:
        reply = super()._user_account(ctx, token)
        follows, views = self._account_growth(token.user_id)
        assert isinstance(reply.body, dict)
        reply.body["follower_count"] += follows
        reply.body["monthly_views"] += views
        return reply

    def _list_pins(self, ctx: ApiCall, token: AccessToken) -> Reply:
        """``GET /v5/pins``: the user's pins newest first (``page_size`` 1–250, default
        25, ``bookmark`` paging)."""
        page_size = self._page_size(ctx.query)
        offset = self._bookmark_offset(ctx.query, "pins")
        pins = sorted(
            (
                pin
                for pin in reversed(list(self._pins.values()))  # newest first on a tie
                if pin.user_id == token.user_id
                and (
                    (board := self._boards.get(pin.board_id)) is None
                    or self._visible_board(token, board)
                )
            ),
            key=lambda pin: pin.created_at,
            reverse=True,
        )
        page, bookmark = self._page(pins, page_size, offset, "pins")
        return Reply(200, {"items": [self._pin_view(pin) for pin in page], "bookmark": bookmark})

    def _pin_analytics(self, ctx: ApiCall, token: AccessToken, pin_id: str) -> Reply:
        pin = self._pins.get(pin_id)
        if pin is None or pin.user_id != token.user_id:
            raise PinterestError(404, 50, "Pin not found.")
        q = ctx.query
        start, end = _day(q.get("start_date"), "start_date"), _day(q.get("end_date"), "end_date")
        now = self._now()
        today = datetime.fromtimestamp(now, UTC).date()
        if start < today - timedelta(days=LOOKBACK_DAYS):
            raise invalid(
                f"Invalid parameter: start_date {start.isoformat()} is more than "
                f"{LOOKBACK_DAYS} days ago; analytics are available for the last "
                f"{LOOKBACK_DAYS} days only."
            )
        if end < start:
            raise invalid("Invalid parameter: end_date must be on or after start_date.")
        if end > start + timedelta(days=LOOKBACK_DAYS):
            raise invalid(
                f"Invalid parameter: end_date cannot be more than {LOOKBACK_DAYS} days past "
                "start_date."
            )
        names = [name.strip() for name in q.get("metric_types", "").split(",") if name.strip()]
        if not names:
            raise invalid("Invalid request: 'metric_types' is a required property")
        unknown = [name for name in names if name not in PIN_METRICS]
        if unknown:
            raise invalid(
                f"Invalid parameter: metric_types {unknown[0]!r} is not one of "
                f"{list(PIN_METRICS)} (the sandbox serves these pin metrics)"
            )
        app_type = q.get("app_types", "ALL")
        if app_type not in APP_TYPES:
            raise invalid(f"Invalid parameter: app_types {app_type!r} is not one of {APP_TYPES}")
        split = q.get("split_field", "NO_SPLIT")
        if split not in ("NO_SPLIT", "APP_TYPE"):
            raise invalid(
                f"Invalid parameter: split_field {split!r} is not one of ['NO_SPLIT', 'APP_TYPE']"
            )
        names = list(dict.fromkeys(names))
        if split == "APP_TYPE":
            keys = [t for t in APP_TYPES if t != "ALL" and app_type in ("ALL", t)]
            body = {key: self._report(pin, start, end, names, key, now) for key in keys}
        else:
            body = {"all": self._report(pin, start, end, names, app_type, now)}
        return Reply(200, body)

    def _report(
        self, pin: Pin, start: date, end: date, names: list[str], app_type: str, now: float
    ) -> dict[str, Any]:
        share = APP_SHARES[app_type]

        def cumulative(at: float) -> dict[str, int]:
            grown = self._pin_counters(pin, min(at, now))
            return {name: math.floor(_metric(name, grown) * share) for name in names}

        created = datetime.fromtimestamp(pin.created_at, UTC).date()
        today = datetime.fromtimestamp(now, UTC).date()
        daily: list[dict[str, Any]] = []
        summary = dict.fromkeys(names, 0)
        day = start
        while day <= end and day <= today:
            if day < created:
                daily.append({"date": day.isoformat(), "data_status": "BEFORE_PIN_DATA"})
            else:
                opens = datetime.combine(day, time(), UTC).timestamp()
                before, after = cumulative(opens), cumulative(opens + DAY)
                metrics = {name: after[name] - before[name] for name in names}
                for name in names:
                    summary[name] += metrics[name]
                status = "READY" if day < today else "PROCESSING"
                daily.append({"date": day.isoformat(), "data_status": status, "metrics": metrics})
            day += timedelta(days=1)
        return {
            "daily_metrics": daily,
            "summary_metrics": summary,
            "lifetime_metrics": cumulative(now),
        }
