"""TikTok: the Content Posting API adapter (``adapter.py``), its rules (``rules.py``) and its
photo variant (``media.py``)."""

from slideforge.publishing.platforms.tiktok.adapter import TikTok
from slideforge.publishing.platforms.tiktok.rules import RULES

__all__ = ["RULES", "TikTok"]
