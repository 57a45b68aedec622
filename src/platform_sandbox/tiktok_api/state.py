"""``TikTokSandbox``: the TikTok sandbox's state and rules, behind one lock, put together
from one class per API area (each a file of this package):

- ``core.TikTokCore``: ``PlatformSandbox``'s clock, options, registered app, failure rules,
  request log and reset, plus the users and the TikTok way of matching failure rules;
- ``pipeline.PublishPipeline``: what happens to a publish after its init (media pull,
  processing, end states, moderation, webhooks, the ticker);
- ``auth.OAuthArea``: OAuth v2 and tokens, the head of every data endpoint;
- ``publish.PublishArea``: creator info, the three inits, status and cancel;
- ``upload.UploadArea``: the chunk PUTs of a FILE_UPLOAD;
- ``read.ReadArea``: user info and the Display API's video list;
- ``admin.AdminArea``: drafts the creator finishes, inspection, the state summary.

The HTTP layer (``app.py``) only parses requests and shapes responses."""

from __future__ import annotations

from platform_sandbox.tiktok_api.admin import AdminArea
from platform_sandbox.tiktok_api.config import DEFAULT_USER
from platform_sandbox.tiktok_api.publish import PublishArea
from platform_sandbox.tiktok_api.read import ReadArea
from platform_sandbox.tiktok_api.upload import UploadArea

__all__ = ["DEFAULT_USER", "TikTokSandbox"]


class TikTokSandbox(ReadArea, PublishArea, UploadArea, AdminArea):
    """In-memory TikTok Content Posting API: OAuth, creator info, photo/video/inbox inits,
    chunked uploads, media pulls, the per-publish state machine, webhooks, caps, rate limits
    and failure injection. Thread-safe: every public method takes the one lock; media pulls
    and webhook deliveries run on background threads outside it."""
