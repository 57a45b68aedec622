"""Reading what was posted: target refreshes, our posts' snapshot milestones, linking a posted
target to the platform's public post id.

No transaction is held across a platform call: each function reads what it needs, commits,
calls the platform, then writes what came back in a new transaction.

**Our posts.** Once a target is posted, ``track_posted`` gives it an ``AnalyticsPost`` row on
its account's target (made on first use) with the milestones ``1h 24h 48h 7d 30d`` after its
publication. ``take_due_snapshots`` reads, per account, every post whose milestone has come
(``read_posts``, batched by the adapter) and writes one ``MetricSnapshot`` per post, labelled
with the milestone; milestones missed while the server was down are folded into the one taken
late (its ``age_seconds`` tells the truth). A post not linked to its public id yet (TikTok
shows it only after moderation; a MEDIA_UPLOAD draft only once the creator publishes it in the
app) is linked first, from the target's recorded id or by matching the account's recent posts
on caption and time; until then its milestones wait and the row says why.

**Pacing.** Each account's reads go through ``Pacer``: at most the platform's read budget per
minute per token (TikTok's Display API allows 600), and a 429's ``retry_after`` is honoured
(the account's remaining reads move to the next sweep)."""

from __future__ import annotations

import logging
import re
import threading
import time as _time
import uuid
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.accounts import tokens
from slideforge.analytics import targets as target_rules
from slideforge.billing import service as billing
from slideforge.kit.clock import as_utc
from slideforge.models import (
    Account,
    AnalyticsPost,
    AnalyticsRefresh,
    AnalyticsTarget,
    ExperimentPost,
    MetricSnapshot,
    Post,
    PostTarget,
    ProfileSnapshot,
    Slideshow,
)
from slideforge.models.post import TargetStatus
from slideforge.publishing.platforms import get_platform
from slideforge.publishing.platforms.base import PlatformError, same_text
from slideforge.publishing.platforms.metrics import COUNTERS, PostMetrics, ProfileMetrics
from slideforge.runtime import Runtime

log = logging.getLogger(__name__)

MILESTONES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "48h": timedelta(hours=48),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# Posted targets are tracked within this of their publication (the last milestone, and a day).
TRACK_WITHIN = MILESTONES["30d"] + timedelta(days=1)
# An unlinked post is looked for again this often (a draft in the inbox: hourly).
LINK_RETRY = timedelta(minutes=10)
DRAFT_RETRY = timedelta(hours=1)
# A post is matched on the account's list only if it appeared within this of the send.
LINK_WINDOW = timedelta(hours=6)
READS_PER_MINUTE = {"tiktok": 600, "instagram": 200, "pinterest": 1000}
RENDER_URL = re.compile(r"/renders/([0-9a-fA-F-]{36})/")
INBOX = "SEND_TO_USER_INBOX"


class Pacer:
    """Per-token read budget in this process: at most ``per_minute`` calls in any sliding
    ``window`` (a minute); a call over budget waits for the oldest to leave the window."""

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, key: str, per_minute: int) -> None:
        while True:
            with self._lock:
                now = _time.monotonic()
                calls = self._calls[key]
                while calls and now - calls[0] >= self.window:
                    calls.popleft()
                if len(calls) < per_minute:
                    calls.append(now)
                    return
                sleep = self.window - (now - calls[0])
            _time.sleep(min(sleep, 1.0))


PACER = Pacer()


class PacedPlatform:
    """An adapter's read calls for one account, each waiting for the account's budget."""

    def __init__(self, runtime: Runtime, account: Account) -> None:
        self.runtime = runtime
        self.account_id = str(account.id)
        self.platform_name = account.platform
        self.platform = get_platform(account.platform, runtime.settings)
        if hasattr(self.platform, "clock"):  # Pinterest's 90-day window ends "today"
            self.platform.clock = runtime.clock
        self.budget = READS_PER_MINUTE.get(account.platform, 200)

    def _call(self, read: Any, *args: Any) -> Any:
        PACER.wait(self.account_id, self.budget)
        token = tokens.access_token(self.runtime, self.account_id)
        try:
            return read(token, *args)
        except PlatformError as exc:
            if exc.kind != "auth":
                raise
        token = tokens.access_token(self.runtime, self.account_id, force_refresh=True)
        PACER.wait(self.account_id, self.budget)
        return read(token, *args)

    def profile(self) -> ProfileMetrics:
        result: ProfileMetrics = self._call(self.platform.read_profile)
        return result

    def posts(self, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        result: dict[str, PostMetrics] = self._call(self.platform.read_posts, list(post_ids))
        return result

    def recent(self, limit: int) -> list[PostMetrics]:
        result: list[PostMetrics] = self._call(self.platform.recent_posts, limit)
        return result


# -- storing what was read ----------------------------------------------------------------


def _apply(row: AnalyticsPost, metrics: PostMetrics) -> None:
    """Identity and description fields the read tells (never erasing known ones)."""
    row.platform_post_id = metrics.platform_post_id
    row.url = metrics.url or row.url
    row.caption = metrics.caption if metrics.caption is not None else row.caption
    row.published_at = row.published_at or (
        as_utc(metrics.published_at) if metrics.published_at else None
    )
    row.author = metrics.author or row.author
    row.sound_id = metrics.sound_id or row.sound_id
    row.sound_name = metrics.sound_name or row.sound_name
    if metrics.hashtags:
        row.hashtags = list(metrics.hashtags)
    if metrics.duration is not None and row.media_type is None:
        row.media_type = "photo" if metrics.duration == 0 else "video"


def snapshot(
    session: Session, row: AnalyticsPost, metrics: PostMetrics, now: datetime, milestone: str
) -> MetricSnapshot:
    """A new snapshot row, and the post's latest counters."""
    published = row.published_at
    snap = MetricSnapshot(
        workspace_id=row.workspace_id,
        analytics_post_id=row.id,
        taken_at=now,
        age_seconds=int((now - as_utc(published)).total_seconds()) if published else None,
        milestone=milestone,
        extra=dict(metrics.extra),
        **{name: getattr(metrics, name) for name in COUNTERS},
    )
    session.add(snap)
    for name in COUNTERS:
        setattr(row, name, getattr(metrics, name))
    row.metrics_at = now
    if metrics.note:
        row.note = metrics.note
    return snap


def store_profile(
    session: Session, target: AnalyticsTarget, profile: ProfileMetrics, now: datetime
) -> None:
    target.profile = asdict(profile)
    if not target.display_name and profile.display_name:
        target.display_name = profile.display_name
    session.add(
        ProfileSnapshot(
            workspace_id=target.workspace_id,
            target_id=target.id,
            taken_at=now,
            followers=profile.followers,
            following=profile.following,
            likes=profile.likes,
            posts=profile.posts,
        )
    )


def store_posts(
    session: Session,
    target: AnalyticsTarget,
    posts: Sequence[PostMetrics],
    now: datetime,
    milestone: str,
) -> int:
    """Upsert the posts read from a target (ours keep their link to the post) and snapshot
    each one."""
    ids = [p.platform_post_id for p in posts]
    known = {
        row.platform_post_id: row
        for row in session.scalars(
            sa.select(AnalyticsPost).where(
                AnalyticsPost.target_id == target.id, AnalyticsPost.platform_post_id.in_(ids)
            )
        )
    }
    for metrics in posts:
        row = known.get(metrics.platform_post_id)
        if row is None:
            row = AnalyticsPost(
                id=uuid.uuid4(),  # known now: its snapshot refers to it before any flush
                workspace_id=target.workspace_id,
                target_id=target.id,
                platform=target.platform,
                link_state="observed",
                created_at=now,
            )
            session.add(row)
            known[metrics.platform_post_id] = row
        _apply(row, metrics)
        snapshot(session, row, metrics, now, milestone)
    return len(posts)


# -- refreshes ----------------------------------------------------------------------------


def _claim_refresh(runtime: Runtime, refresh_id: str) -> tuple[str, int, str | None] | None:
    """pending -> processing; the target id, how many posts to read, our account id."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        refresh = session.get(AnalyticsRefresh, uuid.UUID(refresh_id), with_for_update=True)
        if refresh is None or refresh.status not in target_rules.RUNNING:
            return None
        target = session.get(AnalyticsTarget, refresh.target_id)
        if target is None:
            return None
        refresh.status = "processing"
        refresh.started_at = refresh.started_at or now
        policy = target.refresh_policy or {}
        limit = int(policy.get("maxPosts") or runtime.settings.analytics_refresh_posts)
        account_id = str(target.account_id) if target.account_id else None
        session.commit()
        return str(target.id), limit, account_id


def _read_target(
    runtime: Runtime, platform: str, handle: str, account_id: str | None, limit: int
) -> tuple[ProfileMetrics, list[PostMetrics]]:
    if account_id is not None:
        with runtime.db.session() as session:
            account = session.get(Account, uuid.UUID(account_id))
            if account is None:
                raise PlatformError("user", "not_connected", "the connected account was removed")
            session.expunge(account)
        paced = PacedPlatform(runtime, account)
        return paced.profile(), paced.recent(limit)
    from slideforge.copy_tiktok.fetch import FetchConfig
    from slideforge.copy_tiktok.profile import read_public_profile

    return read_public_profile(
        handle,
        http=runtime.http,
        config=FetchConfig.from_settings(runtime.settings),
        clock=runtime.clock,
        max_posts=limit,
    )


def run_refresh(runtime: Runtime, refresh_id: str) -> str:
    """Carry out one refresh; its outcome (``completed``/``failed``)."""
    claimed = _claim_refresh(runtime, refresh_id)
    if claimed is None:
        return "skipped"
    target_id, limit, account_id = claimed
    with runtime.db.session() as session:
        target = session.get(AnalyticsTarget, uuid.UUID(target_id))
        assert target is not None
        platform, handle = target.platform, target.normalized_identifier
    error: str | None = None
    try:
        profile, posts = _read_target(runtime, platform, handle, account_id, limit)
    except PlatformError as exc:
        error, profile, posts = f"{exc.code}: {exc.message}", None, []
    except Exception as exc:  # an ApiError from the public reader, or a bug: told, not lost
        code = getattr(exc, "error_code", type(exc).__name__)
        error, profile, posts = f"{code}: {getattr(exc, 'message', str(exc))}", None, []
        if not hasattr(exc, "error_code"):
            log.exception("analytics refresh %s failed", refresh_id)
    now = runtime.clock.now()
    with runtime.db.session() as session:
        refresh = session.get(AnalyticsRefresh, uuid.UUID(refresh_id), with_for_update=True)
        target = session.get(AnalyticsTarget, uuid.UUID(target_id))
        if refresh is None or target is None:
            return "skipped"
        refresh.running_target_id = None
        refresh.completed_at = now
        if error is not None or profile is None:
            refresh.status, refresh.error = "failed", error
            if refresh.credits_used:
                billing.refund(
                    session,
                    refresh.workspace_id,
                    f"analytics-refresh:{refresh.id}",
                    "refresh failed",
                    now,
                )
        else:
            store_profile(session, target, profile, now)
            refresh.posts_read = store_posts(session, target, posts, now, "refresh")
            refresh.status = "completed"
            target.last_refreshed_at = now
        session.commit()
        return refresh.status


def stale_refreshes(session: Session, now: datetime, older_than: timedelta) -> list[str]:
    """Refreshes still pending/processing long after they were asked (a lost enqueue, a
    crash): the sweep starts them again."""
    return [
        str(i)
        for i in session.scalars(
            sa.select(AnalyticsRefresh.id).where(
                AnalyticsRefresh.running_target_id.is_not(None),
                AnalyticsRefresh.created_at < now - older_than,
            )
        )
    ]


# -- our posts ----------------------------------------------------------------------------


def _provenance(session: Session, post: Post) -> dict[str, Any]:
    """What the post was made of: the slideshow its rendered slides come from (our render
    URLs name it), slide 1's text (the hook), its template and pack; its experiment."""
    out: dict[str, Any] = {}
    urls = [str(u) for u in (post.media or {}).get("urls") or []]
    match = next((m for m in map(RENDER_URL.search, urls) if m), None)
    if match:
        slideshow = session.scalar(
            sa.select(Slideshow).where(
                Slideshow.id == uuid.UUID(match.group(1)),
                Slideshow.workspace_id == post.workspace_id,
            )
        )
        if slideshow is not None:
            out["slideshow_id"] = slideshow.id
            out["template_id"] = slideshow.template_id
            pack = (slideshow.settings or {}).get("pack_id")
            out["pack_id"] = uuid.UUID(str(pack)) if pack else None
            out["hook"] = hook_of(slideshow.slides)
    assigned = session.get(ExperimentPost, post.id)
    if assigned is not None:
        out["experiment_id"], out["variant"] = assigned.experiment_id, assigned.variant
    if post.music_url or post.music_post_id:
        out["sound_id"] = post.music_post_id or post.music_url
    return out


def hook_of(slides: Sequence[Any]) -> str | None:
    """Slide 1's text, its elements joined by a space."""
    if not slides or not isinstance(slides[0], dict):
        return None
    texts = [
        str(e.get("content") or "").strip()
        for e in slides[0].get("text_elements") or []
        if isinstance(e, dict)
    ]
    joined = " ".join(t for t in texts if t)
    return joined or None


def track_posted(session: Session, now: datetime, limit: int = 500) -> int:
    """Give each newly posted target of ours its analytics row."""
    rows = session.execute(
        sa.select(PostTarget, Post, Account)
        .join(Post, Post.id == PostTarget.post_id)
        .join(Account, Account.id == PostTarget.account_id)
        .outerjoin(AnalyticsPost, AnalyticsPost.post_target_id == PostTarget.id)
        .where(
            PostTarget.status == TargetStatus.POSTED,
            # Older posts have passed every milestone: the sweep never scans them again.
            PostTarget.published_at >= now - TRACK_WITHIN,
            AnalyticsPost.id.is_(None),
            Account.analytics_stopped_at.is_(None),
        )
        .order_by(PostTarget.published_at)
        .limit(limit)
    ).all()
    for target, post, account in rows:
        tracked = target_rules.track_account(session, account, now)
        published = as_utc(target.published_at or now)
        draft = target.platform_status == INBOX and not target.platform_post_id
        row = AnalyticsPost(
            workspace_id=target.workspace_id,
            target_id=tracked.id,
            platform=target.platform,
            post_id=post.id,
            post_target_id=target.id,
            account_id=account.id,
            external_id=post.external_id,
            caption=post.caption,
            url=target.published_url,
            published_at=published,
            media_type=(post.media or {}).get("type"),
            milestones_due=list(MILESTONES),
            next_snapshot_at=published + MILESTONES["1h"],
            created_at=now,
            **_provenance(session, post),
        )
        _link_state(row, target, draft)
        session.add(row)
    session.flush()
    return len(rows)


def _link_state(row: AnalyticsPost, target: PostTarget, draft: bool) -> None:
    if target.platform_post_id and not draft:
        row.platform_post_id, row.link_state, row.note = target.platform_post_id, "linked", None
    elif draft:
        row.link_state = "inbox_draft"
        row.note = (
            "sent to the creator's TikTok inbox as a draft: its metrics start once the "
            "creator publishes it in the TikTok app"
        )
    else:
        row.link_state = "awaiting_public_id"
        row.note = (
            "the platform has not shown the post's public id yet (TikTok gives it after "
            "moderation): metrics start once it does"
        )


def due_accounts(session: Session, now: datetime) -> list[str]:
    return [
        str(a)
        for a in session.scalars(
            sa.select(AnalyticsPost.account_id)
            .where(AnalyticsPost.next_snapshot_at <= now, AnalyticsPost.account_id.is_not(None))
            .distinct()
        )
    ]


@dataclass(frozen=True)
class Due:
    """What a snapshot round needs of a row, read before the platform is called."""

    id: uuid.UUID
    platform_post_id: str | None
    caption: str | None
    published_at: datetime | None
    draft: bool = False  # in the creator's inbox: published (if ever) any time after the send


def match_posts(
    recent: Sequence[PostMetrics], unlinked: Sequence[Due], now: datetime
) -> dict[uuid.UUID, PostMetrics]:
    """Our unlinked posts matched to the account's recent posts on caption (or title) and
    time: published within ``LINK_WINDOW`` of the send's record (an inbox draft: any time
    after it), never after now; each platform post is given to one of ours at most, the
    oldest first."""
    claimed: set[str] = set()
    found: dict[uuid.UUID, PostMetrics] = {}
    for due in sorted(unlinked, key=lambda d: d.published_at or now):
        sent = as_utc(due.published_at or now)
        for metrics in recent:
            when = as_utc(metrics.published_at) if metrics.published_at else None
            if metrics.platform_post_id in claimed or when is None:
                continue
            latest = now if due.draft else max(sent, now)
            earliest = sent - (timedelta(minutes=5) if due.draft else LINK_WINDOW)
            if not earliest <= when <= latest + timedelta(minutes=5):
                continue
            if same_text(metrics.caption, due.caption) or same_text(metrics.title, due.caption):
                claimed.add(metrics.platform_post_id)
                found[due.id] = metrics
                break
    return found


def _refresh_links(session: Session, rows: list[AnalyticsPost]) -> list[AnalyticsPost]:
    """Rows whose target now has a public id (the status poll or a reconcile found it)."""
    waiting = [r for r in rows if r.platform_post_id is None and r.post_target_id]
    if not waiting:
        return []
    found = {
        t.id: t
        for t in session.scalars(
            sa.select(PostTarget).where(PostTarget.id.in_([r.post_target_id for r in waiting]))
        )
    }
    linked = []
    for row in waiting:
        target = found.get(row.post_target_id)  # type: ignore[arg-type]
        if target is not None and target.platform_post_id:
            if row.link_state == "inbox_draft":
                restart_from_publication(row)
            _link_state(row, target, False)
            row.url = target.published_url or row.url
            linked.append(row)
    return linked


def restart_from_publication(row: AnalyticsPost) -> None:
    """An inbox draft the creator published: its age (and milestones) count from the
    platform's publication time, which the next read gives, not from the send."""
    row.published_at = None
    row.milestones_due = list(MILESTONES)


def _advance(row: AnalyticsPost, now: datetime) -> str:
    """Drop the milestones that have come; the label of the one taken now."""
    published = as_utc(row.published_at or now)
    passed = [m for m in row.milestones_due if published + MILESTONES[m] <= now]
    left = [m for m in row.milestones_due if m not in passed]
    row.milestones_due = left
    row.next_snapshot_at = published + MILESTONES[left[0]] if left else None
    return passed[-1] if passed else "on_demand"


def snapshot_account(runtime: Runtime, account_id: str) -> dict[str, int]:
    """Take every due snapshot of one account's posts (linking first where needed). Three
    steps: read what is due (and links the publish path found meanwhile), call the platform
    with no transaction open, write the snapshots of the rows still due."""
    now = runtime.clock.now()
    counts: dict[str, int] = defaultdict(int)
    with runtime.db.session() as session:
        account = session.get(Account, uuid.UUID(account_id))
        rows = list(
            session.scalars(
                sa.select(AnalyticsPost).where(
                    AnalyticsPost.account_id == uuid.UUID(account_id),
                    AnalyticsPost.next_snapshot_at <= now,
                )
            )
        )
        if account is None or not rows:
            return {}
        session.expunge(account)
        _refresh_links(session, rows)
        due = [
            Due(r.id, r.platform_post_id, r.caption, r.published_at, r.link_state == "inbox_draft")
            for r in rows
        ]
        session.commit()
    paced = PacedPlatform(runtime, account)
    matched: dict[uuid.UUID, PostMetrics] = {}
    read: dict[str, PostMetrics] = {}
    failure: PlatformError | None = None
    try:
        unlinked = [d for d in due if d.platform_post_id is None]
        if unlinked:
            matched = match_posts(paced.recent(20), unlinked, now)
        wanted = [d.platform_post_id for d in due if d.platform_post_id]
        if wanted:
            read = paced.posts(wanted)
    except PlatformError as exc:
        failure = exc
        log.info("analytics: reading @%s failed: %s", account.username, exc.message)
    read.update({m.platform_post_id: m for m in matched.values()})
    now = runtime.clock.now()
    with runtime.db.session() as session:
        # Still due: a sweep running at the same time may have taken them meanwhile.
        rows = list(
            session.scalars(
                sa.select(AnalyticsPost)
                .where(
                    AnalyticsPost.id.in_([d.id for d in due]),
                    AnalyticsPost.next_snapshot_at <= now,
                )
                .with_for_update()
            )
        )
        for row in rows:
            if row.id in matched and row.platform_post_id is None:
                if row.link_state == "inbox_draft":
                    restart_from_publication(row)
                row.platform_post_id, row.link_state, row.note = (
                    matched[row.id].platform_post_id,
                    "linked",
                    None,
                )
            counts[_take(session, row, read, failure, now)] += 1
        session.commit()
    return dict(counts)


def _take(
    session: Session,
    row: AnalyticsPost,
    read: dict[str, PostMetrics],
    failure: PlatformError | None,
    now: datetime,
) -> str:
    """One row's snapshot from what was read, or why none was taken."""
    if row.platform_post_id is None:
        row.next_snapshot_at = now + (
            DRAFT_RETRY if row.link_state == "inbox_draft" else LINK_RETRY
        )
        return "waiting"
    metrics = read.get(row.platform_post_id)
    if metrics is None:
        if failure is not None:
            retry = failure.retry_after or LINK_RETRY.total_seconds()
            row.next_snapshot_at = now + timedelta(seconds=retry)
            row.note = f"the last read failed ({failure.code}): {failure.message}"
            return "failed"
        label = _advance(row, now)
        row.link_state = "not_found"
        row.note = (
            f"the platform did not return this post at the {label} snapshot "
            "(deleted, made private, or not public yet)"
        )
        return "not_found"
    _apply(row, metrics)
    label = _advance(row, now)
    snapshot(session, row, metrics, now, label)
    return "taken"
