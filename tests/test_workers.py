"""The DBOS queues poll rarely (idle CPU, issue 9 defect 13) and are woken at once by work
enqueued in this process, so nothing waits for a poll."""

from __future__ import annotations

import time

from dbos import DBOS
from dbos._dbos import _get_or_create_dbos_registry as dbos_registry

from slideforge import workers
from slideforge.publishing import workflows as publishing
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, image_bytes, ok
from tests.packs.test_endpoints import wait_metadata


def test_queues_poll_slowly(runtime: Runtime) -> None:
    polls = {}
    for name in workers.QUEUES:
        queue = DBOS.retrieve_queue(name)
        assert queue is not None, name
        polls[name] = queue.polling_interval_sec
    publish = set(publishing.QUEUES.values())
    for name, seconds in polls.items():
        expected = (
            publishing.PUBLISH_POLL_SECONDS
            if name in publish
            else runtime.settings.queue_poll_seconds
        )
        assert seconds == expected, (name, seconds)
    # DBOS's own queue (the schedules, recovery) polls no more often than ours.
    internal = dbos_registry().get_internal_queue()
    assert internal.polling_interval_sec >= runtime.settings.queue_poll_seconds
    # A scheduled workflow is found (promoter ~1 s + one poll) before its due time.
    assert publishing.EARLY_START_SECONDS >= 1.0 + 1.05 * publishing.PUBLISH_POLL_SECONDS + 0.3
    assert publishing.EARLY_START_SECONDS < publishing.SHORT_WAIT_SECONDS
    # Every worker thread of our queues (started by DBOS's queue manager within a second or
    # two of launch) waits on a stand-in that an enqueue can wake.
    deadline = time.monotonic() + 10
    while not all(workers._waiters.get(name) for name in workers.QUEUES):
        assert time.monotonic() < deadline, f"not all queues are wakeable: {workers._waiters}"
        time.sleep(0.1)


def test_work_enqueued_here_does_not_wait_for_a_poll(api: ApiClient, web: Web) -> None:
    """pack-metadata runs 2 at a time: of 3 images, the third waits for a slot, and is
    started when one finishes (not at the next poll)."""
    queue = DBOS.retrieve_queue("pack-metadata")
    assert queue is not None
    before = queue.polling_interval_sec
    queue.set_polling_interval_sec(45.0)
    try:
        # Let the worker thread finish its current wait and start a 45 s one.
        workers.wake("pack-metadata")
        time.sleep(1.5)
        pack = ok(api.post("/packs", json={"name": "woken"}), 201)
        for i in range(3):
            url = web.add(f"woken-{i}.jpg", image_bytes((90, 160)))
            ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
        # Without the wake-ups the next poll would be 45 s away.
        images = wait_metadata(api, pack["id"], timeout=30)
        assert [image["metadata"]["status"] for image in images] == ["completed"] * 3
    finally:
        # (The worker thread's wait shrinks back to the restored interval over a few polls;
        # work enqueued meanwhile still wakes it.)
        queue.set_polling_interval_sec(before)
        workers.wake("pack-metadata")
