"""Pinterest's metric reads (``docs/platforms.md``, "Reading metrics"): ``GET
/v5/user_account`` (``follower_count``, ``following_count``, ``pin_count``), ``GET
/v5/pins/{id}`` and ``GET /v5/pins`` (bookmark paging) for what a pin is, and ``GET
/v5/pins/{id}/analytics`` over the last 90 days (Pinterest's lookback; an older
``start_date`` is refused) summed: ``views`` = IMPRESSION, ``saves`` = SAVE, ``clicks`` =
PIN_CLICK + OUTBOUND_CLICK, the raw sums in ``extra``. Scopes ``user_accounts:read``,
``boards:read`` and ``pins:read``. Pinterest gives no likes, comments or shares here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slideforge.kit.clock import Clock
from slideforge.publishing.platforms.base import PlatformError
from slideforge.publishing.platforms.metrics import (
    PostMetrics,
    ProfileMetrics,
    counter,
    hashtags_of,
)

Call = Callable[..., dict[str, Any]]

METRICS = ("IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK")
LOOKBACK_DAYS = 89  # start_date today-89 .. today: 90 days, inside Pinterest's 90-day lookback
PAGE_SIZE = 100


def _when(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class PinterestReads:
    """The reads, over the adapter's API call and a clock (the analytics window ends today)."""

    def __init__(self, call: Call, clock: Clock, pin_url: Callable[[str], str]) -> None:
        self.call = call
        self.clock = clock
        self.pin_url = pin_url

    def _get(self, path: str, token: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            return self.call("GET", path, token=token, read_only=True, params=params)
        except PlatformError as exc:
            if exc.code == "not_permitted":
                raise PlatformError(
                    "user",
                    "scope_not_authorized",
                    "the Pinterest account did not grant user_accounts:read, boards:read and "
                    "pins:read, which reading metrics needs: reconnect it and approve every "
                    f"permission ({exc.message})",
                    http_status=exc.http_status,
                ) from exc
            raise

    def read_profile(self, token: str) -> ProfileMetrics:
        user = self._get("/v5/user_account", token)
        return ProfileMetrics(
            platform_user_id=str(user.get("id") or ""),
            username=str(user.get("username") or ""),
            display_name=user.get("business_name") or None,
            avatar_url=user.get("profile_image") or None,
            followers=counter(user.get("follower_count")),
            following=counter(user.get("following_count")),
            posts=counter(user.get("pin_count")),
        )

    def _summary(self, token: str, pin_id: str) -> dict[str, int]:
        """The pin's metrics summed over the last 90 days."""
        end = self.clock.now().astimezone(UTC).date()
        start = end - timedelta(days=LOOKBACK_DAYS)
        body = self._get(
            f"/v5/pins/{pin_id}/analytics",
            token,
            {
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "metric_types": ",".join(METRICS),
            },
        )
        report = body.get("all") if isinstance(body.get("all"), dict) else {}
        assert isinstance(report, dict)
        summary = report.get("summary_metrics")
        if not isinstance(summary, dict):
            return {}
        return {name: value for name, value in summary.items() if counter(value) is not None}

    def _post(self, token: str, pin: dict[str, Any]) -> PostMetrics:
        pin_id = str(pin["id"])
        summary = self._summary(token, pin_id)
        description = pin.get("description") if isinstance(pin.get("description"), str) else None
        title = pin.get("title") if isinstance(pin.get("title"), str) else None
        clicks = [summary.get(name) for name in ("PIN_CLICK", "OUTBOUND_CLICK")]
        media = pin.get("media") if isinstance(pin.get("media"), dict) else {}
        assert isinstance(media, dict)
        return PostMetrics(
            platform_post_id=pin_id,
            url=self.pin_url(pin_id),
            published_at=_when(pin.get("created_at")),
            caption=description,
            title=title or None,
            views=summary.get("IMPRESSION"),
            saves=summary.get("SAVE"),
            clicks=sum(c for c in clicks if c is not None)
            if any(c is not None for c in clicks)
            else None,
            duration=0 if media.get("media_type") in ("image", "multiple_images") else None,
            hashtags=hashtags_of(title, description),
            extra=summary,
        )

    def read_posts(self, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        found: dict[str, PostMetrics] = {}
        for pin_id in dict.fromkeys(str(i) for i in post_ids if str(i)):
            try:
                pin = self._get(f"/v5/pins/{pin_id}", token)
            except PlatformError as exc:
                if exc.http_status == 404:  # unknown, deleted, or another user's pin
                    continue
                raise
            if pin.get("id"):
                found[pin_id] = self._post(token, pin)
        return found

    def recent_posts(self, token: str, limit: int) -> list[PostMetrics]:
        posts: list[PostMetrics] = []
        bookmark: str | None = None
        while len(posts) < limit:
            params = {"page_size": str(min(PAGE_SIZE, limit - len(posts)))}
            if bookmark:
                params["bookmark"] = bookmark
            body = self._get("/v5/pins", token, params)
            items = [p for p in body.get("items") or [] if isinstance(p, dict) and p.get("id")]
            posts.extend(self._post(token, pin) for pin in items)
            following = body.get("bookmark")
            if not items or not isinstance(following, str) or not following:
                break
            bookmark = following
        return posts[:limit]
