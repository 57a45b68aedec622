"""The Accounts page over HTTP: only the workspace's accounts, hostile names shown as text,
the re-auth notice of an authorisation that ends soon or has ended (care's rule), the policy
and next free slots, the filters, and the OAuth connect that comes back to the page."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from slideforge.accounts import service as accounts
from slideforge.accounts.care import NOTICE_AHEAD
from slideforge.accounts.tokens import store_tokens
from slideforge.kit.clock import ManualClock
from slideforge.publishing.platforms.base import TokenSet
from slideforge.runtime import Runtime
from tests.accounts.test_connect import authorize
from tests.dashboard.conftest import CSRF_META, Dashboard
from tests.helpers import ApiClient, err, ok
from tests.sandboxes import TikTokEnv


def card(page: str, account_id: str) -> str:
    """The account's card in the page's HTML (up to the next card or the list's end)."""
    start = page.find(f'<li class="card account" id="account-{account_id}"')
    assert start >= 0, f"no card for {account_id}"
    ends = [page.find(mark, start + 1) for mark in ('<li class="card account"', "</ul>\n<datalist")]
    return page[start : min(e for e in ends if e > 0)]


def on_accounts_page(dashboard: Dashboard) -> Dashboard:
    """The dashboard with the CSRF token of the Accounts page (as accounts.js reads it)."""
    meta = CSRF_META.search(dashboard.get("/app/accounts").text)
    assert meta
    dashboard.csrf = meta.group(1)
    return dashboard


def long_lived(runtime: Runtime, api: ApiClient, username: str, ends: datetime) -> str:
    """An active account whose token cannot be refreshed and ends at ``ends`` (as an
    Instagram long-lived token: its end is the authorisation's end)."""
    with runtime.db.session() as session:
        row = accounts.create_account(
            session, api.workspace_id, platform="tiktok", username=username
        )
        store_tokens(
            runtime,
            row,
            TokenSet(
                access_token="act.x",
                access_expires_at=ends,
                refresh_token=None,
                refresh_expires_at=None,
            ),
        )
        return str(row.id)


def test_only_this_workspaces_accounts_and_names_are_text(
    make_api: Callable[..., ApiClient],
    make_dashboard: Callable[[ApiClient], Dashboard],
    tiktok: TikTokEnv,
    runtime: Runtime,
) -> None:
    mine, theirs = make_api(), make_api()
    active = tiktok.connect(mine, tags=["beauty", "<b>bold</b>"], policy={"min_gap_minutes": 90})
    with runtime.db.session() as session:
        added = str(
            accounts.create_account(
                session,
                mine.workspace_id,
                platform="pinterest",
                username="pinner",
                display_name="<script>alert('x')</script>",
                tags=["home"],
            ).id
        )
        other = str(
            accounts.create_account(
                session, theirs.workspace_id, platform="tiktok", username="not_yours_at_all"
            ).id
        )
    page = make_dashboard(mine).get("/app/accounts")
    assert page.status_code == 200
    text = page.text
    assert other not in text and "not_yours_at_all" not in text
    # Hostile text is shown as text, never as markup.
    assert "<script>alert" not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;alert(" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    # The connected account: its state, its policy, its next free slots 90 minutes apart.
    connected = card(text, active)
    assert 'class="badge status connected">connected<' in connected
    assert "Up to 15 posts per 24 h" in connected and "At least 90 min between posts" in connected
    assert "Posting window: any time (time zone UTC)" in connected
    slots = re.findall(r'<li><time datetime="([^"]+)">', connected)
    assert len(slots) == 3
    times = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in slots]
    assert times[1] - times[0] == timedelta(minutes=90) == times[2] - times[1]
    assert "Re-authorise" not in connected  # a fresh authorisation
    # The account added without OAuth: not connected, no slots, a way to connect it.
    unconnected = card(text, added)
    assert "not connected" in unconnected and "Connect Pinterest" in unconnected
    assert "cannot post" in unconnected
    # The other workspace sees only its own.
    theirs_page = make_dashboard(theirs).get("/app/accounts").text
    assert other in theirs_page and active not in theirs_page and added not in theirs_page


def test_filters_by_platform_and_tag(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv, runtime: Runtime
) -> None:
    beauty = tiktok.connect(api, tags=["beauty"])
    travel = tiktok.connect(api, tags=["travel"])
    with runtime.db.session() as session:
        pin = str(
            accounts.create_account(
                session, api.workspace_id, platform="pinterest", username="p1", tags=["beauty"]
            ).id
        )
    by_tag = dashboard.get("/app/accounts?tag=beauty").text
    assert beauty in by_tag and pin in by_tag and travel not in by_tag
    both = dashboard.get("/app/accounts?tag=beauty&platform=tiktok").text
    assert beauty in both and pin not in both and travel not in both
    assert '<option value="travel">travel</option>' in both  # every tag stays choosable
    none = dashboard.get("/app/accounts?tag=nothing").text
    assert "No account matches these filters" in none
    # An unknown platform is no filter (not an error page).
    assert travel in dashboard.get("/app/accounts?platform=myspace").text


def test_reauth_notice_when_the_authorisation_ends_soon_then_has_ended(
    api: ApiClient,
    make_dashboard: Callable[[ApiClient], Dashboard],
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    ends = clock.now() + NOTICE_AHEAD + timedelta(days=5)
    account = long_lived(runtime, api, "longlived", ends)

    def shown() -> str:
        # Signed in at the clock's time (a jump of days would end an older session).
        return card(make_dashboard(api).get("/app/accounts").text, account)

    fresh = shown()
    assert "Re-authorise" not in fresh and "Reconnect TikTok" not in fresh
    # Within care's notice window (15 days): when account.reauth_soon goes out.
    clock.set(ends - timedelta(days=10, hours=1))
    soon = shown()
    assert "Re-authorise soon." in soon and "ends in 10 days" in soon
    assert "Reconnect TikTok" in soon
    # Once it has ended: reconnect now (care may also have marked it reauth_required).
    clock.set(ends + timedelta(minutes=5))
    ended = shown()
    assert "Re-authorise now." in ended and "Reconnect TikTok" in ended
    assert "expired on" in ended or "needs re-auth" in ended


def test_connect_started_from_the_page_comes_back_to_it(
    make_api: Callable[..., ApiClient],
    make_dashboard: Callable[[ApiClient], Dashboard],
    tiktok: TikTokEnv,
    runtime: Runtime,
) -> None:
    api = make_api()
    dashboard = on_accounts_page(make_dashboard(api))
    open_id = f"oid-{uuid.uuid4().hex}"
    tiktok.sandbox.add_user(open_id=open_id, username="came_back", display_name="Came Back")
    start = ok(
        dashboard.call(
            "POST",
            "/accounts/connect",
            {"platform": "tiktok", "return_to": "/app/accounts", "tags": ["new"]},
        )
    )
    callback = authorize(start["authorize_url"], sandbox_user=open_id)
    back = dashboard.http.get(callback)
    assert back.status_code == 303
    location = back.headers["location"]
    assert location.startswith(runtime.settings.public_base_url + "/app/accounts?connect=")
    page = dashboard.get(urlsplit(location).path + "?" + urlsplit(location).query).text
    assert "Account connected: tiktok @came_back" in page
    listed = ok(api.get("/accounts"))["accounts"]
    assert [a["username"] for a in listed] == ["came_back"] and listed[0]["tags"] == ["new"]
    assert listed[0]["id"] in page
    # Reloading the callback: the link was used; the page still says what happened first.
    again = dashboard.http.get(callback)
    assert again.status_code == 303 and again.headers["location"] == location
    # Another workspace cannot read this outcome.
    outsider = make_dashboard(make_api())
    assert (
        "came_back"
        not in outsider.get(urlsplit(location).path + "?" + urlsplit(location).query).text
    )

    # A refusal comes back too, with the API's own words.
    denied = ok(
        dashboard.call(
            "POST", "/accounts/connect", {"platform": "tiktok", "return_to": "/app/accounts"}
        )
    )
    refused = httpx.get(
        authorize(denied["authorize_url"], sandbox_user=open_id, sandbox_decision="deny"),
        follow_redirects=False,
    )
    assert refused.status_code == 303
    shown = dashboard.get(
        urlsplit(refused.headers["location"]).path
        + "?"
        + urlsplit(refused.headers["location"]).query
    )
    assert "tiktok did not authorise the app (access_denied" in html.unescape(shown.text)
    # Without return_to the callback still answers JSON (the API's contract).
    plain = ok(api.post("/accounts/connect", json={"platform": "tiktok"}))
    answer = httpx.get(authorize(plain["authorize_url"], sandbox_user=open_id))
    assert ok(answer)["reconnected"] is True


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/app/accounts",
        "//evil.example/app",
        "/app/../api",
        "/app//evil.example",
        "/app/accounts?next=x",
        "/elsewhere",
        "/app",
    ],
)
def test_return_to_is_a_dashboard_path_only(api: ApiClient, tiktok: TikTokEnv, target: str) -> None:
    err(
        api.post("/accounts/connect", json={"platform": "tiktok", "return_to": target}),
        422,
        "invalid_payload",
    )


def test_the_page_needs_a_session(server_url: str) -> None:
    answer = httpx.get(server_url + "/app/accounts", follow_redirects=False)
    assert answer.status_code == 303 and "/app/sign-in" in answer.headers["location"]


def test_pause_and_edit_go_through_the_api_with_its_refusals(
    api: ApiClient, dashboard: Dashboard, tiktok: TikTokEnv
) -> None:
    account = tiktok.connect(api)
    on_accounts_page(dashboard)
    page = card(dashboard.get("/app/accounts").text, account)
    assert f'data-api="/accounts/{account}" data-method="PATCH"' in page
    # What accounts.js sends: the API's rules answer (here, a bad time zone is refused).
    refused = err(
        dashboard.call("PATCH", f"/accounts/{account}", {"policy": {"timezone": "Mars/Base"}}),
        422,
        "invalid_payload",
    )
    assert "IANA time zone" in refused["message"]
    ok(
        dashboard.call(
            "PATCH",
            f"/accounts/{account}",
            {
                "tags": ["a", "b"],
                "policy": {
                    "max_posts_per_24h": 4,
                    "min_gap_minutes": None,
                    "timezone": "Europe/Paris",
                    "allowed_hours": {"start": "09:00", "end": "18:00"},
                },
            },
        )
    )
    edited = card(dashboard.get("/app/accounts").text, account)
    assert "Up to 4 posts per 24 h" in edited and "At least 30 min" in edited  # gap: default
    assert "Posting window: 09:00–18:00 Europe/Paris" in edited
    assert 'value="a, b"' in edited and 'value="09:00"' in edited
    slots = re.findall(r'<li><time datetime="([^"]+)">([^<]+)</time>', edited)
    assert slots and all(shown.endswith("Europe/Paris") for _, shown in slots)
    for iso, _ in slots:
        at = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        assert 9 <= at.astimezone(ZoneInfo("Europe/Paris")).hour < 18
