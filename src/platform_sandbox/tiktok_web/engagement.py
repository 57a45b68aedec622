"""How the counters of the TikTok web sandbox grow: a small deterministic model.

Every number is a pure function of the sandbox's ``engagement_seed``, the item's id, its
creation time, the author's reach and the sandbox clock, so two runs with the same seed and
clock read the same counters, and a later read never reads less (each counter is a floor of
a non-decreasing function of the item's age).

An item saturates towards ``reach × appeal`` views: its ``appeal`` (0.15 to 3, most items
modest and a few hits) and how fast it saturates (a time constant of 6 to 72 hours) come
from a hash of the seed and the item id, and so do its like, comment, share and save rates.
A profile's followers grow by one per 200 views its items collected, its heart count is its
items' likes on top of what it had when registered.

(A shared growth model for the platform stand-ins may replace this one; the shapes read
by the pages, ``ItemCounters`` and ``ProfileCounters``, stay.)"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_REACH = 50_000  # views an average item of an author without a profile tends to
VIEWS_PER_FOLLOWER = 200  # a profile gains one follower per this many views of its items


@dataclass(frozen=True)
class ItemCounters:
    """An item's ``stats`` (TikTok's names: play, digg, comment, share, collect)."""

    play: int
    digg: int
    comment: int
    share: int
    collect: int

    def stats(self) -> dict[str, int | str]:
        """The item's ``stats`` as TikTok's web JSON writes it (``collectCount`` a string)."""
        return {
            "diggCount": self.digg,
            "shareCount": self.share,
            "commentCount": self.comment,
            "playCount": self.play,
            "collectCount": str(self.collect),
        }

    def stats_v2(self) -> dict[str, str]:
        """``statsV2``: the same counters, every one a string."""
        return {
            "diggCount": str(self.digg),
            "shareCount": str(self.share),
            "commentCount": str(self.comment),
            "playCount": str(self.play),
            "collectCount": str(self.collect),
            "repostCount": "0",
        }


@dataclass(frozen=True)
class ProfileCounters:
    followers: int
    following: int
    hearts: int
    videos: int
    diggs: int


def _unit(seed: int, item_id: str, salt: str) -> float:
    """A number in [0, 1) fixed by the seed, the item and what it is for."""
    digest = hashlib.sha256(f"{seed}:{item_id}:{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def item_counters(seed: int, item_id: str, created: int, now: int, reach: int) -> ItemCounters:
    """The counters of item ``item_id`` (created at ``created``, Unix seconds) at ``now``;
    all zero before it was created."""
    age = max(0, now - created)
    appeal = 0.15 + 2.85 * _unit(seed, item_id, "appeal") ** 2
    tau = 6 * 3600 + 66 * 3600 * _unit(seed, item_id, "tau")
    progress = 1.0 - math.exp(-age / tau)
    views = math.floor(max(reach, 1) * appeal * progress)
    likes = math.floor(views * (0.03 + 0.09 * _unit(seed, item_id, "like")))
    return ItemCounters(
        play=views,
        digg=likes,
        comment=math.floor(likes * (0.01 + 0.04 * _unit(seed, item_id, "comment"))),
        share=math.floor(views * (0.001 + 0.009 * _unit(seed, item_id, "share"))),
        collect=math.floor(views * (0.002 + 0.018 * _unit(seed, item_id, "save"))),
    )


def profile_counters(
    *,
    followers_base: int,
    following: int,
    hearts_base: int,
    diggs: int,
    items: Iterable[ItemCounters],
) -> ProfileCounters:
    """A profile's counters from what it had when registered and its items' counters now."""
    counted = list(items)
    return ProfileCounters(
        followers=followers_base + sum(c.play for c in counted) // VIEWS_PER_FOLLOWER,
        following=following,
        hearts=hearts_base + sum(c.digg for c in counted),
        videos=len(counted),
        diggs=diggs,
    )
