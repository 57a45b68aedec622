"""``slideforge analytics chart``: a PNG of a metric over post age, a line per group, drawn
from the scheduled snapshots of our posts (and the points it draws are those snapshots)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from slideforge.analytics.experiments import growth_points
from slideforge.cli import app
from slideforge.runtime import Runtime
from tests.analytics.seed import seed_post
from tests.analytics.test_targets import make_target
from tests.helpers import ApiClient

WHEN = datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_chart_of_views_by_hook(
    api: ApiClient, runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = make_target(api)
    for hook, scale in (("Hook A", 3), ("Hook B", 1)):
        for i in range(2):
            seed_post(
                runtime,
                api.workspace_id,
                target,
                WHEN,
                snapshots=[
                    (1, {"views": 100 * scale + i}),
                    (48, {"views": 1000 * scale + i}),
                ],
                hook=hook,
                post_id=uuid.uuid4(),
            )
    with runtime.db.session() as session:
        points = growth_points(session, api.workspace_id, group_by="hook", metric="views")
    assert sorted((p.group, p.hours, p.value) for p in points) == sorted(
        (hook, hours, base * scale + i)
        for hook, scale in (("Hook A", 3), ("Hook B", 1))
        for i in range(2)
        for hours, base in ((1.0, 100), (48.0, 1000))
    )
    monkeypatch.setenv("SLIDEFORGE_DATABASE_URL", runtime.settings.resolved_database_url)
    monkeypatch.setenv("SLIDEFORGE_DATA_DIR", str(runtime.settings.data_dir))
    out = tmp_path / "hooks.png"
    result = CliRunner().invoke(
        app, ["analytics", "chart", "--workspace", api.workspace_name, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "8 snapshots of 2 hook group(s)" in result.output
    with Image.open(out) as image:
        assert image.size == (1100, 640)
        # The two groups' colours are drawn (blue first: the best mean).
        colours = {c for _, c in image.getcolors(maxcolors=1_000_000) or []}
        assert (37, 99, 235) in colours and (234, 88, 12) in colours
    refused = CliRunner().invoke(
        app, ["analytics", "chart", "--workspace", api.workspace_name, "--by", "mood"]
    )
    assert refused.exit_code == 1 and "use one of" in refused.output
