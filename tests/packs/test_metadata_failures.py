"""Pack image metadata failures (issue 9, defect 7): hopeless fetches (refused, no such host,
4xx) fail at once with a plain reason; transient ones (5xx) get a bounded number of tries and
then a plain reason too; no DBOS internals in the text and no tracebacks in the log."""

from __future__ import annotations

import logging
import socket
from collections import Counter
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from platform_sandbox.server import RunningServer, serve_in_thread
from slideforge.packs import workflows as pack_workflows
from slideforge.runtime import Runtime
from tests.helpers import ApiClient, ok
from tests.packs.test_endpoints import wait_metadata


class Counting:
    """A loopback image host that answers ``/status/<code>`` and counts each request."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.server: RunningServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"{self.server.base_url}/{path}"


@pytest.fixture
def host() -> Iterator[Counting]:
    counting = Counting()

    async def handle(request: Request) -> Response:
        path = request.path_params["path"]
        counting.hits[path] += 1
        return Response(b"nope", status_code=int(path.rsplit("/", 1)[1]))

    counting.server = serve_in_thread(Starlette(routes=[Route("/{path:path}", handle)]))
    yield counting
    counting.server.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    handler = Records()
    loggers = [logging.getLogger(), logging.getLogger("dbos")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler.records
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_hopeless_fetches_fail_at_once_in_plain_words(
    api: ApiClient, runtime: Runtime, host: Counting, log_records: list[logging.LogRecord]
) -> None:
    pack = ok(api.post("/packs", json={"name": "unreachable"}), 201)
    cases = {
        f"http://127.0.0.1:{closed_port()}/a.jpg": "Connection refused",
        "http://no-such-host.invalid/a.jpg": "no such host",
        host.url("status/404"): "answered HTTP 404",
        host.url("status/403"): "answered HTTP 403",
    }
    for url in cases:
        ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": url}), 201)
    images = wait_metadata(api, pack["id"], timeout=60)
    for image in images:
        meta = image["metadata"]
        assert meta["status"] == "failed", meta
        error = meta["error"]
        assert error.startswith("the image could not be downloaded: "), error
        assert cases[image["url"]] in error, error
        assert "DBOS" not in error and "retries" not in error, error
    # One request each: a 4xx is not retried.
    assert host.hits == Counter({"status/404": 1, "status/403": 1})
    ids = {image["id"] for image in images}
    mine = [r for r in log_records if any(i in r.getMessage() for i in ids) or r.name == "dbos"]
    assert not [r for r in mine if "retried" in r.getMessage()], mine
    assert not [r for r in log_records if r.exc_info], [r.getMessage() for r in log_records]


def test_transient_failures_get_bounded_tries_then_a_plain_reason(
    api: ApiClient,
    host: Counting,
    monkeypatch: pytest.MonkeyPatch,
    log_records: list[logging.LogRecord],
) -> None:
    monkeypatch.setattr(pack_workflows, "FETCH_RETRY_DELAYS", (0.1, 0.1, 0.1))
    pack = ok(api.post("/packs", json={"name": "flaky"}), 201)
    ok(api.post(f"/packs/{pack['id']}/images", json={"image_url": host.url("status/503")}), 201)
    meta = wait_metadata(api, pack["id"], timeout=60)[0]["metadata"]
    assert meta["status"] == "failed"
    assert meta["error"] == (
        f"the image host did not answer after 4 tries: {host.url('status/503')} answered HTTP 503"
    )
    assert host.hits["status/503"] == 4
    assert not [r for r in log_records if r.exc_info], [r.getMessage() for r in log_records]
