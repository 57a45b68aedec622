"""HTTP of /analytics, /trends and /experiments (contract §8, §9; experiments are ours).

Query values arrive as the contract's client sends them (raw comma lists, camelCase with
snake_case aliases); ``analytics.query`` parses them and refuses with ``422 invalid_query``.
Their accepted values are documented in ``schemas.py``."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from slideforge.analytics import experiments, query, summary, targets, trends
from slideforge.analytics.schemas import (
    AgeQuery,
    DateQuery,
    ExperimentCreate,
    GroupQuery,
    IdsQuery,
    KeywordQuery,
    LimitQuery,
    MetricQuery,
    OffsetQuery,
    OrderQuery,
    PlatformsQuery,
    RangeQuery,
    SortByQuery,
    TargetCreate,
    TargetUpdate,
    Text,
    TrendLimitQuery,
    TrendPlatformQuery,
    TrendRangeQuery,
)
from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import error_responses, respond

router = APIRouter(tags=["analytics"])
_errors = partial(
    error_responses,
    {
        402: "Out of credits (insufficient_credits)",
        409: "A refresh of this target is running (analytics_conflict)",
    },
)


def _given(value: str | None, alias: str | None) -> str | None:
    """A parameter sent under its name, else under its alias (an empty value counts)."""
    return alias if value is None else value


def _filters(default_range: str) -> Any:
    """The shared query of the analytics reads as a dependency: a period (``range`` or
    ``start``+``end``), ``platforms`` (alias ``platform``), tracked account ids ``accounts``
    (alias ``account_ids``)."""

    def dependency(
        caller: CallerDep,
        session: SessionDep,
        runtime: RuntimeDep,
        range: RangeQuery = None,
        start: DateQuery = None,
        end: DateQuery = None,
        platforms: PlatformsQuery = None,
        platform: PlatformsQuery = None,
        accounts: IdsQuery = None,
        account_ids: IdsQuery = None,
    ) -> query.Filters:
        return query.filters(
            runtime.clock.now(),
            range_=range,
            start=start,
            end=end,
            platforms_raw=platforms or platform,
            accounts_raw=accounts or account_ids,
            default=default_range,
            first_seen=summary.first_published(session, caller),
        )

    return dependency


FiltersDep = Annotated[query.Filters, Depends(_filters("30d"))]
AllTimeFiltersDep = Annotated[query.Filters, Depends(_filters("all"))]


@router.get("/analytics/summary")
def get_summary(caller: CallerDep, session: SessionDep, filters: FiltersDep) -> JSONResponse:
    """KPIs with deltas, daily series, posting heatmap and streak, content mix."""
    return respond(summary.summary(session, caller, filters))


@router.get("/analytics/summary/posts")
def get_summary_posts(
    caller: CallerDep,
    session: SessionDep,
    filters: FiltersDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
    sortBy: SortByQuery = None,
    sort_by: SortByQuery = None,
    sortOrder: OrderQuery = None,
    sort_order: OrderQuery = None,
) -> JSONResponse:
    """The posts of the period with their latest counters and what joins them to ours."""
    result = summary.list_posts(
        session,
        caller,
        filters,
        limit=limit,
        offset=offset,
        sort_by=query.choice("sortBy", _given(sortBy, sort_by), "published_at", summary.SORTS),
        sort_order=query.choice(
            "sortOrder", _given(sortOrder, sort_order), "desc", ("asc", "desc")
        ),
    )
    return respond(result)


@router.get("/analytics/posts/{analytics_id}")
def get_analytics_post(analytics_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """One post's metrics over time (its snapshots)."""
    return respond(summary.post_detail(session, caller, analytics_id))


@router.get("/analytics/targets")
def list_targets(caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    return respond(targets.list_targets(session, caller, runtime.clock.now()))


@router.post(
    "/analytics/targets",
    status_code=201,
    responses={200: {"description": "Already tracked by this scope: created false"}},
)
def create_target(
    body: TargetCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Track an account (201 ``created: true``), or get the one already tracked (200)."""
    target, created = targets.create_target(session, caller, body, runtime.clock.now())
    if created:
        return respond({"target": target, "created": True}, "Target created", 201)
    return respond({"target": target, "created": False}, "Target already tracked", 200)


@router.get("/analytics/targets/{target_id}")
def get_target(
    target_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(summary.target_detail(session, caller, target_id, runtime.clock.now()))


@router.patch("/analytics/targets/{target_id}")
def update_target(
    target_id: str,
    body: TargetUpdate,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    result = targets.update_target(session, caller, target_id, body, runtime.clock.now())
    return respond(result, "Target updated")


@router.delete("/analytics/targets/{target_id}")
def delete_target(
    target_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    result = targets.delete_target(session, caller, target_id, runtime.clock.now())
    return respond(result, "Target deleted")


@router.post("/analytics/targets/{target_id}/refresh", responses=_errors(402, 409))
def refresh_target(
    target_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Read the target again (no body): free once a day, then credits."""
    result = targets.request_refresh(
        session, caller, target_id, runtime.clock.now(), runtime.settings
    )
    return respond(result, "Refresh started")


@router.get("/analytics/refreshes/{refresh_id}")
def get_refresh(refresh_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(targets.get_refresh(session, caller, refresh_id))


@router.get("/analytics/workspace-suggestions")
def workspace_suggestions(caller: CallerDep, session: SessionDep) -> JSONResponse:
    return respond(targets.workspace_suggestions(session, caller))


@router.get("/analytics/experiments")
def experiment_results(
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    filters: AllTimeFiltersDep,
    group_by: GroupQuery = None,
    groupBy: GroupQuery = None,
    metric: MetricQuery = None,
    age: AgeQuery = None,
    experiment_id: Text = None,
) -> JSONResponse:
    """Our posts grouped and ranked by their value at an age, with 95 % intervals."""
    result = experiments.results(
        session,
        caller,
        filters,
        runtime.clock.now(),
        group_by=_given(group_by, groupBy),
        metric=metric,
        age=age,
        experiment_id=experiment_id,
    )
    return respond(result)


@router.post("/experiments", status_code=201, responses=_errors(402))
def create_experiment(
    body: ExperimentCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    """Declare variants; the server renders and schedules them over accounts and slots."""
    return respond(experiments.create(session, caller, body, runtime), "Experiment scheduled", 201)


@router.get("/experiments")
def list_experiments(caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    return respond(experiments.list_experiments(session, caller, runtime.clock.now()))


@router.get("/experiments/{experiment_id}")
def get_experiment(
    experiment_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(experiments.get(session, caller, experiment_id, runtime.clock.now()))


@router.get("/trends/brief")
def trend_brief(
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    platform: TrendPlatformQuery = None,
    keyword: KeywordQuery = None,
    limit: TrendLimitQuery = 10,
    range: TrendRangeQuery = None,
) -> JSONResponse:
    """What the server observed on TikTok for a keyword: hashtags, sounds, creators,
    windows, sample videos, hook angles (cached 3 h)."""
    result = trends.brief(
        session,
        caller,
        runtime.clock.now(),
        platform=platform,
        keyword=keyword,
        limit=limit,
        range_=range,
    )
    return respond(result)
