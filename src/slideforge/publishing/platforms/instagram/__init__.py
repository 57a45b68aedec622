"""Instagram: the Graph API adapter (``adapter.py`` publishing, ``login.py`` the two login
models, ``errors.py`` Meta's error tables), its rules (``rules.py``) and its image variant
(``media.py``)."""

from slideforge.publishing.platforms.base import PlatformSpec
from slideforge.publishing.platforms.instagram.adapter import Instagram
from slideforge.publishing.platforms.instagram.rules import RULES

SPEC = PlatformSpec(RULES, Instagram)

__all__ = ["RULES", "SPEC", "Instagram"]
