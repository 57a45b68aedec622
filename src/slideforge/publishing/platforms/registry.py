"""The platforms this build publishes to: one line each. Everything outside
``publishing/platforms/`` asks here (``names()``, ``rules(name)``, ``get_platform(name,
settings)``, ``check_post``) instead of naming a platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slideforge.config import Settings
from slideforge.publishing.platforms import instagram, pinterest, tiktok
from slideforge.publishing.platforms.base import (
    Platform,
    PlatformConfigError,
    PlatformRules,
    PlatformSpec,
    PostCheck,
)
from slideforge.publishing.platforms.variants import invalid

# One line a platform: its folder's SPEC.
SPECS: tuple[PlatformSpec, ...] = (
    tiktok.SPEC,
    instagram.SPEC,
    pinterest.SPEC,
)
PLATFORMS: dict[str, PlatformRules] = {spec.rules.name: spec.rules for spec in SPECS}
ADAPTERS: dict[str, Callable[[Settings], Platform]] = {
    spec.rules.name: spec.adapter for spec in SPECS
}


def names() -> tuple[str, ...]:
    """Every platform's name, in the registry's order."""
    return tuple(PLATFORMS)


def rules(name: str) -> PlatformRules:
    """The platform's rules (KeyError for a name this build does not know)."""
    return PLATFORMS[name]


def get_platform(name: str, settings: Settings) -> Platform:
    """The adapter for ``name``, configured from the settings."""
    if name not in ADAPTERS:
        raise PlatformConfigError(f"publishing to {name} is not available in this build")
    return ADAPTERS[name](settings)


def account_setting_platform(field: str) -> str | None:
    """The platform whose accounts have the ``PATCH /accounts/{id}`` setting ``field``."""
    return next((r.name for r in PLATFORMS.values() if field in r.account_settings), None)


def option_fields() -> tuple[str, ...]:
    """The post body's per-platform option objects (``tiktok``, ``pinterest``)."""
    return tuple(r.option_field for r in PLATFORMS.values() if r.option_field)


def is_draft(options: Mapping[str, Mapping[str, Any] | None]) -> bool:
    """Whether a post with these option objects goes to an inbox as a draft."""
    return any(
        r.is_draft(options.get(r.option_field)) for r in PLATFORMS.values() if r.option_field
    )


def check_post(post: PostCheck) -> None:
    """Every platform rule a post must pass, in this order: each targeted platform's caption
    length and caption rules; the option objects (each needs its platform among the
    targets; one at most) and their own rules; what each targeted platform accepts of the
    media; the rest of each target's rules; the fields every post carries that a platform
    owns. Errors raise 400 ``validation_failed`` (``invalid_music_url`` for the music URL);
    warnings go on ``post``."""
    targeted = [PLATFORMS[name] for name in sorted(post.platforms)]
    for platform in targeted:
        length, limit = platform.caption_length(post.caption), platform.caption_limit
        if length > limit:
            raise invalid(
                "caption",
                f"{platform.name} captions hold at most {limit} characters; this one has {length}",
            )
    for platform in targeted:
        platform.check_caption(post)
    _check_option_objects(post)
    for platform in targeted:
        _check_media_request(platform, post)
    for platform in targeted:
        platform.check_target(post)
    for platform in PLATFORMS.values():
        platform.check_shared_fields(post)


def _check_option_objects(post: PostCheck) -> None:
    sent = [r for r in PLATFORMS.values() if r.option_field and r.option_field in post.options]
    for platform in sent:
        field = str(platform.option_field)
        if not post.platforms:
            continue
        if platform.options_need == "every" and post.platforms != {platform.name}:
            raise invalid(
                field,
                f"{field} settings need every target account to be a {platform.title} account",
            )
        if platform.options_need == "any" and platform.name not in post.platforms:
            raise invalid(field, f"{field} settings need at least one {platform.title} account")
    if len(sent) > 1:
        fields = [str(r.option_field) for r in sent]
        raise invalid(fields[0], f"send {' or '.join(fields)} settings, not both")
    for platform in sent:
        platform.check_options(post, post.options[str(platform.option_field)])


def _check_media_request(platform: PlatformRules, post: PostCheck) -> None:
    """Whether the platform takes this kind of post and this many images."""
    kind = post.kind
    if not platform.accepts(kind):
        raise invalid("media", f"{platform.name} accounts cannot post a {kind}")
    limits = platform.capabilities["media"].get(kind, {})
    count = len(post.media.get("urls") or [1])
    if "max_items" in limits and count > limits["max_items"]:
        raise invalid(
            "media.urls",
            f"{platform.name} takes at most {limits['max_items']} images in a carousel; "
            f"this post has {count}",
        )
    if "min_items" in limits and count < limits["min_items"]:
        raise invalid(
            "media.urls",
            f"{platform.name} needs at least {limits['min_items']} images for a carousel",
        )
    platform.check_media_request(post)
