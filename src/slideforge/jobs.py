"""The background jobs feature code may start, by name, without importing DBOS, the
workflow modules or ``slideforge.workers``.

A service asks for a job in the transaction of the change the job follows; it starts once
that transaction commits, and never if it rolls back (``kit.db.on_commit``)::

    session.add_all(targets)
    session.flush()
    jobs.publish_targets(session, targets)
    session.commit()  # or the request's session commits: now the workflows are enqueued

``workers.start`` binds each job to the function that enqueues its workflow and
``workers.stop`` unbinds them. Where no workers run (a CLI command) nothing is started, and
nothing is lost: every job has a sweep or a recovery that finds its work, named below.
Workflow ids are derived from the rows, so a start repeated by that sweep starts nothing
twice."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Generic, ParamSpec

from sqlalchemy.orm import Session

from slideforge.kit.db import on_commit
from slideforge.models import PostTarget

log = logging.getLogger(__name__)

P = ParamSpec("P")


class Job(Generic[P]):
    """One kind of background work, started through the function bound to it."""

    def __init__(self, name: str, found_again_by: str) -> None:
        self.name = name
        self.found_again_by = found_again_by
        self._start: Callable[P, object] | None = None
        _JOBS.append(self)

    def __repr__(self) -> str:
        return f"<job {self.name}>"

    def bind(self, start: Callable[P, object]) -> None:
        self._start = start

    def unbind(self) -> None:
        self._start = None

    def start(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Start it now, in the caller's context (inside a workflow: as its child)."""
        start = self._start
        if start is None:
            log.debug("%s not started (no workers here): %s", self.name, self.found_again_by)
            return
        start(*args, **kwargs)

    def after_commit(self, session: Session, *args: P.args, **kwargs: P.kwargs) -> None:
        """Start it once the session's open transaction commits."""
        on_commit(session, partial(self._start_root, *args, **kwargs))

    def _start_root(self, *args: P.args, **kwargs: P.kwargs) -> None:
        # A root workflow wherever the commit happened: DBOS refuses to start a workflow
        # from inside a step, and the webhook outbox commits inside steps.
        contextvars.Context().run(self.start, *args, **kwargs)


_JOBS: list[Job[...]] = []


def unbind_all() -> None:
    for job in _JOBS:
        job.unbind()


@dataclass(frozen=True)
class PublishAttempt:
    """A target's next publish attempt, as its transaction commits it."""

    target_id: str
    revision: int
    attempt: int
    account_id: str
    platform: str
    due: datetime


@dataclass(frozen=True)
class TargetRevision:
    target_id: str
    revision: int


publish: Job[[list[PublishAttempt]]] = Job(
    "publish", "publishing.workflows.sweep_due_targets (every minute)"
)
cancel_superseded_publishes: Job[[list[TargetRevision]]] = Job(
    "cancel superseded publishes",
    "none needed: a superseded workflow stops by itself on its revision check",
)
reconcile_send: Job[[str, int, int, int]] = Job(
    "reconcile an unknown send", "publishing.workflows.sweep_due_targets (every minute)"
)
analyse_pack_images: Job[[list[uuid.UUID]]] = Job(
    "pack image metadata", "workers.recover (at the next start of a worker)"
)
deliver_webhook: Job[[str, int]] = Job("webhook delivery", "webhooks.workflows.webhook_sweep")
refresh_analytics: Job[[str]] = Job(
    "analytics target refresh", "analytics.workflows.analytics_sweep (every minute)"
)
generate_studio_video: Job[[str]] = Job(
    "studio video generation", "studio.workflows.studio_sweep (every minute)"
)
make_video: Job[[str, int]] = Job(
    "slideshow video", "workers.recover (at the next start of a worker)"
)


def publish_targets(session: Session, targets: Iterable[PostTarget]) -> None:
    """After the commit, start the next attempt of each target (pending, scheduled or
    retry; its workflow waits for ``scheduled_for``). Call once the targets are final in
    this transaction: their values are taken now (after a flush, which gives new rows their
    ids and defaults)."""
    session.flush()
    attempts = [
        PublishAttempt(
            str(t.id), t.revision, t.attempt + 1, str(t.account_id), t.platform, t.scheduled_for
        )
        for t in targets
    ]
    if attempts:
        publish.after_commit(session, attempts)


def cancel_superseded(session: Session, targets: Iterable[PostTarget]) -> None:
    """After the commit, cancel the still-waiting publish workflows of these targets that
    are older than their current revision (edited or deleted): frees their queue early."""
    session.flush()
    revisions = [TargetRevision(str(t.id), t.revision) for t in targets]
    if revisions:
        cancel_superseded_publishes.after_commit(session, revisions)
