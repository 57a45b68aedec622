"""The DBOS runtime: durable workflows and queues, in the API process (embedded mode) or in
``slideforge worker`` processes (scaled mode). One runtime per process. The only module that
knows whether it runs: ``start`` binds the jobs of ``slideforge.jobs`` to their workflows,
``stop`` unbinds them."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dbos import DBOS, DBOSConfig
from dbos import _queue as dbos_queue
from dbos._dbos import _get_or_create_dbos_registry as dbos_registry

from slideforge import __version__, jobs, liveness
from slideforge import runtime as rt
from slideforge.copy_tiktok import pool as ocr_pool
from slideforge.files import derivatives
from slideforge.runtime import Runtime
from slideforge.slideshows import pool as render_pool

log = logging.getLogger(__name__)

# name -> register_queue keyword arguments. Queues without a polling_interval_sec poll at
# SLIDEFORGE_QUEUE_POLL_SECONDS.
QUEUES: dict[str, dict[str, Any]] = {
    "pack-metadata": {"worker_concurrency": 2},
}

_launched = False


# -- waking a queue when this process enqueues on it --------------------------------------
#
# DBOS's queue worker thread polls its queue (a few queries) every polling_interval_sec,
# waiting on the queue manager's stop event in between. Polling every 0.1-0.5 s cost an idle
# server ~13 % of a core; polling every few seconds would delay work by as much. So each
# worker thread waits on a stand-in for that event which also returns when this process
# enqueues on its queue: work enqueued here (a post to publish now, a webhook delivery, the
# hand-over to tracking, pack metadata) starts at once, and the polling only finds work
# enqueued by other processes or delayed workflows whose time came. A workflow that finishes
# wakes its queue too (its slot is free for work that waited on a concurrency limit). (dbos
# is pinned to 3.4.x; tests/test_workers.py checks that the hooks still take.)

# How often a waiting worker thread checks whether DBOS is stopping.
_STOP_CHECK_SECONDS = 1.0


class _WakeableStop:
    """Stands in for the stop event of one queue's worker thread (DBOS only calls
    ``is_set`` and ``wait`` on it): ``wait`` also returns when the queue is woken."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        # Set at start: a queue thread polls at once when it starts (DBOS waits first), so a
        # worker that (re)starts picks up waiting work at once, not one interval later.
        self._wake = threading.Event()
        self._wake.set()

    def is_set(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        self._wake.set()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            left = _STOP_CHECK_SECONDS
            if deadline is not None:
                left = min(left, deadline - time.monotonic())
                if left <= 0:
                    break
            if self._wake.wait(left):
                self._wake.clear()
                break
        return self._stop.is_set()


_waiters: dict[str, set[_WakeableStop]] = {}
_waiters_lock = threading.Lock()


def wake(queue_name: str) -> None:
    """Make this process's worker threads of ``queue_name`` poll now."""
    with _waiters_lock:
        waiters = list(_waiters.get(queue_name, ()))
    for waiter in waiters:
        waiter.wake()


def _install_wakeups() -> None:
    """Hook DBOS (once): worker threads wait on a _WakeableStop; an enqueue wakes them."""
    if getattr(dbos_queue.queue_worker_thread, "_slideforge_wakeable", False):
        return
    original_worker = dbos_queue.queue_worker_thread
    original_enqueue = dbos_queue.Queue.enqueue
    original_execute = dbos_queue.execute_dequeued_workflow

    def queue_worker_thread(stop_event: threading.Event, dbos: Any, queue: Any) -> None:
        waiter = _WakeableStop(stop_event)
        with _waiters_lock:
            _waiters.setdefault(queue.name, set()).add(waiter)
        try:
            original_worker(waiter, dbos, queue)  # type: ignore[arg-type]
        finally:
            with _waiters_lock:
                _waiters.get(queue.name, set()).discard(waiter)

    def enqueue(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        handle = original_enqueue(self, func, *args, **kwargs)
        wake(self.name)  # the row is committed: a delayed one is simply not found yet
        return handle

    def execute_dequeued_workflow(dbos: Any, status: Any, owner_xid: str) -> Any:
        handle = original_execute(dbos, status, owner_xid)
        # A finished workflow frees a slot (worker or partition concurrency): whatever
        # waited for it starts now, not at the next poll.
        future = getattr(handle, "future", None)
        queue_name = status.get("queue_name")
        if future is not None and queue_name:
            future.add_done_callback(lambda _done: wake(queue_name))
        return handle

    queue_worker_thread._slideforge_wakeable = True  # type: ignore[attr-defined]
    dbos_queue.queue_worker_thread = queue_worker_thread
    dbos_queue.Queue.enqueue = enqueue  # type: ignore[method-assign]
    dbos_queue.execute_dequeued_workflow = execute_dequeued_workflow


def _import_workflows() -> None:
    """Import every module that defines workflows, so DBOS knows them before launch."""
    from slideforge.accounts import workflows as _accounts  # noqa: F401
    from slideforge.analytics import workflows as analytics
    from slideforge.packs import workflows as _packs  # noqa: F401
    from slideforge.publishing import reconcile as _reconcile  # noqa: F401
    from slideforge.publishing import workflows as publishing
    from slideforge.slideshows import workflows as slideshows
    from slideforge.studio import workflows as studio
    from slideforge.webhooks import workflows as webhooks

    QUEUES[slideshows.QUEUE] = slideshows.QUEUE_OPTIONS
    QUEUES.update(publishing.queue_options())
    QUEUES[analytics.QUEUE] = analytics.QUEUE_OPTIONS
    QUEUES[studio.QUEUE] = studio.QUEUE_OPTIONS
    # Woken by enqueues in this process; polled at SLIDEFORGE_QUEUE_POLL_SECONDS otherwise.
    QUEUES[webhooks.QUEUE] = {
        k: v for k, v in webhooks.QUEUE_OPTIONS.items() if k != "polling_interval_sec"
    }


def _bind_jobs() -> None:
    """Each job of ``slideforge.jobs`` starts its workflow from now on."""
    from slideforge.analytics import workflows as analytics
    from slideforge.packs import workflows as packs
    from slideforge.publishing import reconcile
    from slideforge.publishing import workflows as publishing
    from slideforge.slideshows import workflows as slideshows
    from slideforge.studio import workflows as studio
    from slideforge.webhooks import workflows as webhooks

    jobs.publish.bind(publishing.start_attempts)
    jobs.cancel_superseded_publishes.bind(publishing.cancel_superseded)
    jobs.reconcile_send.bind(reconcile.enqueue_reconcile)
    jobs.analyse_pack_images.bind(packs.enqueue)
    jobs.deliver_webhook.bind(webhooks.enqueue)
    jobs.refresh_analytics.bind(analytics.enqueue_refresh)
    jobs.generate_studio_video.bind(studio.enqueue)
    jobs.make_video.bind(slideshows.enqueue)


def start(runtime: Runtime, *, listen: bool = True) -> None:
    """Launch DBOS for this process. ``listen=False``: enqueue only, run nothing (an API
    process in scaled mode, where ``slideforge worker`` processes do the work)."""
    global _launched
    if _launched:
        return
    rt.set_current(runtime)
    # This process's lease: request reservations name it as their owner.
    liveness.start(runtime.db)
    _import_workflows()
    settings = runtime.settings
    config: DBOSConfig = {
        "name": "slideforge",
        "system_database_url": settings.resolved_dbos_database_url,
        "application_version": __version__,
        "log_level": "WARNING",
        # DBOS pushes its LISTEN/NOTIFY wake-ups (messages, events, streams: we use none)
        # from a thread that woke every 10 ms by default (PostgreSQL; a no-op on SQLite).
        "notification_coalesce_sec": 0.25,
    }
    if settings.resolved_dbos_database_url.startswith("sqlite"):
        # A SQLite connection cannot go stale: no "SELECT 1" before every queue poll.
        config["db_engine_kwargs"] = {"pool_pre_ping": False}
    DBOS(config=config)
    if not listen:
        DBOS.listen_queues([])
    _install_wakeups()
    DBOS.launch()
    for name, options in QUEUES.items():
        options = {"polling_interval_sec": settings.queue_poll_seconds, **options}
        DBOS.register_queue(name, on_conflict="always_update", **options)
    # DBOS's own queue runs the schedules below (each a minute or more apart) and recovered
    # workflows: a few seconds' delay is harmless there, a poll every second is not.
    internal = dbos_registry().get_internal_queue()
    internal._polling_interval_sec = max(
        internal._polling_interval_sec, settings.queue_poll_seconds
    )
    from slideforge.accounts.workflows import SCHEDULE as CARE_SCHEDULE
    from slideforge.accounts.workflows import account_care
    from slideforge.analytics.workflows import SCHEDULE as ANALYTICS_SCHEDULE
    from slideforge.analytics.workflows import analytics_sweep
    from slideforge.publishing.workflows import sweep_due_targets
    from slideforge.studio.workflows import SCHEDULE as STUDIO_SCHEDULE
    from slideforge.studio.workflows import studio_sweep
    from slideforge.webhooks.workflows import webhook_sweep

    DBOS.apply_schedules(
        [
            {
                "schedule_name": "publish-sweep",
                "workflow_fn": sweep_due_targets,
                "schedule": "0 * * * * *",
            },
            {
                "schedule_name": "webhook-sweep",
                "workflow_fn": webhook_sweep,
                "schedule": "30 * * * * *",
            },
            {
                "schedule_name": "analytics-sweep",
                "workflow_fn": analytics_sweep,
                "schedule": ANALYTICS_SCHEDULE,
            },
            {
                "schedule_name": "studio-sweep",
                "workflow_fn": studio_sweep,
                "schedule": STUDIO_SCHEDULE,
            },
            {
                "schedule_name": "account-care",
                "workflow_fn": account_care,
                "schedule": CARE_SCHEDULE,
            },
        ]
    )
    _bind_jobs()
    _launched = True
    if listen:
        recover(runtime)


def recover(runtime: Runtime) -> None:
    """Re-enqueue work whose enqueue may have been lost (idempotent workflow ids)."""
    from slideforge.packs import service as packs_service
    from slideforge.packs import workflows as packs_workflows
    from slideforge.slideshows import video as slideshow_video
    from slideforge.slideshows import workflows as slideshow_workflows

    with runtime.db.session() as session:
        pending = packs_service.pending_image_ids(session)
        videos = slideshow_video.unfinished_videos(session)
    if pending:
        log.info("re-enqueueing metadata of %d pack images", len(pending))
        packs_workflows.enqueue(pending)
    if videos:
        log.info("re-enqueueing %d unfinished slideshow videos", len(videos))
        for video_id, attempt in videos:
            slideshow_workflows.enqueue(video_id, attempt)


def stop() -> None:
    global _launched
    jobs.unbind_all()
    render_pool.shutdown()  # the render worker processes (made on the first render)
    ocr_pool.shutdown()  # the OCR worker processes (made on the first copy-a-TikTok read)
    derivatives.stop()  # derivatives being made after renders are finished first
    if _launched:
        # Workflows still running are recovered at the next start; their threads' complaints
        # about the runtime going away are noise, not errors.
        logging.getLogger("dbos").setLevel(logging.CRITICAL)
        DBOS.destroy()
        _launched = False
    liveness.stop()
