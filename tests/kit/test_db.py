"""kit.db.on_commit: work that runs once its transaction committed, never when it did not."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from slideforge.kit.db import Database, on_commit


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'on_commit.sqlite'}")
    with database.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE note (text VARCHAR(20))"))
    yield database
    database.dispose()


def add(session: Session, text: str) -> None:
    session.execute(sa.text("INSERT INTO note (text) VALUES (:text)"), {"text": text})


def committed_notes(db: Database) -> list[str]:
    """What another connection sees: only committed rows."""
    with db.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT text FROM note ORDER BY text")))


def test_runs_once_after_the_commit_and_sees_the_committed_rows(db: Database) -> None:
    seen: list[list[str]] = []
    with db.session() as session:
        add(session, "a")
        on_commit(session, lambda: seen.append(committed_notes(db)))
        session.flush()
        assert seen == []
    assert seen == [["a"]]
    with db.session() as session:  # a later commit of another unit of work runs nothing
        add(session, "b")
    assert seen == [["a"]]


def test_dropped_on_rollback(db: Database) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), db.session() as session:
        add(session, "a")
        on_commit(session, lambda: ran.append("rolled back"))
        raise RuntimeError("the change fails")
    session = db.sessions()
    add(session, "b")
    on_commit(session, lambda: ran.append("first"))
    session.rollback()
    add(session, "c")
    on_commit(session, lambda: ran.append("second"))
    session.commit()
    session.close()
    assert ran == ["second"]
    assert committed_notes(db) == ["c"]


def test_dropped_when_the_session_closes_without_committing(db: Database) -> None:
    ran: list[str] = []
    session = db.sessions()
    add(session, "a")
    on_commit(session, lambda: ran.append("closed"))
    session.close()
    add(session, "b")  # the same session, used again
    session.commit()
    session.close()
    assert ran == []


def test_a_failing_callback_is_logged_and_the_others_run(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("queue is down")

    with caplog.at_level(logging.WARNING, logger="slideforge.kit.db"), db.session() as session:
        add(session, "a")
        on_commit(session, lambda: ran.append("first"))
        on_commit(session, broken)
        on_commit(session, lambda: ran.append("third"))
    assert ran == ["first", "third"]
    assert committed_notes(db) == ["a"]
    failure = [r for r in caplog.records if "after-commit callback" in r.getMessage()]
    assert len(failure) == 1 and failure[0].exc_info is not None


def test_each_commit_of_a_session_runs_its_own_callbacks(db: Database) -> None:
    ran: list[str] = []
    with db.session() as session:
        add(session, "a")
        on_commit(session, lambda: ran.append("first transaction"))
        session.commit()
        assert ran == ["first transaction"]
        add(session, "b")
        on_commit(session, lambda: ran.append("second transaction"))
        session.commit()
        assert ran == ["first transaction", "second transaction"]
        session.commit()  # nothing new registered: nothing runs again
    assert ran == ["first transaction", "second transaction"]


def test_registered_before_any_statement(db: Database) -> None:
    ran: list[str] = []
    with db.session() as session:
        on_commit(session, lambda: ran.append("ran"))
        assert ran == []
        add(session, "a")
    assert ran == ["ran"]


def test_savepoints_wait_for_the_outermost_commit(db: Database) -> None:
    ran: list[str] = []

    def note(text: str) -> Callable[[], None]:
        return lambda: ran.append(text)

    with db.session() as session:
        add(session, "outer")
        on_commit(session, note("outer"))
        with pytest.raises(RuntimeError), session.begin_nested():
            add(session, "undone")
            on_commit(session, note("undone"))
            raise RuntimeError("the savepoint rolls back")
        with session.begin_nested():
            add(session, "kept")
            on_commit(session, note("kept"))
            with session.begin_nested():
                on_commit(session, note("inner kept"))
        assert ran == []  # released savepoints commit nothing yet
    assert ran == ["outer", "kept", "inner kept"]
    assert committed_notes(db) == ["kept", "outer"]


def test_a_savepoint_rolled_back_with_its_outer_transaction(db: Database) -> None:
    ran: list[str] = []
    session = db.sessions()
    add(session, "a")
    with session.begin_nested():
        on_commit(session, lambda: ran.append("in a released savepoint"))
    session.rollback()
    session.commit()
    session.close()
    assert ran == []


def test_a_callback_may_register_another(db: Database) -> None:
    ran: list[str] = []
    with db.session() as session:
        add(session, "a")

        def first() -> None:
            ran.append("first")
            on_commit(session, lambda: ran.append("registered while running"))

        on_commit(session, first)
    assert ran == ["first", "registered while running"]


def test_json_columns_read_what_json_dumps_wrote() -> None:
    import json

    from slideforge.kit.db import load_json

    values = [
        {"urls": ["https://x.example/1.jpg"], "n": 12345678901234567890123, "f": 1.5},
        ["é", "👍", None, True],
        {"lone": "\ud800"},  # pydantic-core refuses it; the standard library reads it
    ]
    for value in values:
        assert load_json(json.dumps(value)) == value
