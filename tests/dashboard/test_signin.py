"""Signing in and out of the dashboard, and the security rules of its session."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from slideforge.kit.clock import ManualClock
from slideforge.runtime import Runtime
from tests.dashboard.conftest import FORM_TOKEN, Dashboard
from tests.helpers import ApiClient, err, ok


def test_sign_in_sets_an_http_only_lax_cookie_and_lands_on_the_calendar(
    api: ApiClient, make_dashboard: Callable[[ApiClient], Dashboard]
) -> None:
    dashboard = Dashboard(api.base_url, api)
    answer = dashboard.sign_in()
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/calendar"
    cookie = answer.headers["set-cookie"]
    assert "sf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie
    # the key itself never reaches a cookie or a page
    assert api.key not in answer.text and api.key.split(".")[1] not in cookie
    dashboard.close()


def test_a_page_without_a_session_sends_to_sign_in_with_where_to_return(
    server_url: str,
) -> None:
    answer = httpx.get(server_url + "/app/calendar?view=month", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/sign-in?next=/app/calendar%3Fview%3Dmonth"


def test_a_wrong_key_is_refused_with_a_message_and_no_session(api: ApiClient) -> None:
    dashboard = Dashboard(api.base_url, api)
    answer = dashboard.sign_in("sfk_0000000000000000.nope")
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert "sf_session" not in answer.headers.get("set-cookie", "")
    dashboard.close()


def test_sign_in_form_needs_its_own_token_login_csrf(api: ApiClient) -> None:
    client = httpx.Client(base_url=api.base_url, follow_redirects=False)
    # a form posted from another site has neither the page's cookie nor its token
    answer = client.post("/app/sign-in", data={"api_key": api.key, "form_token": "x"})
    assert answer.status_code == 403
    assert "sf_session" not in answer.headers.get("set-cookie", "")
    # the token of one browser does not work with another browser's cookie
    other = httpx.Client(base_url=api.base_url, follow_redirects=False)
    token = FORM_TOKEN.search(other.get("/app/sign-in").text)
    assert token
    client.get("/app/sign-in")
    answer = client.post("/app/sign-in", data={"api_key": api.key, "form_token": token.group(1)})
    assert answer.status_code == 403
    client.close()
    other.close()


def test_session_fixation_a_planted_cookie_is_never_the_session(
    api: ApiClient, runtime: Runtime
) -> None:
    attacker = Dashboard(api.base_url, api)
    attacker.sign_in()
    planted = attacker.http.cookies["sf_session"]
    victim = Dashboard(api.base_url, api)
    victim.http.cookies.set("sf_session", planted, domain="127.0.0.1", path="/")
    victim.sign_in()
    assert victim.http.cookies.get("sf_session", domain="127.0.0.1", path="/") != planted
    # signing in ended the session the browser already held
    assert attacker.get("/app/calendar").status_code == 303
    attacker.close()
    victim.close()


def test_the_api_accepts_the_cookie_and_demands_csrf_on_changes(dashboard: Dashboard) -> None:
    assert ok(dashboard.call("GET", "/accounts")) is not None
    no_token = dashboard.http.post(
        "/api/partner/v1/packs", json={"name": "x"}, headers={"X-CSRF-Token": ""}
    )
    err(no_token, 403, "csrf_failed")
    forged = dashboard.http.post(
        "/api/partner/v1/packs", json={"name": "x"}, headers={"X-CSRF-Token": "forged"}
    )
    err(forged, 403, "csrf_failed")
    made = ok(dashboard.call("POST", "/packs", {"name": "from the dashboard"}), 201)
    assert made["name"] == "from the dashboard"


def test_sign_out_ends_the_session_everywhere(dashboard: Dashboard) -> None:
    cookie = dashboard.http.cookies["sf_session"]
    no_token = dashboard.http.post("/app/sign-out", data={})
    assert no_token.status_code == 403
    answer = dashboard.http.post("/app/sign-out", data={"csrf_token": dashboard.csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/app/sign-in"
    stale = httpx.get(
        dashboard.api.base_url + "/api/partner/v1/accounts", cookies={"sf_session": cookie}
    )
    err(stale, 401, "unauthorized")


def test_sessions_expire_when_idle_and_when_the_key_is_revoked(
    dashboard: Dashboard, runtime: Runtime, clock: ManualClock
) -> None:
    dashboard.sign_in()  # under the frozen clock
    assert dashboard.get("/app/calendar").status_code != 303
    clock.advance(minutes=runtime.settings.dashboard_idle_minutes + 1)
    assert dashboard.get("/app/calendar").status_code == 303
    err(dashboard.call("GET", "/accounts"), 401, "unauthorized")
    clock.advance(minutes=1)
    dashboard.sign_in()
    assert dashboard.get("/app/calendar").status_code != 303
    from slideforge.auth import service

    with runtime.db.session() as session:
        service.revoke_key(session, dashboard.api.key.split(".")[0], clock.now())
    assert dashboard.get("/app/calendar").status_code == 303


def test_pages_forbid_framing_and_inline_scripts(dashboard: Dashboard) -> None:
    page = dashboard.get("/app/sign-in")
    assert page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text


def test_next_never_leaves_the_dashboard(api: ApiClient) -> None:
    for target in ("https://evil.example/", "//evil.example/app/x", "/app/\\evil", "/docs"):
        client = Dashboard(api.base_url, api)
        form = client.http.get("/app/sign-in", params={"next": target})
        token = FORM_TOKEN.search(form.text)
        assert token
        answer = client.http.post(
            "/app/sign-in",
            data={"api_key": api.key, "form_token": token.group(1), "next": target},
        )
        assert answer.headers["location"] == "/app/calendar", target
        client.close()


def test_a_browser_at_the_root_goes_to_the_dashboard_and_scripts_get_json(
    server_url: str,
) -> None:
    page = httpx.get(server_url + "/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/app/calendar"
    assert httpx.get(server_url + "/").json()["data"]["api"] == "/api/partner/v1"


def test_unknown_dashboard_paths_answer_an_html_page(server_url: str) -> None:
    answer = httpx.get(server_url + "/app/nope/<script>alert(1)</script>")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in answer.text
