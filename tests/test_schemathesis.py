"""Property-based run over /openapi.json (positive and negative data): no server error, every
response in the envelope and conforming to the documented schema and status codes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.config import SchemathesisConfig

from platform_sandbox.server import RunningServer, serve_in_thread
from platform_sandbox.tiktok_web import create_app as create_tiktok_web
from slideforge.runtime import Runtime
from tests.helpers import ApiClient

# Operations are split into groups so the run spreads over test workers; a test below checks
# that every documented operation belongs to one group.
GROUPS = {
    "files": ("/api/partner/v1/files",),
    "folders": ("/api/partner/v1/folders",),
    "packs": ("/api/partner/v1/packs",),
    "products": ("/api/partner/v1/products",),
    "accounts": ("/api/partner/v1/accounts",),
    "billing": ("/api/partner/v1/subscription", "/api/partner/v1/credits"),
    "slideshows": ("/api/partner/v1/slideshows",),
    "copy_tiktok": ("/api/partner/v1/slideshows/copy-tiktok",),
    "templates": ("/api/partner/v1/templates",),
    "posts": ("/api/partner/v1/posts", "/ugc", "/oauth"),
    "ayrshare": ("/ayrshare/api",),
    "webhooks": ("/api/partner/v1/webhooks",),
    "studio": ("/api/partner/v1/studio",),
    "analytics": (
        "/api/partner/v1/analytics",
        "/api/partner/v1/experiments",
        "/api/partner/v1/trends",
    ),
}
# examples per operation; `make fuzz` raises it for a longer hunt
EXAMPLES = int(os.environ.get("SLIDEFORGE_FUZZ_EXAMPLES", "30"))
# Rules JSON Schema cannot state (across fields, references to other rows, the server's
# configuration such as an unconfigured AI endpoint, URLs that do not answer): these
# operations may refuse schema-valid data, but only with these statuses and specific codes —
# never invalid_payload, which would mean the schema and the validation disagree.
POST_REFUSALS = {
    400: {
        "unknown_accounts",
        "missing_accounts",
        "media_unreachable",
        "validation_failed",
        "invalid_music_url",
        "account_not_connected",
    },
    422: {"invalid_scheduled_at"},
}
FOLDER_ITEM_REFUSALS = {422: {"invalid_path", "invalid_folder_media_type", "item_not_ready"}}
# /ayrshare/api answers in Ayrshare's error shape (its SDK parses that, not our envelope): its
# refusals are numeric codes (compat/ayrshare/errors.CODES); 101 is the schema's own rule, never here.
AYRSHARE = "/ayrshare/api"
SEMANTIC: dict[str, dict[int, set[str | int]]] = {
    # The size limits are settings (images 20 MB, videos 100 MB by default).
    "POST /api/partner/v1/files": {413: {"file_too_large"}},
    "POST /api/partner/v1/slideshows/generate": {
        422: {
            "ai_not_configured",
            "prompt_required",
            "invalid_slide_config",
            "pack_required",
            "pack_empty",
        }
    },
    "POST /api/partner/v1/slideshows/copy-tiktok/preview": {
        422: {"invalid_tiktok_url", "not_slideshow"}
    },
    "POST /api/partner/v1/slideshows/copy-tiktok/import": {
        422: {
            "invalid_tiktok_url",
            "not_slideshow",
            "pack_source_conflict",
            "pack_source_required",
            "pack_empty",
        }
    },
    "POST /api/partner/v1/posts": POST_REFUSALS,
    "POST /api/partner/v1/posts/validate": POST_REFUSALS,  # the same checks, a dry run
    "PATCH /api/partner/v1/posts/{post_id}": POST_REFUSALS,
    "POST /ugc/post/slideshow": POST_REFUSALS,
    "POST /ugc/post/video": POST_REFUSALS,
    "GET /api/partner/v1/posts": {400: {"invalid_since", "invalid_until"}},
    # 104 account, 105 platform, 106 media, 107 text length, 108 scheduleDate, 111 TikTok
    # option, 112 other refusal.
    "POST /ayrshare/api/post": {400: {104, 105, 106, 107, 108, 111, 112}},
    # 104 a Profile-Key naming no account; 101 a delete with neither id, bulk nor
    # deleteAllScheduled (the schema cannot say "one of"); 110 not deletable; 113 not
    # retryable; 114 a webhook action slideforge does not send, or a URL it refuses.
    "GET /ayrshare/api/history": {400: {104}},
    "GET /ayrshare/api/user": {400: {104}},
    "DELETE /ayrshare/api/delete": {400: {101, 104, 110}},
    "DELETE /ayrshare/api/post": {400: {101, 104, 110}},
    "PUT /ayrshare/api/post/retry": {400: {113}},
    "POST /ayrshare/api/hook/webhook": {400: {114}},
    "DELETE /ayrshare/api/hook/webhook": {400: {114}},
    # An item id that is blank after trimming or not an id (schema: any text, as the contract's
    # client sends them untrimmed); items of another type than the folder's; files never PUT.
    "POST /api/partner/v1/folders/{folder_id}/items": FOLDER_ITEM_REFUSALS,
    "DELETE /api/partner/v1/folders/{folder_id}/items": {422: {"invalid_path"}},
    "POST /api/partner/v1/accounts/connect": {422: {"platform_not_configured"}},
    # start without end, end before start, tracked account ids of nobody; an age over 90 d.
    "GET /api/partner/v1/analytics/summary": {422: {"invalid_query"}},
    "GET /api/partner/v1/analytics/summary/posts": {422: {"invalid_query"}},
    "GET /api/partner/v1/analytics/experiments": {422: {"invalid_query"}},
    # A handle the platform does not allow; a public profile that cannot be read.
    "POST /api/partner/v1/analytics/targets": {
        422: {"invalid_identifier", "platform_not_supported"}
    },
    "POST /api/partner/v1/experiments": {
        400: POST_REFUSALS[400],
        422: {"invalid_variant", "slideshow_not_rendered", "no_hook_slot", "invalid_scheduled_at"},
    },
    "POST /api/partner/v1/webhooks": {422: {"invalid_webhook_url", "webhook_url_not_public"}},
    # The server's studio providers are configuration (none in this run).
    "POST /api/partner/v1/studio/images/generate": {422: {"studio_not_configured"}},
    "POST /api/partner/v1/studio/videos/generate": {422: {"studio_not_configured"}},
    "GET /oauth/{platform}/callback": {
        400: {
            "invalid_oauth_state",
            "authorization_denied",
            "invalid_oauth_callback",
            "connect_failed",
        }
    },
}


def group_of(path: str) -> str | None:
    """The group of an operation: the one with the longest matching prefix."""
    matches = [
        (len(prefix), name)
        for name, prefixes in GROUPS.items()
        for prefix in prefixes
        if path.startswith(prefix)
    ]
    return max(matches)[1] if matches else None


@schemathesis.check
def envelope(ctx: Any, response: Any, case: Case) -> bool:
    """Every answer is a JSON envelope whose code mirrors the HTTP status (Ayrshare's shape
    under /ayrshare/api)."""
    if case.operation.path.startswith(AYRSHARE):
        return ayrshare_shape(response)
    body = response.json()
    assert isinstance(body, dict), "body is not a JSON object"
    assert body.get("code") == response.status_code, "envelope code differs from HTTP status"
    assert isinstance(body.get("message"), str) and body["message"], "no message"
    if response.status_code < 400:
        assert body.get("ok") is True and "data" in body, "success without ok/data"
    else:
        assert body.get("ok") is False and isinstance(body.get("error_code"), str), (
            "error without error_code"
        )
    return True


def ayrshare_shape(response: Any) -> bool:
    """Ayrshare's answers: a JSON object with a status; errors carry status "error", a numeric
    code, a message and the action."""
    body = response.json()
    assert isinstance(body, dict), "body is not a JSON object"
    assert isinstance(body.get("status"), str) and body["status"], "no status"
    if response.status_code >= 400:
        assert body["status"] == "error", "error without status: error"
        assert isinstance(body.get("code"), int), "error without a numeric code"
        assert isinstance(body.get("message"), str) and body["message"], "no message"
        assert isinstance(body.get("action"), str), "no action"
    return True


@schemathesis.check
def semantic_refusal(ctx: Any, response: Any, case: Case) -> bool:
    """The operations of SEMANTIC refuse schema-valid data only with their own codes."""
    allowed = SEMANTIC.get(case.operation.label, {})
    codes = allowed.get(response.status_code)
    if codes and case.meta and case.meta.generation.mode.is_positive:
        key = "code" if case.operation.path.startswith(AYRSHARE) else "error_code"
        code = response.json().get(key)
        assert code in codes, f"schema-valid data refused with {code}"
    return True


def _config() -> SchemathesisConfig:
    """positive_data_acceptance lets the SEMANTIC operations answer their refusal statuses
    (semantic_refusal checks the codes). No NUL characters are generated: the server drops
    them from JSON text and query strings (PostgreSQL cannot store them), so a string one
    NUL over a maxLength is accepted, which the schema cannot express; tests/test_app.py
    tests that rule on its own."""
    base = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    return SchemathesisConfig.from_dict(
        {
            "generation": {"allow-x00": False},
            "operations": [
                {
                    # One filter: separate include-method and include-path filters are OR-ed.
                    "include-name": label,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": base + [str(status) for status in statuses]
                        }
                    },
                }
                for label, statuses in SEMANTIC.items()
            ],
        }
    )


def _operations(server: RunningServer) -> list[Any]:
    schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json", config=_config())
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_is_fuzzed(server: RunningServer) -> None:
    prefixes = [p for group in GROUPS.values() for p in group]
    unassigned = [op.label for op in _operations(server) if not op.path.startswith(tuple(prefixes))]
    assert unassigned == []


@pytest.fixture
def tiktok_sandbox(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Copy-a-TikTok fetches go to a TikTok web sandbox on loopback, never to TikTok."""
    running = serve_in_thread(create_tiktok_web())
    monkeypatch.setattr(runtime.settings, "tiktok_web_base_url", running.base_url)
    monkeypatch.setattr(runtime.settings, "tiktok_short_link_base_url", running.base_url)
    yield
    running.stop()


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_api_contract(
    group: str, server: RunningServer, api: ApiClient, tiktok_sandbox: None
) -> None:
    headers = {"Authorization": f"Bearer {api.key}"}
    failures: list[str] = []
    operations = [op for op in _operations(server) if group_of(op.path) == group]
    assert operations
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            def run(case: Case) -> None:
                case.call_and_validate(headers=headers, additional_checks=[envelope])

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                # No invalid input exists for this operation (e.g. only free-form strings).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # collect every operation's failure, then report all
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
