"""Tracked accounts (``/analytics/targets``) and their refreshes.

A target belongs to the scope of the key that made it: a workspace key's targets are the
workspace's, a personal key's are that member's. One of our connected accounts (same platform
and username) is read through the platform's API; anyone else's public TikTok profile from its
public page. Instagram, Pinterest and YouTube profiles that are not connected here cannot be
read (their public pages need a logged-in session or an approved app): they are refused, never
filled with invented numbers.

A refresh is free once a day (UTC) per target, then costs ``analytics_refresh_credits``; at
most one runs per target (``409 analytics_conflict``); a manual one within
``analytics_refresh_cooldown_seconds`` of the last answers ``429 rate_limited``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slideforge import jobs
from slideforge.analytics.schemas import TargetCreate, TargetUpdate
from slideforge.auth.service import Caller
from slideforge.billing import service as billing
from slideforge.config import Settings
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id
from slideforge.models import (
    Account,
    AnalyticsPost,
    AnalyticsRefresh,
    AnalyticsTarget,
    Member,
)

# What each platform allows in a handle.
HANDLE = {
    "tiktok": re.compile(r"^[a-z0-9_.]{2,24}$"),
    "instagram": re.compile(r"^[a-z0-9_.]{1,30}$"),
    "pinterest": re.compile(r"^[a-z0-9_]{3,30}$"),
    "youtube": re.compile(r"^[a-z0-9_.\-]{3,30}$"),
}
PROFILE_URL = {
    "tiktok": re.compile(r"^https?://(?:www\.|m\.)?tiktok\.com/@([^/?#]+)/?(?:[?#].*)?$", re.I),
    "instagram": re.compile(r"^https?://(?:www\.)?instagram\.com/([^/?#]+)/?(?:[?#].*)?$", re.I),
    "pinterest": re.compile(r"^https?://(?:www\.)?pinterest\.[a-z.]+/([^/?#]+)/?$", re.I),
    "youtube": re.compile(r"^https?://(?:www\.|m\.)?youtube\.com/@([^/?#]+)/?(?:[?#].*)?$", re.I),
}
RUNNING = ("pending", "processing")


def scope_key(caller: Caller) -> str:
    return (
        str(caller.member_id) if not caller.is_workspace_key and caller.member_id else "workspace"
    )


def visible(caller: Caller) -> sa.ColumnElement[bool]:
    """The targets of the caller's scope."""
    return sa.and_(
        AnalyticsTarget.workspace_id == caller.workspace_id,
        AnalyticsTarget.scope_key == scope_key(caller),
    )


def normalize_identifier(platform: str, raw: object) -> str:
    """``@Name``, ``name`` or the profile's URL -> ``name``; anything else is refused."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid_payload("identifier", "a handle is required, e.g. @brand")
    text = raw.strip()
    url = PROFILE_URL[platform].match(text)
    if url:
        text = url.group(1)
    elif "/" in text or ":" in text or " " in text:
        raise ApiError(
            "invalid_identifier",
            f"identifier {raw!r} is not a {platform} handle: send the handle alone "
            f"(e.g. @brand) or the profile's URL",
            422,
        )
    handle = text.lstrip("@").lower()
    if not HANDLE[platform].match(handle):
        raise ApiError(
            "invalid_identifier",
            f"identifier {raw!r} is not a {platform} handle (letters, digits, _ and ., "
            "as the platform allows)",
            422,
        )
    return handle


def _connected_account(
    session: Session, workspace_id: uuid.UUID, platform: str, handle: str
) -> Account | None:
    return session.scalar(
        sa.select(Account).where(
            Account.workspace_id == workspace_id,
            Account.platform == platform,
            sa.func.lower(Account.username) == handle,
        )
    )


def readable(platform: str, account: Account | None) -> None:
    """Refuse what cannot be read (a profile not connected here, other than TikTok's)."""
    if account is not None or platform == "tiktok":
        return
    names = {"instagram": "Instagram", "pinterest": "Pinterest", "youtube": "YouTube"}
    raise ApiError(
        "platform_not_supported",
        f"{names[platform]} profiles are read only through a connected account: connect "
        f"@handle with POST /accounts/connect first, then track it. Public {names[platform]} "
        "profiles cannot be read without the owner's authorisation.",
        422,
    )


# -- output ------------------------------------------------------------------------------


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time(), now.tzinfo)


def _free_used(session: Session, ids: Sequence[uuid.UUID], now: datetime) -> set[uuid.UUID]:
    """Which of these targets used their free refresh today (UTC); a failed one is given back."""
    return set(
        session.scalars(
            sa.select(AnalyticsRefresh.target_id).where(
                AnalyticsRefresh.target_id.in_(ids),
                AnalyticsRefresh.free_refresh_used.is_(True),
                AnalyticsRefresh.created_at >= _day_start(now),
                AnalyticsRefresh.status != "failed",
            )
        )
    )


def free_refresh_available(session: Session, target: AnalyticsTarget, now: datetime) -> bool:
    return target.id not in _free_used(session, [target.id], now)


def refresh_out(row: AnalyticsRefresh) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "target_id": str(row.target_id),
        "workspace_id": str(row.workspace_id),
        "status": row.status,
        "trigger": row.trigger,
        "free_refresh_used": row.free_refresh_used,
        "credits_used": row.credits_used,
        "posts_read": row.posts_read,
        "created_at": isoformat(row.created_at),
        "started_at": isoformat(row.started_at),
        "completed_at": isoformat(row.completed_at),
        "error": row.error,
    }


def _last_refreshes(
    session: Session, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AnalyticsRefresh]:
    """Each target's latest refresh: a running one first (two may share a timestamp on a
    frozen clock), else the newest."""
    rank = (
        sa.func.row_number()
        .over(
            partition_by=AnalyticsRefresh.target_id,
            order_by=(
                AnalyticsRefresh.running_target_id.is_(None),
                AnalyticsRefresh.created_at.desc(),
                AnalyticsRefresh.completed_at.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        sa.select(AnalyticsRefresh.id, rank).where(AnalyticsRefresh.target_id.in_(ids)).subquery()
    )
    rows = session.scalars(
        sa.select(AnalyticsRefresh)
        .join(ranked, ranked.c.id == AnalyticsRefresh.id)
        .where(ranked.c.rank == 1)
    )
    return {row.target_id: row for row in rows}


def _last_refresh(session: Session, target_id: uuid.UUID) -> AnalyticsRefresh | None:
    return _last_refreshes(session, [target_id]).get(target_id)


def target_out(
    session: Session,
    row: AnalyticsTarget,
    now: datetime,
    *,
    known: tuple[dict[uuid.UUID, AnalyticsRefresh], set[uuid.UUID]] | None = None,
) -> dict[str, Any]:
    """The target as answered; ``known``: the latest refreshes and today's free ones, read
    once for a whole list."""
    last_by_target, free_used = known or (
        _last_refreshes(session, [row.id]),
        _free_used(session, [row.id], now),
    )
    last = last_by_target.get(row.id)
    policy = row.refresh_policy
    return {
        "id": str(row.id),
        "target_id": str(row.id),
        "user_id": str(row.member_id) if row.member_id else None,
        "workspace_id": str(row.workspace_id),
        "scope": "workspace" if row.member_id is None else "personal",
        "platform": row.platform,
        "identifier": row.identifier,
        "normalized_identifier": row.normalized_identifier,
        "display_name": row.display_name,
        "favorite": row.favorite,
        "metadata": {"favorite": row.favorite, "refreshPolicy": policy},
        "refreshPolicy": policy,
        "account_id": str(row.account_id) if row.account_id else None,
        "source": "connected_account" if row.account_id else "public_profile",
        "profile": row.profile or None,
        "free_refresh_available": row.id not in free_used,
        "last_refreshed_at": isoformat(row.last_refreshed_at),
        "last_refresh": refresh_out(last) if last else None,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


# -- reading and writing targets ----------------------------------------------------------


def targets_by_id(
    session: Session, ids: Iterable[uuid.UUID] | None = None, workspace_id: uuid.UUID | None = None
) -> Sequence[AnalyticsTarget]:
    """The targets with these ids (or every target of the workspace)."""
    stmt = sa.select(AnalyticsTarget)
    if ids is not None:
        stmt = stmt.where(AnalyticsTarget.id.in_(set(ids)))
    if workspace_id is not None:
        stmt = stmt.where(AnalyticsTarget.workspace_id == workspace_id)
    return session.scalars(stmt).all()


def label(target: AnalyticsTarget) -> str:
    """``tiktok:@handle``: how groups and charts name a tracked account."""
    return f"{target.platform}:@{target.normalized_identifier}"


def get_target(session: Session, caller: Caller, target_id: object) -> AnalyticsTarget:
    parsed = parse_id(target_id)
    row = (
        session.scalar(
            sa.select(AnalyticsTarget).where(AnalyticsTarget.id == parsed, visible(caller))
        )
        if parsed
        else None
    )
    if row is None:
        raise not_found("analytics target", "target_not_found")
    return row


def list_targets(session: Session, caller: Caller, now: datetime) -> dict[str, Any]:
    rows = session.scalars(
        sa.select(AnalyticsTarget)
        .where(visible(caller))
        .order_by(AnalyticsTarget.favorite.desc(), AnalyticsTarget.created_at, AnalyticsTarget.id)
    ).all()
    ids = [r.id for r in rows]
    known = (_last_refreshes(session, ids), _free_used(session, ids, now))
    return {
        "workspace_id": str(caller.workspace_id),
        "scope": "workspace" if caller.is_workspace_key else "personal",
        "targets": [target_out(session, r, now, known=known) for r in rows],
        "total": len(rows),
    }


def create_target(
    session: Session, caller: Caller, body: TargetCreate, now: datetime
) -> tuple[dict[str, Any], bool]:
    """The new target and True, or the scope's existing one and False. A new target is read
    at once (its first refresh is free and counts against nothing)."""
    platform = body.platform
    handle = normalize_identifier(platform, body.identifier)
    alias = (body.alias or "").strip() or None
    existing = session.scalar(
        sa.select(AnalyticsTarget).where(
            visible(caller),
            AnalyticsTarget.platform == platform,
            AnalyticsTarget.normalized_identifier == handle,
        )
    )
    if existing is not None:
        return target_out(session, existing, now), False
    account = _connected_account(session, caller.workspace_id, platform, handle)
    readable(platform, account)
    if account is not None and caller.is_workspace_key:
        account.analytics_stopped_at = None  # measured again
    target = AnalyticsTarget(
        workspace_id=caller.workspace_id,
        member_id=None if caller.is_workspace_key else caller.member_id,
        scope_key=scope_key(caller),
        platform=platform,
        identifier=body.identifier.strip(),
        normalized_identifier=handle,
        display_name=alias or (account.display_name if account else None),
        account_id=account.id if account else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(target)
            session.flush()
    except IntegrityError:  # the same handle, added by a concurrent request
        session.expire_all()
        again = session.scalar(
            sa.select(AnalyticsTarget).where(
                visible(caller),
                AnalyticsTarget.platform == platform,
                AnalyticsTarget.normalized_identifier == handle,
            )
        )
        if again is None:
            raise
        return target_out(session, again, now), False
    _start_refresh(session, target, now, trigger="initial", free=False, credits=0)
    return target_out(session, target, now), True


def track_account(session: Session, account: Account, now: datetime) -> AnalyticsTarget:
    """The workspace's target for one of our accounts, made the first time it posts."""
    handle = account.username.strip().lstrip("@").lower()
    row = session.scalar(
        sa.select(AnalyticsTarget).where(
            AnalyticsTarget.workspace_id == account.workspace_id,
            AnalyticsTarget.scope_key == "workspace",
            AnalyticsTarget.platform == account.platform,
            AnalyticsTarget.normalized_identifier == handle,
        )
    )
    if row is not None:
        if row.account_id is None:
            row.account_id = account.id
        return row
    row = AnalyticsTarget(
        workspace_id=account.workspace_id,
        scope_key="workspace",
        platform=account.platform,
        identifier=account.username,
        normalized_identifier=handle,
        display_name=account.display_name or account.username,
        account_id=account.id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def update_target(
    session: Session, caller: Caller, target_id: object, body: TargetUpdate, now: datetime
) -> dict[str, Any]:
    row = get_target(session, caller, target_id)
    sent = body.model_fields_set
    if not sent:
        raise invalid_payload("body", "send at least one of displayName, favorite, refreshPolicy")
    if "displayName" in sent:
        row.display_name = (body.displayName or "").strip() or None
    if "favorite" in sent:
        if body.favorite is None:
            raise invalid_payload("favorite", "true or false")
        row.favorite = body.favorite
    if "refreshPolicy" in sent:
        policy = body.refreshPolicy
        row.refresh_policy = policy.model_dump(exclude_none=True) if policy else None
    row.updated_at = now
    session.flush()
    return target_out(session, row, now)


def delete_target(
    session: Session, caller: Caller, target_id: object, now: datetime
) -> dict[str, Any]:
    """Delete a target with its posts and snapshots; for one of our accounts, its posts are
    no longer measured until a target for it is created again."""
    row = get_target(session, caller, target_id)
    if row.account_id is not None and row.scope_key == "workspace":
        account = session.get(Account, row.account_id)
        if account is not None:
            account.analytics_stopped_at = now
    session.delete(row)
    session.flush()
    return {"id": str(row.id), "deleted": True}


# -- refreshes ----------------------------------------------------------------------------


def _start_refresh(
    session: Session,
    target: AnalyticsTarget,
    now: datetime,
    *,
    trigger: str,
    free: bool,
    credits: int,
) -> AnalyticsRefresh:
    """A pending refresh, unique while it runs; its workflow starts after commit."""
    refresh = AnalyticsRefresh(
        workspace_id=target.workspace_id,
        target_id=target.id,
        running_target_id=target.id,
        status="pending",
        trigger=trigger,
        free_refresh_used=free,
        credits_used=credits,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(refresh)
            session.flush()
    except IntegrityError:
        raise _conflict(session, target) from None
    jobs.refresh_analytics.after_commit(session, str(refresh.id))
    return refresh


def _conflict(session: Session, target: AnalyticsTarget) -> ApiError:
    running = session.scalar(
        sa.select(AnalyticsRefresh).where(AnalyticsRefresh.running_target_id == target.id)
    )
    return ApiError(
        "analytics_conflict",
        "a refresh of this target is already running: poll GET /analytics/refreshes/"
        f"{running.id if running else '{id}'} until it completes",
        409,
        data={"refresh_id": str(running.id)} if running else None,
    )


def request_refresh(
    session: Session, caller: Caller, target_id: object, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Start a manual refresh: free once a day, else paid in credits (402 when out)."""
    target = get_target(session, caller, target_id)
    account = session.get(Account, target.account_id) if target.account_id else None
    readable(target.platform, account)
    running = session.scalar(
        sa.select(AnalyticsRefresh.id).where(AnalyticsRefresh.running_target_id == target.id)
    )
    if running is not None:
        raise _conflict(session, target)
    last = _last_refresh(session, target.id)
    cooldown = timedelta(seconds=settings.analytics_refresh_cooldown_seconds)
    if (
        last is not None
        and last.status == "completed"
        and last.completed_at
        and now - last.completed_at < cooldown
    ):
        wait = int((cooldown - (now - last.completed_at)).total_seconds()) + 1
        raise ApiError(
            "rate_limited",
            f"this target was refreshed {int((now - last.completed_at).total_seconds())} s "
            f"ago: try again in {wait} s",
            429,
            headers={"Retry-After": str(wait)},
        )
    free = free_refresh_available(session, target, now)
    credits = 0 if free else settings.analytics_refresh_credits
    refresh = _start_refresh(session, target, now, trigger="manual", free=free, credits=credits)
    if credits:
        billing.charge(
            session,
            caller.workspace_id,
            credits,
            f"analytics-refresh:{refresh.id}",
            f"refresh of {target.platform} @{target.normalized_identifier}",
            now,
            settings.credit_allowance,
        )
    return {"refresh": refresh_out(refresh), "wasFree": free}


OfTarget = TypeVar("OfTarget", AnalyticsRefresh, AnalyticsPost)


def of_visible_target(
    session: Session, caller: Caller, model: type[OfTarget], raw_id: object
) -> OfTarget | None:
    """The row (a refresh, a post) with this id of a target in the caller's scope."""
    parsed = parse_id(raw_id)
    if parsed is None:
        return None
    return session.scalar(
        sa.select(model)
        .join(AnalyticsTarget, AnalyticsTarget.id == model.target_id)
        .where(model.id == parsed, visible(caller))
    )


def get_refresh(session: Session, caller: Caller, refresh_id: object) -> dict[str, Any]:
    row = of_visible_target(session, caller, AnalyticsRefresh, refresh_id)
    if row is None:
        raise not_found("analytics refresh", "refresh_not_found")
    return refresh_out(row)


def policy_refreshes(session: Session, now: datetime) -> int:
    """Start today's free refresh of every target whose policy asks for one."""
    day = _day_start(now)
    rows = session.scalars(
        sa.select(AnalyticsTarget).where(AnalyticsTarget.refresh_policy.is_not(None))
    ).all()
    started = 0
    for target in rows:
        if not (target.refresh_policy or {}).get("freeDailyRefresh"):
            continue
        if target.last_refreshed_at and target.last_refreshed_at >= day:
            continue
        if not free_refresh_available(session, target, now):
            continue
        try:
            _start_refresh(session, target, now, trigger="policy", free=True, credits=0)
        except ApiError:  # one is running already
            continue
        started += 1
    return started


def workspace_suggestions(session: Session, caller: Caller) -> list[dict[str, Any]]:
    """The other scopes of this workspace that track accounts: the workspace's own (for a
    personal key) and each member's personal scope (for a workspace key)."""
    mine = scope_key(caller)
    counts = session.execute(
        sa.select(AnalyticsTarget.scope_key, AnalyticsTarget.member_id, sa.func.count())
        .where(AnalyticsTarget.workspace_id == caller.workspace_id)
        .group_by(AnalyticsTarget.scope_key, AnalyticsTarget.member_id)
    ).all()
    out = []
    for key, member_id, count in counts:
        if key == mine:
            continue
        if not caller.is_workspace_key and key != "workspace":
            continue  # another member's personal scope is not this member's to see
        member = session.get(Member, member_id) if member_id else None
        out.append(
            {
                "scope": "workspace" if key == "workspace" else "personal",
                "workspace_id": str(caller.workspace_id),
                "user_id": str(member_id) if member_id else None,
                "name": member.name if member else "workspace",
                "target_count": count,
            }
        )
    return out


__all__ = [
    "create_target",
    "delete_target",
    "get_refresh",
    "list_targets",
    "request_refresh",
    "track_account",
    "update_target",
    "workspace_suggestions",
]
