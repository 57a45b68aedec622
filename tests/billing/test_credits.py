"""The credit ledger and GET /subscription."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from slideforge.billing import service
from slideforge.kit.clock import ManualClock
from slideforge.kit.errors import ApiError
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, ok


def test_subscription_shape(api: ApiClient, runtime: Runtime) -> None:
    data = ok(api.get("/subscription"))
    sub = data["subscription"]
    assert data["scope"] == "workspace" and sub["status"] == "active"
    assert sub["tier"] == "self_hosted" and sub["billing_interval"] == "month"
    credits = sub["credits"]
    allowance = runtime.settings.credit_allowance
    assert credits == {
        "limit": allowance,
        "used_this_period": 0,
        "remaining": allowance,
        "reset_at": sub["current_period_end"],
    }
    ok(api.get("/subscription"))  # the allowance is granted once per month
    assert ok(api.get("/credits"))["total"] == 1


def test_charge_refund_and_monthly_reset(
    api: ApiClient, runtime: Runtime, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
    allowance = runtime.settings.credit_allowance
    with runtime.db.session() as session:
        service.charge(
            session, api.workspace_id, 30, "copy:1", "copy import", clock.now(), allowance
        )
        service.charge(
            session, api.workspace_id, 20, "copy:2", "copy import", clock.now(), allowance
        )
        service.refund(session, api.workspace_id, "copy:2", "import failed", clock.now())
        # A refund happens once per reference.
        service.refund(session, api.workspace_id, "copy:2", "import failed", clock.now())
        assert service.refund(session, api.workspace_id, "never-charged", "x", clock.now()) is None
    credits = ok(api.get("/subscription"))["subscription"]["credits"]
    assert credits["used_this_period"] == 30 and credits["remaining"] == allowance - 30
    ledger = ok(api.get("/credits"))
    assert [e["kind"] for e in ledger["entries"]].count("refund") == 1
    assert sum(e["amount"] for e in ledger["entries"]) == allowance - 30
    clock.set(datetime(2026, 4, 1, 0, 5, tzinfo=UTC))
    credits = ok(api.get("/subscription"))["subscription"]["credits"]
    assert credits == {
        "limit": allowance,
        "used_this_period": 0,
        "remaining": allowance,
        "reset_at": "2026-05-01T00:00:00.000Z",
    }


def test_insufficient_credits(api: ApiClient, runtime: Runtime) -> None:
    allowance = runtime.settings.credit_allowance
    with runtime.db.session() as session, pytest.raises(ApiError) as info:
        service.charge(
            session,
            api.workspace_id,
            allowance + 1,
            "big",
            "too big",
            runtime.clock.now(),
            allowance,
        )
    assert (info.value.status, info.value.error_code) == (402, "insufficient_credits")
    with runtime.db.session() as session:
        service.grant(session, api.workspace_id, 5, "bonus", runtime.clock.now())
        service.charge(
            session,
            api.workspace_id,
            allowance + 1,
            "big",
            "now fits",
            runtime.clock.now(),
            allowance,
        )
    assert ok(api.get("/subscription"))["subscription"]["credits"]["remaining"] == 4


def test_concurrent_charges_never_overdraw(api: ApiClient, runtime: Runtime) -> None:
    allowance = runtime.settings.credit_allowance
    with runtime.db.session() as session:
        service.ensure_allowance(session, api.workspace_id, runtime.clock.now(), allowance)
        service.charge(
            session,
            api.workspace_id,
            allowance - 10,
            "setup",
            "leave 10",
            runtime.clock.now(),
            allowance,
        )
    results: list[str] = []

    def attempt(i: int) -> None:
        try:
            with runtime.db.session() as session:
                service.charge(
                    session,
                    api.workspace_id,
                    3,
                    f"race:{i}",
                    "race",
                    runtime.clock.now(),
                    allowance,
                )
            results.append("ok")
        except ApiError as exc:
            results.append(exc.error_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 3 and results.count("insufficient_credits") == 5
    assert ok(api.get("/subscription"))["subscription"]["credits"]["remaining"] == 1
