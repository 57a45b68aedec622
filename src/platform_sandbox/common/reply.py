"""A request as a stand-in answers it, and its answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One answer of a sandbox's ``handle``: a JSON ``body`` (or an ``xml`` one), or a 302
    to ``location``."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    xml: str | None = None


@dataclass(kw_only=True)
class PlatformCall:
    """The request being answered (the platform adds its parameters) and what answering it
    learnt: the endpoint's name for the log, headers every answer carries (usage, rate
    limits)."""

    method: str
    path: str
    headers: Mapping[str, str]
    endpoint: str = "unknown"
    extra_headers: dict[str, str] = field(default_factory=dict)
