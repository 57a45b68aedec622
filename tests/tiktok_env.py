"""A TikTok Content Posting API sandbox wired to the session's slideforge runtime: the
server's settings point at it, it pulls media from the server's /media URLs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from platform_sandbox.server import RunningServer
from platform_sandbox.tiktok_api import TikTokSandbox
from slideforge.accounts import service as accounts
from slideforge.accounts.tokens import store_tokens
from slideforge.models import Account
from slideforge.publishing.platforms.base import TokenSet
from slideforge.runtime import Runtime
from tests.helpers import ApiClient


@dataclass
class TikTokEnv:
    sandbox: TikTokSandbox
    server: RunningServer
    runtime: Runtime

    def connect(
        self,
        api: ApiClient,
        username: str | None = None,
        *,
        private: bool = False,
        tags: list[str] | None = None,
        user_group: str | None = None,
        policy: dict[str, object] | None = None,
    ) -> str:
        """A sandbox creator authorised for the app, and its slideforge account."""
        username = username or f"creator_{uuid.uuid4().hex[:8]}"
        open_id = f"oid-{uuid.uuid4().hex}"
        self.sandbox.add_user(
            open_id=open_id,
            username=username,
            display_name=username.title(),
            private_account=private,
        )
        body = self.sandbox.issue_tokens(open_id)
        now = datetime.now(UTC)
        with self.runtime.db.session() as session:
            row = accounts.create_account(
                session,
                api.workspace_id,
                platform="tiktok",
                username=username,
                platform_user_id=open_id,
                tags=tags,
                user_group=user_group,
                policy=policy,
            )
            store_tokens(
                self.runtime,
                row,
                TokenSet(
                    access_token=body["access_token"],
                    access_expires_at=now + timedelta(seconds=int(body["expires_in"])),
                    refresh_token=body["refresh_token"],
                    refresh_expires_at=now + timedelta(seconds=int(body["refresh_expires_in"])),
                    scopes=body["scope"],
                ),
            )
            return str(row.id)

    def open_id(self, account_id: str) -> str:
        with self.runtime.db.session() as session:
            row = session.get(Account, uuid.UUID(account_id))
            assert row is not None
            return row.platform_user_id
