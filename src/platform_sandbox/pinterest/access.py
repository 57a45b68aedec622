"""Who may call the Pinterest sandbox's Bearer endpoints: the access token, the scopes of
each endpoint, and the rate limits of Standard and Trial access (sliding windows, with the
``x-ratelimit-*`` headers)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any

from platform_sandbox.common import DAY, Reply, missing_scopes
from platform_sandbox.pinterest.config import ENDPOINTS, RATE_LIMIT_MESSAGE
from platform_sandbox.pinterest.errors import PinterestError, auth_failed, invalid, not_permitted
from platform_sandbox.pinterest.records import AccessToken, ApiCall
from platform_sandbox.pinterest.state import PinterestState


class PinterestAccess(PinterestState):
    """Authentication, scopes and rate limits before a Bearer endpoint answers."""

    def _authenticate(self, ctx: ApiCall) -> AccessToken:
        scheme, _, value = ctx.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise auth_failed()
        token = self._access.get(value.strip())
        if token is None or token.revoked is not None or token.expired(self._now()):
            raise auth_failed()
        return token

    def _bearer(
        self,
        ctx: ApiCall,
        endpoint: str,
        call: Callable[[ApiCall, AccessToken], Reply],
    ) -> Reply:
        with self._lock:
            token = self._enter(ctx, endpoint)
            return call(ctx, token)

    def _enter(self, ctx: ApiCall, endpoint: str) -> AccessToken:
        ctx.endpoint = endpoint
        token = self._authenticate(ctx)
        ctx.user_id = token.user_id
        category, scopes = ENDPOINTS[endpoint]
        self._rate_limit(ctx, token, category)
        if missing_scopes(scopes, token.scopes):
            raise not_permitted()
        self._inject(endpoint, token.user_id)
        return token

    def _window(self, key: tuple[str, ...], span: float, now: float) -> deque[float]:
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - span:
            window.popleft()
        return window

    def _rate_limit(self, ctx: ApiCall, token: AccessToken, category: str) -> None:
        app = self._apps.get(token.app_id)
        options = self._options
        now = self._now()
        checks: list[tuple[tuple[str, ...], float, int]]
        if app is not None and app.access_tier == "trial":
            checks = [
                (("trial", token.app_id), DAY, options.trial_universal_per_day),
            ]
            if category in options.trial_limits_per_day:
                checks.append(
                    (("trial", token.app_id, category), DAY, options.trial_limits_per_day[category])
                )
        else:
            checks = [
                (("std", token.app_id, token.user_id), 1.0, options.standard_universal_per_second)
            ]
            if category in options.standard_limits_per_minute:
                checks.append(
                    (
                        ("std", token.app_id, token.user_id, category),
                        60.0,
                        options.standard_limits_per_minute[category],
                    )
                )
        windows = [(self._window(key, span, now), span, limit) for key, span, limit in checks]
        window, span, limit = windows[-1]
        for candidate in windows:
            if len(candidate[0]) >= candidate[2]:
                reset = max(1, int(candidate[0][0] + candidate[1] - now + 0.999))
                raise PinterestError(
                    429,
                    8,
                    RATE_LIMIT_MESSAGE,
                    {
                        "x-ratelimit-limit": str(candidate[2]),
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": str(reset),
                        "retry-after": str(reset),
                    },
                )
        for candidate in windows:
            candidate[0].append(now)
        ctx.extra_headers.update(
            {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(max(0, limit - len(window))),
                "x-ratelimit-reset": str(int(span)),
            }
        )

    def _json_object(self, ctx: ApiCall) -> dict[str, Any]:
        try:
            body = json.loads(ctx.body) if ctx.body.strip() else None
        except ValueError as exc:
            raise invalid("Invalid request: the body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise invalid("Invalid request: the body must be a JSON object")
        return body
