"""The database side of publishing: every state change of a target is one short transaction
that checks the target's revision first (edits, retries and deletes bump it, so an obsolete
workflow changes nothing). Account tokens are ``accounts.tokens``.

Webhooks go out from the same transactions (``webhooks.outbox``): ``post.target.published``
when a target first becomes posted, ``post.published|failed|partial|outcome_unknown`` when
the post's derived status changes to one of those, ``account.reauth_required`` when a refusal
marks the account (``accounts.tokens.mark_reauth``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.accounts.capabilities import caps_policy
from slideforge.accounts.tokens import mark_reauth
from slideforge.models import Account, Post, PostTarget
from slideforge.models.post import PostStatus, SendState, TargetStatus
from slideforge.posts import scheduling
from slideforge.posts.service import drafted, option_columns, post_options, refresh_status
from slideforge.publishing.platforms import registry
from slideforge.publishing.platforms.base import PublishRequest
from slideforge.runtime import Runtime
from slideforge.webhooks import events as webhook_events
from slideforge.webhooks import outbox

CLAIMABLE = (TargetStatus.PENDING, TargetStatus.SCHEDULED, TargetStatus.RETRY)


@dataclass(frozen=True)
class TargetPlan:
    target_id: str
    revision: int
    account_id: str
    platform: str
    due: datetime


def _target(session: Session, target_id: str, *, lock: bool = False) -> PostTarget | None:
    """The target; with ``lock``, its post's row is locked first and then the target's.

    Every change to a target rolls its post's status up from all of the post's targets, so
    two targets of one post finishing at once must not both read the other as unfinished
    (READ COMMITTED would leave the post ``pending`` for ever). Locking the post first, as
    edits, retries and deletes also do, serialises them in one order, without deadlocks.
    """
    query = sa.select(PostTarget).where(PostTarget.id == uuid.UUID(target_id))
    if not lock:
        return session.scalar(query)
    post_of_target = query.with_only_columns(PostTarget.post_id).scalar_subquery()
    session.execute(sa.select(Post.id).where(Post.id == post_of_target).with_for_update())
    return session.scalar(query.with_for_update().execution_options(populate_existing=True))


def _post_alive(session: Session, target: PostTarget) -> Post | None:
    post = session.get(Post, target.post_id)
    return None if post is None or post.status == PostStatus.DELETED else post


def load_plan(runtime: Runtime, target_id: str, revision: int) -> TargetPlan | None:
    with runtime.db.session() as session:
        target = _target(session, target_id)
        if target is None or target.revision != revision or target.status not in CLAIMABLE:
            return None
        if _post_alive(session, target) is None:
            return None
        return TargetPlan(
            target_id, revision, str(target.account_id), target.platform, target.scheduled_for
        )


def pacing_delay(runtime: Runtime, target_id: str, revision: int) -> float | None:
    """Seconds to wait before this target may be sent without breaking the account's caps
    (posts and drafts per rolling 24 h); None when the target is obsolete."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _target(session, target_id)
        if target is None or target.revision != revision or target.status not in CLAIMABLE:
            return None
        post = _post_alive(session, target)
        account = session.get(Account, target.account_id)
        if post is None or account is None:
            return None
        rows = session.execute(
            sa.select(PostTarget.last_attempted_at, PostTarget.published_at, *option_columns())
            .join(Post, Post.id == PostTarget.post_id)
            .where(
                PostTarget.account_id == target.account_id,
                PostTarget.id != target.id,
                PostTarget.status.in_(
                    (TargetStatus.PUBLISHING, TargetStatus.POSTED, TargetStatus.OUTCOME_UNKNOWN)
                ),
                PostTarget.last_attempted_at >= now - timedelta(hours=24),
            )
        )
        bookings = [
            scheduling.Booking(published or attempted, drafted(options))
            for attempted, published, *options in rows
        ]
        caps = caps_policy(account.platform, account.policy)
        is_draft = registry.is_draft(post_options(post))
        free = scheduling.next_free_slot(caps, bookings, now, is_draft=is_draft)
        if free is None or free <= now:
            return 0.0
        target.progress = {**(target.progress or {}), "waiting_for_cap_until": free.isoformat()}
        return (free - now).total_seconds()


def defer(runtime: Runtime, target_id: str, revision: int, delay: float) -> datetime | None:
    """Move a waiting target's due time (its next workflow is delayed until then)."""
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        if target is None or target.revision != revision or target.status not in CLAIMABLE:
            return None
        until = runtime.clock.now() + timedelta(seconds=delay)
        target.scheduled_for = until
        return until


def seconds_since_attempt(runtime: Runtime, target_id: str) -> float:
    with runtime.db.session() as session:
        target = _target(session, target_id)
        if target is None or target.last_attempted_at is None:
            return 0.0
        return (runtime.clock.now() - target.last_attempted_at).total_seconds()


def target_status(runtime: Runtime, target_id: str) -> str | None:
    with runtime.db.session() as session:
        target = _target(session, target_id)
        return target.status if target is not None else None


def claim(runtime: Runtime, target_id: str, revision: int, attempt: int) -> bool:
    """Mark the target publishing for ``attempt`` (idempotent for a replayed claim)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        if target is None or target.revision != revision:
            return False
        if target.status == TargetStatus.PUBLISHING and target.attempt == attempt:
            return True  # our own claim, replayed after a crash before it was recorded
        if target.status not in CLAIMABLE or target.attempt != attempt - 1:
            return False
        post = _post_alive(session, target)
        if post is None:
            return False
        target.status = TargetStatus.PUBLISHING
        target.attempt = attempt
        target.send_state = SendState.ARMED
        target.last_attempted_at = now
        target.error_code = target.error_message = None
        refresh_status(session, post)
        return True


def request_for(session: Session, target: PostTarget) -> PublishRequest:
    post = session.get(Post, target.post_id)
    account = session.get(Account, target.account_id)
    assert post is not None and account is not None
    variants = (post.media_variants or {}).get(target.platform) or []
    settings = registry.rules(target.platform).publish_settings(post_options(post))
    # The account's platform settings (login model, ids, default board) travel along.
    account_settings = {**(account.settings or {}), "platform_user_id": account.platform_user_id}
    if post.media["type"] == "video":
        if len(variants) > 1:  # the video's cover image
            settings.setdefault("cover_url", variants[1])
        if post.media.get("cover_timestamp_ms") is not None:
            settings.setdefault("video_cover_timestamp_ms", post.media["cover_timestamp_ms"])
        item = post.media_items[0]
        return PublishRequest(
            kind="video",
            caption=post.caption,
            video_url=variants[0] if variants else None,
            video_key=item["key"],
            video_size=int(item["size"]),
            settings=settings,
            username=account.username,
            account=account_settings,
        )
    return PublishRequest(
        kind="slideshow",
        caption=post.caption,
        image_urls=tuple(variants),
        settings=settings,
        username=account.username,
        account=account_settings,
    )


def load_request(runtime: Runtime, target_id: str) -> tuple[PublishRequest, str, str]:
    """(what to publish, account id, platform) of a target."""
    with runtime.db.session() as session:
        target = _target(session, target_id)
        assert target is not None
        request = request_for(session, target)
        if request.video_key:  # platforms that upload while staging read it from storage
            request = replace(request, read_video=partial(runtime.storage.read, request.video_key))
        return request, str(target.account_id), target.platform


def stage_progress(runtime: Runtime, target_id: str) -> dict[str, Any]:
    with runtime.db.session() as session:
        target = _target(session, target_id)
        assert target is not None
        return dict((target.progress or {}).get("stage") or {})


def save_stage_progress(runtime: Runtime, target_id: str, progress: dict[str, Any]) -> None:
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        if target is not None:
            target.progress = {**(target.progress or {}), "stage": progress}


def begin_send(
    runtime: Runtime,
    target_id: str,
    revision: int,
    attempt: int,
    settings: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any] | None]:
    """The witness before the irreversible call: armed -> sending. Answers ``go``,
    ``obsolete``, ``sent`` with the recorded answer (a previous run sent and recorded it but
    died before its step was checkpointed), or ``interrupted`` (a previous run may have sent:
    never send again). ``go`` also records when the send began and the settings it uses
    (``progress.sending``): reconciliation reads the platform for that window."""
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        if target is None or target.revision != revision or target.attempt != attempt:
            return "obsolete", None
        ref = (target.progress or {}).get("ref")
        if target.send_state == SendState.SENT and target.status == TargetStatus.PUBLISHING and ref:
            return "sent", dict(ref)
        if target.send_state != SendState.ARMED or target.status != TargetStatus.PUBLISHING:
            return "interrupted", None
        target.send_state = SendState.SENDING
        target.progress = {
            **(target.progress or {}),
            "sending": {
                "attempt": attempt,
                "began_at": runtime.clock.now().isoformat(),
                "settings": dict(settings or {}),
            },
        }
        return "go", None


def record_sent(runtime: Runtime, target_id: str, attempt: int, ref: dict[str, Any]) -> None:
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        assert target is not None
        if target.attempt != attempt:
            return
        target.send_state = SendState.SENT
        target.publish_id = str(ref.get("publish_id") or ref.get("id") or "") or None
        target.progress = {**(target.progress or {}), "ref": ref}
        target.platform_status = "SENT"


def _finish(
    session: Session,
    target: PostTarget,
    status: TargetStatus,
    now: datetime,
    *,
    announce_published: bool = False,
    **values: Any,
) -> Post | None:
    target.status = status
    for key, value in values.items():
        setattr(target, key, value)
    post = session.get(Post, target.post_id)
    if post is not None:
        before = post.status
        after = refresh_status(session, post)
        if announce_published:
            account = session.get(Account, target.account_id)
            data = webhook_events.target_data(post, target, account)
            outbox.emit(session, post.workspace_id, "post.target.published", data, at=now)
        if after != before and after in webhook_events.POST_EVENTS:
            data = webhook_events.post_data(session, post)
            outbox.emit(session, post.workspace_id, webhook_events.POST_EVENTS[after], data, at=now)
    return post


def record_failure(
    runtime: Runtime,
    target_id: str,
    attempt: int,
    error: dict[str, Any],
    *,
    sent: bool,
    retry_at: datetime | None = None,
) -> str:
    """A failed attempt: ``retry`` (waiting for attempt+1 at ``retry_at``), ``failed`` or
    ``outcome_unknown``. Returns the target's new status."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        assert target is not None
        if target.attempt != attempt:
            return target.status
        kind = error.get("kind")
        target.send_state = SendState.SENT if sent else SendState.NONE
        if kind == "unknown":
            status = TargetStatus.OUTCOME_UNKNOWN
        elif retry_at is not None:
            status = TargetStatus.RETRY
            target.scheduled_for = retry_at
        else:
            status = TargetStatus.FAILED
        if kind == "auth" and error.get("code") in ("reauth_required", "auth_removed"):
            account = session.get(Account, target.account_id)
            if account is not None:
                mark_reauth(session, account, now, str(error.get("message") or error.get("code")))
        _finish(
            session,
            target,
            status,
            now,
            error_code=str(error.get("code") or "error"),
            error_message=str(error.get("message") or "the platform refused the post"),
        )
        return status


def record_progress(runtime: Runtime, target_id: str, platform_status: str) -> None:
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        if target is not None and target.platform_status != platform_status:
            target.platform_status = platform_status


def record_done(
    runtime: Runtime,
    target_id: str,
    attempt: int,
    *,
    platform_status: str,
    post_id: str | None,
    url: str | None,
) -> bool:
    """Posted (or delivered to the creator's inbox). Returns False if it already was."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        assert target is not None
        if target.attempt != attempt:
            return False
        first = target.status != TargetStatus.POSTED
        _posted(session, target, now, first, platform_status, post_id, url)
        return first


def _retry_now(session: Session, target: PostTarget, now: datetime, **values: Any) -> None:
    """Back to ``retry``, due now, nothing sent: the next attempt may send."""
    _finish(
        session,
        target,
        TargetStatus.RETRY,
        now,
        scheduled_for=now,
        send_state=SendState.NONE,
        **values,
    )


def _posted(
    session: Session,
    target: PostTarget,
    now: datetime,
    first: bool,
    platform_status: str,
    post_id: str | None,
    url: str | None,
    *,
    url_wins: bool = False,
    **values: Any,
) -> None:
    """The target is posted with the platform's id and URL (a URL without an id replaces a
    known one only when ``url_wins``); the first time, when and by which account."""
    values["platform_status"] = platform_status
    newly_public = bool(post_id) and not target.platform_post_id
    if post_id:
        values["platform_post_id"] = post_id
    if url and (post_id or url_wins or not target.published_url):
        values["published_url"] = url
    if first:
        values["published_at"] = now
        account = session.get(Account, target.account_id)
        if account is not None:
            account.last_posted_at = now
    post = _finish(
        session,
        target,
        TargetStatus.POSTED,
        now,
        announce_published=first,
        error_code=None,
        error_message=None,
        **values,
    )
    if newly_public and post is not None:
        # The public id is known: at once, after moderation, or once the creator published
        # an inbox draft (the draft watch, ``drafts_to_watch``).
        account = session.get(Account, target.account_id)
        from_draft = drafted([getattr(post, c.key) for c in option_columns()])
        data = webhook_events.public_data(post, target, account, from_draft=from_draft)
        outbox.emit(session, post.workspace_id, "post.target.publicly_available", data, at=now)


# (target, revision, attempt, account, platform): what the sweep needs to start a target's
# publish workflow.
_WORKFLOW_KEY = (
    PostTarget.id,
    PostTarget.revision,
    PostTarget.attempt,
    PostTarget.account_id,
    PostTarget.platform,
)


def due_targets(
    runtime: Runtime, horizon: timedelta
) -> list[tuple[str, int, int, str, str, datetime]]:
    """(target, revision, next attempt, account, platform, due) of every target that should
    have a publish workflow soon: the sweep re-enqueues them (idempotent workflow ids)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        rows = session.execute(
            sa.select(*_WORKFLOW_KEY, PostTarget.scheduled_for)
            .join(Post, Post.id == PostTarget.post_id)
            .where(
                PostTarget.status.in_(CLAIMABLE),
                PostTarget.scheduled_for <= now + horizon,
                Post.status != PostStatus.DELETED,
            )
        )
        return [
            (str(t), rev, attempt + 1, str(account), platform, due)
            for t, rev, attempt, account, platform, due in rows
        ]


def stuck_targets(runtime: Runtime, older_than: timedelta) -> list[tuple[str, int, int, str, str]]:
    """(target, revision, attempt, account, platform) of targets claimed long ago and still
    publishing: their workflow may be gone (the sweep checks)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        rows = session.execute(
            sa.select(*_WORKFLOW_KEY).where(
                PostTarget.status == TargetStatus.PUBLISHING,
                PostTarget.last_attempted_at < now - older_than,
            )
        )
        return [(str(t), rev, attempt, str(acc), plat) for t, rev, attempt, acc, plat in rows]


def resolve_stuck(runtime: Runtime, target_id: str, attempt: int) -> str | None:
    """A publishing target whose workflows are gone: never sent (armed) -> retry now; maybe
    sent (sending) -> outcome_unknown. ``sent`` targets are left to a new tracking run."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _target(session, target_id, lock=True)
        if target is None or target.status != TargetStatus.PUBLISHING or target.attempt != attempt:
            return None
        if target.send_state in (SendState.ARMED, SendState.NONE):
            _retry_now(session, target, now)
            return "retry"
        if target.send_state == SendState.SENDING:
            _finish(
                session,
                target,
                TargetStatus.OUTCOME_UNKNOWN,
                now,
                error_code="interrupted",
                error_message="the server stopped while sending this post; it may or may not be "
                "live: check the account before posting it again",
            )
            return "outcome_unknown"
        return "sent"


# How long slideforge keeps reading the status of a draft delivered to the creator's inbox,
# to notice when the creator publishes it in the app (TikTok documents no lifetime for
# inbox drafts, nor for a publish_id's status): every minute for the first hour, every 10
# minutes for the first day, then hourly until DRAFT_WATCH after the delivery.
DRAFT_WATCH = timedelta(days=7)
DRAFT_WATCH_STEPS = ((timedelta(hours=1), 60), (timedelta(days=1), 600), (DRAFT_WATCH, 3600))


def draft_check_round(delivered_at: datetime, now: datetime) -> int | None:
    """The number of the status check a delivered draft is due for now (one per interval of
    DRAFT_WATCH_STEPS; the same number all through one interval), None once the watch ended."""
    age = (now - delivered_at).total_seconds()
    if age < 0:
        return None
    start = 0.0
    for index, (until, every) in enumerate(DRAFT_WATCH_STEPS):
        if age < until.total_seconds():
            return 2_000_000 + index * 100_000 + int((age - start) // every)
        start = until.total_seconds()
    return None


def drafts_to_watch(runtime: Runtime) -> list[tuple[str, int, int, dict[str, Any], int]]:
    """(target, revision, attempt, ref, round) of drafts delivered to an inbox (posted, no
    public post id yet) within DRAFT_WATCH, each with the number of the status check it is
    due for: the publish sweep starts that check (a tracking round; ids make it once)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        rows = session.execute(
            sa.select(
                PostTarget.id,
                PostTarget.revision,
                PostTarget.attempt,
                PostTarget.published_at,
                PostTarget.progress,
                PostTarget.publish_id,
                *option_columns(),
            )
            .join(Post, Post.id == PostTarget.post_id)
            .where(
                PostTarget.status == TargetStatus.POSTED,
                PostTarget.platform_post_id.is_(None),
                PostTarget.published_at >= now - DRAFT_WATCH,
                Post.status != PostStatus.DELETED,
            )
        )
        out = []
        for target_id, revision, attempt, published_at, progress, publish_id, *options in rows:
            if not drafted(options) or published_at is None:
                continue
            check = draft_check_round(published_at, now)
            if check is None:
                continue
            ref = dict((progress or {}).get("ref") or {"publish_id": publish_id})
            out.append((str(target_id), revision, attempt, ref, check))
        return out


def sent_ref(runtime: Runtime, target_id: str) -> dict[str, Any]:
    with runtime.db.session() as session:
        target = _target(session, target_id)
        assert target is not None
        return dict((target.progress or {}).get("ref") or {"publish_id": target.publish_id})


# -- reconciliation of unknown outcomes (publishing/reconcile.py) ----------------------------

# Without a recorded start, a send began at most this long after the claim (staging rounds).
UNRECORDED_SEND_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class UnknownSend:
    """A target in ``outcome_unknown`` and what reconciliation needs to ask the platform."""

    target_id: str
    revision: int
    attempt: int
    account_id: str
    platform: str
    request: PublishRequest
    # The send's recorded answer (if any), its settings and the staging progress.
    ref: dict[str, Any]
    # From the send's begin to the latest time the platform may have created the post.
    window_start: datetime
    window_end: datetime
    # Platform post ids of the account's other targets (never this target's post).
    known_ids: frozenset[str]
    rounds: int


def reconcile_context(
    runtime: Runtime, target_id: str, revision: int, attempt: int
) -> UnknownSend | None:
    """The unknown send of this target, or None when it is no longer unknown (decided,
    edited, retried, deleted)."""
    with runtime.db.session() as session:
        target = _target(session, target_id)
        if (
            target is None
            or target.status != TargetStatus.OUTCOME_UNKNOWN
            or target.revision != revision
            or target.attempt != attempt
            or _post_alive(session, target) is None
        ):
            return None
        progress = dict(target.progress or {})
        sending = progress.get("sending") or {}
        if sending.get("attempt") != attempt:
            sending = {}
        ref = dict(progress.get("ref") or {})
        settings = dict(sending.get("settings") or ref.get("settings") or {})
        ref.update(
            settings=settings,
            stage=dict(progress.get("stage") or {}),
            publish_id=ref.get("publish_id") or target.publish_id,
        )
        if sending.get("began_at"):
            start = datetime.fromisoformat(str(sending["began_at"]))
            end = start
        else:  # a send from before the start was recorded: any time after the claim
            start = target.last_attempted_at or runtime.clock.now()
            end = start + UNRECORDED_SEND_SLACK
        end += timedelta(seconds=runtime.settings.reconcile_send_window_seconds)
        known = session.scalars(
            sa.select(PostTarget.platform_post_id).where(
                PostTarget.account_id == target.account_id,
                PostTarget.id != target.id,
                PostTarget.platform_post_id.is_not(None),
                PostTarget.last_attempted_at >= start - timedelta(days=2),
            )
        )
        return UnknownSend(
            target_id=target_id,
            revision=revision,
            attempt=attempt,
            account_id=str(target.account_id),
            platform=target.platform,
            request=request_for(session, target),
            ref=ref,
            window_start=start,
            window_end=end,
            known_ids=frozenset(str(k) for k in known if k),
            rounds=int((progress.get("reconcile") or {}).get("rounds") or 0)
            if (progress.get("reconcile") or {}).get("attempt") == attempt
            else 0,
        )


def _unknown_target(
    session: Session, target_id: str, revision: int, attempt: int
) -> PostTarget | None:
    target = _target(session, target_id, lock=True)
    if (
        target is None
        or target.status != TargetStatus.OUTCOME_UNKNOWN
        or target.revision != revision
        or target.attempt != attempt
    ):
        return None
    return target


def _reconcile_entry(
    target: PostTarget, attempt: int, read: dict[str, Any], *, state: str
) -> dict[str, Any]:
    """progress.reconcile after one more read: the attempt it is about, how many reads, the
    last few reads (what was read, when, what it showed), and the state reached."""
    before = dict((target.progress or {}).get("reconcile") or {})
    if before.get("attempt") != attempt:
        before = {"attempt": attempt, "rounds": 0, "reads": [], "message": target.error_message}
    reads = [*list(before.get("reads") or []), read][-5:]
    return {**before, "rounds": int(before.get("rounds") or 0) + 1, "reads": reads, "state": state}


def record_reconcile_read(
    runtime: Runtime,
    target_id: str,
    revision: int,
    attempt: int,
    read: dict[str, Any],
    *,
    final: bool,
) -> bool:
    """An undecided read: the target stays ``outcome_unknown`` with the evidence; ``final``
    when no further read will be made (the error message then says why)."""
    with runtime.db.session() as session:
        target = _unknown_target(session, target_id, revision, attempt)
        if target is None:
            return False
        entry = _reconcile_entry(target, attempt, read, state="undecided" if final else "reading")
        target.progress = {**(target.progress or {}), "reconcile": entry}
        if final:
            original = entry.get("message") or "the outcome of the send is unknown"
            target.error_message = (
                f"{original}. Checked on the platform at {read['at']}: {read['evidence']}"
            )[:2000]
        return True


def _decided_target(
    session: Session,
    target_id: str,
    revision: int,
    attempt: int,
    read: dict[str, Any],
    decision: str,
) -> PostTarget | None:
    """The ``outcome_unknown`` target of this attempt with the read that decided it and the
    ``decision`` added to progress.reconcile; None when the target changed meanwhile."""
    target = _unknown_target(session, target_id, revision, attempt)
    if target is not None:
        entry = _reconcile_entry(target, attempt, read, state="decided")
        target.progress = {**(target.progress or {}), "reconcile": {**entry, "decision": decision}}
    return target


def reconcile_posted(
    runtime: Runtime,
    target_id: str,
    revision: int,
    attempt: int,
    read: dict[str, Any],
    *,
    post_id: str | None,
    url: str | None,
    platform_status: str,
) -> bool:
    """The platform shows the post: posted (``post.target.published`` and the post's event
    go out as for any publish)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _decided_target(session, target_id, revision, attempt, read, "posted")
        if target is None:
            return False
        _posted(
            session,
            target,
            now,
            True,
            platform_status,
            post_id,
            url,
            url_wins=True,
            send_state=SendState.SENT,
        )
        return True


def reconcile_not_posted(
    runtime: Runtime, target_id: str, revision: int, attempt: int, read: dict[str, Any]
) -> tuple[str, str, datetime] | None:
    """The platform shows no such post and its answer is authoritative: the target goes back
    to ``retry``, due now, for one new attempt. Returns (account, platform, due) for the
    enqueue, or None when the target changed meanwhile."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _decided_target(session, target_id, revision, attempt, read, "not_posted")
        if target is None:
            return None
        _retry_now(
            session,
            target,
            now,
            error_code=None,
            error_message=None,
        )
        return str(target.account_id), target.platform, now


def reconcile_failed(
    runtime: Runtime,
    target_id: str,
    revision: int,
    attempt: int,
    read: dict[str, Any],
    error: dict[str, Any],
) -> bool:
    """The platform says the publish failed for a reason a new attempt would not fix."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        target = _decided_target(session, target_id, revision, attempt, read, "failed")
        if target is None:
            return False
        _finish(
            session,
            target,
            TargetStatus.FAILED,
            now,
            send_state=SendState.SENT,
            error_code=str(error.get("code") or "failed"),
            error_message=str(error.get("message") or "the platform failed the post"),
        )
        return True


def unreconciled_targets(runtime: Runtime) -> list[tuple[str, int, int, int]]:
    """(target, revision, attempt, next round) of ``outcome_unknown`` targets whose
    reconciliation has not ended: the sweep makes sure each has its workflow."""
    with runtime.db.session() as session:
        rows = session.execute(
            sa.select(PostTarget.id, PostTarget.revision, PostTarget.attempt, PostTarget.progress)
            .join(Post, Post.id == PostTarget.post_id)
            .where(
                PostTarget.status == TargetStatus.OUTCOME_UNKNOWN, Post.status != PostStatus.DELETED
            )
        )
        out = []
        for target_id, revision, attempt, progress in rows:
            entry = (progress or {}).get("reconcile") or {}
            if entry.get("attempt") == attempt and entry.get("state") in ("undecided", "decided"):
                continue
            rounds = int(entry.get("rounds") or 0) if entry.get("attempt") == attempt else 0
            out.append((str(target_id), revision, attempt, rounds))
        return out
