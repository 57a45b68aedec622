"""Reconciliation of unknown outcomes, end to end on the platform sandboxes over HTTP: a send
whose answer was lost is found posted (never re-sent), one that never reached the platform
is re-sent once after the list is authoritative, and one that cannot be checked stays
``outcome_unknown`` saying why. Decisions read ``runtime.clock`` (a ManualClock here); the
sandboxes' list delays are real seconds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from slideforge.accounts import service as accounts
from slideforge.accounts.tokens import store_tokens
from slideforge.kit.clock import ManualClock
from slideforge.models import Post, PostTarget
from slideforge.publishing import reconcile
from slideforge.publishing.platforms.base import PublishRequest, Reading, Seen, TokenSet
from slideforge.runtime import Runtime
from tests.conftest import Web
from tests.helpers import ApiClient, err, ok
from tests.posts.test_endpoints import body
from tests.posts.test_publish import wait_post
from tests.publishing.test_instagram import post_to, slideshow
from tests.sandboxes import InstagramEnv, PinterestEnv, TikTokEnv

WINDOW = 60.0
LIST_DELAY = 120.0


@pytest.fixture
def fast(runtime: Runtime, clock: ManualClock) -> Iterator[ManualClock]:
    """Short reconciliation settings (a send window of 60 s, a list delay of 120 s on the
    manual clock; reads every 0.3 s of real time)."""
    settings = runtime.settings
    before = (
        settings.reconcile_send_window_seconds,
        settings.reconcile_list_delay_seconds,
        settings.reconcile_read_interval_seconds,
    )
    settings.reconcile_send_window_seconds = WINDOW
    settings.reconcile_list_delay_seconds = LIST_DELAY
    settings.reconcile_read_interval_seconds = 0.3
    yield clock
    (
        settings.reconcile_send_window_seconds,
        settings.reconcile_list_delay_seconds,
        settings.reconcile_read_interval_seconds,
    ) = before


def set_options(request: pytest.FixtureRequest, sandbox: Any, **changes: Any) -> None:
    """Change a session sandbox's options for this test only."""
    before = {key: getattr(sandbox.options, key) for key in changes}
    sandbox.update_options(**changes)
    request.addfinalizer(lambda: sandbox.update_options(**before))


def target_of(runtime: Runtime, post_id: str) -> PostTarget:
    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))
        )
        assert target is not None
        session.expunge(target)
        return target


def wait_target(
    runtime: Runtime, post_id: str, check: Callable[[PostTarget], bool], timeout: float = 30
) -> PostTarget:
    deadline = time.monotonic() + timeout
    while True:
        target = target_of(runtime, post_id)
        if check(target):
            return target
        if time.monotonic() > deadline:
            raise AssertionError(f"target {target.status}: {target.progress}")
        time.sleep(0.2)


def reconciled(target: PostTarget) -> dict[str, Any]:
    return dict((target.progress or {}).get("reconcile") or {})


def account_without_video_list(api: ApiClient, tiktok: TikTokEnv) -> str:
    """A TikTok account that granted publishing but not ``video.list``."""
    open_id = f"oid-{uuid.uuid4().hex}"
    username = f"noscope_{uuid.uuid4().hex[:6]}"
    tiktok.sandbox.add_user(open_id=open_id, username=username)
    grant = tiktok.sandbox.issue_tokens(
        open_id, ["user.info.basic", "video.publish", "video.upload"]
    )
    now = datetime.now(UTC)
    with tiktok.runtime.db.session() as session:
        row = accounts.create_account(
            session,
            api.workspace_id,
            platform="tiktok",
            username=username,
            platform_user_id=open_id,
        )
        store_tokens(
            tiktok.runtime,
            row,
            TokenSet(
                access_token=grant["access_token"],
                access_expires_at=now + timedelta(days=1),
                refresh_token=grant["refresh_token"],
                refresh_expires_at=now + timedelta(days=365),
                scopes=grant["scope"],
            ),
        )
        return str(row.id)


# -- TikTok -----------------------------------------------------------------------------------


def test_tiktok_answer_lost_after_the_post_was_made_is_found_posted(
    api: ApiClient,
    tiktok: TikTokEnv,
    web: Web,
    runtime: Runtime,
    fast: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    """The init's 5xx came after TikTok created the publish. Reads keep finding nothing
    until the post shows in the video list (1 s of real time after it is published; the
    manual clock never moves, so the list is never trusted to say "not posted"), then the
    target is posted with TikTok's id and URL, and nothing is sent again."""
    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    set_options(request, tiktok.sandbox, video_list_delay_seconds=1.0)
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=500,
        error_code="internal_error",
        after_commit=True,
        open_id=open_id,
    )
    created = ok(api.post("/posts", json=body(web, [account], caption="lost answer")), 201)
    post = wait_post(api, created["id"], statuses=("posted",))
    target = target_of(runtime, created["id"])
    entry = reconciled(target)
    assert entry["decision"] == "posted" and entry["attempt"] == 1
    assert "video list" in entry["reads"][-1]["evidence"]
    (live,) = tiktok.sandbox.posts(open_id=open_id)
    assert target.platform_post_id == str(live["post_id"]) and target.attempt == 1
    state = post["accounts"]["states"][0]
    assert state["published_url"].startswith("https://www.tiktok.com/@")
    assert str(live["post_id"]) in state["published_url"]
    time.sleep(1)
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1  # never re-sent
    # A retry of what reconciliation found live is refused.
    refused = err(
        api.post("/posts/retry", json={"post_ids": [created["id"]], "include_unknown": True}),
        409,
        "outcome_unknown_live",
    )
    assert "found it live" in refused["message"] and str(live["post_id"]) in refused["message"]
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1


def test_tiktok_5xx_before_the_post_was_made_is_resent_once_when_the_list_is_trusted(
    api: ApiClient,
    tiktok: TikTokEnv,
    web: Web,
    runtime: Runtime,
    fast: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    set_options(request, tiktok.sandbox, video_list_delay_seconds=0.0)
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=500,
        error_code="internal_error",
        open_id=open_id,
    )
    created = ok(api.post("/posts", json=body(web, [account], caption="never made")), 201)
    # Read again and again, but while the send window and the list's delay have not passed
    # on the clock, an empty list proves nothing: the target stays unknown.
    waiting = wait_target(runtime, created["id"], lambda t: reconciled(t).get("rounds", 0) >= 3)
    assert waiting.status == "outcome_unknown" and reconciled(waiting)["state"] == "reading"
    assert tiktok.sandbox.publishes(open_id=open_id) == []
    fast.advance(WINDOW + LIST_DELAY + 1)
    post = wait_post(api, created["id"], statuses=("posted",))
    target = target_of(runtime, created["id"])
    assert reconciled(target)["decision"] == "not_posted" and target.attempt == 2
    assert "nothing of the account is listed" in reconciled(target)["reads"][-1]["evidence"]
    assert post["accounts"]["states"][0]["status"] == "posted"
    time.sleep(1)
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1  # re-sent once
    # Other tests share this sandbox (some post duplicates on purpose): this account's only.
    assert [d for d in tiktok.sandbox.duplicate_posts() if d["open_id"] == open_id] == []


def test_tiktok_without_video_list_stays_unknown_and_says_why(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, fast: ManualClock
) -> None:
    account = account_without_video_list(api, tiktok)
    open_id = tiktok.open_id(account)
    tiktok.sandbox.add_failure(
        kind="http_error",
        endpoint="content_init",
        http_status=500,
        error_code="internal_error",
        open_id=open_id,
    )
    created = ok(api.post("/posts", json=body(web, [account], caption="no scope")), 201)
    target = wait_target(
        runtime, created["id"], lambda t: reconciled(t).get("state") == "undecided"
    )
    assert target.status == "outcome_unknown"
    fast.advance(WINDOW + LIST_DELAY + 1)  # time does not help: no further read
    time.sleep(1)
    again = target_of(runtime, created["id"])
    assert again.status == "outcome_unknown" and reconciled(again)["rounds"] == 1
    state = ok(api.get(f"/posts/{created['id']}"))["accounts"]["states"][0]
    assert (
        "video.list" in state["error_message"] and "scope_not_authorized" in state["error_message"]
    )
    assert "internal error" in state["error_message"]  # the original reason stays
    # Undecided: include_unknown is still the user's way to send it again.
    result = ok(
        api.post("/posts/retry", json={"post_ids": [created["id"]], "include_unknown": True})
    )
    assert result["retried"] == 1
    assert wait_post(api, created["id"], statuses=("posted",))["status"] == "posted"


def test_the_sweep_starts_reconciliation_of_an_interrupted_send(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, fast: ManualClock
) -> None:
    """A crash between 'sending' (recorded 30 minutes ago with its settings) and the
    answer, found by the sweep: reconciled like any other unknown outcome (here nothing was
    sent, and the window has long passed: re-sent once at the first read)."""
    from slideforge.publishing import workflows
    from tests.posts.test_endpoints import later
    from tests.posts.test_pipeline import _claimed

    account = tiktok.connect(api)
    open_id = tiktok.open_id(account)
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(600))), 201)
    target_id = _claimed(runtime, created["id"], "sending")
    with runtime.db.session() as session:
        row = session.get(PostTarget, uuid.UUID(target_id))
        assert row is not None and row.last_attempted_at is not None
        row.progress = {
            "sending": {
                "attempt": 1,
                "began_at": row.last_attempted_at.isoformat(),
                "settings": {"post_mode": "DIRECT_POST", "privacy_level": "PUBLIC_TO_EVERYONE"},
            }
        }
    counts = workflows.sweep(runtime)
    assert counts["settled"] >= 1 and counts["reconciling"] >= 1
    post = wait_post(api, created["id"], statuses=("posted",))
    assert reconciled(target_of(runtime, created["id"]))["decision"] == "not_posted"
    assert post["accounts"]["states"][0]["attempt"] == 2
    assert len(tiktok.sandbox.publishes(open_id=open_id)) == 1


def test_a_send_whose_settings_were_not_recorded_stays_unknown(
    api: ApiClient, tiktok: TikTokEnv, web: Web, runtime: Runtime, fast: ManualClock
) -> None:
    """Without the send's privacy level (not recorded), TikTok's list of public posts proves
    nothing by its silence: the target stays unknown, and says so."""
    from slideforge.publishing import workflows
    from tests.posts.test_endpoints import later
    from tests.posts.test_pipeline import _claimed

    account = tiktok.connect(api)
    created = ok(api.post("/posts", json=body(web, [account], scheduled_at=later(600))), 201)
    _claimed(runtime, created["id"], "sending")
    workflows.sweep(runtime)
    target = wait_target(
        runtime, created["id"], lambda t: reconciled(t).get("state") == "undecided"
    )
    assert target.status == "outcome_unknown" and "proves nothing" in str(target.error_message)
    assert tiktok.sandbox.publishes(open_id=tiktok.open_id(account)) == []


# -- Pinterest --------------------------------------------------------------------------------


def test_pinterest_pin_stored_before_the_5xx_is_found_on_the_board(
    api: ApiClient,
    pinterest: PinterestEnv,
    web: Web,
    runtime: Runtime,
    fast: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    account = pinterest.connect(api)
    set_options(request, pinterest.sandbox, board_pins_delay_seconds=1.0)
    pinterest.sandbox.add_failure(
        preset="server_error",
        endpoint="pins_create",
        after_commit=True,
        user_id=pinterest.user_id(account),
    )
    post_id = post_to(api, [account], slideshow(web, 1))
    post = wait_post(api, post_id, statuses=("posted",))
    (pin,) = pinterest.pins(account)
    target = target_of(runtime, post_id)
    assert reconciled(target)["decision"] == "posted"
    assert target.platform_post_id == pin["id"]
    assert post["accounts"]["states"][0]["published_url"].endswith(f"/pin/{pin['id']}/")
    assert [d for d in pinterest.sandbox.duplicate_pins() if pin["id"] in d["pin_ids"]] == []


def test_pinterest_5xx_before_storing_is_resent_once(
    api: ApiClient,
    pinterest: PinterestEnv,
    web: Web,
    runtime: Runtime,
    fast: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    account = pinterest.connect(api)
    set_options(request, pinterest.sandbox, board_pins_delay_seconds=0.0)
    pinterest.sandbox.add_failure(
        preset="server_error", endpoint="pins_create", user_id=pinterest.user_id(account)
    )
    post_id = post_to(api, [account], slideshow(web, 1))
    wait_target(runtime, post_id, lambda t: reconciled(t).get("rounds", 0) >= 2)
    assert pinterest.pins(account) == []
    fast.advance(WINDOW + LIST_DELAY + 1)
    wait_post(api, post_id, statuses=("posted",))
    target = target_of(runtime, post_id)
    assert reconciled(target)["decision"] == "not_posted" and target.attempt == 2
    assert len(pinterest.pins(account)) == 1


# -- Instagram --------------------------------------------------------------------------------


def test_instagram_published_container_is_found_posted(
    api: ApiClient,
    instagram: InstagramEnv,
    web: Web,
    runtime: Runtime,
    fast: ManualClock,
    request: pytest.FixtureRequest,
) -> None:
    """The answer of media_publish was lost (forced: the target is put back to
    outcome_unknown without its media id): the container reads PUBLISHED and the media list
    gives the id and permalink."""
    set_options(request, instagram.sandbox, media_list_delay_seconds=0.0)
    account = instagram.connect(api)
    post_id = post_to(api, [account], slideshow(web, 1))
    wait_post(api, post_id, statuses=("posted",))
    with runtime.db.session() as session:
        target = session.scalar(
            sa.select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))
        )
        assert target is not None
        media_id = target.platform_post_id
        progress = dict(target.progress or {})
        assert progress["sending"]["settings"]["creation_id"]
        progress.pop("ref", None)
        target.progress = progress
        target.status, target.platform_post_id, target.published_url = "outcome_unknown", None, None
        target.publish_id = None
        session.get(Post, target.post_id).status = "outcome_unknown"  # type: ignore[union-attr]
        target_id, revision = str(target.id), target.revision
    reconcile.enqueue_reconcile(target_id, revision, 1)
    post = wait_post(api, post_id, statuses=("posted",))
    target = target_of(runtime, post_id)
    assert reconciled(target)["decision"] == "posted" and target.platform_post_id == media_id
    assert "is PUBLISHED" in reconciled(target)["reads"][-1]["evidence"]
    assert post["accounts"]["states"][0]["published_url"].startswith("https://www.instagram.com/p/")
    assert [d for d in instagram.sandbox.duplicate_media() if media_id in d["media_ids"]] == []


# -- the decision rule ------------------------------------------------------------------------


def test_a_list_decides_not_posted_only_when_nothing_unexplained_is_in_the_window() -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    end = start + timedelta(seconds=WINDOW)
    delay = timedelta(seconds=LIST_DELAY)
    after = end + delay + timedelta(seconds=1)

    def verdict(reading: Reading, now: datetime, known: frozenset[str] = frozenset()) -> str:
        return str(
            reconcile.decide(
                reading,
                now=now,
                window_start=start,
                window_end=end,
                list_delay=delay,
                known_ids=known,
            )["decision"]
        )

    def seen(post_id: str, matches: bool, at: datetime = start) -> Seen:
        return Seen(post_id, None, at + timedelta(seconds=5), matches)

    empty = Reading("listed", "empty list")
    assert verdict(empty, end) == "wait"  # the list may not show it yet
    assert verdict(empty, after) == "not_posted"
    assert verdict(Reading("listed", "x", complete=False), after) == "wait"
    assert verdict(Reading("listed", "x", authoritative=False), after) == "wait"
    other = Reading("listed", "x", listed=(seen("9", False),))
    assert verdict(other, after) == "wait"  # a post we cannot explain: never not_posted
    assert verdict(other, after, frozenset({"9"})) == "not_posted"  # another target's post
    assert verdict(Reading("listed", "x", listed=(seen("1", True),)), start) == "posted"
    two = Reading("listed", "x", listed=(seen("1", True), seen("2", True)))
    assert verdict(two, after) == "wait"
    late = Reading("listed", "x", listed=(seen("3", True, end + timedelta(minutes=5)),))
    assert verdict(late, after) == "not_posted"  # made after the window: not this send
    assert verdict(Reading("absent", "container FINISHED"), start) == "wait"
    assert verdict(Reading("absent", "container FINISHED"), end) == "not_posted"
    assert verdict(Reading("unknown", "no scope", final=True), start) == "undecided"
    two_days = after + timedelta(days=2)  # an old unknown outcome is never re-sent by itself
    assert verdict(empty, two_days) == "undecided"
    assert verdict(Reading("absent", "container FINISHED"), two_days) == "undecided"


def test_instagram_reading_of_an_unpublished_container_is_absent(
    api: ApiClient, instagram: InstagramEnv, web: Web, runtime: Runtime
) -> None:
    """The adapter's read over HTTP: a FINISHED container was never published."""
    from slideforge.accounts.tokens import access_token
    from slideforge.publishing.platforms.instagram import Instagram

    account = instagram.connect(api)
    adapter = Instagram.from_settings(runtime.settings)
    token = access_token(runtime, account)
    ig_user_id = instagram.ig_user_id(account)
    request = PublishRequest(
        kind="slideshow",
        caption=f"unpublished {uuid.uuid4().hex[:6]}",
        image_urls=tuple(slideshow(web, 1, (1080, 1350))["urls"]),
        username="x",
        account={"login": "instagram", "ig_user_id": ig_user_id},
    )
    staged = adapter.stage(token, request, {})
    deadline = time.monotonic() + 10
    while not staged.ready and time.monotonic() < deadline:
        time.sleep(0.3)
        staged = adapter.stage(token, request, staged.progress)
    assert staged.ready
    since = datetime.now(UTC) - timedelta(minutes=1)
    reading = adapter.reconcile(token, request, {"settings": staged.settings}, since)
    assert reading.state == "absent" and "FINISHED" in reading.evidence
    listing = adapter.reconcile(token, request, {}, since)  # no container: the media list
    assert listing.state == "listed" and listing.complete and listing.listed == ()
