"""Rules of posts (contract §4): create (idempotent, media ingested and checked, accounts
explicit or chosen by the server), list, get, edit, retry, delete.

Transactions are kept short (SQLite serialises writers): validate and reserve the
idempotency key, commit; fetch and store media with no transaction open; then one short
transaction locks the candidate accounts, books the slot and writes post + targets; the
publish workflows are enqueued after that commit (``jobs.publish_targets``). Edits, retries
and deletes likewise start and cancel workflows only once they committed: a caller of these
functions has nothing to enqueue."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slideforge import jobs, liveness
from slideforge.accounts import service as account_service
from slideforge.accounts.capabilities import caps_policy, effective_policy
from slideforge.auth.service import Caller
from slideforge.kit.clock import TimestampRangeError, isoformat, parse_timestamp
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.kit.pagination import newest_first, oldest_first
from slideforge.models import Account, File, Post, PostRequest, PostTarget
from slideforge.models.post import PostStatus, TargetStatus
from slideforge.posts import scheduling
from slideforge.posts.schemas import (
    AccountSelection,
    AccountState,
    AccountStates,
    DeleteResult,
    MediaVariant,
    PlannedAccount,
    PlannedMedia,
    PostCreated,
    PostInput,
    PostList,
    PostOut,
    PostPlan,
    PostSummary,
    PostUpdate,
    PostWarning,
    RetryResult,
)
from slideforge.publishing import media as post_media
from slideforge.publishing.platforms import registry
from slideforge.publishing.platforms.base import PostCheck
from slideforge.runtime import Runtime
from slideforge.slideshows import texts as slide_texts

IMMEDIATE_WINDOW = timedelta(seconds=30)
# Target states that hold a slot on the account.
BOOKED = (
    TargetStatus.SCHEDULED,
    TargetStatus.PENDING,
    TargetStatus.PUBLISHING,
    TargetStatus.RETRY,
    TargetStatus.POSTED,
    TargetStatus.OUTCOME_UNKNOWN,
)
ACTIVE = (
    TargetStatus.SCHEDULED,
    TargetStatus.PENDING,
    TargetStatus.PUBLISHING,
    TargetStatus.RETRY,
)
EDITABLE_POST = (
    PostStatus.DRAFT,
    PostStatus.PENDING,
    PostStatus.SCHEDULED,
    PostStatus.RETRY,
    PostStatus.FAILED,
)
DELETABLE_POST = EDITABLE_POST
POST_STATUSES = tuple(PostStatus)
# A create that finds its idempotency key held by a request of a live process waits this long
# for that request's post, then answers 409 create_in_progress with Retry-After. A key held by
# a dead process (see slideforge.liveness) is taken over at once.
WAIT_FOR_TWIN_SECONDS = 5.0
TWIN_RETRY_AFTER_SECONDS = 5
# A reservation this old is taken over even from a live process (a request thread stuck that
# long is not coming back; clients give up after 120 s).
STALE_RESERVATION = timedelta(minutes=5)


# -- helpers -------------------------------------------------------------------------------


def bad(message: str, field: str | None = None) -> ApiError:
    data = {"errors": [{"field": field, "message": message}]} if field else None
    return ApiError(
        "validation_failed", f"{field + ': ' if field else ''}{message}", 400, data=data
    )


def body_hash(body: PostInput) -> str:
    canonical = json.dumps(body.model_dump(mode="json", exclude_unset=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Draft:
    """Everything decided about a create before it is written."""

    body: PostInput
    accounts: list[Account]
    selection: AccountSelection | None
    scheduled_at: datetime | None
    warnings: list[PostWarning] = field(default_factory=list)
    music_url: str | None = None
    music_post_id: str | None = None

    def warn(self, field: str, message: str, code: str) -> None:
        self.warnings.append(PostWarning(field=field, message=message, code=code))


# -- validation ----------------------------------------------------------------------------


def parse_schedule(
    raw: str | None, now: datetime, horizon_days: int, field: str = "scheduled_at"
) -> datetime | None:
    """The time a post is scheduled for: a zoned ISO 8601 time, not in the past, at most
    ``horizon_days`` ahead (``SLIDEFORGE_SCHEDULE_HORIZON_DAYS``). Every way of scheduling
    (create, PATCH, UGC postTime, Ayrshare scheduleDate) comes through here."""
    if raw is None or not raw.strip():
        return None
    latest = now + timedelta(days=horizon_days)
    too_far = (
        f"is more than {horizon_days} days ahead; posts can be scheduled at most "
        f"{horizon_days} days ahead (until {isoformat(latest)})"
    )
    try:
        when = parse_timestamp(raw)
    except TimestampRangeError as exc:
        raise bad(f"{raw.strip()} {too_far}", field) from exc
    except ValueError as exc:
        raise ApiError(
            "invalid_scheduled_at",
            f"{field}: must be an ISO 8601 time with a zone, e.g. 2026-12-01T15:00:00Z",
            422,
        ) from exc
    if when < now - IMMEDIATE_WINDOW:
        raise ApiError(
            "invalid_scheduled_at", f"{field}: {raw} is in the past; omit it to publish now", 422
        )
    if when > latest:
        raise bad(f"{raw.strip()} {too_far}", field)
    return when


def resolve_accounts(session: Session, caller: Caller, refs: list[Any]) -> list[Account]:
    ids: list[uuid.UUID] = []
    unknown: list[str] = []
    for ref in refs:
        parsed = parse_id(ref.id)
        if parsed is None:
            unknown.append(ref.id.strip())
        elif parsed not in ids:
            ids.append(parsed)
    rows = {
        row.id: row
        for row in session.scalars(
            sa.select(Account).where(
                Account.workspace_id == caller.workspace_id, Account.id.in_(ids)
            )
        )
    }
    unknown += [str(i) for i in ids if i not in rows]
    if unknown:
        raise ApiError(
            "unknown_accounts",
            f"these accounts are not accounts of this workspace: {', '.join(unknown)}",
            400,
            data={"account_ids": unknown},
        )
    unconnected = [rows[i] for i in ids if rows[i].status == "unconnected"]
    if unconnected:
        raise account_service.not_connected(unconnected[0])
    inactive = [row for row in rows.values() if row.status != "active"]
    if inactive:
        detail = ", ".join(f"{a.id} (@{a.username} is {a.status})" for a in inactive)
        raise ApiError(
            "unknown_accounts",
            f"these accounts cannot post: {detail}",
            400,
            data={"account_ids": [str(a.id) for a in inactive]},
        )
    return [rows[i] for i in ids]


def warn_slides_without_text(
    session: Session, runtime: Runtime, caller: Caller, draft: Draft, media: dict[str, Any]
) -> None:
    """Posts take URLs, so a slideshow is recognised by its rendered images' URLs (our own
    media under ``renders/{slideshow_id}/``): one whose slides have no text at all is
    posted as bare images — say so (``SLIDES_WITHOUT_TEXT``)."""
    if media.get("type") != "slideshow":
        return
    for row in slide_texts.textless_slideshows(
        session, runtime, caller.workspace_id, list(media.get("urls") or [])
    ):
        draft.warn(
            "media.urls",
            f"these images are the rendered slides of slideshow {row.id}, and "
            + slide_texts.no_text_message(len(row.slides or [])).replace("{id}", str(row.id)),
            slide_texts.SLIDES_WITHOUT_TEXT,
        )


def post_options(source: Any) -> dict[str, dict[str, Any]]:
    """The per-platform option objects (``tiktok``, ``pinterest``) of a body or a post row,
    by field, as dicts; absent ones left out."""
    out: dict[str, dict[str, Any]] = {}
    for field_name in registry.option_fields():
        value = getattr(source, field_name, None)
        if value is not None:
            out[field_name] = value if isinstance(value, dict) else value.model_dump()
    return out


def option_columns() -> list[Any]:
    """The post's option-object columns (``Post.tiktok``, ``Post.pinterest``), to select
    with a target when its draft-ness matters (``drafted``)."""
    return [getattr(Post, field_name) for field_name in registry.option_fields()]


def drafted(values: Sequence[Any]) -> bool:
    """Whether a post whose ``option_columns()`` hold ``values`` goes to an inbox as a draft."""
    return registry.is_draft(dict(zip(registry.option_fields(), values, strict=True)))


def check_platform_rules(draft: Draft, platforms: set[str], media: dict[str, Any]) -> None:
    """What each targeted platform requires of the post (``registry.check_post``: caption
    length and rules, option objects, media kind and count, music); its warnings go on the
    draft, the music fields it read on ``draft.music_url``/``music_post_id``."""
    body = draft.body
    check = PostCheck(
        caption=body.caption,
        media=media,
        platforms=frozenset(platforms),
        options=post_options(body),
        accounts=draft.accounts,
        music_url=body.music_url or None,
        music_post_id=body.music_post_id,
    )
    registry.check_post(check)
    for field_name, message, code in check.warnings:
        draft.warn(field_name, message, code)
    draft.music_url, draft.music_post_id = check.music_url, check.music_post_id


# -- automatic account choice --------------------------------------------------------------


def _bookings(
    session: Session, account_ids: list[uuid.UUID], start: datetime, end: datetime
) -> dict[uuid.UUID, list[scheduling.Booking]]:
    rows = session.execute(
        sa.select(
            PostTarget.account_id,
            PostTarget.scheduled_for,
            PostTarget.published_at,
            *option_columns(),
        )
        .join(Post, Post.id == PostTarget.post_id)
        .where(
            PostTarget.account_id.in_(account_ids),
            PostTarget.status.in_(BOOKED),
            PostTarget.scheduled_for >= start,
            PostTarget.scheduled_for <= end,
        )
    )
    out: dict[uuid.UUID, list[scheduling.Booking]] = {i: [] for i in account_ids}
    for account_id, scheduled_for, published_at, *options in rows:
        out[account_id].append(scheduling.Booking(published_at or scheduled_for, drafted(options)))
    return out


def next_free_slots(
    session: Session, accounts: Sequence[Any], now: datetime, count: int = 3
) -> dict[uuid.UUID, list[datetime]]:
    """The next ``count`` slots at or after ``now`` at which each account (rows with ``id``,
    ``platform`` and ``policy``) could take a post, as a post without a time would find them
    (``choose_account``: its policy over its bookings, 30 days ahead); each slot is booked in
    turn to find the next one. Nothing is locked or written."""
    if not accounts:
        return {}
    ids = [a.id for a in accounts]
    bookings = _bookings(session, ids, now - timedelta(days=2), now + timedelta(days=32))
    out: dict[uuid.UUID, list[datetime]] = {}
    for account in accounts:
        policy = scheduling.Policy.from_dict(effective_policy(account.platform, account.policy))
        booked = list(bookings[account.id])
        slots: list[datetime] = []
        at = now
        while len(slots) < count:
            slot = scheduling.next_free_slot(policy, booked, at)
            if slot is None:
                break
            slots.append(slot)
            booked.append(scheduling.Booking(slot))
            at = slot
        out[account.id] = slots
    return out


def lock_accounts(session: Session, ids: list[uuid.UUID]) -> None:
    """Serialise bookings on these accounts until the transaction ends (PostgreSQL row
    locks in id order; SQLite transactions are already serial)."""
    if ids:
        session.execute(
            sa.select(Account.id)
            .where(Account.id.in_(sorted(ids)))
            .order_by(Account.id)
            .with_for_update()
        )


def choose_account(
    session: Session,
    caller: Caller,
    selection: AccountSelection,
    kind: str,
    is_draft: bool,
    at: datetime,
    now: datetime,
) -> tuple[Account, datetime]:
    query = sa.select(Account).where(
        Account.workspace_id == caller.workspace_id, Account.status == "active"
    )
    if selection.account_id is not None:
        wanted = parse_id(selection.account_id)
        named = (
            session.scalar(
                sa.select(Account).where(
                    Account.id == wanted, Account.workspace_id == caller.workspace_id
                )
            )
            if wanted
            else None
        )
        if named is None:
            raise ApiError(
                "unknown_accounts",
                f"account {selection.account_id.strip()} is not an account of this workspace",
                400,
            )
        if named.status == "unconnected":
            raise account_service.not_connected(named)
        query = query.where(Account.id == wanted)
    if selection.platform:
        query = query.where(Account.platform == selection.platform)
    if selection.user_group:
        query = query.where(Account.user_group == selection.user_group)
    if selection.org_group:
        query = query.where(Account.org_group == selection.org_group)
    candidates = [
        a
        for a in session.scalars(query.order_by(Account.id))
        if (not selection.tag or selection.tag in (a.tags or []))
        and registry.rules(a.platform).accepts(kind)
        and (not is_draft or registry.rules(a.platform).takes_drafts)
    ]
    if not candidates:
        filters = {
            k: v for k, v in selection.model_dump().items() if v is not None and k != "strict"
        }
        raise ApiError(
            "missing_accounts",
            f"no active account can post this {kind}"
            + (f" with {', '.join(f'{k}={v}' for k, v in filters.items())}" if filters else ""),
            400,
        )
    lock_accounts(session, [a.id for a in candidates])
    bookings = _bookings(
        session, [a.id for a in candidates], at - timedelta(days=2), at + timedelta(days=32)
    )

    def last_posted(account: Account) -> datetime:
        past = [b.at for b in bookings[account.id] if b.at <= now]
        times = [t for t in (account.last_posted_at, max(past) if past else None) if t]
        return max(times) if times else datetime.min.replace(tzinfo=at.tzinfo)

    policies = {
        a.id: scheduling.Policy.from_dict(effective_policy(a.platform, a.policy))
        for a in candidates
    }
    if selection.strict:
        reasons: dict[str, str] = {}
        free = []
        for account in candidates:
            blocked = scheduling.blocking_reasons(
                policies[account.id], bookings[account.id], at, is_draft=is_draft
            )
            if blocked:
                reasons[f"@{account.username}"] = blocked[0][0]
            else:
                free.append(account)
        if not free:
            detail = "; ".join(f"{name}: {why}" for name, why in reasons.items())
            raise ApiError(
                "no_account_available",
                f"no account can post at {isoformat(at)}: {detail}. Pick another time, or "
                "send strict: false to take the nearest free slot.",
                409,
                data={"reasons": reasons},
            )
        chosen = min(free, key=lambda a: (last_posted(a), str(a.id)))
        return chosen, at
    best: tuple[datetime, datetime, str, Account] | None = None
    for account in candidates:
        slot = scheduling.next_free_slot(
            policies[account.id], bookings[account.id], at, is_draft=is_draft
        )
        if slot is None:
            continue
        key = (slot, last_posted(account), str(account.id), account)
        if best is None or key[:3] < best[:3]:
            best = key
    if best is None:
        raise ApiError(
            "no_account_available",
            "no matching account has a free slot in the next 30 days",
            409,
        )
    return best[3], best[0]


# -- create --------------------------------------------------------------------------------


def idempotency_key(body: PostInput) -> tuple[str, str, bool]:
    """The create's idempotency key (its external_id, else its body's hash), the body's
    hash, and whether the key is an external_id."""
    digest = body_hash(body)
    is_external = body.external_id is not None
    return (f"ext:{body.external_id}" if is_external else f"body:{digest}"), digest, is_external


def _request_row(session: Session, caller: Caller, key: str) -> PostRequest | None:
    return session.scalar(
        sa.select(PostRequest).where(
            PostRequest.workspace_id == caller.workspace_id, PostRequest.key == key
        )
    )


def _expired(row: PostRequest, now: datetime, window: timedelta, is_external: bool) -> bool:
    """A body key answers only within the dedupe window; an external_id always."""
    return not is_external and row.created_at < now - window


def _answered_by(
    row: PostRequest, now: datetime, window: timedelta, key: str, digest: str, is_external: bool
) -> uuid.UUID | None:
    """The post an earlier, finished request with this key made, when it answers this one;
    409 create_failed when the external_id was used with another body."""
    if row.state != "done" or row.post_id is None or _expired(row, now, window, is_external):
        return None
    if is_external and row.body_hash != digest:
        raise ApiError(
            "create_failed",
            f"external_id {key[4:]!r} was already used for another post with a "
            "different body; use a new external_id",
            409,
        )
    return row.post_id


def prior_post(
    session: Session, runtime: Runtime, caller: Caller, key: str, digest: str, is_external: bool
) -> uuid.UUID | None:
    """Without reserving anything: the post a create with this key would answer."""
    row = _request_row(session, caller, key)
    if row is None:
        return None
    window = timedelta(seconds=runtime.settings.post_dedupe_window_seconds)
    return _answered_by(row, runtime.clock.now(), window, key, digest, is_external)


@dataclass
class Reservation:
    id: uuid.UUID | None
    existing_post: uuid.UUID | None = None


def _reserve(
    session: Session, runtime: Runtime, caller: Caller, key: str, digest: str, is_external: bool
) -> Reservation:
    """Take the idempotency key, or find the post a previous identical request made. A key
    held by a request of a live process is waited for briefly (then 409 create_in_progress
    with Retry-After); one held by a dead process (killed mid-request) is taken over at once.
    The reservation records this process as its owner."""
    owner = liveness.current()
    if owner is None:  # a process that did not start its lease (workers.start does)
        session.commit()  # the lease's own write must not wait behind this transaction
        owner = liveness.start(runtime.db)
    deadline = time.monotonic() + WAIT_FOR_TWIN_SECONDS
    window = timedelta(seconds=runtime.settings.post_dedupe_window_seconds)
    while True:
        now = runtime.clock.now()
        row = _request_row(session, caller, key)
        if row is not None:
            existing = _answered_by(row, now, window, key, digest, is_external)
            if existing is not None:
                return Reservation(None, existing_post=existing)
            expired = _expired(row, now, window, is_external)
            if (
                row.state == "in_progress"
                and not expired
                and row.created_at >= now - STALE_RESERVATION
                and liveness.owner_state(session, row.owner_id).alive
            ):
                session.commit()
                if time.monotonic() > deadline:
                    what = "external_id" if is_external else "body"
                    raise ApiError(
                        "create_in_progress",
                        f"a request with the same {what} is still being processed; retry in "
                        f"{TWIN_RETRY_AFTER_SECONDS} seconds to get its post",
                        409,
                        headers={"Retry-After": str(TWIN_RETRY_AFTER_SECONDS)},
                    )
                time.sleep(0.25)
                session.expire_all()
                continue
            # Expired, stale, or its process died: the key is free again. A bulk delete
            # (no stale-row check): a twin that took it first makes our insert fail below.
            session.execute(
                sa.delete(PostRequest)
                .where(PostRequest.id == row.id)
                .execution_options(synchronize_session=False)
            )
            session.expunge(row)
        try:
            with session.begin_nested():
                reservation = PostRequest(
                    workspace_id=caller.workspace_id,
                    key=key,
                    body_hash=digest,
                    created_at=now,
                    owner_id=owner.id,
                )
                session.add(reservation)
            session.commit()
            return Reservation(reservation.id)
        except IntegrityError:
            session.rollback()
            continue


def _release(session: Session, reservation: Reservation) -> None:
    session.rollback()
    if reservation.id is not None:
        session.execute(
            sa.delete(PostRequest)
            .where(PostRequest.id == reservation.id, PostRequest.state == "in_progress")
            .execution_options(synchronize_session=False)
        )
        session.commit()


def created_view(post: Post, targets: list[PostTarget], duplicate: bool = False) -> PostCreated:
    return PostCreated(
        id=post.id,
        status=post.status,
        scheduled_at=isoformat(post.scheduled_at),
        warnings=[PostWarning(**w) for w in post.warnings or []],
        duplicate=duplicate,
        accounts=[
            {
                "account_id": str(t.account_id),
                "status": t.status,
                "scheduled_for": isoformat(t.scheduled_for),
            }
            for t in targets
        ],
    )


def _targets(session: Session, post_id: uuid.UUID) -> list[PostTarget]:
    query = sa.select(PostTarget).where(PostTarget.post_id == post_id)
    return list(session.scalars(query.order_by(*oldest_first(PostTarget))))


def _implied_platform(body: PostInput) -> str | None:
    """The platform whose options the body sent, when those options need every target on
    it (tiktok settings: a TikTok account)."""
    for field_name in post_options(body):
        for name in registry.names():
            rules = registry.rules(name)
            if rules.option_field == field_name and rules.options_need == "every":
                return name
    return None


def create_post(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    body: PostInput,
    *,
    source: str = "partner_api",
) -> PostCreated:
    """Create a post (see module docstring); its publish workflows start once it committed."""
    now = runtime.clock.now()
    draft, media, platforms = check_request(session, runtime, caller, body, now)
    key, digest, is_external = idempotency_key(body)
    reservation = _reserve(session, runtime, caller, key, digest, is_external)
    if reservation.existing_post is not None:
        post = _answered_post(session, caller, reservation.existing_post)
        return created_view(post, _targets(session, post.id), duplicate=True)

    post_id = uuid.uuid4()
    try:
        session.commit()  # no transaction may stay open while media is fetched
        items, files = ingest_media(runtime, caller, post_id, draft, media)
        prepared_for = set(platforms)
        # Known platforms: the variants are made before any lock or transaction (light posts
        # only; heavy ones get theirs from the publish workflow, see _variants).
        variants = _variants(runtime, post_id, platforms, items, media["type"]) if platforms else {}
        is_draft = registry.is_draft(post_options(body))
        when, platforms, _ = place(
            session, caller, draft, media, platforms, is_draft, draft.scheduled_at or now, now
        )
        check_ingested_media(runtime, draft, platforms, items, media)
        if platforms != prepared_for:  # the platform came with the chosen account
            variants = _variants(runtime, post_id, platforms, items, media["type"])
        immediate = when <= now + IMMEDIATE_WINDOW
        post = Post(
            id=post_id,
            workspace_id=caller.workspace_id,
            member_id=caller.member_id,
            caption=body.caption,
            media=media,
            media_items=[item.as_dict() for item in items],
            media_variants=variants,
            music_url=draft.music_url,
            music_post_id=draft.music_post_id,
            tiktok=body.tiktok.model_dump(exclude_none=True) if body.tiktok else None,
            pinterest=body.pinterest.model_dump(exclude_none=True) if body.pinterest else None,
            scheduled_at=None if immediate else when,
            status="pending" if immediate else "scheduled",
            external_id=body.external_id,
            body_hash=digest,
            source=source,
            warnings=[w.model_dump() for w in draft.warnings],
            account_selection=body.account_selection.model_dump()
            if body.account_selection
            else None,
        )
        session.add(post)
        session.add_all(files)
        session.flush()
        targets = [_new_target(post, account, now, when, immediate) for account in draft.accounts]
        session.add_all(targets)
        marked = session.execute(
            sa.update(PostRequest)
            .where(PostRequest.id == reservation.id, PostRequest.state == "in_progress")
            .values(state="done", post_id=post.id)
            .execution_options(synchronize_session=False)
        )
        if getattr(marked, "rowcount", 1) != 1:
            # A twin took the key over (this request looked dead or stuck): its post wins.
            raise ApiError(
                "create_in_progress",
                "a request with the same key took over while this one was running; retry "
                f"in {TWIN_RETRY_AFTER_SECONDS} seconds to get its post",
                409,
                headers={"Retry-After": str(TWIN_RETRY_AFTER_SECONDS)},
            )
        jobs.publish_targets(session, targets)
        session.commit()
    except BaseException:
        _release(session, reservation)
        raise
    return created_view(post, targets)


def check_request(
    session: Session, runtime: Runtime, caller: Caller, body: PostInput, now: datetime
) -> tuple[Draft, dict[str, Any], set[str]]:
    """The checks of a create that need no media fetched, in their order (accounts,
    schedule, every targeted platform's rules, slides without text): the draft, the media
    as requested, and the platforms known so far (none yet for an automatic choice whose
    platform is not implied)."""
    if body.accounts is None and body.account_selection is None:
        raise ApiError(
            "missing_accounts",
            "send accounts (1–10 account ids) or account_selection (to let the server choose)",
            400,
        )
    if body.accounts is not None and body.account_selection is not None:
        raise bad("send accounts or account_selection, not both", "accounts")
    scheduled_at = parse_schedule(body.scheduled_at, now, runtime.settings.schedule_horizon_days)
    accounts = resolve_accounts(session, caller, body.accounts) if body.accounts else []
    draft = Draft(body, accounts, body.account_selection, scheduled_at)
    media = body.media.model_dump(exclude_none=True)
    platforms = {a.platform for a in accounts}
    if body.account_selection is not None:
        # The platform is known once the account is chosen; options of a platform that
        # needs every target on it (tiktok settings) imply that platform.
        chosen = body.account_selection.platform or _implied_platform(body)
        platforms = {chosen} if chosen else set()
    check_platform_rules(draft, platforms, media)
    warn_slides_without_text(session, runtime, caller, draft, media)
    return draft, media, platforms


def _answered_post(session: Session, caller: Caller, post_id: uuid.UUID) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != caller.workspace_id:
        raise not_found("post")
    return post


def ingest_media(
    runtime: Runtime,
    caller: Caller,
    post_id: uuid.UUID,
    draft: Draft,
    media: dict[str, Any],
    *,
    store: bool = True,
) -> tuple[list[post_media.MediaItem], list[File]]:
    """Fetch and check the media (stored unless ``store`` is false), its warnings on the
    draft. Call with no transaction open."""
    items, files, warnings = post_media.ingest(
        runtime, caller.workspace_id, post_id, media, store=store
    )
    for warning in warnings:
        draft.warn(warning.field, warning.message, warning.code)
    return items, files


def place(
    session: Session,
    caller: Caller,
    draft: Draft,
    media: dict[str, Any],
    platforms: set[str],
    is_draft: bool,
    when: datetime,
    now: datetime,
) -> tuple[datetime, set[str], dict[uuid.UUID, datetime]]:
    """Where and when the post goes: the account the server chooses (``account_selection``,
    then that platform's rules) or the explicit accounts, locked, with a warning for each
    whose caps the post would wait for. Returns the time, the platforms, and by account the
    time those caps let it go."""
    if draft.selection is not None:
        account, slot = choose_account(
            session, caller, draft.selection, media["type"], is_draft, when, now
        )
        draft.accounts = [account]
        if slot != when:
            draft.warn(
                "scheduled_at",
                f"@{account.username} is free at {isoformat(slot)}: the post is scheduled "
                "there (strict: false takes the nearest free slot)",
                "RESCHEDULED",
            )
        platforms = {account.platform}
        check_platform_rules(draft, platforms, media)
        return slot, platforms, {}
    lock_accounts(session, [a.id for a in draft.accounts])
    return when, platforms, _warn_caps(session, draft, when, is_draft)


def check_ingested_media(
    runtime: Runtime,
    draft: Draft,
    platforms: set[str],
    items: list[post_media.MediaItem],
    media: dict[str, Any],
) -> None:
    """What the targeted platforms refuse in the fetched media, and what their variants will
    change in it (warnings on the draft)."""
    post_media.check_media(platforms, items, media["type"], post_options(draft.body))
    for warning in post_media.variant_warnings(
        platforms, items, media["type"], runtime.settings.image_fit
    ):
        draft.warn(warning.field, warning.message, warning.code)


# -- dry run -------------------------------------------------------------------------------


def validate_post(session: Session, runtime: Runtime, caller: Caller, body: PostInput) -> PostPlan:
    """What ``create_post`` would do with this body, nothing stored: its checks in its order
    and its refusals, then the plan (accounts and times, media variants, warnings). The
    idempotency key is read, not reserved: a body ``create_post`` would answer with an
    earlier post gives that post's plan with ``duplicate_of``. The media is fetched and
    checked like a create's (same SafeHttp path and limits) but not stored, and no variant
    is made: their effect is predicted from the sizes."""
    now = runtime.clock.now()
    draft, media, platforms = check_request(session, runtime, caller, body, now)
    existing = prior_post(session, runtime, caller, *idempotency_key(body))
    if existing is not None:
        return _duplicate_plan(session, runtime, _answered_post(session, caller, existing))
    session.commit()  # media fetches happen outside any transaction
    items, _ = ingest_media(runtime, caller, uuid.uuid4(), draft, media, store=False)
    when, platforms, waits = place(
        session,
        caller,
        draft,
        media,
        platforms,
        registry.is_draft(post_options(body)),
        draft.scheduled_at or now,
        now,
    )
    check_ingested_media(runtime, draft, platforms, items, media)
    immediate = when <= now + IMMEDIATE_WINDOW
    options = post_options(body)
    plan = PostPlan(
        scheduled_at=None if immediate else isoformat(when),
        accounts=[
            PlannedAccount(
                account_id=account.id,
                platform=account.platform,
                username=account.username,
                scheduled_for=isoformat(now if immediate else when),
                draft=_drafted_on(account.platform, options),
                waits_until=isoformat(waits.get(account.id)),
            )
            for account in draft.accounts
        ],
        media=_planned_media(runtime, platforms, items, media["type"]),
        warnings=draft.warnings,
    )
    session.rollback()  # nothing was written; the accounts' locks (place) go at once
    return plan


def _drafted_on(platform: str, options: dict[str, dict[str, Any]]) -> bool:
    rules = registry.rules(platform)
    return rules.takes_drafts and rules.is_draft(
        options.get(rules.option_field) if rules.option_field else None
    )


def _planned_media(
    runtime: Runtime, platforms: set[str], items: list[post_media.MediaItem], kind: str
) -> PlannedMedia:
    notes = post_media.variant_notes(platforms, items, kind, runtime.settings.image_fit)
    return PlannedMedia(
        type=kind,
        count=len(items) if kind == "slideshow" else 1,
        variants=[MediaVariant(platform=name, notes=notes[name]) for name in sorted(notes)],
    )


def _duplicate_plan(session: Session, runtime: Runtime, post: Post) -> PostPlan:
    """The plan of the post a create would answer with (its targets as they are now)."""
    targets = _targets(session, post.id)
    accounts = {
        a.id: a
        for a in session.scalars(
            sa.select(Account).where(Account.id.in_([t.account_id for t in targets]))
        )
    }
    items = [post_media.MediaItem(**item) for item in post.media_items or []]
    options = post_options(post)
    return PostPlan(
        scheduled_at=isoformat(post.scheduled_at),
        accounts=[
            PlannedAccount(
                account_id=t.account_id,
                platform=t.platform,
                username=accounts[t.account_id].username if t.account_id in accounts else None,
                scheduled_for=isoformat(t.scheduled_for),
                draft=_drafted_on(t.platform, options),
            )
            for t in targets
        ],
        media=_planned_media(
            runtime, {t.platform for t in targets}, items, str((post.media or {}).get("type"))
        ),
        warnings=[PostWarning(**w) for w in post.warnings or []],
        duplicate_of=post.id,
    )


def _variants(
    runtime: Runtime,
    post_id: uuid.UUID,
    platforms: set[str],
    items: list[post_media.MediaItem],
    kind: str,
) -> dict[str, Any]:
    """The media URLs per platform, made now when the work is light
    (SLIDEFORGE_POST_MEDIA_INLINE_MEGAPIXELS); for a heavier post none: the publish workflow
    makes each target's before its send (``publishing.preparation``), so the request answers
    at once and a slide that cannot be used fails its targets, naming the slide."""
    if not platforms or not post_media.prepare_in_request(runtime, platforms, items, kind):
        return {}
    return post_media.prepare_variants(runtime, post_id, platforms, items, kind)


def _warn_caps(
    session: Session, draft: Draft, when: datetime, is_draft: bool
) -> dict[uuid.UUID, datetime]:
    """Explicit accounts are not moved: say when a post will wait for an account's caps
    (and return, by account, until about when)."""
    waits: dict[uuid.UUID, datetime] = {}
    ids = [a.id for a in draft.accounts]
    bookings = _bookings(session, ids, when - timedelta(days=1), when + timedelta(days=1))
    for account in draft.accounts:
        blocked = scheduling.blocking_reasons(
            caps_policy(account.platform, account.policy),
            bookings[account.id],
            when,
            is_draft=is_draft,
        )
        if blocked:
            reason, until = blocked[0]
            waits[account.id] = until
            draft.warn(
                "accounts",
                f"@{account.username}: {reason}; this post will wait until about "
                f"{isoformat(until)} to stay within the platform's cap",
                "ACCOUNT_CAP",
            )
    return waits


# -- read ----------------------------------------------------------------------------------


def post_view(post: Viewed, targets: Sequence[Viewed], usernames: dict[uuid.UUID, str]) -> PostOut:
    """A post as the API shows it; ``usernames`` by account id (a deleted account: None)."""
    states = []
    for t in targets:
        states.append(
            AccountState(
                account_id=t.account_id,
                platform=t.platform,
                username=usernames.get(t.account_id),
                status=t.status,
                scheduled_for=isoformat(t.scheduled_for),
                published_at=isoformat(t.published_at),
                published_url=t.published_url,
                error_message=t.error_message,
                error_code=t.error_code,
                last_attempted_at=isoformat(t.last_attempted_at),
                attempt=t.attempt,
                platform_status=t.platform_status,
                delivery="inbox" if t.platform_status == "SEND_TO_USER_INBOX" else None,
            )
        )
    return PostOut(
        id=post.id,
        caption=post.caption,
        status=post.status,
        scheduled_at=isoformat(post.scheduled_at),
        created_at=isoformat(post.created_at),
        updated_at=isoformat(post.updated_at),
        media=post.media,
        music_url=post.music_url,
        tiktok=post.tiktok,
        pinterest=post.pinterest,
        external_id=post.external_id,
        source=post.source,
        warnings=[PostWarning(**w) for w in post.warnings or []],
        accounts=AccountStates(total=len(states), states=states),
    )


# What a post's view reads (post_view). Lists read these columns as plain rows: no ORM
# instances, and not the ingested media items, variants and platform progress (JSON decoded
# per row).
VIEW_COLUMNS = (
    Post.id,
    Post.caption,
    Post.status,
    Post.scheduled_at,
    Post.created_at,
    Post.updated_at,
    Post.media,
    Post.music_url,
    Post.tiktok,
    Post.pinterest,
    Post.external_id,
    Post.source,
    Post.warnings,
)
TARGET_VIEW_COLUMNS = (
    PostTarget.post_id,
    PostTarget.account_id,
    PostTarget.platform,
    PostTarget.status,
    PostTarget.scheduled_for,
    PostTarget.published_at,
    PostTarget.published_url,
    PostTarget.error_message,
    PostTarget.error_code,
    PostTarget.last_attempted_at,
    PostTarget.attempt,
    PostTarget.platform_status,
)
# A post or target as post_view reads it: the ORM row, or a row of the columns above.
Viewed = Any


def _views(session: Session, posts: Sequence[Viewed]) -> list[PostOut]:
    ids = [p.id for p in posts]
    targets: dict[uuid.UUID, list[Viewed]] = {i: [] for i in ids}
    for t in session.execute(
        sa.select(*TARGET_VIEW_COLUMNS)
        .where(PostTarget.post_id.in_(ids))
        .order_by(*oldest_first(PostTarget))
    ):
        targets[t.post_id].append(t)
    account_ids = {t.account_id for ts in targets.values() for t in ts}
    usernames: dict[uuid.UUID, str] = dict(
        session.execute(
            sa.select(Account.id, Account.username).where(Account.id.in_(account_ids))
        ).all()
    )
    return [post_view(p, targets[p.id], usernames) for p in posts]


def get_post(session: Session, caller: Caller, post_id: object) -> PostOut:
    return _views(session, [_owned(session, caller, post_id)])[0]


def lock_post(session: Session, post_id: uuid.UUID) -> Post | None:
    """The post, its row locked until the transaction ends (PostgreSQL; SQLite transactions
    are already serial). Whoever changes a post's targets locks the post first."""
    return session.scalar(
        sa.select(Post)
        .where(Post.id == post_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_posts(session: Session, raw_ids: list[str]) -> None:
    """Load and lock these posts' rows in id order, so two bulk requests naming the same
    posts in different orders wait for each other instead of deadlocking. Afterwards
    ``session.get(Post, id)`` answers from the session, fresh and locked."""
    ids = sorted({parsed for parsed in map(parse_id, raw_ids) if parsed is not None})
    if ids:
        session.scalars(
            sa.select(Post)
            .where(Post.id.in_(ids))
            .order_by(Post.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()


def _owned(session: Session, caller: Caller, post_id: object, *, lock: bool = False) -> Post:
    parsed = parse_id(post_id)
    post = None
    if parsed:
        post = lock_post(session, parsed) if lock else session.get(Post, parsed)
    if post is None or post.workspace_id != caller.workspace_id or post.status == "deleted":
        raise not_found("post")
    return post


def list_posts(
    session: Session,
    caller: Caller,
    *,
    limit: int,
    status: str | None,
    since: str | None,
    until: str | None,
) -> PostList:
    conditions = [Post.workspace_id == caller.workspace_id, Post.status != "deleted"]
    for raw, code, op in ((since, "invalid_since", "ge"), (until, "invalid_until", "le")):
        if raw is None:
            continue
        try:
            when = parse_timestamp(raw)
        except ValueError as exc:
            raise ApiError(
                code,
                f"{code.split('_')[1]} must be an ISO 8601 time with a zone, e.g. "
                "2026-01-01T00:00:00Z or 2026-01-01T00:00:00+02:00",
                400,
            ) from exc
        conditions.append(Post.created_at >= when if op == "ge" else Post.created_at <= when)
    counted = sa.select(Post.status, sa.func.count()).where(*conditions).group_by(Post.status)
    counts: Counter[str] = Counter(dict(session.execute(counted).all()))
    if status:
        conditions.append(Post.status == status)
    page = sa.select(*VIEW_COLUMNS).where(*conditions).order_by(*newest_first(Post))
    posts = session.execute(page.limit(limit)).all()
    by_status: dict[str, int] = {
        str(name): counts.get(name, 0) for name in POST_STATUSES if name != PostStatus.DELETED
    }
    total = sum(by_status.values())
    return PostList(
        summary=PostSummary(
            total=total,
            pending=by_status["pending"] + by_status["scheduled"] + by_status["retry"],
            published=by_status["posted"],
            by_status=by_status,
        ),
        posts=_views(session, posts),
        limit=limit,
    )


# -- status --------------------------------------------------------------------------------


def derive_status(statuses: list[str]) -> str:
    """A post's status from its targets' statuses."""
    if not statuses:
        return "failed"
    counts = Counter(statuses)
    if counts["publishing"] or counts["pending"]:
        return "pending"
    if counts["retry"]:
        return "retry"
    if counts["scheduled"]:
        return "scheduled"
    posted, failed, unknown = counts["posted"], counts["failed"], counts["outcome_unknown"]
    if posted == len(statuses):
        return "posted"
    if posted and (failed or unknown):
        return "partial"
    if unknown:
        return "outcome_unknown"
    if counts["canceled"] == len(statuses):
        return "canceled"
    return "failed"


def refresh_status(session: Session, post: Post) -> str:
    if post.status == "deleted":
        return post.status
    statuses = [t.status for t in _targets(session, post.id) if t.status != "canceled"] or [
        "canceled"
    ]
    post.status = derive_status(statuses)
    return post.status


# -- edit, retry, delete -------------------------------------------------------------------


def update_post(
    session: Session, runtime: Runtime, caller: Caller, post_id: object, body: PostUpdate
) -> PostCreated:
    """Edit a post; once committed, its targets' older workflows are canceled and the new
    revision's are started."""
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise invalid_payload("body", "send at least one field to change")
    now = runtime.clock.now()
    post = _owned(session, caller, post_id, lock=True)
    if post.status not in EDITABLE_POST:
        raise ApiError(
            "post_not_editable",
            f"this post is {post.status}; only draft, pending, scheduled, retry and failed "
            "posts can be edited",
            409,
        )
    targets = _targets(session, post.id)
    if any(t.status == "publishing" for t in targets):
        raise ApiError(
            "post_not_editable",
            "this post is being published right now; wait for the outcome, then retry or edit",
            409,
        )
    accounts = (
        resolve_accounts(session, caller, body.accounts)
        if body.accounts is not None
        else [session.get(Account, t.account_id) for t in targets if t.status != "canceled"]
    )
    accounts = [a for a in accounts if a is not None]
    merged: dict[str, Any] = {
        "caption": post.caption,
        "media": post.media,
        "music_url": post.music_url,
        "tiktok": post.tiktok,
        "pinterest": post.pinterest,
        "external_id": post.external_id,
    }
    for key in ("caption", "music_url", "external_id"):
        if key in fields:
            merged[key] = fields[key]
    if "media" in fields and body.media is not None:
        merged["media"] = body.media.model_dump(exclude_none=True)
    for key in registry.option_fields():
        if key in fields:
            patch = fields[key]
            merged[key] = (
                None
                if patch is None
                else {**(merged[key] or {}), **{k: v for k, v in patch.items() if v is not None}}
            )
    check_body = PostInput.model_validate(
        {
            "caption": merged["caption"],
            "media": merged["media"],
            "accounts": [{"id": str(a.id)} for a in accounts],
            "music_url": merged["music_url"],
            "tiktok": merged["tiktok"],
            "pinterest": merged["pinterest"],
        }
    )
    scheduled_at = post.scheduled_at
    if "scheduled_at" in fields:
        scheduled_at = parse_schedule(
            body.scheduled_at, now, runtime.settings.schedule_horizon_days
        )
    draft = Draft(check_body, accounts, None, scheduled_at)
    platforms = {a.platform for a in accounts}
    check_platform_rules(draft, platforms, merged["media"])
    warn_slides_without_text(session, runtime, caller, draft, merged["media"])
    if merged["external_id"] != post.external_id and merged["external_id"] is not None:
        taken = session.scalar(
            sa.select(Post.id).where(
                Post.workspace_id == caller.workspace_id,
                Post.external_id == merged["external_id"],
                Post.id != post.id,
            )
        )
        if taken is not None:
            raise ApiError("external_id_taken", "another post already uses this external_id", 409)
    if "media" in fields:
        session.commit()  # media fetches happen outside any transaction
        items, files, media_warnings = post_media.ingest(
            runtime, caller.workspace_id, post.id, merged["media"]
        )
        for warning in media_warnings:
            draft.warn(warning.field, warning.message, warning.code)
        post = _owned(session, caller, post.id)
        post.media_items = [item.as_dict() for item in items]
        session.add_all(files)
    else:
        items = [post_media.MediaItem(**item) for item in post.media_items]
    post_media.check_media(platforms, items, merged["media"]["type"], merged)
    for warning in post_media.variant_warnings(
        platforms, items, merged["media"]["type"], runtime.settings.image_fit
    ):
        draft.warn(warning.field, warning.message, warning.code)
    platforms_changed = platforms != set(post.media_variants or {})
    if "media" in fields or platforms_changed:
        kept = (
            {}
            if "media" in fields
            else {p: v for p, v in (post.media_variants or {}).items() if p in platforms}
        )
        post.media_variants = {
            **kept,
            **_variants(runtime, post.id, platforms - set(kept), items, merged["media"]["type"]),
        }
    post.caption = merged["caption"]
    post.media = merged["media"]
    post.music_url = draft.music_url
    post.music_post_id = draft.music_post_id
    post.tiktok = merged["tiktok"]
    post.pinterest = merged["pinterest"]
    post.external_id = merged["external_id"]
    when = scheduled_at or now
    immediate = when <= now + IMMEDIATE_WINDOW
    post.scheduled_at = None if immediate else when
    post.warnings = [w.model_dump() for w in draft.warnings]
    lock_accounts(session, [a.id for a in accounts])
    keep = {a.id for a in accounts}
    touched: list[PostTarget] = []
    existing = {t.account_id: t for t in _targets(session, post.id)}
    for target in existing.values():
        target.revision += 1
        if target.account_id not in keep:
            target.status = "canceled"
            continue
        if target.status == "posted":
            continue  # an account where it is already live keeps its state
        _reset_target(target, when, immediate)
        touched.append(target)
    for account in accounts:
        if account.id not in existing:
            target = _new_target(post, account, now, when, immediate)
            session.add(target)
            touched.append(target)
    session.flush()
    refresh_status(session, post)
    jobs.cancel_superseded(session, touched)
    jobs.publish_targets(session, touched)
    session.commit()
    return created_view(post, _targets(session, post.id))


def _new_target(
    post: Post, account: Account, now: datetime, when: datetime, immediate: bool
) -> PostTarget:
    """The post's target on ``account``: due now when ``immediate``, else scheduled at
    ``when``."""
    return PostTarget(
        workspace_id=post.workspace_id,
        post_id=post.id,
        account_id=account.id,
        platform=account.platform,
        status="pending" if immediate else "scheduled",
        scheduled_for=now if immediate else when,
    )


def _reset_target(target: PostTarget, when: datetime, immediate: bool) -> None:
    target.status = "pending" if immediate else "scheduled"
    target.scheduled_for = when
    target.send_state = "none"
    target.publish_id = None
    target.platform_status = None
    target.error_code = None
    target.error_message = None
    target.progress = {}


def retry_posts(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    post_ids: list[str],
    account_ids: list[str] | None,
    include_unknown: bool,
) -> RetryResult:
    """New attempts of the failed targets, started once committed."""
    now = runtime.clock.now()
    # Ids that are not UUIDs (or not accounts of these posts) simply match no target.
    wanted_accounts = (
        {parsed for parsed in (parse_id(a) for a in account_ids) if parsed is not None}
        if account_ids
        else None
    )
    retried: list[uuid.UUID] = []
    failed: list[uuid.UUID] = []
    errors: dict[str, str] = {}
    touched: list[PostTarget] = []
    retry_states = ("failed", "outcome_unknown") if include_unknown else ("failed",)
    # Targets whose unknown outcome reconciliation found live on the platform: never re-sent.
    live: dict[str, str] = {}
    lock_posts(session, post_ids)
    for raw in post_ids:
        parsed = parse_id(raw)
        post = session.get(Post, parsed) if parsed else None
        if post is None or post.workspace_id != caller.workspace_id or post.status == "deleted":
            errors[raw.strip()] = "not found"
            continue
        found_live = [
            t
            for t in _targets(session, post.id)
            if t.status == "posted"
            and ((t.progress or {}).get("reconcile") or {}).get("decision") == "posted"
            and (wanted_accounts is None or t.account_id in wanted_accounts)
        ]
        if found_live and not any(
            t.status in retry_states
            and (wanted_accounts is None or t.account_id in wanted_accounts)
            for t in _targets(session, post.id)
        ):
            failed.append(post.id)
            where = found_live[0].published_url or found_live[0].platform_post_id or "the account"
            live[str(post.id)] = errors[str(post.id)] = (
                f"its outcome was unknown, and reading the platform found it live ({where}): "
                "it is posted and is not sent again"
            )
            continue
        if post.status not in ("failed", "partial", "outcome_unknown"):
            failed.append(post.id)
            errors[str(post.id)] = (
                f"only failed or partial posts can be retried (this one is {post.status})"
            )
            continue
        targets = [
            t
            for t in _targets(session, post.id)
            if t.status in retry_states
            and (wanted_accounts is None or t.account_id in wanted_accounts)
        ]
        if not targets:
            failed.append(post.id)
            errors[str(post.id)] = "no failed account to retry" + (
                ""
                if include_unknown
                else " (targets with an unknown outcome need include_unknown: true)"
            )
            continue
        for target in targets:
            target.revision += 1
            target.attempt = 0
            _reset_target(target, now, True)
            touched.append(target)
        post.scheduled_at = None
        refresh_status(session, post)
        retried.append(post.id)
    if live and not retried:
        raise ApiError(
            "outcome_unknown_live",
            "nothing was retried: "
            + "; ".join(f"post {post_id}: {why}" for post_id, why in live.items()),
            409,
            data={"errors": errors},
        )
    jobs.publish_targets(session, touched)
    session.commit()
    return RetryResult(retried=len(retried), ids=retried, failed=failed, errors=errors or None)


def delete_posts(
    session: Session, runtime: Runtime, caller: Caller, post_ids: list[str]
) -> DeleteResult:
    """Delete posts; once committed, the waiting workflows of their targets are canceled."""
    deleted: list[uuid.UUID] = []
    blocked: list[dict[str, str]] = []
    skipped: list[str] = []
    canceled: list[PostTarget] = []
    lock_posts(session, post_ids)
    for raw in post_ids:
        parsed = parse_id(raw)
        post = session.get(Post, parsed) if parsed else None
        if post is None or post.workspace_id != caller.workspace_id or post.status == "deleted":
            skipped.append(raw.strip())
            continue
        targets = _targets(session, post.id)
        if post.status not in DELETABLE_POST or any(t.status == "publishing" for t in targets):
            shown = "publishing" if post.status in DELETABLE_POST else post.status
            blocked.append({"id": str(post.id), "status": shown})
            continue
        for target in targets:
            target.revision += 1
            if target.status in ACTIVE or target.status == "failed":
                target.status = "canceled"
                canceled.append(target)
        post.status = "deleted"
        post.deleted_at = runtime.clock.now()
        post.external_id = None
        session.execute(sa.delete(PostRequest).where(PostRequest.post_id == post.id))
        deleted.append(post.id)
    jobs.cancel_superseded(session, canceled)
    session.commit()
    return DeleteResult(deletedIds=deleted, blockedStatuses=blocked, skipped=skipped)
