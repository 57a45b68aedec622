"""Restart safety of the video workflow: a start lost between the commit and the enqueue is
found by the sweep and finished; running its steps again charges, submits and stores
nothing twice."""

from __future__ import annotations

import time
import uuid

import sqlalchemy as sa

from slideforge import jobs
from slideforge.kit.clock import ManualClock
from slideforge.models import File, StudioVideo
from slideforge.studio import service, workflows
from tests.helpers import ApiClient, ok
from tests.studio.conftest import StudioEnv
from tests.studio.test_endpoints import ledger, wait_video


def test_a_lost_start_is_found_by_the_sweep_and_finished_once(
    api: ApiClient, studio: StudioEnv, clock: ManualClock
) -> None:
    runtime = studio.runtime
    # As in an API process without workers (or killed right after the commit): no start.
    jobs.generate_studio_video.unbind()
    try:
        started = ok(
            api.post(
                "/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "lost"}
            ),
            202,
        )
    finally:
        jobs.generate_studio_video.bind(workflows.enqueue)
    video_id = started["video_id"]
    assert studio.sandbox.videos() == []
    assert ok(api.get(f"/studio/videos/{video_id}"))["status"] == "processing"
    # Not stalled yet: the sweep leaves it alone.
    assert workflows.sweep_once() == 0
    clock.advance(minutes=3)
    assert workflows.sweep_once() == 1
    done = wait_video(api, video_id)
    assert done["status"] == "succeeded", done
    assert len(studio.sandbox.videos()) == 1

    # The steps again (a replay after a crash): nothing new happens.
    assert service.submit(runtime, video_id, last_try=False) == "succeeded"
    assert service.poll(runtime, video_id, 0) == "succeeded"
    assert service.fail(runtime, video_id, "late failure") == "succeeded"
    assert len(studio.sandbox.videos()) == 1
    assert [e["kind"] for e in ledger(api, "studio-video:")] == ["charge"]
    with runtime.db.session() as session:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(File)
            .where(File.workspace_id == api.workspace_id, File.context == "ai-studio")
        )
    assert count == 1
    # A finished video is no longer stalled.
    clock.advance(minutes=3)
    assert workflows.sweep_once() == 0


def test_steps_are_idempotent_while_processing(api: ApiClient, studio: StudioEnv) -> None:
    runtime = studio.runtime
    jobs.generate_studio_video.unbind()
    try:
        started = ok(
            api.post(
                "/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "twice"}
            ),
            202,
        )
    finally:
        jobs.generate_studio_video.bind(workflows.enqueue)
    video_id = started["video_id"]
    # Submitted twice (a replay of the step): one provider job.
    assert service.submit(runtime, video_id, last_try=False) == "submitted"
    assert service.submit(runtime, video_id, last_try=False) == "submitted"
    assert len(studio.sandbox.videos()) == 1
    # A crash after the provider's answer and before our commit: the row has no job id and
    # the submission is repeated with the same Idempotency-Key: still one job.
    with runtime.db.session() as session:
        row = session.get(StudioVideo, uuid.UUID(video_id))
        assert row is not None
        job_id = row.provider_job_id
        row.provider_job_id = None
        session.commit()
    assert service.submit(runtime, video_id, last_try=False) == "submitted"
    assert [v["id"] for v in studio.sandbox.videos()] == [job_id]
    # Two polls finishing at once store one file; a failure after success changes nothing.
    state = "processing"
    while state == "processing":
        state = service.poll(runtime, video_id, 0)
    assert state == "succeeded"
    assert service.poll(runtime, video_id, 1) == "succeeded"
    assert ok(api.get(f"/studio/videos/{video_id}"))["prediction_id"] == job_id
    assert [e["kind"] for e in ledger(api, "studio-video:")] == ["charge"]
    # Failing twice refunds once.
    jobs.generate_studio_video.unbind()
    try:
        other = ok(
            api.post("/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "no"}),
            202,
        )["video_id"]
    finally:
        jobs.generate_studio_video.bind(workflows.enqueue)
    assert service.fail(runtime, other, "first") == "failed"
    assert service.fail(runtime, other, "second") == "failed"
    refunds = [e for e in ledger(api, f"studio-video:{other}") if e["kind"] == "refund"]
    assert len(refunds) == 1
    assert "first" in ok(api.get(f"/studio/videos/{other}"))["error"]


def test_a_video_past_its_time_fails_and_is_refunded(
    api: ApiClient, studio: StudioEnv, clock: ManualClock
) -> None:
    studio.sandbox.update_options(render_seconds=3600)
    started = ok(
        api.post("/studio/videos/generate", json={"model_id": "openai/sora-2", "prompt": "slow"}),
        202,
    )
    deadline = time.monotonic() + 20
    while not ok(api.get(f"/studio/videos/{started['video_id']}"))["prediction_id"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    clock.advance(studio.runtime.settings.studio_video_timeout_seconds + 1)
    # this poll, or the workflow's own next one, gives up
    assert service.poll(studio.runtime, started["video_id"], 5) == "failed"
    done = ok(api.get(f"/studio/videos/{started['video_id']}"))
    assert "did not finish within 30 minutes" in done["error"]
    assert sorted(e["kind"] for e in ledger(api, "studio-video:")) == ["charge", "refund"]
