"""Pinterest: the API v5 adapter (``adapter.py``), its rules (``rules.py``) and its image
variant (``media.py``)."""

from slideforge.publishing.platforms.base import PlatformSpec
from slideforge.publishing.platforms.pinterest.adapter import Pinterest
from slideforge.publishing.platforms.pinterest.rules import RULES

SPEC = PlatformSpec(RULES, Pinterest)

__all__ = ["RULES", "SPEC", "Pinterest"]
