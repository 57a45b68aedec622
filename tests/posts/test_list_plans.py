"""The list endpoints' queries are answered from an index, never by reading a whole table
or sorting it (docs/ARCHITECTURE.md "Lists at scale"; ``slideforge bench api`` measures the
latency). The queries are the ones the server really sends: captured from the engine while
the endpoint answers, then explained with their parameters, on the database under test.

A second workspace holds most of the rows, as on a shared server: the planner then has a
real choice, and a plan that scans the table, or sorts the workspace's rows for a page,
fails."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from slideforge.models import Account, Post, PostTarget, Slideshow
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, ok

OURS, THEIRS = 3_000, 27_000
LISTED_TABLES = ("post", "post_target", "slideshow", "account")


def _fill(runtime: Runtime, workspace_id: uuid.UUID, posts: int, start: datetime) -> None:
    accounts = [uuid.uuid4() for _ in range(posts // 30)]
    account_id = accounts[0]
    rows, targets, slideshows = [], [], []
    for i in range(posts):
        created = start + timedelta(minutes=i)
        post_id = uuid.uuid4()
        status = ("posted", "posted", "posted", "failed", "scheduled")[i % 5]
        common = {"workspace_id": workspace_id, "created_at": created, "updated_at": created}
        rows.append(
            {
                "id": post_id,
                "caption": f"post {i}",
                "media": {"type": "slideshow", "urls": [f"https://cdn.example/{i}.jpg"]},
                "status": status,
                "external_id": f"plan-{i}",
                **common,
            }
        )
        targets.append(
            {
                "id": uuid.uuid4(),
                "post_id": post_id,
                "account_id": account_id,
                "platform": "tiktok",
                "status": status,
                "scheduled_for": created,
                **common,
            }
        )
        if i % 10 == 0:
            slideshows.append(
                {"id": uuid.uuid4(), "title": f"s{i}", "status": "rendered", **common}
            )
    with runtime.db.session() as session:
        session.execute(
            sa.insert(Account),
            [
                {
                    "id": each,
                    "workspace_id": workspace_id,
                    "platform": "tiktok",
                    "username": f"plan_{n}",
                    "platform_user_id": f"plan-{each}",
                    "status": "active",
                    "created_at": start + timedelta(seconds=n),
                }
                for n, each in enumerate(accounts)
            ],
        )
        session.execute(sa.insert(Post), rows)
        session.execute(sa.insert(PostTarget), targets)
        session.execute(sa.insert(Slideshow), slideshows)
        session.commit()


@pytest.fixture(scope="module")
def filled(runtime: Runtime) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
    from slideforge.auth import service as auth

    with runtime.db.session() as session:
        ours = auth.create_workspace(session, f"plans-ours-{uuid.uuid4().hex[:8]}")
        theirs = auth.create_workspace(session, f"plans-theirs-{uuid.uuid4().hex[:8]}")
        ids = ours.id, theirs.id
        session.commit()
    start = datetime.now(UTC) - timedelta(days=60)
    _fill(runtime, ids[0], OURS, start)
    _fill(runtime, ids[1], THEIRS, start)
    with runtime.db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in LISTED_TABLES:
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    yield ids
    with runtime.db.session() as session:  # the rows go with their workspaces
        for workspace_id in ids:
            for model in (PostTarget, Post, Slideshow, Account):
                session.execute(sa.delete(model).where(model.workspace_id == workspace_id))
        session.commit()


@contextmanager
def captured(runtime: Runtime, workspace_id: uuid.UUID) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on the listed tables sent with this workspace's id as a parameter."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        mentions = any(v in (workspace_id, workspace_id.hex, str(workspace_id)) for v in values)
        if statement.lstrip().upper().startswith("SELECT") and mentions:
            seen.append((statement, parameters))

    sa.event.listen(runtime.db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", before)


def postgres_problems(plan: dict[str, Any], paged: bool) -> list[str]:
    """Table scans of the listed tables; and for a page (LIMIT), a sort in the page's order
    (a whole list, like the accounts, may be sorted: the planner finds that cheaper)."""
    problems = []

    def walk(node: dict[str, Any]) -> None:
        relation = node.get("Relation Name")
        if node["Node Type"] == "Seq Scan" and relation in LISTED_TABLES:
            problems.append(f"Seq Scan on {relation}")
        keys = " ".join(node.get("Sort Key", []))
        # The page order must come from an index (an Incremental Sort only orders the rows
        # of one created_at among themselves: the index gave the order).
        if paged and node["Node Type"] == "Sort" and "created_at" in keys:
            problems.append(f"Sort by {keys}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return problems


def sqlite_problems(rows: list[Any], paged: bool) -> list[str]:
    problems = []
    for row in rows:
        detail = row[-1]
        scanned = detail.startswith("SCAN ") and detail.split()[1] in LISTED_TABLES
        if scanned and "USING INDEX" not in detail and "COVERING INDEX" not in detail:
            problems.append(detail)
        if paged and "TEMP B-TREE FOR ORDER BY" in detail:  # (grouping statuses is fine)
            problems.append(detail)
    return problems


def explain(runtime: Runtime, statement: str, parameters: Any) -> list[str]:
    paged = "LIMIT" in statement
    with runtime.db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).all()
            plan = rows[0][0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            return postgres_problems(plan[0], paged)
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        return sqlite_problems(list(rows), paged)


@pytest.mark.parametrize(
    "path",
    [
        "/posts?limit=50",
        "/posts?limit=50&status=failed",
        "/posts?limit=50&since={since}&until={until}",
        "/slideshows?limit=20",
        "/slideshows?limit=20&status=rendered",
        "/accounts",
    ],
)
def test_a_list_query_reads_an_index(
    runtime: Runtime,
    make_api: Any,
    filled: tuple[uuid.UUID, uuid.UUID],
    path: str,
) -> None:
    ours = filled[0]
    with runtime.db.session() as session:
        from slideforge.models import Workspace

        name = session.get(Workspace, ours).name  # type: ignore[union-attr]
    api: ApiClient = make_api(name)
    now = datetime.now(UTC)
    url = path.format(
        since=(now - timedelta(days=59)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        until=(now - timedelta(days=58)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    with captured(runtime, ours) as queries:
        ok(api.get(url))
    listed = [q for q in queries if any(f" {t}" in q[0] for t in ("post", "slideshow", "account"))]
    assert listed, f"no query of {url} was captured"
    for statement, parameters in listed:
        assert explain(runtime, statement, parameters) == [], statement
