"""The platforms: one folder each (``tiktok/``, ``instagram/``, ``pinterest/``) holding the
adapter behind :class:`~.base.Platform` and the platform's rules (:class:`~.rules.PlatformRules`),
found through ``registry.py``."""

from __future__ import annotations

from slideforge.publishing.platforms.base import Platform, PlatformConfigError
from slideforge.publishing.platforms.registry import get_platform, names, rules

__all__ = ["Platform", "PlatformConfigError", "get_platform", "names", "rules"]
