"""Workspaces, members and API keys: creation, listing, revocation and authentication."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.kit.crypto import sha256_hex
from slideforge.kit.errors import ApiError
from slideforge.models import ApiKey, Member, Workspace

KEY_PREFIX = "sfk_"
_LAST_USED_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the workspace every query is scoped to, and for personal keys the
    member who owns what the key creates (private templates)."""

    workspace_id: uuid.UUID
    key_id: uuid.UUID
    scope: str  # workspace | personal
    member_id: uuid.UUID | None = None

    @property
    def is_workspace_key(self) -> bool:
        return self.scope == "workspace"


def unauthorized(message: str) -> ApiError:
    return ApiError(
        "unauthorized", message, 401, headers={"WWW-Authenticate": 'Bearer realm="slideforge"'}
    )


def create_workspace(session: Session, name: str) -> Workspace:
    name = name.strip()
    if not name or len(name) > 120:
        raise ValueError("a workspace name is 1–120 characters")
    if session.scalar(sa.select(Workspace).where(Workspace.name == name)):
        raise ValueError(f"workspace {name!r} already exists")
    workspace = Workspace(name=name)
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace(session: Session, name: str) -> Workspace:
    workspace = session.scalar(sa.select(Workspace).where(Workspace.name == name.strip()))
    if workspace is None:
        raise ValueError(f"no workspace named {name!r}")
    return workspace


def get_or_create_member(session: Session, workspace: Workspace, name: str) -> Member:
    member = session.scalar(
        sa.select(Member).where(Member.workspace_id == workspace.id, Member.name == name.strip())
    )
    if member is None:
        member = Member(workspace_id=workspace.id, name=name.strip())
        session.add(member)
        session.flush()
    return member


def create_key(
    session: Session, workspace: Workspace, *, member: Member | None = None, name: str = ""
) -> tuple[ApiKey, str]:
    """A new key; the plaintext ``public_id.secret`` is returned once and never stored."""
    public_id = KEY_PREFIX + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        workspace_id=workspace.id,
        public_id=public_id,
        secret_hash=sha256_hex(secret),
        scope="personal" if member else "workspace",
        member_id=member.id if member else None,
        name=name,
    )
    session.add(key)
    session.flush()
    return key, f"{public_id}.{secret}"


def list_keys(session: Session, workspace: Workspace) -> list[ApiKey]:
    return list(
        session.scalars(
            sa.select(ApiKey).where(ApiKey.workspace_id == workspace.id).order_by(ApiKey.created_at)
        )
    )


def revoke_key(session: Session, public_id: str, now: datetime) -> ApiKey:
    key = session.scalar(sa.select(ApiKey).where(ApiKey.public_id == public_id.strip()))
    if key is None:
        raise ValueError(f"no key {public_id!r}")
    if key.revoked_at is None:
        key.revoked_at = now
    return key


class _LastUsed:
    """Remembers when we last wrote ``last_used_at`` per key, to write it at most once a minute."""

    def __init__(self) -> None:
        self._seen: dict[uuid.UUID, datetime] = {}
        self._lock = threading.Lock()

    def due(self, key_id: uuid.UUID, now: datetime) -> bool:
        with self._lock:
            last = self._seen.get(key_id)
            if last is not None and now - last < _LAST_USED_EVERY:
                return False
            self._seen[key_id] = now
            return True


_last_used = _LastUsed()


def authenticate(session: Session, authorization: str | None, now: datetime) -> Caller:
    """Check ``Authorization: Bearer public_id.secret`` in constant time."""
    if not authorization:
        raise unauthorized("Missing API key: send Authorization: Bearer <public_id.secret>.")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Malformed Authorization header: use Bearer <public_id.secret>.")
    public_id, dot, secret = token.partition(".")
    if not dot or not public_id or not secret or len(token) > 200:
        raise unauthorized("Malformed API key: expected <public_id>.<secret>.")
    key = session.scalar(sa.select(ApiKey).where(ApiKey.public_id == public_id))
    expected = key.secret_hash if key is not None else sha256_hex("no-such-key")
    # Compare even when the key does not exist, so timing does not tell which part is wrong.
    matches = secrets.compare_digest(sha256_hex(secret), expected)
    if key is None or not matches:
        raise unauthorized("Unknown API key.")
    if key.revoked_at is not None:
        raise unauthorized("This API key was revoked.")
    if _last_used.due(key.id, now):
        session.execute(sa.update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return Caller(
        workspace_id=key.workspace_id, key_id=key.id, scope=key.scope, member_id=key.member_id
    )
