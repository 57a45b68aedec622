"""What each platform accepts, and the default posting policy of its accounts, as
``GET /accounts`` shows them. The facts live with each platform
(``publishing/platforms/<name>/rules.py``); this module gathers them from the registry."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from slideforge.posts import scheduling
from slideforge.publishing.platforms import registry

PLATFORMS = registry.names()

CAPABILITIES: dict[str, dict[str, Any]] = {
    name: registry.rules(name).capabilities for name in PLATFORMS
}

# Per-account pacing defaults; an account's own policy overrides them field by field.
DEFAULT_POLICY: dict[str, dict[str, Any]] = {
    name: registry.rules(name).default_policy for name in PLATFORMS
}
# Hard ceilings a policy may not exceed (the platforms' own caps).
POLICY_CEILINGS = {name: registry.rules(name).policy_ceiling for name in PLATFORMS}


def effective_policy(platform: str, policy: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_POLICY.get(platform, DEFAULT_POLICY[PLATFORMS[0]]))
    merged.update(
        {k: v for k, v in (policy or {}).items() if v is not None or k == "allowed_hours"}
    )
    return merged


def caps_policy(platform: str, policy: dict[str, Any] | None) -> scheduling.Policy:
    """The account's daily caps alone (posts and drafts per rolling 24 h, in its time zone):
    no gap, any hour. What holds a post back that was given a time or an account."""
    full = scheduling.Policy.from_dict(effective_policy(platform, policy))
    return replace(full, min_gap=timedelta(0), allowed_hours=None)
