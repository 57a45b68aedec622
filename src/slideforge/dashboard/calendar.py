"""The calendar page (``/app/calendar``): a workspace's posts by hour (week) or by day (month).

A post is placed at its ``scheduled_at``; a post without one (published at once, or retried)
at the time its targets were due (their earliest ``scheduled_for``: its creation or retry
time). The visible range is read in a fixed number of queries scoped to the caller's
workspace: the accounts (the filters' choices, usernames), the posts of the range (ids from
the ``scheduled_at`` index, the targets' ``(account_id, scheduled_for)`` index, and the
``(workspace_id, status, created_at)`` index for drafts), their targets, and the media JSON
of posts whose thumbnails are not cached for their current version — then cards are
precomputed in Python so the template stays a plain loop. Changes (move, retry, delete) go
through the Partner API from ``static/calendar.js``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from slideforge.auth.deps import RuntimeDep, SessionDep
from slideforge.dashboard.web import PREFIX, PageDep, render
from slideforge.kit.clock import as_utc
from slideforge.kit.errors import ApiError
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import oldest_first
from slideforge.kit.validation import TIMEZONES
from slideforge.models import Account, Post, PostTarget
from slideforge.models.post import PostStatus
from slideforge.posts.service import DELETABLE_POST, POST_STATUSES
from slideforge.publishing.platforms import registry
from slideforge.publishing.platforms.variants import MediaItem, short_side_size
from slideforge.runtime import Runtime

router = APIRouter(prefix=PREFIX, include_in_schema=False)

VIEWS = ("week", "month")
STATUSES = tuple(str(s) for s in POST_STATUSES if s != PostStatus.DELETED)
ZONES = frozenset(TIMEZONES)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# What a card shows: the first slides' thumbnails, the caption cut at a word.
THUMBS = {"week": 3, "month": 1}
CAPTION_CHARS = {"week": 140, "month": 70}
# Post ids bound per query (SQLite's variable limit is far above; PostgreSQL has none).
ID_CHUNK = 2_000
RETRYABLE_POST = frozenset(("failed", "partial"))
DELETABLE = frozenset(str(s) for s in DELETABLE_POST)
UNKNOWN_SIZE = 1 << 62  # pixels of an image whose size is not recorded


def bad_query(field: str, message: str) -> ApiError:
    return ApiError("validation_failed", f"{field}: {message}", 400)


# -- the visible range -----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    platform: str = ""
    account: str = ""
    tag: str = ""
    status: str = ""

    @property
    def active(self) -> bool:
        return bool(self.platform or self.account or self.tag or self.status)


@dataclass(frozen=True)
class Span:
    """The days shown (whole weeks, Monday first) and their instants in UTC."""

    view: str
    anchor: date
    zone: ZoneInfo
    days: tuple[date, ...]
    start: datetime
    end: datetime
    title: str
    previous: date
    next: date


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def span_of(view: str, anchor: date, zone: ZoneInfo) -> Span:
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        days = tuple(first + timedelta(days=n) for n in range(7))
        last = days[-1]
        if first.year != last.year:
            title = f"{first:%d} {MONTHS[first.month - 1][:3]} {first.year} – "
        elif first.month != last.month:
            title = f"{first:%d} {MONTHS[first.month - 1][:3]} – "
        else:
            title = f"{first:%d}–"
        title += f"{last:%d} {MONTHS[last.month - 1][:3]} {last.year}"
        previous, following = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        month_start = anchor.replace(day=1)
        following = (month_start + timedelta(days=32)).replace(day=1)
        month_end = following - timedelta(days=1)
        first = month_start - timedelta(days=month_start.weekday())
        last = month_end + timedelta(days=6 - month_end.weekday())
        days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
        title = f"{MONTHS[anchor.month - 1]} {anchor.year}"
        previous = (month_start - timedelta(days=1)).replace(day=1)
    return Span(
        view=view,
        anchor=anchor,
        zone=zone,
        days=days,
        start=local_midnight(days[0], zone),
        end=local_midnight(days[-1] + timedelta(days=1), zone),
        title=title,
        previous=previous,
        next=following,
    )


# -- cards -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetLine:
    status: str
    who: str
    reason: str
    link: str


@dataclass(slots=True)
class Card:
    id: str
    at: str  # the placed instant, ISO 8601 UTC
    day: str  # the local day, YYYY-MM-DD
    hour: int
    time: str  # local HH:MM
    status: str
    caption: str
    caption_full: str  # "" when ``caption`` is the whole caption
    thumbs: list[str]
    more: int
    video: bool
    targets: list[TargetLine]
    can_move: bool
    can_retry: bool
    can_delete: bool
    sort_key: tuple[datetime, str] = field(repr=False)


def cut(text: str, limit: int) -> str:
    """The caption on one line, cut at a word near ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + "…"


def failure_reason(target: Any) -> str:
    """The platform's reason for a failed target: its error code, then its message (which
    may already name the code)."""
    code, message = target.error_code or "", target.error_message or ""
    if code and code in message:
        return message
    return ": ".join(x for x in (code, message) if x)


def safe_link(url: str | None) -> str:
    """A platform's link, only when it is an http(s) URL (never ``javascript:``)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return ""


class ThumbPicker:
    """The smallest stored image of each slide: its ingested copy or one of the platform
    variants the post already has (their sizes predicted from the platform's rules, as the
    dry run does), as a URL of our own media. Derivatives are raw PPM for the renderer, not
    for a browser, so they are never candidates."""

    def __init__(self, runtime: Runtime) -> None:
        self.url = runtime.storage.url
        # By platform and the slides' sizes: each variant's predicted size.
        self._sizes: dict[tuple[str, tuple[Any, ...]], list[int] | None] = {}

    def _variant_pixels(
        self, platform: str, shapes: tuple[Any, ...], items: list[dict[str, Any]]
    ) -> list[int] | None:
        key = (platform, shapes)
        if key in self._sizes:
            return self._sizes[key]
        pixels: list[int] | None
        try:
            rules = registry.rules(platform)
            shape = rules.variant_shape([MediaItem(**i) for i in items])
            short = rules.capabilities["media"]["slideshow"].get("max_short_side_px")
        except (KeyError, TypeError):
            pixels = None
        else:
            pixels = []
            for width, height in shapes:
                if shape is not None:
                    width, height = shape[0]
                elif width and height and short:
                    width, height = short_side_size(width, height, short)
                pixels.append(width * height if width and height else UNKNOWN_SIZE)
        self._sizes[key] = pixels
        return pixels

    def pick(
        self, items: list[Any], variants: dict[str, Any] | None, limit: int
    ) -> tuple[list[str], int, bool]:
        """Up to ``limit`` thumbnail URLs, how many images the post has, and whether it is
        a video (its cover, when it has one, is the thumbnail)."""
        if not items or not all(isinstance(i, dict) for i in items):
            return [], 0, False
        if str(items[0].get("content_type", "")).startswith("video/"):
            covers = [
                self.url(i["key"])
                for i in items[1:2]
                if str(i.get("content_type", "")).startswith("image/") and i.get("key")
            ]
            return covers, len(covers), True
        shapes = tuple((i.get("width"), i.get("height")) for i in items)
        candidates = []
        for platform, urls in (variants or {}).items():
            if isinstance(urls, list) and len(urls) == len(items):
                pixels = self._variant_pixels(platform, shapes, items)
                if pixels is not None:
                    candidates.append((urls, pixels))
        thumbs = []
        for n, item in enumerate(items[:limit]):
            width, height = shapes[n]
            best, url = UNKNOWN_SIZE + 1, ""
            if item.get("key"):
                best, url = (
                    (width * height if width and height else UNKNOWN_SIZE),
                    self.url(item["key"]),
                )
            for urls, pixels in candidates:
                if pixels[n] < best and isinstance(urls[n], str):
                    best, url = pixels[n], urls[n]
            if url:
                thumbs.append(url)
        return thumbs, len(items), False


@dataclass(frozen=True, slots=True)
class Thumbs:
    urls: list[str]
    images: int
    video: bool


class ThumbCache:
    """A post's thumbnails by its id and version (``updated_at``, bumped by every change of
    its media or variants) and the number shown: the calendar is read far more often than
    posts change, so a post's media JSON is read and decoded once per version, not on every
    page."""

    MAX = 50_000

    def __init__(self) -> None:
        self._entries: dict[tuple[uuid.UUID, datetime, int], Thumbs] = {}

    def get(self, key: tuple[uuid.UUID, datetime, int]) -> Thumbs | None:
        return self._entries.get(key)

    def put(self, key: tuple[uuid.UUID, datetime, int], thumbs: Thumbs) -> None:
        if len(self._entries) >= self.MAX:
            self._entries.clear()
        self._entries[key] = thumbs


THUMB_CACHE = ThumbCache()
NO_THUMBS = Thumbs([], 0, False)


def thumbnails(
    session: Session, runtime: Runtime, posts: Sequence[Any], shown: int
) -> dict[uuid.UUID, Thumbs]:
    """The thumbnails of these posts (rows with ``id`` and ``updated_at``): from the cache,
    else from their media read in one query per chunk."""
    out: dict[uuid.UUID, Thumbs] = {}
    missing: dict[uuid.UUID, tuple[uuid.UUID, datetime, int]] = {}
    for post in posts:
        key = (post.id, post.updated_at, shown)
        found = THUMB_CACHE.get(key)
        if found is None:
            missing[post.id] = key
        else:
            out[post.id] = found
    picker = ThumbPicker(runtime)
    for chunk in _chunks(list(missing)):
        for row in session.execute(
            sa.select(Post.id, Post.media_items, Post.media_variants).where(Post.id.in_(chunk))
        ):
            thumbs = Thumbs(*picker.pick(row.media_items or [], row.media_variants, shown))
            THUMB_CACHE.put(missing[row.id], thumbs)
            out[row.id] = thumbs
    return out


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: uuid.UUID
    platform: str
    username: str
    tags: tuple[str, ...]


def workspace_accounts(session: Session, workspace_id: uuid.UUID) -> list[AccountRow]:
    """The workspace's accounts in the order they were added (GET /accounts' index)."""
    rows = session.execute(
        sa.select(Account.id, Account.platform, Account.username, Account.tags)
        .where(Account.workspace_id == workspace_id)
        .order_by(*oldest_first(Account))
    )
    return [
        AccountRow(
            r.id, r.platform, r.username, tuple(t for t in r.tags or [] if isinstance(t, str))
        )
        for r in rows
    ]


POST_COLUMNS = (
    Post.id,
    Post.caption,
    Post.status,
    Post.scheduled_at,
    Post.created_at,
    Post.updated_at,
)


# What a card shows of a target (``posts.service.TARGET_VIEW_COLUMNS`` less what the calendar
# does not show).
TARGET_COLUMNS = (
    PostTarget.post_id,
    PostTarget.account_id,
    PostTarget.platform,
    PostTarget.status,
    PostTarget.scheduled_for,
    PostTarget.published_url,
    PostTarget.error_code,
    PostTarget.error_message,
)


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def placed_at(scheduled_at: datetime | None, created_at: datetime, due: list[datetime]) -> datetime:
    """Where a post goes on the calendar (see the module's docstring)."""
    if scheduled_at is not None:
        return as_utc(scheduled_at)
    return as_utc(min(due)) if due else as_utc(created_at)


def read_cards(
    session: Session,
    runtime: Runtime,
    workspace_id: uuid.UUID,
    span: Span,
    filters: Filters,
    accounts: list[AccountRow],
) -> list[Card]:
    """The cards of the span's posts that match the filters, in time order."""
    start, end = span.start, span.end
    account_ids = [a.id for a in accounts]
    arms: list[sa.Select[Any]] = [
        sa.select(Post.id).where(
            Post.workspace_id == workspace_id,
            Post.scheduled_at >= start,
            Post.scheduled_at < end,
        ),
        # Posts made with no account yet (none so far) are placed at their creation.
        sa.select(Post.id).where(
            Post.workspace_id == workspace_id,
            Post.status == PostStatus.DRAFT,
            Post.created_at >= start,
            Post.created_at < end,
        ),
    ]
    if account_ids:
        arms.append(
            sa.select(PostTarget.post_id).where(
                PostTarget.account_id.in_(account_ids),
                PostTarget.workspace_id == workspace_id,
                PostTarget.scheduled_for >= start,
                PostTarget.scheduled_for < end,
            )
        )
    conditions = [
        Post.workspace_id == workspace_id,
        Post.status != PostStatus.DELETED,
        Post.id.in_(sa.union(*arms).scalar_subquery()),
    ]
    if filters.status:
        conditions.append(Post.status == filters.status)
    posts = session.execute(sa.select(*POST_COLUMNS).where(*conditions)).all()
    targets: dict[uuid.UUID, list[Any]] = {p.id: [] for p in posts}
    for chunk in _chunks(list(targets)):
        for t in session.execute(
            sa.select(*TARGET_COLUMNS)
            .where(PostTarget.post_id.in_(chunk))
            .order_by(*oldest_first(PostTarget))
        ):
            targets[t.post_id].append(t)

    shown = THUMBS[span.view]
    thumbs_of = thumbnails(session, runtime, posts, shown)
    wanted = _wanted_accounts(accounts, filters)
    titles = {name: registry.rules(name).title for name in registry.names()}
    names = {a.id: f"@{a.username} · " for a in accounts}
    limit = CAPTION_CHARS[span.view]
    zone = span.zone
    cards = []
    for post in posts:
        its = targets[post.id]
        live = [t for t in its if t.status != "canceled"] or its
        if wanted is not None and not any(t.account_id in wanted for t in live):
            continue
        when = placed_at(post.scheduled_at, post.created_at, [t.scheduled_for for t in live])
        if not start <= when < end:
            continue
        local = when.astimezone(zone)
        thumbs = thumbs_of.get(post.id) or NO_THUMBS
        lines = []
        publishing = failed = False
        for t in live:
            status = t.status
            who = names.get(t.account_id, "a deleted account · ") + titles.get(
                t.platform, t.platform
            )
            reason = link = ""
            if status == "posted":
                link = safe_link(t.published_url)
            elif status in ("failed", "outcome_unknown"):
                reason = failure_reason(t)
                failed = failed or status == "failed"
            elif status == "publishing":
                publishing = True
            lines.append(TargetLine(status, who, reason, link))
        caption = post.caption or ""
        short = cut(caption, limit)
        day = local.date().isoformat()
        cards.append(
            Card(
                id=str(post.id),
                at=f"{when.isoformat()[:19]}Z",
                day=day,
                hour=local.hour,
                time=f"{local.hour:02d}:{local.minute:02d}",
                status=post.status,
                caption=short,
                caption_full=caption if short != caption else "",
                thumbs=thumbs.urls,
                more=max(0, thumbs.images - len(thumbs.urls)),
                video=thumbs.video,
                targets=lines,
                can_move=post.status == "scheduled" and not publishing,
                can_retry=failed and post.status in RETRYABLE_POST,
                can_delete=post.status in DELETABLE and not publishing,
                sort_key=(when, post.id.hex),
            )
        )
    cards.sort(key=lambda c: c.sort_key)
    return cards


def _wanted_accounts(accounts: list[AccountRow], filters: Filters) -> set[uuid.UUID] | None:
    """The accounts a post must target to be shown (None: no account filter)."""
    if not (filters.platform or filters.account or filters.tag):
        return None
    chosen = accounts
    if filters.platform:
        chosen = [a for a in chosen if a.platform == filters.platform]
    if filters.account:
        chosen = [a for a in chosen if str(a.id) == filters.account]
    if filters.tag:
        chosen = [a for a in chosen if filters.tag in a.tags]
    return {a.id for a in chosen}


# -- the page --------------------------------------------------------------------------------


def _zone(raw: str) -> tuple[ZoneInfo, str]:
    name = raw.strip() or "UTC"
    if name not in ZONES and name != "UTC":
        raise bad_query("tz", f"{name!r} is not an IANA time zone name such as Europe/Paris")
    return ZoneInfo(name), name


def _anchor(raw: str, today: date) -> date:
    if not raw.strip():
        return today
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise bad_query("date", "must be a day written YYYY-MM-DD, e.g. 2026-12-07") from None
    if not 1900 <= day.year <= 9000:
        raise bad_query("date", "must be a day between the years 1900 and 9000")
    return day


def _filters(
    platform: str, account: str, tag: str, status: str, accounts: list[AccountRow]
) -> Filters:
    platform, account, tag, status = (v.strip() for v in (platform, account, tag, status))
    if platform and platform not in registry.names():
        raise bad_query("platform", f"must be one of {', '.join(registry.names())}")
    if account:
        parsed = parse_id(account)
        if parsed is None:
            raise bad_query("account", "must be an account id")
        account = str(parsed)
    if status and status not in STATUSES:
        raise bad_query("status", f"must be one of {', '.join(STATUSES)}")
    return Filters(platform=platform, account=account, tag=tag[:100], status=status)


class Links:
    """The page's own URLs, keeping the current view, zone and filters."""

    def __init__(self, view: str, anchor: date, tz: str, filters: Filters) -> None:
        self.params = {
            "view": view,
            "date": anchor.isoformat(),
            "tz": "" if tz == "UTC" else tz,
            "platform": filters.platform,
            "account": filters.account,
            "tag": filters.tag,
            "status": filters.status,
        }

    def __call__(self, **changes: Any) -> str:
        params = {**self.params, **{k: str(v) for k, v in changes.items()}}
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{PREFIX}/calendar" + (f"?{query}" if query else "")


@router.get("/calendar")
def calendar_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    runtime: RuntimeDep,
    view: str = "week",
    day: Annotated[str, Query(alias="date")] = "",
    tz: str = "",
    platform: str = "",
    account: str = "",
    tag: str = "",
    status: str = "",
) -> HTMLResponse:
    if view not in VIEWS:
        raise bad_query("view", "must be week or month")
    zone, tz_name = _zone(tz[:64])
    today = runtime.clock.now().astimezone(zone).date()
    anchor = _anchor(day[:20], today)
    workspace_id = page.caller.workspace_id
    accounts = workspace_accounts(session, workspace_id)
    filters = _filters(platform, account, tag, status, accounts)
    span = span_of(view, anchor, zone)
    cards = read_cards(session, runtime, workspace_id, span, filters, accounts)
    session.commit()
    cells: dict[Any, list[Card]] = {}
    for card in cards:
        key = (card.day, card.hour) if view == "week" else card.day
        cells.setdefault(key, []).append(card)
    links = Links(view, anchor, tz_name, filters)
    days = [
        {
            "iso": d.isoformat(),
            "label": f"{WEEKDAYS[d.weekday()]} {d.day}",
            "long": f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}",
            "today": d == today,
            "outside": view == "month" and d.month != anchor.month,
            "past": d < today,
            "week_url": links(view="week", date=d.isoformat()),
        }
        for d in span.days
    ]
    busy_days = {card.day for card in cards}
    return render(
        request,
        "calendar/page.html",
        page,
        view=view,
        span=span,
        days=days,
        weeks=[days[i : i + 7] for i in range(0, len(days), 7)],
        hours=range(24),
        weekdays=WEEKDAYS,
        cells=cells,
        busy_days=busy_days,
        count=len(cards),
        tz=tz_name,
        filters=filters,
        accounts=accounts,
        platforms=[(name, registry.rules(name).title) for name in registry.names()],
        tags=sorted({t for a in accounts for t in a.tags}),
        statuses=STATUSES,
        links=links,
        today=today.isoformat(),
    )
