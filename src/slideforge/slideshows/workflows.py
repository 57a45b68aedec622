"""DBOS workflow making a slideshow's video (``slideshows.video.make_video``): one step, since
the encode is one piece of work; a crash re-runs the step on recovery (the attempt's row is
still queued or rendering), and ``workers.recover`` re-enqueues rows whose start was lost."""

from __future__ import annotations

from typing import Any

from dbos import DBOS, SetWorkflowID

from slideforge import runtime as rt
from slideforge.slideshows import video

QUEUE = "slideshow-video"
#: One encode at a time per process: libx264 already uses every core.
QUEUE_OPTIONS: dict[str, Any] = {"worker_concurrency": 1}


def enqueue(video_id: str, attempt: int) -> None:
    with SetWorkflowID(f"slideshow-video:{video_id}:{attempt}"):
        DBOS.enqueue_workflow(QUEUE, make_video, video_id, attempt)


@DBOS.step()
def _make(video_id: str, attempt: int) -> str:
    return video.make_video(rt.current(), video_id, attempt)


@DBOS.workflow()
def make_video(video_id: str, attempt: int) -> str:
    return _make(video_id, attempt)
