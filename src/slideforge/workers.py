"""The DBOS runtime: durable workflows and queues, in the API process (embedded mode) or in
``slideforge worker`` processes (scaled mode). One runtime per process."""

from __future__ import annotations

import logging
from typing import Any

from dbos import DBOS

from slideforge import __version__
from slideforge import runtime as rt
from slideforge.runtime import Runtime

log = logging.getLogger(__name__)

# name -> register_queue keyword arguments
QUEUES: dict[str, dict[str, Any]] = {
    "pack-metadata": {"worker_concurrency": 2, "polling_interval_sec": 0.5},
}

_launched = False


def _import_workflows() -> None:
    """Import every module that defines workflows, so DBOS knows them before launch."""
    from slideforge.accounts import workflows as _accounts  # noqa: F401
    from slideforge.packs import workflows as _packs  # noqa: F401
    from slideforge.publishing import workflows as publishing
    from slideforge.webhooks import workflows as webhooks

    QUEUES.update(publishing.queue_options())
    QUEUES[webhooks.QUEUE] = webhooks.QUEUE_OPTIONS


def start(runtime: Runtime, *, listen: bool = True) -> None:
    """Launch DBOS for this process. ``listen=False``: enqueue only, run nothing (an API
    process in scaled mode, where ``slideforge worker`` processes do the work)."""
    global _launched
    if _launched:
        return
    rt.set_current(runtime)
    _import_workflows()
    settings = runtime.settings
    DBOS(
        config={
            "name": "slideforge",
            "system_database_url": settings.resolved_dbos_database_url,
            "application_version": __version__,
            "log_level": "WARNING",
        }
    )
    if not listen:
        DBOS.listen_queues([])
    DBOS.launch()
    for name, options in QUEUES.items():
        DBOS.register_queue(name, on_conflict="always_update", **options)
    from slideforge.accounts.workflows import SCHEDULE as CARE_SCHEDULE
    from slideforge.accounts.workflows import account_care
    from slideforge.publishing.workflows import sweep_due_targets
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
                "schedule_name": "account-care",
                "workflow_fn": account_care,
                "schedule": CARE_SCHEDULE,
            },
        ]
    )
    _launched = True
    if listen:
        recover(runtime)


def recover(runtime: Runtime) -> None:
    """Re-enqueue work whose enqueue may have been lost (idempotent workflow ids)."""
    from slideforge.packs import service as packs_service
    from slideforge.packs import workflows as packs_workflows

    with runtime.db.session() as session:
        pending = packs_service.pending_image_ids(session)
    if pending:
        log.info("re-enqueueing metadata of %d pack images", len(pending))
        packs_workflows.enqueue(pending)


def stop() -> None:
    global _launched
    if _launched:
        # Workflows still running are recovered at the next start; their threads' complaints
        # about the runtime going away are noise, not errors.
        logging.getLogger("dbos").setLevel(logging.CRITICAL)
        DBOS.destroy()
        _launched = False


def is_running() -> bool:
    return _launched
