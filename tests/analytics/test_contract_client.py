"""The contract client's analytics and trend commands (docs/contract.md §8, §9) as it sends
them — raw query strings (only trend-brief URI-encodes), a JSON content type on every call,
no body on refresh, curl's defaults — against the live server, reading exactly the paths the
client reads (``.data.postingStreak``, ``.data.totalCount``, ``.data.targets | length``, …)."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx

from slideforge.kit.clock import ManualClock
from tests.analytics.test_targets import settle
from tests.helpers import ApiClient


def client_call(api: ApiClient, method: str, path: str, body: str | None = None) -> dict:
    """What ``genviral.sh`` does: curl with Bearer and JSON content type, body printed as is;
    a non-JSON or empty body, or ok=false, would fail the command."""
    headers = {
        "Authorization": f"Bearer {api.key}",
        "Content-Type": "application/json",
        "User-Agent": "curl/7.88.1",
        "Accept": "*/*",
    }
    url = f"{api.base_url}/api/partner/v1{path}"
    response = httpx.request(method, url, headers=headers, content=body, timeout=60)
    assert response.content, (method, path, response.status_code)
    data = response.json()
    assert response.status_code < 400, (path, response.status_code, data)
    assert data.get("ok", True) is not False
    return data


def test_the_clients_analytics_commands(api: ApiClient, clock: ManualClock) -> None:
    # analytics-target-create --platform tiktok --identifier H --alias A
    created = client_call(
        api,
        "POST",
        "/analytics/targets",
        '{\n  "platform": "tiktok",\n  "identifier": "@client.rival",\n  "alias": "Rival"\n}',
    )["data"]
    target_id = created["target"]["id"]
    settle(api, target_id)
    # analytics-targets: .data.targets | length
    assert len(client_call(api, "GET", "/analytics/targets")["data"]["targets"]) == 1
    # analytics-target --id: .data
    assert client_call(api, "GET", f"/analytics/targets/{target_id}")["data"]["id"] == target_id
    # analytics-target-update --favorite true --display-name X --refresh-policy-json …
    updated = client_call(
        api,
        "PATCH",
        f"/analytics/targets/{target_id}",
        '{"displayName": "X", "favorite": true, "refreshPolicy": {"freeDailyRefresh": true}}',
    )["data"]
    assert updated["metadata"]["favorite"] is True
    # analytics-target-refresh: no body, no Content-Length; then poll analytics-refresh.
    refresh = client_call(api, "POST", f"/analytics/targets/{target_id}/refresh")["data"]
    assert isinstance(refresh["wasFree"], bool)
    deadline = time.monotonic() + 20
    while True:
        polled = client_call(api, "GET", f"/analytics/refreshes/{refresh['refresh']['id']}")
        if polled["data"]["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # analytics-summary with every flag (sent raw, comma lists unencoded): .data.postingStreak
    today = clock.now().date().isoformat()
    summary = client_call(
        api,
        "GET",
        f"/analytics/summary?start={today}&end={today}&platforms=tiktok,instagram&accounts={target_id}",
    )["data"]
    assert "postingStreak" in summary
    assert "postingStreak" in client_call(api, "GET", "/analytics/summary?range=90d")["data"]
    # analytics-posts: .data.totalCount
    posts = client_call(
        api,
        "GET",
        f"/analytics/summary/posts?limit=100&offset=0&range=1y&platforms=tiktok&accounts={target_id}"
        "&sortBy=views&sortOrder=asc",
    )["data"]
    assert isinstance(posts["totalCount"], int)
    # analytics-workspace-suggestions: .data | length (an array)
    assert isinstance(client_call(api, "GET", "/analytics/workspace-suggestions")["data"], list)
    # trend-brief: the only command that URI-encodes; reads generated_at, the count, hashtags.
    keyword = quote("morning routine", safe="")
    brief = client_call(
        api, "GET", f"/trends/brief?platform=tiktok&keyword={keyword}&limit=10&range=7d"
    )["data"]
    assert brief["generated_at"]
    assert isinstance(brief["summary"]["analyzed_video_count"], int)
    for tag in brief["summary"]["top_hashtags"]:
        assert {"hashtag", "videos_count", "avg_views"} <= set(tag)
    assert all(isinstance(h, str) for h in brief["recommendations"]["hook_angles"])
    # analytics-target-delete: .data
    assert client_call(api, "DELETE", f"/analytics/targets/{target_id}")["data"]["deleted"] is True
