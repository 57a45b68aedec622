"""Concurrent PATCHes never lose data silently: updates are serialised (row lock), and a
PATCH that names the revision it read gets 409 conflict when another one came first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.slideshows.support import make_pack, manual


def slideshow(api: ApiClient, web: Web) -> dict[str, Any]:
    pack_id, _ = make_pack(api, web, count=1)
    body = manual(pack_id, slide_config={"total_slides": 1, "slide_texts": {"0": "x"}})
    data: dict[str, Any] = ok(api.post("/slideshows/generate", json=body))
    return data


def test_concurrent_partial_updates_all_land(api: ApiClient, web: Web) -> None:
    sid = slideshow(api, web)["id"]
    rounds = 12
    writers: dict[str, list[Any]] = {
        "font_size": [10 + i for i in range(rounds)],
        "text_width": ["narrow", "default"] * (rounds // 2),
        "text_preset": ["white", "black", "shadow"] * (rounds // 3),
    }

    def write(key: str) -> list[int]:
        statuses = []
        for value in writers[key]:
            body = {"settings": {"advanced_settings": {key: value}}}
            statuses.append(api.patch(f"/slideshows/{sid}", json=body).status_code)
        return statuses

    def titles() -> list[int]:
        return [
            api.patch(f"/slideshows/{sid}", json={"title": f"t{i}"}).status_code
            for i in range(rounds)
        ]

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(write, key) for key in writers] + [pool.submit(titles)]
        statuses = [s for f in futures for s in f.result()]
    assert statuses == [200] * (4 * rounds)
    final = ok(api.get(f"/slideshows/{sid}"))
    advanced = final["settings"]["advanced_settings"]
    # Each writer's last value survived every other writer's read-modify-write.
    assert advanced["font_size"] == writers["font_size"][-1]
    assert advanced["text_width"] == writers["text_width"][-1]
    assert advanced["text_preset"] == writers["text_preset"][-1]
    assert final["title"] == f"t{rounds - 1}"
    assert final["revision"] == 1 + 4 * rounds  # no update was lost


def test_same_revision_only_one_wins(api: ApiClient, web: Web) -> None:
    data = slideshow(api, web)
    sid, revision = data["id"], data["revision"]

    def attempt(i: int) -> httpx.Response:
        return api.patch(f"/slideshows/{sid}", json={"title": f"writer {i}", "revision": revision})

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(attempt, range(6)))
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1
    for response in responses:
        if response.status_code != 200:
            body = err(response, 409, "conflict")
            assert "GET it again" in body["message"]
    final = ok(api.get(f"/slideshows/{sid}"))
    assert final["title"] == winners[0].json()["data"]["title"]
    assert final["revision"] == revision + 1
