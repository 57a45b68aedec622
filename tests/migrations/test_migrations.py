"""The migrations create exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from slideforge import models
from slideforge.migrations import current_revision
from slideforge.runtime import Runtime


def test_models_match_migrations(runtime: Runtime) -> None:
    url = runtime.settings.resolved_database_url
    assert current_revision(url) is not None
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, models.Base.metadata)
            # DBOS keeps its own tables (another schema on PostgreSQL); not ours to compare.
            if not (d[0] == "remove_table" and d[1].name.startswith("dbos"))
        ]
    engine.dispose()
    assert diff == []
