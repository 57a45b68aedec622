"""DBOS workflows of the publish path (design.md, "The publish path").

``publish_target`` (one per target and attempt, id ``publish:{target}:{revision}:{attempt}``)
runs on its platform's queue, partitioned by account (one at a time per account, and at
most 6 starts a minute for TikTok). It waits for the exact due time and the account's caps,
claims the target, asks the platform for its live options, then makes the one irreversible
call behind a witness (armed → sending → sent): if a run dies between "sending" and the
recorded answer, the replay finds "sending" and reports ``outcome_unknown`` instead of
sending again. Then ``track_target`` (on an unpartitioned queue, so the account's next post
need not wait) uploads what remains and polls the status with durable sleeps until the post
is live, delivered to the inbox, failed (retryable failures get a new attempt with backoff)
or unconfirmed after the time limit."""

from __future__ import annotations

import contextvars
import logging
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from slideforge import jobs
from slideforge import runtime as rt
from slideforge.accounts import tokens
from slideforge.publishing import preparation, service
from slideforge.publishing.platforms import PlatformConfigError, get_platform, registry
from slideforge.publishing.platforms.base import PlatformError, Staged

log = logging.getLogger(__name__)

# One publish queue per platform (its limit per account: the platform's ``queue_limit``).
QUEUES = {name: f"publish-{name}" for name in registry.names()}
TRACK_QUEUE = "publish-track"
# A delayed workflow is found by the delayed-enqueue promoter (about once a second) and then
# by a queue poll (every PUBLISH_POLL_SECONDS): start that early, then sleep to the exact due
# time, so the platform call happens within a few hundred ms of scheduled_at.
PUBLISH_POLL_SECONDS = 2.0
EARLY_START_SECONDS = 4.5
# A workflow thread only ever sleeps briefly (a sleeping thread holds a worker and delays a
# shutdown): tracking polls every few seconds for a while, then continues as a delayed
# workflow each minute; long pacing waits become delayed workflows too.
SHORT_WAIT_SECONDS = 5.0
# Staging rounds before giving up (about 5 minutes of platform-side media processing).
MAX_STAGE_ROUNDS = 60
POLL_INTERVALS = (1.0, 1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0, 5.0)
LATER_POLL_SECONDS = 60.0
# Tracking rounds numbered from here are checks of a delivered inbox draft
# (service.draft_check_round), started by the sweep.
DRAFT_WATCH_ROUND = 2_000_000


def queue_options() -> dict[str, dict[str, Any]]:
    """Queues to register at launch (see workers.QUEUES). The publish queues poll every
    PUBLISH_POLL_SECONDS (a due workflow is found well inside EARLY_START_SECONDS); the
    others poll at SLIDEFORGE_QUEUE_POLL_SECONDS (workers.start); an enqueue in this process
    wakes its queue at once."""
    per_account = {"partition_concurrency": 1, "polling_interval_sec": PUBLISH_POLL_SECONDS}
    options: dict[str, dict[str, Any]] = {}
    for name, queue in QUEUES.items():
        limit = registry.rules(name).queue_limit
        options[queue] = {
            **per_account,
            "partition_limiter": {"limit": limit.limit, "period": limit.period_seconds},
        }
    options[TRACK_QUEUE] = {"worker_concurrency": 32}
    return options


def workflow_id(target_id: str, revision: int, attempt: int, due: datetime) -> str:
    """One id per (revision, attempt, due time): every enqueuer (create, edit, retry, the
    sweep, a deferral) computes the same id from the target row, so a workflow is never
    started twice, and a target moved to a new due time gets a new workflow."""
    return f"publish:{target_id}:{revision}:{attempt}:{int(due.timestamp() * 1000)}"


def enqueue_attempt(
    target_id: str, revision: int, attempt: int, account_id: str, platform: str, due: datetime
) -> None:
    now = rt.current().clock.now()
    delay = (due - now).total_seconds() - EARLY_START_SECONDS
    with (
        SetWorkflowID(workflow_id(target_id, revision, attempt, due)),
        SetEnqueueOptions(
            queue_partition_key=account_id, delay_seconds=delay if delay > 0 else None
        ),
    ):
        DBOS.enqueue_workflow(QUEUES[platform], publish_target, target_id, revision, attempt)


def start_attempts(attempts: list[jobs.PublishAttempt]) -> None:
    """Start (once) the publish workflow of each attempt (``jobs.publish``)."""
    for a in attempts:
        enqueue_attempt(a.target_id, a.revision, a.attempt, a.account_id, a.platform, a.due)


def cancel_superseded(targets: list[jobs.TargetRevision]) -> None:
    """Stop the still-waiting workflows of canceled or edited targets older than their
    current revision (they would stop by themselves on the revision check anyway; this
    just frees the queue early). ``jobs.cancel_superseded_publishes``."""
    for target in targets:
        waiting = DBOS.list_workflows(
            workflow_id_prefix=f"publish:{target.target_id}:",
            status=["ENQUEUED", "DELAYED"],
            load_input=False,
            load_output=False,
        )
        for workflow in waiting:
            revision = int(workflow.workflow_id.split(":")[2])
            if revision < target.revision:
                DBOS.cancel_workflow(workflow.workflow_id)


# -- steps ---------------------------------------------------------------------------------


def _error(exc: PlatformError) -> dict[str, Any]:
    return {
        "kind": exc.kind,
        "code": exc.code,
        "message": exc.message,
        "retry_after": exc.retry_after,
    }


@DBOS.step()
def _plan(target_id: str, revision: int) -> dict[str, Any] | None:
    plan = service.load_plan(rt.current(), target_id, revision)
    if plan is None:
        return None
    return {"due": plan.due.isoformat(), "account_id": plan.account_id, "platform": plan.platform}


@DBOS.step()
def _pacing(target_id: str, revision: int) -> float | None:
    return service.pacing_delay(rt.current(), target_id, revision)


@DBOS.step()
def _defer(target_id: str, revision: int, delay: float) -> str | None:
    until = service.defer(rt.current(), target_id, revision, delay)
    return until.isoformat() if until else None


@DBOS.step()
def _claim(target_id: str, revision: int, attempt: int) -> bool:
    return service.claim(rt.current(), target_id, revision, attempt)


@DBOS.step()
def _prepare_media(target_id: str, revision: int) -> dict[str, Any] | None:
    """The platform's media variants of a post too heavy to prepare inside its create
    (``publishing.preparation``); None when ready, else the error that ends the attempt."""
    error = preparation.prepare_target_media(rt.current(), target_id, revision)
    return None if error is None else {**error, "retry_after": None}


@DBOS.step(retries_allowed=True, max_attempts=4, interval_seconds=2.0, backoff_rate=2.0)
def _stage(target_id: str, force_refresh: bool) -> dict[str, Any]:
    """One staging round (live checks, platform-side preparation that publishes nothing);
    its progress is saved on the target so a later round or a restart resumes it."""
    runtime = rt.current()
    try:
        request, account_id, name = service.load_request(runtime, target_id)
        platform = get_platform(name, runtime.settings)
        token = tokens.access_token(runtime, account_id, force_refresh=force_refresh)
        staged = platform.stage(token, request, service.stage_progress(runtime, target_id))
    except PlatformConfigError as exc:
        return {"error": {"kind": "user", "code": "platform_not_configured", "message": str(exc)}}
    except PlatformError as exc:
        if exc.progress is not None:  # what the failed round created: the next one resumes it
            service.save_stage_progress(runtime, target_id, exc.progress)
        if exc.kind == "retryable" and exc.retry_after is None:
            raise  # let the step retry transient failures
        return {"error": _error(exc)}
    service.save_stage_progress(runtime, target_id, staged.progress)
    return {
        "ready": staged.ready,
        "wait": staged.wait,
        "settings": staged.settings,
        "progress": staged.progress,
        "notes": list(staged.notes),
    }


@DBOS.step(retries_allowed=False)
def _send(
    target_id: str, revision: int, attempt: int, settings: dict[str, Any], progress: dict[str, Any]
) -> dict[str, Any]:
    """The only irreversible call. Never retried: an interrupted send is reported, not
    repeated."""
    runtime = rt.current()
    # Everything the call needs is ready before the witness, so the window in which a crash
    # leaves an unknown outcome is the platform call alone.
    try:
        request, account_id, name = service.load_request(runtime, target_id)
        platform = get_platform(name, runtime.settings)
        token = tokens.access_token(runtime, account_id)
    except PlatformError as exc:
        return {"outcome": "failed", "error": _error(exc)}
    witness, recorded = service.begin_send(runtime, target_id, revision, attempt, settings)
    if witness == "sent" and recorded is not None:
        return {"outcome": "sent", "ref": recorded}
    if witness != "go":
        return {"outcome": witness}
    try:
        sent = platform.send(
            token, request, Staged(ready=True, settings=settings, progress=progress)
        )
    except PlatformError as exc:
        return {"outcome": "failed", "error": _error(exc)}
    except Exception as exc:  # we cannot know whether the platform acted
        log.exception("send of target %s crashed", target_id)
        return {
            "outcome": "failed",
            "error": {
                "kind": "unknown",
                "code": "send_crashed",
                "message": f"the send failed: {exc}",
            },
        }
    ref = {**sent.ref, "settings": settings}
    service.record_sent(runtime, target_id, attempt, ref)  # at once: a replay finds it
    return {"outcome": "sent", "ref": ref}


@DBOS.step()
def _record_failure(
    target_id: str, attempt: int, error: dict[str, Any], sent: bool, retry_at: str | None
) -> str:
    when = datetime.fromisoformat(retry_at) if retry_at else None
    return service.record_failure(rt.current(), target_id, attempt, error, sent=sent, retry_at=when)


@DBOS.step()
def _now() -> str:
    return rt.current().clock.now().isoformat()


def _retry_at(attempt: int, error: dict[str, Any]) -> datetime | None:
    """When attempt+1 may run, or None when no new attempt should be made."""
    runtime = rt.current()
    if (
        error.get("kind") not in ("retryable", "auth")
        or attempt >= runtime.settings.publish_max_attempts
    ):
        return None
    delays = runtime.settings.publish_retry_delays or [30.0]
    wait = float(delays[min(attempt - 1, len(delays) - 1)])
    if error.get("retry_after"):
        wait = max(wait, float(error["retry_after"]))
    if error.get("kind") == "auth":
        wait = 1.0  # refresh the token and try again at once
    return datetime.fromisoformat(_now()) + timedelta(seconds=wait)


def _fail(target_id: str, revision: int, attempt: int, error: dict[str, Any], *, sent: bool) -> str:
    plan_retry = _retry_at(attempt, error) if error.get("kind") != "unknown" else None
    status = _record_failure(
        target_id, attempt, error, sent, plan_retry.isoformat() if plan_retry else None
    )
    if status == "retry" and plan_retry is not None:
        plan = _plan(target_id, revision)
        if plan is not None:
            enqueue_attempt(
                target_id, revision, attempt + 1, plan["account_id"], plan["platform"], plan_retry
            )
    elif status == "outcome_unknown":
        jobs.reconcile_send.start(target_id, revision, attempt, 0)  # ask the platform
    return status


# -- workflows -----------------------------------------------------------------------------


@DBOS.workflow()
def publish_target(target_id: str, revision: int, attempt: int) -> str:
    plan = _plan(target_id, revision)
    if plan is None:
        return "obsolete"
    wait = (datetime.fromisoformat(plan["due"]) - datetime.fromisoformat(_now())).total_seconds()
    if wait > 0:
        DBOS.sleep(wait)
    while True:
        delay = _pacing(target_id, revision)
        if delay is None:
            return "obsolete"
        if delay <= 0:
            break
        if delay > SHORT_WAIT_SECONDS:
            # A long wait is a delayed workflow, not a sleeping thread.
            until = _defer(target_id, revision, delay)
            if until is None:
                return "obsolete"
            enqueue_attempt(
                target_id,
                revision,
                attempt,
                plan["account_id"],
                plan["platform"],
                datetime.fromisoformat(until),
            )
            return "deferred"
        DBOS.sleep(delay)
    if not _claim(target_id, revision, attempt):
        return "obsolete"
    media_error = _prepare_media(target_id, revision)
    if media_error is not None:  # e.g. "slide 3 (…) cannot be used: …": failed, never a 500
        return _fail(target_id, revision, attempt, media_error, sent=False)
    staged = _stage(target_id, attempt > 1)
    rounds = 1
    while "error" not in staged and not staged["ready"]:
        if rounds >= MAX_STAGE_ROUNDS:
            staged = {
                "error": {
                    "kind": "retryable",
                    "code": "staging_timeout",
                    "message": "the platform did not finish preparing the media in time",
                }
            }
            break
        DBOS.sleep(min(max(float(staged["wait"]), 0.5), SHORT_WAIT_SECONDS))
        staged = _stage(target_id, False)
        rounds += 1
    if "error" in staged:
        return _fail(target_id, revision, attempt, staged["error"], sent=False)
    result = _send(target_id, revision, attempt, staged["settings"], staged["progress"])
    outcome = result["outcome"]
    if outcome == "obsolete":
        return "obsolete"
    if outcome == "interrupted":
        error = {
            "kind": "unknown",
            "code": "interrupted",
            "message": "the server stopped while sending this post; it may or may not be live: "
            "check the account before posting it again",
        }
        return _fail(target_id, revision, attempt, error, sent=True)
    if outcome == "failed":
        return _fail(target_id, revision, attempt, result["error"], sent=False)
    enqueue_tracking(target_id, revision, attempt, result["ref"], 0, 0.0)
    return "sent"


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=2.0, backoff_rate=2.0)
def _upload(target_id: str, ref: dict[str, Any]) -> dict[str, Any] | None:
    runtime = rt.current()
    request, account_id, name = service.load_request(runtime, target_id)
    if request.kind != "video" or not request.video_key:
        return None
    platform = get_platform(name, runtime.settings)
    token = tokens.access_token(runtime, account_id)
    data = runtime.storage.read(request.video_key)
    try:
        platform.continue_upload(token, request, ref, lambda first, last: data[first : last + 1])
    except PlatformError as exc:
        if exc.kind == "retryable":
            raise
        return _error(exc)
    return None


@DBOS.step(retries_allowed=True, max_attempts=3, interval_seconds=1.0, backoff_rate=2.0)
def _status(target_id: str, ref: dict[str, Any]) -> dict[str, Any]:
    runtime = rt.current()
    request, account_id, name = service.load_request(runtime, target_id)
    platform = get_platform(name, runtime.settings)
    try:
        token = tokens.access_token(runtime, account_id)
        status = platform.status(token, request, ref)
    except PlatformError as exc:
        if exc.kind == "retryable":
            return {"state": "unreadable", "error": _error(exc)}
        return {"state": "error", "error": _error(exc)}
    out: dict[str, Any] = {
        "state": status.state,
        "platform_status": status.platform_status,
        "post_id": status.post_id,
        "url": status.url,
        "final": status.final,
    }
    if status.failure is not None:
        out["error"] = _error(status.failure)
    return out


@DBOS.step()
def _progress(target_id: str, platform_status: str) -> None:
    service.record_progress(rt.current(), target_id, platform_status)


@DBOS.step()
def _done(target_id: str, attempt: int, reading: dict[str, Any]) -> bool:
    return service.record_done(
        rt.current(),
        target_id,
        attempt,
        platform_status=reading["platform_status"],
        post_id=reading.get("post_id"),
        url=reading.get("url"),
    )


def enqueue_tracking(
    target_id: str, revision: int, attempt: int, ref: dict[str, Any], round_: int, delay: float
) -> None:
    with (
        SetWorkflowID(f"track:{target_id}:{revision}:{attempt}:{round_}"),
        SetEnqueueOptions(delay_seconds=delay if delay > 0 else None),
    ):
        DBOS.enqueue_workflow(TRACK_QUEUE, track_target, target_id, revision, attempt, ref, round_)


@DBOS.step()
def _elapsed(target_id: str) -> float:
    """Seconds since this target's send."""
    return service.seconds_since_attempt(rt.current(), target_id)


@DBOS.workflow()
def track_target(
    target_id: str, revision: int, attempt: int, ref: dict[str, Any], round_: int = 0
) -> str:
    """Round 0 uploads what remains and polls every few seconds; later rounds poll once a
    minute (each one a delayed workflow) until done or the confirmation time is up. Rounds
    from DRAFT_WATCH_ROUND on are the draft watch's single checks (the sweep starts them):
    a draft the creator published becomes posted with its public id; nothing else changes."""
    if round_ >= DRAFT_WATCH_ROUND:
        reading = _status(target_id, ref)
        if reading["state"] == "posted":
            _done(target_id, attempt, reading)
        return str(reading["state"])
    if round_ == 0:
        upload_error = _upload(target_id, ref)
        if upload_error is not None:
            return _fail(target_id, revision, attempt, upload_error, sent=True)
    intervals = POLL_INTERVALS if round_ == 0 else (0.0,)
    for interval in intervals:
        reading = _status(target_id, ref)
        state = reading["state"]
        if state == "failed":
            return _fail(target_id, revision, attempt, reading["error"], sent=True)
        if state == "error":
            if _is_posted(target_id):
                return "posted"
            return _fail(target_id, revision, attempt, reading["error"], sent=True)
        if state in ("posted", "delivered"):
            _done(target_id, attempt, reading)
            if reading["final"]:
                return state
        elif state == "processing":
            _progress(target_id, reading["platform_status"])
        if interval:
            DBOS.sleep(interval)
    limit = float(rt.current().settings.publish_confirm_timeout_seconds)
    if _elapsed(target_id) < limit:
        enqueue_tracking(target_id, revision, attempt, ref, round_ + 1, LATER_POLL_SECONDS)
        return "tracking"
    if _is_posted(target_id):
        return "posted"  # live; the public post id never showed up, the profile URL stays
    error = {
        "kind": "unknown",
        "code": "unconfirmed",
        "message": f"the platform did not confirm the post within {int(limit // 60)} minutes; "
        "check the account before posting it again",
    }
    return _fail(target_id, revision, attempt, error, sent=True)


@DBOS.step()
def _is_posted(target_id: str) -> bool:
    return service.target_status(rt.current(), target_id) == "posted"


@DBOS.workflow()
def sweep_due_targets(scheduled: datetime, context: Any) -> None:
    """Every minute: make sure each due target has its publish workflow (lost enqueues)."""
    _sweep()


STUCK_AFTER = timedelta(minutes=10)
ACTIVE_WORKFLOW = ("PENDING", "ENQUEUED", "DELAYED")


def _active(prefix: str) -> bool:
    return bool(
        DBOS.list_workflows(
            workflow_id_prefix=prefix,
            status=list(ACTIVE_WORKFLOW),
            load_input=False,
            load_output=False,
            limit=1,
        )
    )


def sweep(runtime: Any) -> dict[str, int]:
    """Re-enqueue due targets (lost enqueues) and settle targets whose workflows are gone:
    nothing is ever left 'publishing' forever, and nothing is sent twice."""
    counts = {"enqueued": 0, "settled": 0, "tracking": 0, "reconciling": 0}
    for target_id, revision, attempt, account_id, platform, due in service.due_targets(
        runtime, timedelta(minutes=2)
    ):
        enqueue_attempt(target_id, revision, attempt, account_id, platform, due)
        counts["enqueued"] += 1
    for target_id, revision, attempt, account_id, platform in service.stuck_targets(
        runtime, STUCK_AFTER
    ):
        if _active(f"publish:{target_id}:{revision}:{attempt}:") or _active(
            f"track:{target_id}:{revision}:{attempt}:"
        ):
            continue
        outcome = service.resolve_stuck(runtime, target_id, attempt)
        if outcome == "sent":
            ref = service.sent_ref(runtime, target_id)
            enqueue_tracking(target_id, revision, attempt, ref, 1_000_000, 0.0)  # "resumed"
            counts["tracking"] += 1
        elif outcome is not None:
            counts["settled"] += 1
            if outcome == "retry":  # nothing was sent: publish it now
                now = runtime.clock.now()
                enqueue_attempt(target_id, revision, attempt + 1, account_id, platform, now)
    # Drafts in a creator's inbox: one status check per interval, to see them published.
    counts["drafts"] = 0
    for target_id, revision, attempt, ref, check in service.drafts_to_watch(runtime):
        enqueue_tracking(target_id, revision, attempt, ref, check, 0.0)
        counts["drafts"] += 1
    # Unknown outcomes (also those just settled) whose reconciliation is not under way.
    for target_id, revision, attempt, next_round in service.unreconciled_targets(runtime):
        if _active(f"reconcile:{target_id}:{revision}:{attempt}:"):
            continue
        jobs.reconcile_send.start(target_id, revision, attempt, next_round)
        counts["reconciling"] += 1
    return counts


@DBOS.step()
def _sweep() -> dict[str, int]:
    # The enqueues are top-level ones, not children of this step (DBOS refuses to start a
    # workflow from inside a step): run the sweep outside the step's context.
    return contextvars.Context().run(sweep, rt.current())
