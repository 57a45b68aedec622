"""Database engine and sessions: one code path for SQLite (embedded) and PostgreSQL (scaled).
Also ``on_commit``: work that must follow a transaction only once it committed."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic_core
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator

from slideforge.kit.clock import as_utc

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: sa.Uuid(),
        dict[str, Any]: sa.JSON(),
        list[Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


def load_json(text: str | bytes) -> Any:
    """JSON columns are parsed by pydantic-core (about 3x json.loads: lists read hundreds of
    JSON values per page); what it refuses, such as a lone surrogate escape that json.dumps
    wrote, by the standard library as before."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return json.loads(text)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=20,
            json_deserializer=load_json,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself (IMMEDIATE, below) instead of pysqlite.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers queue on the database lock at BEGIN instead of failing at COMMIT:
            # no "database is locked" surprises under concurrent requests.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=20,
        pool_pre_ping=True,
        future=True,
        json_deserializer=load_json,
    )


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()  # runs the session's on_commit callbacks
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


# -- after commit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _AfterCommit:
    transaction: SessionTransaction  # the innermost one when it was registered
    fn: Callable[[], object]


_AFTER_COMMIT = "slideforge.after_commit"


def on_commit(session: Session, fn: Callable[[], object]) -> None:
    """Call ``fn()`` once, after the transaction now open on ``session`` commits; never if
    it rolls back (or the session closes without committing).

    - A savepoint (``begin_nested``) that rolls back drops what was registered inside it;
      one that is released hands it to the enclosing transaction: nothing runs before the
      outermost COMMIT.
    - A session that commits several times runs each callback after the commit of the
      transaction it was registered in; registering with no transaction open begins one
      (it emits nothing until the session is used).
    - Callbacks run in the order they were registered. One that raises is logged and the
      others still run: the change is committed whatever a callback does, so every such
      effect must have a way to be found again (a sweep, a recovery).
    - The session cannot run SQL while the callbacks run: they take plain values (ids, keys),
      not rows to load.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    pending: list[_AfterCommit] | None = session.info.get(_AFTER_COMMIT)
    if pending is None:
        pending = session.info[_AFTER_COMMIT] = []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_soft_rollback", _rolled_back)
        event.listen(session, "after_transaction_end", _ended)
    pending.append(_AfterCommit(transaction, fn))


def _within(transaction: SessionTransaction, outer: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``outer`` or a savepoint inside it."""
    current: SessionTransaction | None = transaction
    while current is not None:
        if current is outer:
            return True
        current = current.parent
    return False


def _take(session: Session, outer: SessionTransaction) -> list[_AfterCommit]:
    """Remove and return the callbacks registered within ``outer``."""
    pending: list[_AfterCommit] = session.info.get(_AFTER_COMMIT) or []
    taken = [entry for entry in pending if _within(entry.transaction, outer)]
    if taken:
        pending[:] = [entry for entry in pending if not _within(entry.transaction, outer)]
    return taken


def _committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: its callbacks wait for the outermost commit
    root = session.get_transaction()
    if root is None:
        return
    # A callback may register another one (it runs in this same pass).
    while due := _take(session, root):
        for entry in due:
            try:
                entry.fn()
            except Exception:
                log.warning("after-commit callback %r failed", entry.fn, exc_info=True)


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    _take(session, previous_transaction)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit (a commit took them already)
        _take(session, transaction)
