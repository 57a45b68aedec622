"""The per-token read budget: calls over it wait for the window to slide; other tokens do not
wait for it."""

from __future__ import annotations

import time

from slideforge.analytics.reading import Pacer


def test_calls_over_the_budget_wait_for_the_window() -> None:
    pacer = Pacer(window=0.4)
    started = time.monotonic()
    for _ in range(3):
        pacer.wait("token-a", 3)
    assert time.monotonic() - started < 0.3  # within budget: no wait
    pacer.wait("token-b", 3)  # another token has its own budget
    pacer.wait("token-a", 3)  # the fourth waits until the first leaves the window
    assert time.monotonic() - started >= 0.4
