"""The sandboxes' shared growth model: deterministic from the seed, posts differ, views
saturate and never decrease, every other counter is a fraction of the views."""

from __future__ import annotations

from itertools import pairwise

from platform_sandbox.common.engagement import MAX_CEILING, MIN_CEILING, appeal, counters


def test_same_seed_and_age_give_the_same_numbers() -> None:
    assert counters(7, "tiktok:1", 3_600) == counters(7, "tiktok:1", 3_600)
    assert counters(7, "tiktok:1", 3_600) != counters(8, "tiktok:1", 3_600)


def test_posts_perform_differently() -> None:
    week = 7 * 86_400
    views = {counters(0, f"post:{n}", week).views for n in range(20)}
    assert len(views) == 20
    assert all(MIN_CEILING // 2 <= v <= MAX_CEILING for v in views)


def test_views_grow_monotonically_and_saturate() -> None:
    for n in range(10):
        key = f"ig:{n}"
        grown = [counters(3, key, age) for age in range(0, 40 * 86_400, 1_800)]
        assert grown[0].views == 0
        for earlier, later in pairwise(grown):
            for name in ("views", "likes", "comments", "shares", "saves", "reach", "follows"):
                assert getattr(later, name) >= getattr(earlier, name)
        assert appeal(3, key).ceiling - grown[-1].views <= 1  # saturated after 40 days
        assert grown[2].views < grown[-1].views  # still growing after an hour


def test_counters_are_fractions_of_views() -> None:
    grown = counters(1, "pin:42", 2 * 86_400)
    assert 0 < grown.likes < grown.views
    assert 0 <= grown.comments < grown.views and 0 <= grown.shares < grown.views
    assert grown.reach < grown.views
