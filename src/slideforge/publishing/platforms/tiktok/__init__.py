"""TikTok: the Content Posting API adapter (``adapter.py``), its rules (``rules.py``) and its
photo variant (``media.py``)."""

from slideforge.publishing.platforms.base import PlatformSpec
from slideforge.publishing.platforms.tiktok.adapter import TikTok
from slideforge.publishing.platforms.tiktok.rules import RULES

SPEC = PlatformSpec(RULES, TikTok)

__all__ = ["RULES", "SPEC", "TikTok"]
