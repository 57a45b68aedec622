"""Ayrshare's reads over the workspace: ``GET /history`` (the posts, newest first, with
Ayrshare's filters) and ``GET /user`` (the connected accounts, with the date each must be
reconnected by). ``Profile-Key`` narrows both to one account."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.auth.service import Caller
from slideforge.compat.ayrshare.errors import Refusal
from slideforge.compat.ayrshare.schemas import DisplayName, HistoryItem, HistoryList, UserResult
from slideforge.compat.ayrshare.service import history_item, profile_account
from slideforge.kit.clock import isoformat
from slideforge.kit.pagination import oldest_first
from slideforge.models import Account, Post, PostTarget, Workspace
from slideforge.models.post import PostStatus
from slideforge.runtime import Runtime

# Ayrshare's history statuses; "paused" and "awaiting approval" exist there but never here.
HISTORY_STATUSES = (
    "success",
    "error",
    "processing",
    "pending",
    "deleted",
    "paused",
    "awaiting approval",
)
HISTORY_TYPES = ("immediate", "scheduled")
DEFAULT_LIMIT = 25
DEFAULT_DAYS = 30
_PLATFORM_KEY = re.compile(r"^platforms?(\[\d{1,3}\])?$")


def platform_filter(params: Iterable[tuple[str, str]]) -> list[str]:
    """``platform``/``platforms`` as Ayrshare's SDKs send them: ``platform=tiktok``,
    ``platforms[0]=tiktok&platforms[1]=instagram``, or comma-separated."""
    out: list[str] = []
    for key, value in params:
        if _PLATFORM_KEY.match(key):
            out += [p.strip().lower() for p in value.split(",") if p.strip()]
    return sorted(set(out))


def history(
    session: Session,
    runtime: Runtime,
    caller: Caller,
    profile_key: str | None,
    *,
    status: str | None,
    last_days: int | None,
    limit: int | None,
    last_records: int | None,
    post_type: str | None,
    platforms: list[str],
) -> HistoryList:
    """Ayrshare's ``GET /history``: posts newest first by their publish date (scheduleDate
    for scheduled posts), within ``lastDays`` (30; 0: all), at most ``limit``/``lastRecords``
    (25). Deleted posts only with ``status=deleted``."""
    wanted = (status or "").strip().lower() or None
    if wanted is not None and wanted not in HISTORY_STATUSES:
        raise Refusal(
            "invalid_parameters",
            f"status {status!r} is not a history status: use one of "
            + ", ".join(HISTORY_STATUSES)
            + ".",
        )
    kind = (post_type or "").strip().lower() or None
    if kind is not None and kind not in HISTORY_TYPES:
        raise Refusal("invalid_parameters", f"type {post_type!r}: use immediate or scheduled.")
    count = last_records if last_records is not None else limit
    count = DEFAULT_LIMIT if count is None else count
    days = DEFAULT_DAYS if last_days is None else last_days
    now = runtime.clock.now()
    published = sa.func.coalesce(Post.scheduled_at, Post.created_at)
    query = sa.select(Post).where(Post.workspace_id == caller.workspace_id)
    if wanted == "deleted":
        query = query.where(Post.status == PostStatus.DELETED)
    else:
        query = query.where(Post.status != PostStatus.DELETED)
    if days:
        query = query.where(published >= now - timedelta(days=days))
    if kind == "scheduled":
        query = query.where(Post.scheduled_at.is_not(None))
    elif kind == "immediate":
        query = query.where(Post.scheduled_at.is_(None))
    targets = sa.select(PostTarget.post_id)
    if profile_key is not None and profile_key.strip():
        account = profile_account(session, caller, profile_key)
        targets = targets.where(PostTarget.account_id == account.id)
        query = query.where(Post.id.in_(targets))
    if platforms:
        query = query.where(
            Post.id.in_(sa.select(PostTarget.post_id).where(PostTarget.platform.in_(platforms)))
        )
    items: list[HistoryItem] = []
    if wanted in ("paused", "awaiting approval") or count == 0:
        rows: Iterable[Post] = ()
    else:
        rows = session.scalars(query.order_by(published.desc(), Post.id.desc())).yield_per(100)
    for post in rows:
        item = history_item(session, post)
        if wanted is not None and item.status != wanted:
            continue
        items.append(item)
        if len(items) >= count:
            break
    return HistoryList(history=items, count=len(items), lastUpdated=isoformat(now) or "")


def _display_name(account: Account, runtime: Runtime) -> DisplayName:
    now = runtime.clock.now()
    ends = account.refresh_token_expires_at or account.access_token_expires_at
    days = max(0, int((ends - now).total_seconds() // 86400)) if ends is not None else None
    return DisplayName(
        created=isoformat(account.created_at),
        displayName=account.display_name or account.username,
        id=account.platform_user_id,
        platform=account.platform,
        # This API serves TikTok; other platforms' profile addresses are not built here.
        profileUrl=f"https://www.tiktok.com/@{account.username}"
        if account.platform == "tiktok"
        else None,
        username=account.username,
        refId=str(account.id),
        status=account.status,
        refreshRequired=isoformat(ends),
        refreshDaysRemaining=days,
    )


def user(session: Session, runtime: Runtime, caller: Caller, profile_key: str | None) -> UserResult:
    """Ayrshare's ``GET /user``: every connected account of the workspace (or the
    Profile-Key's), with ``refreshRequired`` (when its authorisation ends: TikTok's refresh
    token, a year after the connect) and ``refreshDaysRemaining``; ``activeSocialAccounts``
    lists the platforms with an account that can post."""
    if profile_key is not None and profile_key.strip():
        accounts = [profile_account(session, caller, profile_key)]
    else:
        accounts = list(
            session.scalars(
                sa.select(Account)
                .where(
                    Account.workspace_id == caller.workspace_id,
                    Account.status != "unconnected",
                )
                .order_by(Account.platform, *oldest_first(Account))
            )
        )
    workspace = session.get(Workspace, caller.workspace_id)
    return UserResult(
        activeSocialAccounts=sorted({a.platform for a in accounts if a.status == "active"}),
        displayNames=[_display_name(a, runtime) for a in accounts],
        refId=str(caller.workspace_id),
        title=workspace.name if workspace is not None else "",
        created=isoformat(workspace.created_at) if workspace is not None else None,
    )
