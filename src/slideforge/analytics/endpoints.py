"""HTTP of /analytics, /trends and /experiments (contract §8, §9; experiments are ours).

Query values arrive as the contract's client sends them (raw comma lists, camelCase with
snake_case aliases); the services parse them and refuse with ``422 invalid_query``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse

from slideforge.analytics import experiments, query, summary, targets, trends
from slideforge.auth.deps import CallerDep, RuntimeDep, SessionDep
from slideforge.kit.envelope import respond

router = APIRouter(tags=["analytics"])
Text = Annotated[str | None, Query(max_length=2000)]
JsonObject = Annotated[dict[str, Any], Body()]


def _filters(default_range: str) -> Any:
    """The shared query of the analytics reads as a dependency: a period (``range`` or
    ``start``+``end``), ``platforms`` (alias ``platform``), tracked account ids ``accounts``
    (alias ``account_ids``)."""

    def dependency(
        caller: CallerDep,
        session: SessionDep,
        runtime: RuntimeDep,
        range: Text = None,
        start: Text = None,
        end: Text = None,
        platforms: Text = None,
        platform: Text = None,
        accounts: Text = None,
        account_ids: Text = None,
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
    return respond(summary.summary(session, caller, filters))


@router.get("/analytics/summary/posts")
def get_summary_posts(
    caller: CallerDep,
    session: SessionDep,
    filters: FiltersDep,
    limit: Text = None,
    offset: Text = None,
    sortBy: Text = None,
    sort_by: Text = None,
    sortOrder: Text = None,
    sort_order: Text = None,
) -> JSONResponse:
    result = summary.list_posts(
        session,
        caller,
        filters,
        limit=query.bounded_int("limit", limit, 50, 1, 100),
        offset=query.bounded_int("offset", offset, 0, 0, 10_000),
        sort_by=query.choice("sortBy", sortBy or sort_by, "published_at", summary.SORTS),
        sort_order=query.choice("sortOrder", sortOrder or sort_order, "desc", ("asc", "desc")),
    )
    return respond(result)


@router.get("/analytics/posts/{analytics_id}")
def get_analytics_post(analytics_id: str, caller: CallerDep, session: SessionDep) -> JSONResponse:
    """One post's metrics over time (its snapshots)."""
    return respond(summary.post_detail(session, caller, analytics_id))


@router.get("/analytics/targets")
def list_targets(caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    return respond(targets.list_targets(session, caller, runtime.clock.now()))


@router.post("/analytics/targets", status_code=201)
def create_target(
    body: JsonObject, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    target, created = targets.create_target(session, caller, body, runtime.clock.now())
    if created:
        return respond({"target": target, "created": True}, "Target created", 201)
    return respond({"target": target, "created": False}, "Target already tracked", 200)


@router.get("/analytics/targets/{target_id}")
def get_target(
    target_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    return respond(targets.target_detail(session, caller, target_id, runtime.clock.now()))


@router.patch("/analytics/targets/{target_id}")
def update_target(
    target_id: str,
    body: JsonObject,
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


@router.post("/analytics/targets/{target_id}/refresh")
def refresh_target(
    target_id: str, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
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
    group_by: Text = None,
    groupBy: Text = None,
    metric: Text = None,
    age: Text = None,
    experiment_id: Text = None,
) -> JSONResponse:
    result = experiments.results(
        session,
        caller,
        filters,
        runtime.clock.now(),
        group_by=group_by or groupBy,
        metric=metric,
        age=age,
        experiment_id=experiment_id,
    )
    return respond(result)


@router.post("/experiments", status_code=201)
def create_experiment(
    body: JsonObject, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
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
    platform: Text = None,
    keyword: Text = None,
    limit: Text = None,
    range: Text = None,
) -> JSONResponse:
    result = trends.brief(
        session,
        caller,
        runtime.clock.now(),
        platform=platform,
        keyword=keyword,
        limit=query.bounded_int("limit", limit, 10, 1, 30),
        range_=range,
    )
    return respond(result)
