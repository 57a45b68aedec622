"""Reconciliation: ask the platform what became of a send whose outcome is unknown.

A target ends ``outcome_unknown`` when the one irreversible call may have acted but its
answer was lost (a 5xx or lost connection during the send, a crash between the witness's
"sending" and the recorded answer, a publish never confirmed). Re-sending blindly could post
twice; leaving it to the user loses posts. ``reconcile_target`` (a durable workflow, id
``reconcile:{target}:{revision}:{attempt}:{round}``, on the ``publish-track`` queue) reads the
platform and decides:

- ``posted``: the platform shows the post (TikTok's publish status, Instagram's container
  PUBLISHED, or exactly one post of the account's list in the send window with this send's
  texts). The target becomes ``posted`` with the platform's id and URL; the usual webhooks go
  out.
- ``not_posted``: the platform answers authoritatively that nothing was published (TikTok's
  status FAILED for a retryable reason, an Instagram container never published, or a list
  that shows nothing of the account in the whole send window, read after the window closed
  *and* the list's appearance delay passed). The target goes back to ``retry``, due now, and
  is sent once more under a new attempt (an Instagram container is published, not created
  again).
- ``failed``: TikTok's status says FAILED for a reason a new attempt would not fix.
- undecided: the target stays ``outcome_unknown`` and ``progress.reconcile`` keeps the
  evidence (each read: when, what was read, what it showed). Reads repeat every
  ``reconcile_read_interval_seconds`` (a delayed workflow each time: no thread sleeps) until
  a decision or the deadline; then the error message says why it could not decide (a
  missing ``video.list`` permission, a draft in the TikTok inbox, a non-public TikTok post
  the list does not show, posts in the window that are not this one, two posts that match).

The send window runs from the send's begin (``progress.sending.began_at``) to
``reconcile_send_window_seconds`` later (the platform may still be processing the post); a
list may say "not posted" only ``reconcile_list_delay_seconds`` after the window closed,
because new posts take time to appear in it. ``not_posted`` is never decided from a list
that shows any post of the account in the window that is not accounted for by another of
its targets: a wrong "not posted" is a double post, a wrong "undecided" costs a look.

Times of decisions come from ``runtime.clock`` (tests move it); waits between reads are
DBOS delays.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from slideforge import runtime as rt
from slideforge.accounts import tokens
from slideforge.publishing import service, workflows
from slideforge.publishing.platforms import PlatformConfigError, get_platform
from slideforge.publishing.platforms.base import PlatformError, Reading, Seen

log = logging.getLogger(__name__)

QUEUE = workflows.TRACK_QUEUE
# Reads of one unknown send, at most (the deadline normally ends them far earlier).
MAX_ROUNDS = 40
# A listed post's time may be a second off the send's (platforms keep whole seconds).
TIME_SLACK = timedelta(seconds=2)
# Reads that failed (network, 5xx) go on this long after the deadline before giving up.
READ_ERRORS_GRACE_ROUNDS = 3
# A send older than this is never re-sent by itself (e.g. unknown outcomes from before
# reconciliation existed): a post appearing days late surprises more than it helps.
RESEND_HORIZON = timedelta(days=1)


def workflow_id(target_id: str, revision: int, attempt: int, round_: int) -> str:
    return f"reconcile:{target_id}:{revision}:{attempt}:{round_}"


def enqueue_reconcile(
    target_id: str, revision: int, attempt: int, round_: int = 0, delay: float = 0.0
) -> None:
    """Start (once: the id is per round) a read of this unknown send, after ``delay``
    seconds."""
    with (
        SetWorkflowID(workflow_id(target_id, revision, attempt, round_)),
        SetEnqueueOptions(delay_seconds=delay if delay > 0 else None),
    ):
        DBOS.enqueue_workflow(QUEUE, reconcile_target, target_id, revision, attempt, round_)


def _seen(items: tuple[Seen, ...] | list[Seen]) -> list[str]:
    return [item.summary or item.post_id for item in list(items)[:5]]


def decide(
    reading: Reading,
    *,
    now: datetime,
    window_start: datetime,
    window_end: datetime,
    list_delay: timedelta,
    known_ids: frozenset[str],
) -> dict[str, Any]:
    """What a reading means at ``now`` (pure). Answers ``{"decision": posted | not_posted |
    failed | wait | undecided, "why": words, ...}``; ``wait`` means read again (it becomes
    ``undecided`` at the caller once the deadline or the round limit is reached)."""
    if reading.state == "posted":
        return {"decision": "posted", "post_id": reading.post_id, "url": reading.url}
    if reading.state == "failed":
        return {"decision": "failed"}
    if reading.state == "absent":
        if now >= window_end + list_delay + RESEND_HORIZON:
            why = "the send is over a day old and is not re-sent by itself"
            return {"decision": "undecided", "why": f"{why}: retry it with include_unknown"}
        if now >= window_end:
            return {"decision": "not_posted", "why": reading.evidence}
        return {"decision": "wait", "why": "the send window is still open", "until": window_end}
    if reading.state == "processing":
        return {"decision": "wait", "why": "the platform is still processing it"}
    if reading.state == "unknown":
        return {"decision": "undecided" if reading.final else "wait", "why": reading.evidence}
    # listed: the account's posts since the send began
    settled = window_end + list_delay
    candidates = [
        seen
        for seen in reading.listed
        if window_start - TIME_SLACK <= seen.created_at <= window_end + TIME_SLACK
        and seen.post_id not in known_ids
    ]
    matches = [seen for seen in candidates if seen.matches]
    others = [seen for seen in candidates if not seen.matches]
    if len(matches) == 1:
        return {"decision": "posted", "post_id": matches[0].post_id, "url": matches[0].url}
    if len(matches) > 1:
        why = f"{len(matches)} posts match this one: {'; '.join(_seen(matches))}"
        return {"decision": "wait", "why": why, "final_at": settled}
    if others:
        why = (
            f"the account posted in the send window, but not with this post's texts: "
            f"{'; '.join(_seen(others))}"
        )
        return {"decision": "wait", "why": why, "final_at": settled}
    if not reading.authoritative:
        return {"decision": "wait", "why": "no such post is listed", "final_at": settled}
    if not reading.complete:
        why = "the list could not be read back to the send's begin"
        return {"decision": "wait", "why": why, "final_at": settled}
    if now >= settled + RESEND_HORIZON:
        return {
            "decision": "undecided",
            "why": "nothing of the account is listed in the send window, but the send is over "
            "a day old and is not re-sent by itself: retry it with include_unknown",
        }
    if now >= settled:
        return {
            "decision": "not_posted",
            "why": f"nothing of the account is listed from {window_start.isoformat()} to "
            f"{window_end.isoformat()}, read after the list's appearance delay",
        }
    return {
        "decision": "wait",
        "why": "nothing listed yet; new posts take a while to appear in the list",
        "until": settled,
    }


@DBOS.step(retries_allowed=True, max_attempts=3, interval_seconds=2.0, backoff_rate=2.0)
def _reconcile_round(target_id: str, revision: int, attempt: int) -> dict[str, Any]:
    """One read and its consequence, recorded on the target."""
    runtime = rt.current()
    send = service.reconcile_context(runtime, target_id, revision, attempt)
    if send is None:
        return {"outcome": "obsolete"}
    settings = runtime.settings
    reading: Reading
    try:
        platform = get_platform(send.platform, settings)
        token = tokens.access_token(runtime, send.account_id)
        reading = platform.reconcile(token, send.request, send.ref, send.window_start - TIME_SLACK)
    except PlatformConfigError as exc:
        reading = Reading("unknown", str(exc), final=True)
    except PlatformError as exc:
        reading = Reading(
            "unknown",
            f"the platform could not be read: {exc.message}",
            final=exc.kind == "user" or exc.code == "reauth_required",
        )
    except Exception as exc:  # a read must never end the workflow in an error
        log.exception("reconciliation read of target %s failed", target_id)
        reading = Reading("unknown", f"the platform could not be read: {exc}")
    now = runtime.clock.now()
    list_delay = timedelta(seconds=settings.reconcile_list_delay_seconds)
    verdict = decide(
        reading,
        now=now,
        window_start=send.window_start,
        window_end=send.window_end,
        list_delay=list_delay,
        known_ids=send.known_ids,
    )
    read: dict[str, Any] = {
        "at": now.isoformat(),
        "round": send.rounds,
        "state": reading.state,
        "evidence": reading.evidence,
        "window": [send.window_start.isoformat(), send.window_end.isoformat()],
    }
    if reading.listed:
        read["listed"] = _seen(reading.listed)
    decision = verdict["decision"]
    if verdict.get("why") and verdict["why"] != reading.evidence:
        read["evidence"] = f"{reading.evidence}; {verdict['why']}"
    if decision == "posted":
        service.reconcile_posted(
            runtime,
            target_id,
            revision,
            attempt,
            {**read, "decision": "posted"},
            post_id=verdict.get("post_id"),
            url=verdict.get("url"),
            platform_status=reading.platform_status or "LISTED",
        )
        return {"outcome": "posted"}
    if decision == "failed":
        failure = reading.failure
        error = {
            "code": failure.code if failure else "failed",
            "message": failure.message if failure else reading.evidence,
        }
        service.reconcile_failed(
            runtime, target_id, revision, attempt, {**read, "decision": "failed"}, error
        )
        return {"outcome": "failed"}
    if decision == "not_posted":
        resend = service.reconcile_not_posted(
            runtime, target_id, revision, attempt, {**read, "decision": "not_posted"}
        )
        if resend is None:
            return {"outcome": "obsolete"}
        account_id, platform_name, due = resend
        return {
            "outcome": "not_posted",
            "resend": {"account_id": account_id, "platform": platform_name, "due": due.isoformat()},
        }
    # Undecided: read again, unless this was the last read (a little after the deadline:
    # another unknown target of the account may meanwhile be found, and explain its post).
    interval = settings.reconcile_read_interval_seconds
    deadline = send.window_end + list_delay
    final_at = (verdict.get("final_at") or deadline) + timedelta(seconds=2 * interval)
    rounds_done = send.rounds + 1
    final = (
        decision == "undecided"
        or rounds_done >= MAX_ROUNDS
        or (now >= final_at and reading.state != "unknown")
        or (
            now >= deadline
            and reading.state == "unknown"
            and rounds_done >= READ_ERRORS_GRACE_ROUNDS
        )
    )
    if final and rounds_done >= MAX_ROUNDS and decision == "wait":
        read["evidence"] += f"; gave up after {rounds_done} reads"
    service.record_reconcile_read(runtime, target_id, revision, attempt, read, final=final)
    if final:
        return {"outcome": "undecided"}
    until = verdict.get("until")
    delay = interval
    if isinstance(until, datetime) and until > now:
        delay = min(interval, max((until - now).total_seconds(), 0.2))
    return {"outcome": "reading", "next": delay, "round": rounds_done}


@DBOS.workflow()
def reconcile_target(target_id: str, revision: int, attempt: int, round_: int = 0) -> str:
    result = _reconcile_round(target_id, revision, attempt)
    resend = result.get("resend")
    if resend:
        # Once: the publish workflow's id is per attempt, and the target left outcome_unknown.
        workflows.enqueue_attempt(
            target_id,
            revision,
            attempt + 1,
            resend["account_id"],
            resend["platform"],
            datetime.fromisoformat(resend["due"]),
        )
    elif result.get("next") is not None:
        enqueue_reconcile(target_id, revision, attempt, int(result["round"]), float(result["next"]))
    return str(result["outcome"])
