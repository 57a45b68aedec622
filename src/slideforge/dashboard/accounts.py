"""The Accounts page: every account of the workspace with its state, authorisation expiry,
posting policy, tags and next free slots; connecting (the API's OAuth flow, back to this
page) and editing (PATCH /accounts/{id}) happen in the browser through the API
(static/accounts.js)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from slideforge.accounts import care, oauth
from slideforge.accounts import service as accounts
from slideforge.accounts.capabilities import DEFAULT_POLICY, PLATFORMS
from slideforge.accounts.schemas import AccountOut
from slideforge.auth.deps import RuntimeDep, SessionDep
from slideforge.dashboard.web import PREFIX, PageDep, render
from slideforge.kit.clock import as_utc, isoformat, parse_timestamp
from slideforge.kit.validation import TIMEZONES
from slideforge.models import Account
from slideforge.posts import scheduling
from slideforge.posts import service as posts
from slideforge.publishing.platforms import PlatformConfigError, get_platform, registry
from slideforge.runtime import Runtime

router = APIRouter(prefix=PREFIX, include_in_schema=False)

SLOTS_SHOWN = 3
# How each stored status reads on the page (and its badge's class).
STATUS_LABELS = {
    "active": ("connected", "connected"),
    "paused": ("paused", "paused"),
    "reauth_required": ("needs re-auth", "expired"),
    "revoked": ("disconnected", "failed"),
    "unconnected": ("not connected", "pending"),
}


@dataclass(frozen=True)
class Connector:
    platform: str
    title: str
    problem: str | None  # why it cannot connect on this server (not configured)


@dataclass
class AccountView:
    account: AccountOut
    title: str
    status_label: str
    status_class: str
    initial: str
    avatar_url: str | None
    notice: str | None  # soon | expired
    notice_text: str
    ends_at: str | None
    policy_lines: list[str]
    own_policy: dict[str, Any]
    defaults: dict[str, Any]
    takes_drafts: bool
    slots: list[tuple[str, str]]  # (ISO, shown)
    last_posted: str | None
    can_reconnect: bool
    edit: dict[str, Any] = field(default_factory=dict)


def _when(value: datetime, zone: str = "UTC") -> str:
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y %H:%M} {zone}"


def _ends_text(notice: str | None, token: str, ends: datetime, now: datetime) -> str:
    what = "authorisation" if token == "refresh" else "access token"
    if notice == "expired":
        return f"The {what} expired on {_when(ends)}: reconnect the account to post again."
    days = max((ends - now).days, 0)
    left = f"in {days} day{'s' if days != 1 else ''}" if days else "within a day"
    return f"The {what} ends {left} ({_when(ends)}): reconnect the account before then."


def _policy_lines(platform: str, policy: dict[str, Any]) -> list[str]:
    parsed = scheduling.Policy.from_dict(policy)
    lines = [
        f"Up to {policy.get('max_posts_per_24h')} posts per 24 h",
        f"At least {policy.get('min_gap_minutes') or 0} min between posts",
    ]
    if registry.rules(platform).takes_drafts and policy.get("max_drafts_per_24h") is not None:
        lines.append(f"Up to {policy['max_drafts_per_24h']} drafts per 24 h")
    lines.append(f"Posting window: {parsed.describe_hours()}")
    if parsed.allowed_hours is None:
        lines[-1] += f" (time zone {parsed.zone.key})"
    return lines


def _avatar(settings: dict[str, Any], runtime: Runtime) -> str | None:
    """The stored avatar when the page may show it: the pages load images only from this
    server and the media origin (Content-Security-Policy), not from the platforms' CDNs."""
    url = settings.get("avatar_url")
    if not isinstance(url, str):
        return None
    own = (runtime.settings.public_base_url, runtime.settings.resolved_media_base_url)
    return url if any(url.startswith(base.rstrip("/") + "/") for base in own) else None


def _connectors(runtime: Runtime) -> list[Connector]:
    out = []
    for name in PLATFORMS:
        try:
            get_platform(name, runtime.settings)
            problem = None
        except PlatformConfigError as exc:
            problem = str(exc)
        out.append(Connector(name, registry.rules(name).title, problem))
    return out


def _own_policies(session: Session, workspace_id: uuid.UUID) -> dict[uuid.UUID, dict[str, Any]]:
    """Each account's own policy (the form shows it; the platform defaults are placeholders)."""
    rows = session.execute(
        sa.select(Account.id, Account.policy).where(Account.workspace_id == workspace_id)
    )
    return {row.id: dict(row.policy or {}) for row in rows}


def _view(
    account: AccountOut,
    runtime: Runtime,
    now: datetime,
    notices: dict[uuid.UUID, tuple[str, str, datetime]],
    slots: dict[uuid.UUID, list[datetime]],
    own: dict[str, Any],
) -> AccountView:
    label, badge = STATUS_LABELS.get(account.status, (account.status, ""))
    notice = notices.get(account.id)
    zone = str(account.policy.get("timezone") or "UTC")
    last = parse_timestamp(account.last_posted_at) if account.last_posted_at else None
    hours = own.get("allowed_hours") or {}
    view = AccountView(
        account=account,
        title=registry.rules(account.platform).title,
        status_label=label,
        status_class=badge,
        initial=(account.display_name or account.username or "?")[:1].upper(),
        avatar_url=_avatar(account.settings, runtime),
        notice=notice[0] if notice else None,
        notice_text=_ends_text(notice[0], notice[1], notice[2], now) if notice else "",
        ends_at=isoformat(notice[2]) if notice else None,
        policy_lines=_policy_lines(account.platform, account.policy),
        own_policy=own,
        defaults=DEFAULT_POLICY[account.platform],
        takes_drafts=registry.rules(account.platform).takes_drafts,
        slots=[(isoformat(s) or "", _when(s, zone)) for s in slots.get(account.id, [])],
        last_posted=_when(as_utc(last)) if last else None,
        can_reconnect=account.status in ("reauth_required", "revoked", "unconnected")
        or notice is not None,
    )
    view.edit = {
        "tags": ", ".join(account.tags),
        "hours_start": hours.get("start", "") if isinstance(hours, dict) else "",
        "hours_end": hours.get("end", "") if isinstance(hours, dict) else "",
    }
    return view


@router.get("/accounts")
def accounts_page(
    request: Request,
    page: PageDep,
    session: SessionDep,
    runtime: RuntimeDep,
    platform: str = "",
    tag: str = "",
    connect: str = "",
) -> HTMLResponse:
    caller = page.caller
    now = runtime.clock.now()
    everything = accounts.list_accounts(session, caller, status="all", platform=None, tag=None)
    platform = platform if platform in PLATFORMS else ""
    tag = tag.strip()[:200]
    shown = everything.accounts
    if platform or tag:
        shown = accounts.list_accounts(
            session, caller, status="all", platform=platform or None, tag=tag or None
        ).accounts
    notices = care.reauth_notices(session, caller.workspace_id, now)
    active = [a for a in shown if a.status == "active"]
    slots = posts.next_free_slots(session, active, now, SLOTS_SHOWN)
    own = _own_policies(session, caller.workspace_id)
    views = [_view(a, runtime, now, notices, slots, own.get(a.id, {})) for a in shown]
    tags = sorted({t for a in everything.accounts for t in a.tags}, key=str.lower)
    connectors = _connectors(runtime)
    outcome = oauth.connect_outcome(session, caller.workspace_id, connect) if connect else None
    return render(
        request,
        "accounts/list.html",
        page,
        views=views,
        total=len(everything.accounts),
        platforms=[(name, registry.rules(name).title) for name in PLATFORMS],
        connectors=connectors,
        problems={c.platform: c.problem for c in connectors},
        tags=tags,
        platform=platform,
        tag=tag,
        outcome=outcome,
        needs_attention=sum(1 for v in views if v.notice or v.can_reconnect),
        timezones=TIMEZONES,
    )
