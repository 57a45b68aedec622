"""The Analytics page over HTTP, over rows stored as the sweep stores them (tests/analytics
seeds): the period's posts with their numbers, SVG charts, the hooks ranked, experiments, the
tracked accounts; another workspace sees none of it; the empty state says how analytics come."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slideforge.dashboard import charts
from slideforge.models import Experiment, ExperimentPost
from slideforge.runtime import Runtime
from tests.analytics.seed import seed_post
from tests.analytics.test_targets import make_target
from tests.dashboard.conftest import Dashboard
from tests.helpers import ApiClient

HOSTILE = "<script>alert('hook')</script> Stop scrolling"


def counters(views: int, likes: int, comments: int = 0, shares: int = 0) -> dict[str, int]:
    return {"views": views, "likes": likes, "comments": comments, "shares": shares}


def seed_hooks(runtime: Runtime, api: ApiClient, target: str, now: datetime) -> None:
    """Our posts (they have a post id) with hooks, old enough for their 48 h snapshot."""
    values = {"Nobody tells you this": [1200, 1000], HOSTILE: [400, 300]}
    for hook, views in values.items():
        for i, value in enumerate(views):
            seed_post(
                runtime,
                api.workspace_id,
                target,
                now - timedelta(days=4, hours=i),
                snapshots=[(1, counters(value // 10, 1)), (48, counters(value, value // 20, 3, 2))],
                hook=hook,
                caption=f"caption of {hook[:10]} {i}",
                post_id=uuid.uuid4(),
            )


def test_posts_numbers_charts_and_hooks_of_the_workspace_only(
    make_api: Callable[..., ApiClient],
    make_dashboard: Callable[[ApiClient], Dashboard],
    runtime: Runtime,
) -> None:
    mine, theirs = make_api(), make_api()
    now = datetime.now(UTC)
    target = make_target(mine)
    seed_hooks(runtime, mine, target, now)
    seed_post(
        runtime,
        mine.workspace_id,
        target,
        now - timedelta(days=60),
        snapshots=[(48, counters(777_777, 5))],
        caption="published long ago",
    )
    page = make_dashboard(mine).get("/app/analytics")
    assert page.status_code == 200
    text = page.text
    # The 30 days: four posts, their numbers, total views 2900.
    assert "4 in the period" in text and "published long ago" not in text
    for value in (1200, 1000, 400, 300):
        assert f'data-label="Views">{value}<' in text
    assert 'data-label="Likes">60<' in text  # 1200 // 20
    assert 'data-label="Engagement">5.42 %<' in text  # (60 + 3 + 2) / 1200
    assert re.search(r'class="kpi-value">2\.9k<', text)
    # Charts: SVG drawn on the server, one bar per post, labelled by hook.
    assert text.count('<svg class="bars"') == 3  # views, engagement rate, hooks
    assert '<svg class="columns"' in text
    views_chart = text[text.index("Views per post</title>") :]
    views_chart = views_chart[: views_chart.index("</svg>")]
    assert views_chart.count('class="bar"') == 4
    assert "Nobody tells you this: 1.2k" in views_chart
    # Hostile hooks are text everywhere (table, SVG labels, tooltips).
    assert "<script>alert" not in text and "&lt;script&gt;alert(" in text
    # Per hook (48 h): the API's ranking, the higher hook first.
    hooks = text[text.index('id="hooks-title"') :]
    assert hooks.index("Nobody tells you this") < hooks.index("&lt;script&gt;alert(")
    assert 'data-label="Mean">1100.0<' in hooks and 'data-label="Mean">350.0<' in hooks
    assert "leads on views at 48 h" in hooks or "beat" in hooks
    # Newest first over 90 days: the older post too.
    newest = make_dashboard(mine).get("/app/analytics?sort=published_at&range=90d").text
    assert "published long ago" in newest and "5 in the period" in newest
    table = newest[newest.index('id="posts-title"') :]
    assert table.index("caption of Nobody tel 0") < table.index("published long ago")
    # Another workspace sees none of it.
    other = make_dashboard(theirs).get("/app/analytics").text
    assert "Nobody tells you this" not in other and "stop scrolling" not in other.lower()
    assert "No analytics yet" in other and "<svg" not in other


def test_empty_state_explains_how_analytics_are_collected(
    api: ApiClient, dashboard: Dashboard
) -> None:
    text = dashboard.get("/app/analytics").text
    assert "No analytics yet" in text
    assert "1 h, 24 h, 48 h, 7 days and 30 days" in text and "Refresh" in text
    assert "No experiment yet" in text
    assert "<svg" not in text


def test_a_tracked_account_can_be_refreshed_from_the_page(
    api: ApiClient, dashboard: Dashboard
) -> None:
    target = make_target(api, "brand_on_page")
    text = dashboard.get("/app/analytics").text
    assert "tiktok · @brand_on_page" in text
    assert f'data-api="/analytics/targets/{target}/refresh"' in text


def test_a_bad_period_is_said_and_the_default_shown(api: ApiClient, dashboard: Dashboard) -> None:
    text = dashboard.get("/app/analytics?start=2026-02-30&end=2026-03-01").text
    assert "is not a date: use YYYY-MM-DD" in text and "The last 30 days are shown" in text
    text = dashboard.get("/app/analytics?start=2026-03-01").text
    assert "start and end go together" in text


def test_an_experiment_page_shows_its_result(
    make_api: Callable[..., ApiClient],
    make_dashboard: Callable[[ApiClient], Dashboard],
    runtime: Runtime,
) -> None:
    api = make_api()
    now = datetime.now(UTC)
    target = make_target(api)
    posts = {"A": [uuid.uuid4(), uuid.uuid4()], "B": [uuid.uuid4(), uuid.uuid4()]}
    with runtime.db.session() as session:
        experiment = Experiment(
            workspace_id=api.workspace_id,
            name="<i>Two hooks</i>",
            metric="views",
            age_hours=48,
            variants=[{"name": "A", "hook": "Hook A"}, {"name": "B", "hook": "Hook B"}],
            posts=[
                {"post_id": str(p), "variant": v, "scheduled_at": None, "accounts": []}
                for v, ids in posts.items()
                for p in ids
            ],
        )
        session.add(experiment)
        session.flush()
        experiment_id = experiment.id
        for variant, ids in posts.items():
            for post_id in ids:
                session.add(
                    ExperimentPost(post_id=post_id, experiment_id=experiment_id, variant=variant)
                )
    views = {"A": [1000, 1010], "B": [100, 110]}
    for variant, ids in posts.items():
        for post_id, value in zip(ids, views[variant], strict=True):
            seed_post(
                runtime,
                api.workspace_id,
                target,
                now - timedelta(days=3),
                snapshots=[(48, counters(value, 1))],
                hook=f"Hook {variant}",
                post_id=post_id,
            )
    dashboard = make_dashboard(api)
    listing = dashboard.get("/app/analytics").text
    assert f'href="/app/analytics/experiments/{experiment_id}">&lt;i&gt;Two hooks' in listing
    assert "<strong>Winner: A.</strong> &#39;A&#39; beat &#39;B&#39; on views at 48 h" in listing
    page = dashboard.get(f"/app/analytics/experiments/{experiment_id}").text
    assert "&lt;i&gt;Two hooks&lt;/i&gt;" in page
    assert "Winner: A" in page and "beat" in page
    assert '<svg class="bars"' in page and 'class="ci"' in page  # intervals drawn
    assert 'data-label="Mean">1005.0<' in page
    # Not found for another workspace (the dashboard's error page, not JSON).
    other = make_dashboard(make_api()).get(f"/app/analytics/experiments/{experiment_id}")
    assert other.status_code == 404 and "experiment not found" in other.text


def test_chart_scales_are_round() -> None:
    assert [charts.nice_max(v) for v in (0, 0.7, 3, 1200, 2900, 7777)] == [
        1.0,
        1.0,
        5,
        2000,
        5000,
        10000,
    ]
    chart = charts.bar_chart("t", [("a", 1200.0), ("b", None), ("c", 300.0)])
    assert [t.text for t in chart.ticks] == ["0", "500", "1k", "1.5k", "2k"]
    assert chart.bars[1].width == 0 and chart.bars[1].value_text == "–"
    assert chart.bars[0].width == chart.plot_width * 0.6
    assert charts.compact(2_500_000) == "2.5M" and charts.compact(5.42, "%") == "5.42%"
