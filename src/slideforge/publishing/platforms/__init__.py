"""One file per platform, all implementing :class:`~.base.Platform`."""

from __future__ import annotations

from slideforge.config import Settings
from slideforge.publishing.platforms.base import Platform, PlatformConfigError


def get_platform(name: str, settings: Settings) -> Platform:
    """The adapter for ``name``, configured from the settings."""
    if name == "tiktok":
        from slideforge.publishing.platforms.tiktok import TikTok

        return TikTok.from_settings(settings)
    if name == "instagram":
        from slideforge.publishing.platforms.instagram import Instagram

        return Instagram.from_settings(settings)
    if name == "pinterest":
        from slideforge.publishing.platforms.pinterest import Pinterest

        return Pinterest.from_settings(settings)
    raise PlatformConfigError(f"publishing to {name} is not available in this build")


__all__ = ["Platform", "PlatformConfigError", "get_platform"]
