"""Rules and queries of accounts."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.accounts.capabilities import CAPABILITIES, PLATFORMS, effective_policy
from slideforge.accounts.schemas import AccountList, AccountOut, AccountUpdate
from slideforge.auth.service import Caller
from slideforge.kit.clock import isoformat
from slideforge.kit.errors import ApiError, invalid_payload, not_found
from slideforge.kit.ids import parse_id, split_list
from slideforge.kit.pagination import oldest_first
from slideforge.models import Account
from slideforge.publishing.platforms import registry

# unconnected: added without OAuth (``slideforge accounts add``), so it has no tokens and
# cannot post until it is connected (POST /accounts/connect); never chosen automatically.
STATUSES = ("active", "paused", "reauth_required", "revoked", "unconnected")


def connect_hint(row: Account) -> str:
    """How to connect an account that has no tokens."""
    return (
        f"connect it: POST /accounts/connect with platform {row.platform!r}, open the "
        f"authorize_url and sign in as @{row.username}; the account becomes active"
    )


def not_connected(row: Account) -> ApiError:
    return ApiError(
        "account_not_connected",
        f"@{row.username} ({row.id}) was added without connecting it, so it has no "
        f"{row.platform} tokens and cannot post: {connect_hint(row)}",
        400,
        data={"account_ids": [str(row.id)]},
    )


# What account_out reads: lists load these columns as plain rows (not the encrypted tokens,
# nor ORM objects: a workspace may have hundreds of accounts).
LISTED_COLUMNS = (
    Account.id,
    Account.platform,
    Account.type,
    Account.username,
    Account.display_name,
    Account.status,
    Account.workspace_id,
    Account.tags,
    Account.user_group,
    Account.org_group,
    Account.policy,
    Account.last_posted_at,
    Account.access_token_expires_at,
    Account.refresh_token_expires_at,
    Account.created_at,
    Account.settings,
)


def account_out(row: Account | sa.Row[Any]) -> AccountOut:
    return AccountOut(
        id=row.id,
        platform=row.platform,
        type=row.type,
        username=row.username,
        display_name=row.display_name or row.username,
        status=row.status,
        workspace_id=row.workspace_id,
        tags=list(row.tags or []),
        user_group=row.user_group,
        org_group=row.org_group,
        policy=effective_policy(row.platform, row.policy),
        last_posted_at=isoformat(row.last_posted_at),
        token_expires_at=isoformat(row.access_token_expires_at),
        refresh_expires_at=isoformat(row.refresh_token_expires_at),
        created_at=isoformat(row.created_at),
        capabilities=CAPABILITIES[row.platform],
        settings=dict(row.settings or {}),
    )


def list_accounts(
    session: Session,
    caller: Caller,
    *,
    status: str | None,
    platform: str | None,
    tag: str | None,
) -> AccountList:
    """Active accounts by default (as the contract says); ``status=all`` or a comma list of
    statuses shows others; ``platform`` and ``tag`` filter."""
    query = sa.select(*LISTED_COLUMNS).where(Account.workspace_id == caller.workspace_id)
    statuses = split_list(status) or ["active"]
    if "all" not in statuses:
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise invalid_payload(
                "status", f"unknown status {unknown[0]!r}; use {', '.join(STATUSES)} or all"
            )
        query = query.where(Account.status.in_(statuses))
    platforms = split_list(platform)
    if platforms:
        unknown = [p for p in platforms if p not in PLATFORMS]
        if unknown:
            raise invalid_payload(
                "platform", f"unknown platform {unknown[0]!r}; use {', '.join(PLATFORMS)}"
            )
        query = query.where(Account.platform.in_(platforms))
    rows = session.execute(query.order_by(*oldest_first(Account))).all()
    if tag:
        wanted = set(split_list(tag))
        rows = [row for row in rows if wanted & set(row.tags or [])]
    return AccountList(
        scope=caller.scope,
        owner_user_id=caller.member_id,
        workspace_id=caller.workspace_id,
        accounts=[account_out(row) for row in rows],
    )


def get_account(session: Session, caller: Caller, account_id: object) -> Account:
    parsed = parse_id(account_id)
    row = session.get(Account, parsed) if parsed else None
    if row is None or row.workspace_id != caller.workspace_id:
        raise not_found("account")
    return row


def update_account(
    session: Session, caller: Caller, account_id: object, body: AccountUpdate
) -> AccountOut:
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise invalid_payload(
            "body",
            "send at least one of display_name, tags, user_group, org_group, policy, status, "
            "settings",
        )
    row = get_account(session, caller, account_id)
    if "status" in fields:
        if fields["status"] is None:
            raise invalid_payload("status", "cannot be null")
        if row.status in ("reauth_required", "revoked") and fields["status"] == "active":
            raise invalid_payload(
                "status",
                f"the account is {row.status}: reconnect it (POST /accounts/connect) to reactivate",
            )
        if row.status == "unconnected" or (
            fields["status"] == "active" and row.access_token_enc is None
        ):
            raise not_connected(row)
        row.status = fields["status"]
    if "policy" in fields:
        policy: dict[str, Any] = dict(row.policy or {})
        if body.policy is None:
            policy = {}
        else:
            policy.update(body.policy.model_dump(exclude_unset=True))
        row.policy = policy
    if fields.get("settings") is not None and body.settings is not None:
        row.settings = _platform_settings(row, body.settings.model_dump(exclude_unset=True))
    for key in ("display_name", "tags", "user_group", "org_group"):
        if key in fields:
            value = fields[key]
            if key == "tags":
                value = value or []
            if key == "display_name" and value is None:
                value = ""
            setattr(row, key, value)
    session.flush()
    return account_out(row)


def _platform_settings(row: Account, changes: dict[str, Any]) -> dict[str, Any]:
    """The account's settings with a PATCH's ``settings`` applied (each one only on its
    platform; ``null`` resets it)."""
    settings = dict(row.settings or {})
    if not changes:
        return settings
    for key in changes:
        platform = registry.account_setting_platform(key)
        if row.platform != platform:
            raise invalid_payload(f"settings.{key}", f"only {platform} accounts have this setting")
    registry.rules(row.platform).apply_account_settings(settings, changes)
    return settings


def create_account(
    session: Session,
    workspace_id: uuid.UUID,
    *,
    platform: str,
    username: str,
    display_name: str = "",
    platform_user_id: str | None = None,
    tags: list[str] | None = None,
    user_group: str | None = None,
    org_group: str | None = None,
    policy: dict[str, Any] | None = None,
    status: str = "unconnected",
) -> Account:
    """An account added by an operator (CLI, tests, demos). It has no tokens, so it is
    ``unconnected`` until an OAuth connect (or ``store_tokens``) makes it active."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
    row = Account(
        workspace_id=workspace_id,
        platform=platform,
        username=username,
        display_name=display_name or username,
        platform_user_id=platform_user_id or f"{platform}:{username}",
        tags=tags or [],
        user_group=user_group,
        org_group=org_group,
        policy=policy or {},
        status=status,
    )
    session.add(row)
    session.flush()
    return row
