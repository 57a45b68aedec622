"""The account-care schedule (``accounts.care``): every 10 minutes, one step lists the due
accounts, then one step per account refreshes or marks it and sends its notices (a crash
resumes after the accounts already done)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from dbos import DBOS

from slideforge import runtime as rt
from slideforge.accounts import care

log = logging.getLogger(__name__)

SCHEDULE = "0 */10 * * * *"


@DBOS.step()
def _care_due() -> list[str]:
    return care.due_accounts(rt.current())


@DBOS.step(retries_allowed=True, max_attempts=3, interval_seconds=2.0, backoff_rate=2.0)
def _care_account(account_id: str) -> str:
    return care.care_for(rt.current(), account_id)


@DBOS.workflow()
def account_care(scheduled: datetime, context: Any) -> None:
    counts: dict[str, int] = {}
    for account_id in _care_due():
        try:
            outcome = _care_account(account_id)
        except Exception:  # the next run tries this account again
            log.exception("account care failed for %s", account_id)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        log.info("account care: %s", counts)
