"""The platform sandboxes wired to the session's slideforge runtime, for the tests that publish
through them: the server's settings point at each sandbox (the ``tiktok``, ``instagram`` and
``pinterest`` fixtures of ``conftest.py``), the sandboxes pull media from the server's /media
URLs, and each env connects accounts — TikTok with tokens minted by the sandbox, Instagram
and Pinterest through the real OAuth flow over HTTP."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx

from platform_sandbox.instagram import InstagramSandbox
from platform_sandbox.pinterest import PinterestSandbox
from platform_sandbox.server import RunningServer
from platform_sandbox.tiktok_api import TikTokSandbox
from slideforge.accounts import service as accounts
from slideforge.accounts.tokens import store_tokens
from slideforge.models import Account
from slideforge.publishing.platforms.base import TokenSet
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, ok


class OffsetClock:
    """Real time plus an offset the test moves: media processing runs in real time while a
    test jumps days ahead (token ages, expiries)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds, **delta)
        return self.now()


def oauth_connect(api: ApiClient, platform: str, **authorize: str) -> dict[str, object]:
    """POST /accounts/connect, then what the browser does: open the authorize URL (the
    sandbox approves as ``sandbox_user``) and follow the redirect to our callback."""
    start = ok(api.post("/accounts/connect", json={"platform": platform}))
    page = httpx.get(f"{start['authorize_url']}&{urlencode(authorize)}", follow_redirects=False)
    assert page.status_code == 302, page.text
    callback = page.headers["location"]
    assert callback.startswith(start["redirect_uri"]), callback
    connected: dict[str, object] = ok(httpx.get(callback))
    return connected


def _platform_user_id(runtime: Runtime, account_id: str) -> str:
    with runtime.db.session() as session:
        row = session.get(Account, uuid.UUID(account_id))
        assert row is not None
        return row.platform_user_id


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
        scopes: list[str] | None = None,
    ) -> str:
        """A sandbox creator authorised for the app (``scopes``: only these granted), and
        its slideforge account."""
        username = username or f"creator_{uuid.uuid4().hex[:8]}"
        open_id = f"oid-{uuid.uuid4().hex}"
        self.sandbox.add_user(
            open_id=open_id,
            username=username,
            display_name=username.title(),
            private_account=private,
        )
        body = self.sandbox.issue_tokens(open_id, scopes=scopes)
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
        return _platform_user_id(self.runtime, account_id)


@dataclass
class InstagramEnv:
    sandbox: InstagramSandbox
    server: RunningServer
    runtime: Runtime
    clock: OffsetClock

    @contextmanager
    def login(self, model: str) -> Iterator[None]:
        """New connections use this login model while inside."""
        settings = self.runtime.settings
        before = settings.instagram_login
        settings.instagram_login = model  # type: ignore[assignment]
        try:
            yield
        finally:
            settings.instagram_login = before

    def add_creator(self, username: str | None = None, *, model: str = "instagram") -> str:
        """A new IG professional account (for Facebook Login: with its user and Page);
        returns what ``sandbox_user`` takes."""
        username = username or f"gram_{uuid.uuid4().hex[:8]}"
        account = self.sandbox.add_ig_user(username=username, name=username.title())
        if model == "instagram":
            return account.id
        user = self.sandbox.add_fb_user(name=f"{username} owner")
        self.sandbox.add_page(name=f"{username} page", ig_user_id=account.id, managers=[user.id])
        return user.id

    def connect(
        self, api: ApiClient, username: str | None = None, *, model: str = "instagram"
    ) -> str:
        """A new Instagram account connected through the real OAuth flow; its account id."""
        who = self.add_creator(username, model=model)
        with self.login(model):
            connected = oauth_connect(api, "instagram", sandbox_user=who)
        account = connected["account"]
        assert isinstance(account, dict)
        return str(account["id"])

    def ig_user_id(self, account_id: str) -> str:
        return _platform_user_id(self.runtime, account_id)


@dataclass
class PinterestEnv:
    sandbox: PinterestSandbox
    server: RunningServer
    runtime: Runtime
    clock: OffsetClock

    def connect(self, api: ApiClient, username: str | None = None) -> str:
        """A new Pinterest user (with its initial board) connected through the real OAuth
        flow; its account id."""
        user = self.sandbox.add_user(username=username or f"pinner_{uuid.uuid4().hex[:8]}")
        connected = oauth_connect(api, "pinterest", sandbox_user=user.id)
        account = connected["account"]
        assert isinstance(account, dict)
        return str(account["id"])

    def user_id(self, account_id: str) -> str:
        return _platform_user_id(self.runtime, account_id)

    def pins(self, account_id: str) -> list[dict[str, object]]:
        return self.sandbox.pins(user_id=self.user_id(account_id))
