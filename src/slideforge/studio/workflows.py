"""DBOS workflow of a studio video: submit the job to the provider, poll it, store the MP4 or
fail and refund (``studio/service.py`` does each step; each is safe to run again).

Round 0 (id ``studio-video:{video}:0``) submits (a transient refusal is retried after 1, 2
and 4 s, then the video fails) and polls every few seconds for about half a minute; each
later round is a delayed workflow (``studio-video:{video}:{n}``) that polls once, every
``SLIDEFORGE_STUDIO_VIDEO_POLL_SECONDS``: a workflow thread never sleeps long. A restart
resumes the round that was running (DBOS recovery) and the delayed ones wait in the queue;
the minute sweep restarts a video nobody polled for two minutes (a start lost between the
commit and the enqueue, a round that ended in an error). The charge was made by the request
(one per video); a failure refunds that charge once, whichever run gets there first."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID

from slideforge import runtime as rt
from slideforge.studio import service

log = logging.getLogger(__name__)

QUEUE = "studio"
QUEUE_OPTIONS: dict[str, Any] = {"concurrency": 4}
SCHEDULE = "45 * * * * *"
SUBMIT_WAITS = (1.0, 2.0, 4.0)
POLL_INTERVALS = (1.0, 1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0)
STALLED = timedelta(minutes=2)
FINISHED = {"SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"}


def workflow_id(video_id: str, round_: int) -> str:
    return f"studio-video:{video_id}:{round_}"


def enqueue(video_id: str, round_: int = 0, delay: float = 0.0) -> None:
    with (
        SetWorkflowID(workflow_id(video_id, round_)),
        SetEnqueueOptions(delay_seconds=delay if delay > 0 else None),
    ):
        DBOS.enqueue_workflow(QUEUE, generate_video, video_id, round_)


@DBOS.step()
def _submit(video_id: str, last_try: bool) -> str:
    return service.submit(rt.current(), video_id, last_try=last_try)


@DBOS.step()
def _poll(video_id: str, round_: int) -> str:
    return service.poll(rt.current(), video_id, round_)


@DBOS.step()
def _poll_seconds() -> float:
    return float(rt.current().settings.studio_video_poll_seconds)


@DBOS.workflow()
def generate_video(video_id: str, round_: int = 0) -> str:
    if round_ == 0:
        state = "retry"
        for wait in (*SUBMIT_WAITS, None):
            state = _submit(video_id, wait is None)
            if state != "retry" or wait is None:
                break
            DBOS.sleep(wait)
        if state != "submitted":
            return state
    for interval in POLL_INTERVALS if round_ == 0 else (0.0,):
        state = _poll(video_id, round_)
        if state != "processing":
            return state
        if interval:
            DBOS.sleep(interval)
    enqueue(video_id, round_ + 1, _poll_seconds())
    return "processing"


@DBOS.step()
def _stalled() -> list[tuple[str, int]]:
    runtime = rt.current()
    with runtime.db.session() as session:
        return service.stalled_videos(session, runtime.clock.now(), STALLED)


def sweep_once() -> int:
    """Restart each stalled video: its last round again when that workflow never started
    (same id: a no-op if it did), the next round when that one is over. The count."""
    restarted = 0
    for video_id, round_ in _stalled():
        status = DBOS.get_workflow_status(workflow_id(video_id, round_))
        if status is not None and status.status not in FINISHED:
            continue  # running, enqueued or delayed: it polls soon
        next_round = round_ if status is None else round_ + 1
        enqueue(video_id, next_round)
        restarted += 1
    if restarted:
        log.info("studio sweep restarted %d videos", restarted)
    return restarted


@DBOS.workflow()
def studio_sweep(scheduled: datetime, context: Any) -> None:
    sweep_once()
