"""``PublishPipeline``: what happens to a publish after its init, on the sandbox clock:
the media pull, processing, the end states (FAILED, PUBLISH_COMPLETE, SEND_TO_USER_INBOX),
moderation, the webhooks every step fires, and the ticker that moves them on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime

from platform_sandbox.tiktok_api import media
from platform_sandbox.tiktok_api.core import TikTokCore
from platform_sandbox.tiktok_api.records import Publish, PublishedPost
from platform_sandbox.tiktok_api.webhooks import build_event, sign

POST_ID_BASE = 7_468_000_000_000_000_000


class PublishPipeline(TikTokCore):
    """The per-publish state machine, its background threads (media pulls, the ticker, the
    webhook dispatcher) and the clock API that drives it."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the ticker that advances time-based states and fires webhooks (the app's
        lifespan calls this; idempotent)."""
        with self._lock:
            if self._ticker is not None and self._ticker.is_alive():
                return
            self._ticker_stop.clear()
            self._ticker = threading.Thread(
                target=self._tick_loop, name="tiktok-sandbox-ticker", daemon=True
            )
            self._ticker.start()

    def close(self) -> None:
        """Stop the ticker, the webhook thread and the media pull workers."""
        self._ticker_stop.set()
        ticker = self._ticker
        if ticker is not None:
            ticker.join(5)
        self._ticker = None
        self._webhooks.stop()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _tick_loop(self) -> None:
        while not self._ticker_stop.wait(self._options.tick_interval_seconds):
            self.tick()

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._options.fetch_workers, thread_name_prefix="tiktok-sandbox-pull"
            )
        return self._executor

    # ------------------------------------------------------------------ clock API

    def advance_clock(self, seconds: float) -> datetime:
        when = super().advance_clock(seconds)
        self.tick()
        return when

    def set_clock(self, when: datetime) -> datetime:
        super().set_clock(when.astimezone(UTC))
        return self.tick()

    def tick(self) -> datetime:
        """Advance every publish to what the clock says (fires due webhooks); returns now."""
        self._await_due_pulls()
        with self._lock:
            return self._advance_all()

    def _advance_all(self) -> datetime:
        when = self.clock.now()
        now = when.timestamp()
        for pub in list(self._publishes.values()):
            if not pub.terminal:
                self._advance(pub, now)
        return when

    def _await_due_pulls(self, only: Publish | None = None) -> None:
        """Wait (real time, at most ``status_wait_seconds``, never holding the lock) for
        media pulls whose download time is up on the sandbox clock but that still run."""
        with self._lock:
            now = self._now()
            due = now - self._options.download_seconds
            candidates = [only] if only is not None else list(self._publishes.values())
            futures = [
                pub.pull_future
                for pub in candidates
                if pub.phase == "download"
                and pub.pull is None
                and pub.pull_future is not None
                and pub.created_at <= due
            ]
            timeout = self._options.status_wait_seconds
        if futures and timeout > 0:
            wait(futures, timeout=timeout)

    # ------------------------------------------------------------------ media pull

    def _start_pull(self, pub: Publish) -> None:
        pub.pull_future = self._pool().submit(self._run_pull, pub)

    def _run_pull(self, pub: Publish) -> None:
        opts = self.options
        if pub.media_type == "PHOTO":
            outcome = media.pull_photos(
                pub.photo_urls,
                timeout=opts.pull_timeout_seconds,
                max_bytes=opts.photo_max_bytes,
                max_short_side=opts.photo_max_short_side,
            )
        else:
            with self._lock:
                user = self._users.get(pub.open_id)
                max_duration = user.max_video_post_duration_sec if user is not None else 600
            outcome = media.pull_video(
                pub.video_url or "",
                timeout=opts.pull_timeout_seconds,
                max_bytes=opts.max_video_bytes,
                check_container=opts.check_video_container,
                stream_checks=opts.video_stream_checks,
                probe_max_bytes=opts.video_probe_max_bytes,
                max_duration_sec=max_duration,
            )
        with self._lock:
            if self._publishes.get(pub.publish_id) is pub:
                pub.pull = outcome
                pub.pull_finished_at = self._now()

    def wait_for_pulls(self, timeout: float = 10.0) -> bool:
        """Block (real time) until every media pull started so far has finished; False on
        timeout. Tests use it to observe a download mid-way without racing the pull."""
        with self._lock:
            futures = [
                pub.pull_future
                for pub in self._publishes.values()
                if pub.pull_future is not None and pub.pull is None
            ]
        _done, pending = wait(futures, timeout=timeout)
        return not pending

    # ------------------------------------------------------------------ the state machine

    def _fail(self, pub: Publish, reason: str, at: float) -> None:
        pub.phase = "failed"
        pub.set_status("FAILED", at, reason)
        pub.completed_at = at
        self._emit(
            "post.publish.failed",
            pub.open_id,
            {"publish_id": pub.publish_id, "reason": reason, "publish_type": pub.publish_type},
            at,
        )

    def _advance(self, pub: Publish, now: float) -> None:
        """Move ``pub`` forward to what ``now`` implies. Idempotent."""
        if pub.phase == "download" and not self._advance_download(pub, now):
            return
        if pub.phase == "upload":
            return  # the chunk PUTs move it on
        if pub.phase == "processing":
            self._advance_processing(pub, now)
        if (
            pub.phase == "done"
            and pub.moderation_due_at is not None
            and not pub.public_post_ids
            and now >= pub.moderation_due_at
            and pub.post_id is not None
        ):
            pub.public_post_ids = [pub.post_id]
            for post in self._posts:
                if post.publish_id == pub.publish_id:
                    post.publicly_available_at = pub.moderation_due_at
            self._emit(
                "post.publish.publicly_available",
                pub.open_id,
                {
                    "publish_id": pub.publish_id,
                    "publish_type": pub.publish_type,
                    "post_id": str(pub.post_id),
                },
                pub.moderation_due_at,
            )

    def _advance_download(self, pub: Publish, now: float) -> bool:
        """The download of a PULL_FROM_URL publish; True when its media is ready."""
        opts = self._options
        due = pub.created_at + opts.download_seconds
        if pub.pull is not None and pub.pull_finished_at is not None:
            # A ManualClock download takes exactly download_seconds of sandbox time (a pull
            # still running then is waited for by status); on a real clock it ends when
            # the pull really ended, if that is later.
            ready = due if self.manual_clock else max(due, pub.pull_finished_at)
            total = pub.pull.total_bytes
            if now < ready:
                span = ready - pub.created_at
                fraction = 1.0 if span <= 0 else (now - pub.created_at) / span
                pub.downloaded_bytes = int(total * max(0.0, min(1.0, fraction)))
                return False
            pub.downloaded_bytes = total
            if pub.pull.fail_reason is not None:
                self._fail(pub, pub.pull.fail_reason, ready)
                return False
            pub.phase = "processing"
            pub.media_ready_at = ready
            return True
        if not self.manual_clock and now >= pub.created_at + opts.pull_deadline_seconds:
            reason = "photo_pull_failed" if pub.media_type == "PHOTO" else "video_pull_failed"
            self._fail(pub, reason, pub.created_at + opts.pull_deadline_seconds)
        return False

    def _advance_processing(self, pub: Publish, now: float) -> None:
        assert pub.media_ready_at is not None
        done_at = pub.media_ready_at + self._options.processing_seconds
        if now < done_at:
            return
        fail_reason = pub.media_fail_reason or pub.injected_fail_reason
        if fail_reason is not None:
            self._fail(pub, fail_reason, done_at)
            return
        pub.phase = "done"
        pub.completed_at = done_at
        if pub.inbox_flow:
            pub.draft_state = "in_inbox"
            pub.set_status("SEND_TO_USER_INBOX", done_at)
            self._emit(
                "post.publish.inbox_delivered",
                pub.open_id,
                {"publish_id": pub.publish_id, "publish_type": pub.publish_type},
                done_at,
            )
        else:
            self._complete(pub, pub.privacy_level or "SELF_ONLY", done_at)

    def _complete(
        self,
        pub: Publish,
        privacy: str,
        at: float,
        *,
        title: str | None = None,
        description: str | None = None,
    ) -> None:
        """The post is on the creator's profile (Direct Post done, or draft published; the
        creator may have edited the draft's texts in the app)."""
        pub.post_id = POST_ID_BASE + pub.seq
        pub.set_status("PUBLISH_COMPLETE", at)
        if privacy != "SELF_ONLY":
            pub.moderation_due_at = at + self._options.moderation_seconds
        pulled = [item.sha256 for item in pub.pull.items] if pub.pull else []
        if pub.media_type == "PHOTO":
            if title is None:
                title = str(pub.post_info.get("title") or "")
            if description is None:
                description = str(pub.post_info.get("description") or "")
            urls = list(pub.photo_urls)
            hashes = pulled
        else:
            title = title or ""
            if description is None:
                description = str(pub.post_info.get("title") or "")
            urls = [pub.video_url] if pub.video_url else []
            hashes = [pub.upload.sha256] if pub.upload is not None else pulled
        self._posts.append(
            PublishedPost(
                post_id=pub.post_id,
                publish_id=pub.publish_id,
                open_id=pub.open_id,
                client_key=pub.client_key,
                media_type=pub.media_type,
                post_mode=pub.post_mode,
                title=title,
                description=description,
                privacy_level=privacy,
                media_urls=urls,
                media_sha256=hashes,
                published_at=at,
            )
        )
        self._emit(
            "post.publish.complete",
            pub.open_id,
            {"publish_id": pub.publish_id, "publish_type": pub.publish_type},
            at,
        )

    def _emit(self, event: str, open_id: str, content: dict[str, object], at: float) -> None:
        """Queue the webhook ``event`` to the app's webhook URL (none without one)."""
        app = self._served_app
        if not app.webhook_url:
            return
        body = build_event(
            client_key=app.client_key,
            event=event,
            create_time=int(at),
            open_id=open_id,
            content=content,
        )
        self._webhooks.enqueue(
            event=event,
            url=app.webhook_url,
            body=body,
            signature=sign(app.client_secret, int(self._now()), body),
            copies=self._options.webhook_duplicates,
            retry_delays=list(self._options.webhook_retry_delays),
            timeout=self._options.webhook_timeout_seconds,
        )
