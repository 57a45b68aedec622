"""How a sandbox post's counters grow: one model for every stand-in, so that TikTok's
``view_count``, Instagram's ``views`` and Pinterest's ``IMPRESSION`` of a post behave alike.

Each post has a hidden *appeal*, drawn from ``sha256(seed, post key)``: it sets how many views
the post will end up with (log-uniform between ``MIN_CEILING`` and ``MAX_CEILING``), how fast
it gets there (a half-life between one and twelve hours) and what fraction of its viewers
like, comment, share, save, click or follow. Views at an age ``t`` (seconds on the sandbox
clock since the post was published) are ``floor(ceiling * (1 - 2 ** (-t / half_life)))``:
0 at publication, never decreasing, saturating at the ceiling. Every other counter is
``floor(views * its rate)``, so it never decreases either.

The numbers are a pure function of (seed, post key, age): the same seed and the same clock
give the same numbers, and a different seed gives a different (but equally consistent)
world."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

MIN_CEILING = 200
MAX_CEILING = 200_000
MIN_HALF_LIFE = 3_600.0
MAX_HALF_LIFE = 12 * 3_600.0

# (low, high) of each counter's fraction of views.
RATES: dict[str, tuple[float, float]] = {
    "likes": (0.02, 0.12),
    "comments": (0.001, 0.01),
    "shares": (0.001, 0.02),
    "saves": (0.002, 0.03),
    "reach": (0.55, 0.9),
    "pin_clicks": (0.005, 0.04),
    "outbound_clicks": (0.001, 0.01),
    "follows": (0.0005, 0.005),
}


@dataclass(frozen=True)
class Counters:
    """A post's counters at one age."""

    views: int
    likes: int
    comments: int
    shares: int
    saves: int
    reach: int
    pin_clicks: int
    outbound_clicks: int
    follows: int


@dataclass(frozen=True)
class Appeal:
    """What the hash draws for one post: where its views saturate, how fast, and the
    fraction of viewers behind each other counter."""

    ceiling: int
    half_life: float
    rates: dict[str, float]

    def views(self, age: float) -> int:
        if age <= 0:
            return 0
        return math.floor(self.ceiling * (1.0 - 2.0 ** (-age / self.half_life)))

    def at(self, age: float) -> Counters:
        views = self.views(age)
        counts = {name: math.floor(views * rate) for name, rate in self.rates.items()}
        return Counters(views=views, **counts)


def _unit(seed: int | str, key: str, what: str) -> float:
    """A number in [0, 1) drawn from the seed, the post and what it is for."""
    digest = hashlib.sha256(f"{seed}\x1f{key}\x1f{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def appeal(seed: int | str, key: str) -> Appeal:
    """The hidden appeal of the post ``key`` (a platform-scoped id) under ``seed``."""
    spread = math.log(MAX_CEILING / MIN_CEILING)
    ceiling = round(MIN_CEILING * math.exp(spread * _unit(seed, key, "ceiling")))
    half_life = MIN_HALF_LIFE + (MAX_HALF_LIFE - MIN_HALF_LIFE) * _unit(seed, key, "half_life")
    rates = {
        name: low + (high - low) * _unit(seed, key, name) for name, (low, high) in RATES.items()
    }
    return Appeal(ceiling=ceiling, half_life=half_life, rates=rates)


def counters(seed: int | str, key: str, age: float) -> Counters:
    """The counters of the post ``key`` ``age`` seconds after it was published."""
    return appeal(seed, key).at(age)
