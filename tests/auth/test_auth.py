"""Bearer keys: parsing, hashing, revocation, last_used_at, rate limiting."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from platform_sandbox.server import RunningServer
from slideforge.auth import service
from slideforge.auth.ratelimit import RateLimiter
from slideforge.models import ApiKey
from slideforge.runtime import Runtime
from tests.helpers import API, ApiClient, err, ok


def _get(server: RunningServer, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.get(server.base_url + API + "/accounts", headers=headers)


def test_missing_malformed_unknown_keys(server: RunningServer, api: ApiClient) -> None:
    public_id, secret = api.key.split(".", 1)
    for header in (
        None,
        "",
        "Bearer",
        "Basic abc",
        f"Token {api.key}",
        "Bearer nodot",
        "Bearer .secret",
        "Bearer sfk_0000000000000000.wrong",
        f"Bearer {public_id}.{secret}x",
        f"Bearer {public_id}.",
        "Bearer " + "a" * 300 + ".b",
    ):
        response = _get(server, header)
        err(response, 401, "unauthorized")
        assert response.headers.get("www-authenticate", "").startswith("Bearer")
    ok(_get(server, f"Bearer {api.key}"))
    ok(_get(server, f"bearer   {api.key}"))


def test_unknown_public_id_and_wrong_secret_look_the_same(
    server: RunningServer, api: ApiClient
) -> None:
    public_id = api.key.split(".", 1)[0]
    a = _get(server, f"Bearer {public_id}.wrongsecret").json()
    b = _get(server, "Bearer sfk_ffffffffffffffff.wrongsecret").json()
    assert a == b


def test_secret_is_stored_hashed_and_last_used_is_recorded(
    runtime: Runtime, api: ApiClient
) -> None:
    public_id, secret = api.key.split(".", 1)
    ok(api.get("/accounts"))
    with runtime.db.session() as session:
        row = session.scalar(sa.select(ApiKey).where(ApiKey.public_id == public_id))
        assert row is not None
        assert secret not in row.secret_hash and len(row.secret_hash) == 64
        assert row.last_used_at is not None


def test_revoked_key(runtime: Runtime, api: ApiClient) -> None:
    ok(api.get("/accounts"))
    with runtime.db.session() as session:
        service.revoke_key(session, api.key.split(".")[0], runtime.clock.now())
    body = err(api.get("/accounts"), 401, "unauthorized")
    assert "revoked" in body["message"]


def test_rate_limit_answers_429_with_retry_after(server: RunningServer, api: ApiClient) -> None:
    app = server.server.config.app
    original = app.state.rate_limiter
    app.state.rate_limiter = RateLimiter(per_minute=60, burst=3)
    try:
        for _ in range(3):
            ok(api.get("/accounts"))
        response = api.get("/accounts")
        err(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1
    finally:
        app.state.rate_limiter = original


def test_token_bucket_refills() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    assert limiter.take("k", now=0.0) == 0
    assert limiter.take("k", now=0.0) == 0
    assert limiter.take("k", now=0.0) > 0
    assert limiter.take("k", now=1.01) == 0
    assert limiter.take("other", now=0.0) == 0
