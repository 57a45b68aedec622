"""Which slideforge processes are alive: a lease per process, kept by a heartbeat.

Each process that may hold request-scoped reservations (``posts.service._reserve``) starts
one lease (``start``): a ``process_lease`` row with a random id, refreshed every
``HEARTBEAT_SECONDS`` by a daemon thread. Another process decides whether the owner of a
reservation is alive (``owner_state``):

- the owner is this process: alive;
- the owner ran on this machine and pid namespace (same boot id and ``/proc/self/ns/pid``):
  alive exactly while its pid runs with the same start time — a ``kill -9`` is seen at once,
  whatever the heartbeat says (a busy SQLite writer cannot make a live process look dead);
- elsewhere: alive while its heartbeat is younger than ``EXPIRY_SECONDS`` (3× the beat);
- no lease row (a process that stopped cleanly, or one forgotten a day later): dead.

Times here are the machine's wall clock, not ``runtime.clock``: liveness is about real
processes, and the controllable clock of the time rules must not make a live one look dead.
Processes on different machines compare their wall clocks, so those should be NTP-synced
(a skew of a few seconds is absorbed by the expiry)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.kit.db import Database
from slideforge.models import ProcessLease

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
EXPIRY_SECONDS = 15.0
# Lease rows of processes dead this long are deleted (by any live process).
FORGET_AFTER = timedelta(days=1)


def _wall_now() -> datetime:
    return datetime.now(UTC)


def machine_id() -> str | None:
    """This machine's boot and pid namespace: pids are comparable only within one."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}"[:120]


def pid_start(pid: int) -> int | None:
    """The start time (clock ticks after boot) of a running process, None if none runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # a zombie has exited; only its parent has not reaped it
        return None
    return int(fields[19])


@dataclass(frozen=True)
class OwnerState:
    alive: bool
    # Why, in words (for logs and tests).
    reason: str


class Lease:
    """This process's lease: the row and the thread that keeps it fresh."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.id = uuid.uuid4().hex
        self.pid = os.getpid()
        self.machine = machine_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beats = 0

    def start(self) -> None:
        self.beat()
        self._thread = threading.Thread(target=self._run, name="slideforge-lease", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        """Refresh the heartbeat (re-creating the row if someone deleted it)."""
        now = _wall_now()
        with self.db.session() as session:
            updated = session.execute(
                sa.update(ProcessLease)
                .where(ProcessLease.id == self.id)
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(updated, "rowcount", 1) == 0:
                session.add(
                    ProcessLease(
                        id=self.id,
                        host=socket.gethostname()[:255],
                        pid=self.pid,
                        machine=self.machine,
                        pid_start=pid_start(self.pid),
                        started_at=now,
                        heartbeat_at=now,
                    )
                )
            self._beats += 1
            if self._beats % 720 == 1:  # at start, then about hourly
                session.execute(
                    sa.delete(ProcessLease)
                    .where(ProcessLease.heartbeat_at < now - FORGET_AFTER)
                    .execution_options(synchronize_session=False)
                )

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception as exc:  # the database may be briefly unreachable: beat again
                log.warning("process heartbeat failed: %s", exc)

    def stop(self) -> None:
        """A clean stop: the lease goes (reservations still held become takeable)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=HEARTBEAT_SECONDS + 5)
        try:
            with self.db.session() as session:
                session.execute(
                    sa.delete(ProcessLease)
                    .where(ProcessLease.id == self.id)
                    .execution_options(synchronize_session=False)
                )
        except Exception as exc:
            log.warning("could not remove the process lease: %s", exc)


_current: Lease | None = None
_lock = threading.Lock()


def start(db: Database) -> Lease:
    """Start this process's lease (once; later calls return it)."""
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            lease = Lease(db)
            lease.start()
            _current = lease
        return _current


def current() -> Lease | None:
    lease = _current
    return lease if lease is not None and lease.pid == os.getpid() else None


def stop() -> None:
    global _current
    with _lock:
        if _current is not None and _current.pid == os.getpid():
            _current.stop()
        _current = None


def owner_state(session: Session, owner_id: str | None) -> OwnerState:
    """Is the process that holds a reservation alive? (See the module docstring.)"""
    if owner_id is None:
        return OwnerState(False, "no owner recorded")
    mine = current()
    if mine is not None and owner_id == mine.id:
        return OwnerState(True, "this process")
    row = session.get(ProcessLease, owner_id, populate_existing=True)
    if row is None:
        return OwnerState(False, "its process stopped")
    here = machine_id()
    if here is not None and row.machine == here:
        started = pid_start(row.pid)
        if started is None or (row.pid_start is not None and started != row.pid_start):
            return OwnerState(False, f"process {row.pid} on this machine is gone")
        return OwnerState(True, f"process {row.pid} on this machine is running")
    age = (_wall_now() - row.heartbeat_at).total_seconds()
    if age > EXPIRY_SECONDS:
        return OwnerState(False, f"process {row.pid} on {row.host} missed its heartbeat")
    return OwnerState(True, f"process {row.pid} on {row.host} beat {age:.0f} s ago")
