"""TikTok sandbox, OAuth v2 and user info: authorize redirect, code exchange (single use,
redirect match, PKCE hex S256), refresh rotation, revoke, token expiry, user/info fields."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from platform_sandbox.tiktok_api import TikTokSandbox
from slideforge.kit.clock import ManualClock
from tests.sandbox.tiktok_api.support import CREATOR, OTHER, REDIRECT_URI, Api, error_of

CLIENT_KEY = "sbawtestclientkey"
CLIENT_SECRET = "test-client-secret"
TOKEN_KEYS = {
    "open_id",
    "scope",
    "access_token",
    "expires_in",
    "refresh_token",
    "refresh_expires_in",
    "token_type",
}


def authorize(client: httpx.Client, **overrides: str) -> httpx.Response:
    params = {
        "client_key": CLIENT_KEY,
        "scope": "user.info.basic,video.publish,video.upload",
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "csrf-123",
    }
    params.update(overrides)
    return client.get("/v2/auth/authorize/", params={k: v for k, v in params.items() if v})


def callback(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(client: httpx.Client, code: str, **overrides: str) -> httpx.Response:
    form = {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
    }
    form.update(overrides)
    return client.post("/v2/oauth/token/", data=form)


def refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    return client.post(
        "/v2/oauth/token/",
        data={
            "client_key": CLIENT_KEY,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
    )


def oauth_error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error", "error_description", "log_id"}, body
    return str(body["error"])


def login(client: httpx.Client, **overrides: str) -> dict[str, Any]:
    code = callback(authorize(client, **overrides))["code"]
    response = exchange(client, code)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_authorize_redirects_with_code_state_and_scopes(client: httpx.Client) -> None:
    values = callback(authorize(client))
    assert values["state"] == "csrf-123"
    assert values["scopes"] == "user.info.basic,video.publish,video.upload"
    # Codes carry characters that must be URL-decoded before the exchange.
    assert "*" in values["code"] and "!" in values["code"]


def test_code_exchange_returns_the_flat_token_body(client: httpx.Client) -> None:
    body = login(client)
    assert set(body) == TOKEN_KEYS
    assert body["open_id"] == CREATOR
    assert body["scope"] == "user.info.basic,video.publish,video.upload"
    assert body["access_token"].startswith("act.")
    assert body["refresh_token"].startswith("rft.")
    assert body["expires_in"] == 86_400
    assert body["refresh_expires_in"] == 31_536_000
    assert body["token_type"] == "Bearer"


def test_authorize_as_another_user_with_a_scope_subset(client: httpx.Client) -> None:
    values = callback(authorize(client, sandbox_user=OTHER, sandbox_scopes="user.info.basic"))
    assert values["scopes"] == "user.info.basic"
    body = exchange(client, values["code"]).json()
    assert body["open_id"] == OTHER
    assert body["scope"] == "user.info.basic"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "video.publish,video.delete"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "invalid_request"),
        ({"sandbox_decision": "deny"}, "access_denied"),
    ],
)
def test_authorize_errors_are_redirected_with_state(
    client: httpx.Client, overrides: dict[str, str], error: str
) -> None:
    values = callback(authorize(client, **overrides))
    assert values["error"] == error
    assert values["state"] == "csrf-123"
    assert "code" not in values


def test_authorize_scope_not_approved_for_the_app(
    client: httpx.Client, sandbox: TikTokSandbox
) -> None:
    sandbox.update_app(scopes=["user.info.basic", "video.upload"])
    assert callback(authorize(client))["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_key": "unknown"},
        {"redirect_uri": "https://evil.example/cb"},
        {"redirect_uri": REDIRECT_URI + "/"},
        {"sandbox_user": "nobody"},
    ],
)
def test_authorize_without_a_safe_redirect_answers_an_error_page(
    client: httpx.Client, overrides: dict[str, str]
) -> None:
    response = authorize(client, **overrides)
    assert response.status_code == 400
    assert oauth_error(response) in ("invalid_client", "invalid_request")


def test_code_is_single_use(client: httpx.Client) -> None:
    code = callback(authorize(client))["code"]
    assert exchange(client, code).status_code == 200
    again = exchange(client, code)
    assert again.status_code == 400
    assert oauth_error(again) == "invalid_grant"


def test_code_exchange_errors(client: httpx.Client, manual_clock: ManualClock) -> None:
    code = callback(authorize(client))["code"]
    mismatch = exchange(client, code, redirect_uri="https://app.slideforge.test/other")
    assert oauth_error(mismatch) == "invalid_grant"
    assert oauth_error(exchange(client, code, client_secret="wrong")) == "invalid_client"
    assert oauth_error(exchange(client, "not-a-code")) == "invalid_grant"
    assert oauth_error(exchange(client, code, grant_type="password")) == "unsupported_grant_type"
    assert oauth_error(exchange(client, code, redirect_uri="")) == "invalid_request"
    # The failed attempts did not consume the code; the clock does.
    manual_clock.advance(601)
    expired = exchange(client, code)
    assert expired.status_code == 400
    assert oauth_error(expired) == "invalid_grant"


def test_token_endpoint_takes_a_form_not_json(client: httpx.Client) -> None:
    code = callback(authorize(client))["code"]
    response = client.post(
        "/v2/oauth/token/",
        json={
            "client_key": CLIENT_KEY,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert oauth_error(response) == "invalid_request"


def test_pkce_hex_sha256(client: httpx.Client) -> None:
    verifier = "v" * 43 + "-verifier_~"
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    code = callback(authorize(client, code_challenge=challenge, code_challenge_method="S256"))[
        "code"
    ]
    assert oauth_error(exchange(client, code)) == "invalid_request"
    assert oauth_error(exchange(client, code, code_verifier="wrong")) == "invalid_grant"
    ok = exchange(client, code, code_verifier=verifier)
    assert ok.status_code == 200, ok.text


def test_pkce_base64url_challenge_is_refused_in_hex_mode(client: httpx.Client) -> None:
    import base64

    verifier = "x" * 50
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    code = callback(authorize(client, code_challenge=challenge, code_challenge_method="S256"))[
        "code"
    ]
    assert oauth_error(exchange(client, code, code_verifier=verifier)) == "invalid_grant"


def test_refresh_rotates_and_the_old_refresh_token_dies(client: httpx.Client, tiktok: Api) -> None:
    first = login(client)
    second_response = refresh(client, first["refresh_token"])
    assert second_response.status_code == 200
    second = second_response.json()
    assert set(second) == TOKEN_KEYS
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reuse = refresh(client, first["refresh_token"])
    assert reuse.status_code == 400
    assert oauth_error(reuse) == "invalid_grant"
    assert refresh(client, second["refresh_token"]).status_code == 200
    # The new access token works on the data endpoints.
    info = tiktok.post("/v2/post/publish/creator_info/query/", second["access_token"])
    assert error_of(info) == (200, "ok")


def test_refresh_can_keep_the_old_token_valid(client: httpx.Client, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(keep_old_refresh_token_valid=True)
    first = login(client)
    assert refresh(client, first["refresh_token"]).status_code == 200
    assert refresh(client, first["refresh_token"]).status_code == 200


def test_refresh_token_expires_after_a_year(
    client: httpx.Client, manual_clock: ManualClock
) -> None:
    first = login(client)
    manual_clock.advance(days=364)
    second = refresh(client, first["refresh_token"]).json()
    assert second["refresh_expires_in"] == 86_400  # the rotated token keeps the original expiry
    manual_clock.advance(days=1, seconds=1)
    assert oauth_error(refresh(client, second["refresh_token"])) == "invalid_grant"


def test_oauth_errors_can_answer_http_200(client: httpx.Client, sandbox: TikTokSandbox) -> None:
    sandbox.update_options(oauth_error_http_status=200)
    response = refresh(client, "rft.unknown")
    assert response.status_code == 200
    assert oauth_error(response) == "invalid_grant"


def test_access_token_expires_after_24_hours(
    client: httpx.Client, tiktok: Api, manual_clock: ManualClock
) -> None:
    tokens = login(client)
    manual_clock.advance(86_399)
    ok = tiktok.post("/v2/post/publish/creator_info/query/", tokens["access_token"])
    assert error_of(ok) == (200, "ok")
    manual_clock.advance(1)
    expired = tiktok.post("/v2/post/publish/creator_info/query/", tokens["access_token"])
    assert error_of(expired) == (401, "access_token_invalid")
    renewed = refresh(client, tokens["refresh_token"]).json()
    again = tiktok.post("/v2/post/publish/creator_info/query/", renewed["access_token"])
    assert error_of(again) == (200, "ok")


def test_revoke_kills_access_and_refresh_tokens(client: httpx.Client, tiktok: Api) -> None:
    tokens = login(client)
    bad = client.post(
        "/v2/oauth/revoke/",
        data={"client_key": CLIENT_KEY, "client_secret": "nope", "token": tokens["access_token"]},
    )
    assert oauth_error(bad) == "invalid_client"
    response = client.post(
        "/v2/oauth/revoke/",
        data={
            "client_key": CLIENT_KEY,
            "client_secret": CLIENT_SECRET,
            "token": tokens["access_token"],
        },
    )
    assert response.status_code == 200
    info = tiktok.post("/v2/post/publish/creator_info/query/", tokens["access_token"])
    assert error_of(info) == (401, "access_token_invalid")
    assert oauth_error(refresh(client, tokens["refresh_token"])) == "invalid_grant"


def test_user_info_returns_only_requested_fields(client: httpx.Client, tiktok: Api) -> None:
    token = tiktok.token(scopes=["user.info.basic", "user.info.profile"])
    response = client.get(
        "/v2/user/info/",
        params={"fields": "open_id,display_name,username"},
        headers=tiktok.auth(token),
    )
    assert error_of(response) == (200, "ok")
    assert response.json()["data"] == {
        "user": {"open_id": CREATOR, "display_name": "Public One", "username": "public.creator"}
    }


def test_user_info_scope_rules(client: httpx.Client, tiktok: Api) -> None:
    basic = tiktok.token(scopes=["user.info.basic"])
    stats = client.get(
        "/v2/user/info/", params={"fields": "open_id,follower_count"}, headers=tiktok.auth(basic)
    )
    assert error_of(stats) == (400, "scope_permission_missed")
    publish_only = tiktok.token(scopes=["video.publish"])
    denied = client.get(
        "/v2/user/info/", params={"fields": "open_id"}, headers=tiktok.auth(publish_only)
    )
    assert error_of(denied) == (401, "scope_not_authorized")
    unknown = client.get("/v2/user/info/", params={"fields": "email"}, headers=tiktok.auth(basic))
    assert error_of(unknown) == (400, "invalid_params")
    anonymous = client.get("/v2/user/info/", params={"fields": "open_id"})
    assert error_of(anonymous) == (401, "access_token_invalid")
