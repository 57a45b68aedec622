"""What a platform's read API tells of an account and its posts: the shapes analytics stores.

Every platform adapter reads through three calls (``Platform`` in ``base.py``):

- ``read_profile(token)``: the connected account's own counters;
- ``read_posts(token, post_ids)``: the metrics of given posts, by their public id; a post the
  platform does not (or no longer, or not yet) show is absent from the answer;
- ``recent_posts(token, limit)``: the account's newest posts with their metrics.

Failures are ``PlatformError``s as on the publish path: ``auth`` (refresh, else reconnect),
``user`` (e.g. a token without the read scope, code ``scope_not_authorized``), ``retryable``
(429 with ``retry_after``, 5xx, network). A public profile that is not ours (a competitor) is
read from its public page (``copy_tiktok.profile``) into the same shapes.

A counter the platform does not give is ``None``, never 0: "not measured" and "nobody looked"
are different answers."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ProfileMetrics:
    """An account's counters at the moment it was read."""

    platform_user_id: str
    username: str
    display_name: str | None = None
    avatar_url: str | None = None
    followers: int | None = None
    following: int | None = None
    likes: int | None = None  # total likes received (TikTok ``likes_count``)
    posts: int | None = None  # videos / media / pins published
    is_private: bool = False


@dataclass(frozen=True)
class PostMetrics:
    """One post's counters at the moment it was read, with what identifies it.

    ``views``: TikTok ``view_count``, Instagram ``views``, Pinterest ``IMPRESSION``.
    ``saves``: Instagram ``saved``, Pinterest ``SAVE`` (TikTok's API gives none: ``None``).
    ``clicks``: Pinterest ``PIN_CLICK`` + ``OUTBOUND_CLICK``. ``reach``: Instagram ``reach``.
    ``extra`` keeps every counter the platform gave, under the platform's own name."""

    platform_post_id: str
    url: str | None = None
    published_at: datetime | None = None
    caption: str | None = None
    title: str | None = None
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    reach: int | None = None
    clicks: int | None = None
    duration: int | None = None  # seconds; 0 for a photo post
    author: str | None = None  # the author's handle, where the read tells it
    sound_id: str | None = None
    sound_name: str | None = None
    hashtags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict)
    note: str | None = None  # why a counter is missing (e.g. carousel children have none)


COUNTERS = ("views", "likes", "comments", "shares", "saves", "reach", "clicks")


HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def hashtags_of(*texts: str | None) -> tuple[str, ...]:
    """The ``#tags`` of a caption (and title), without the ``#``, lower-cased, each once, in
    order of appearance."""
    found: dict[str, None] = {}
    for text in texts:
        for tag in HASHTAG.findall(text or ""):
            found.setdefault(tag.lower(), None)
    return tuple(found)


def counter(value: Any) -> int | None:
    """A counter as a platform's JSON gives it: an integer (a bool is not one), else None
    (not measured)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Reads(Protocol):
    """A platform's reading calls, bound to its adapter's HTTP (``<platform>/reads.py``)."""

    def read_profile(self, token: str) -> ProfileMetrics: ...

    def read_posts(self, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]: ...

    def recent_posts(self, token: str, limit: int) -> list[PostMetrics]: ...


class ReadsThrough(ABC):
    """An adapter whose reading calls are those of the ``Reads`` object ``_reads`` builds."""

    @abstractmethod
    def _reads(self) -> Reads: ...

    def read_profile(self, token: str) -> ProfileMetrics:
        return self._reads().read_profile(token)

    def read_posts(self, token: str, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        return self._reads().read_posts(token, post_ids)

    def recent_posts(self, token: str, limit: int) -> list[PostMetrics]:
        return self._reads().recent_posts(token, limit)
