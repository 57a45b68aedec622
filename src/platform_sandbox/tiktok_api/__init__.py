"""TikTok Content Posting API sandbox: a real HTTP server built from TikTok's documentation
(``docs/platforms.md``, "TikTok" and its "TikTok sandbox checklist"), for the product's
TikTok adapter, dry runs and tests.

Use::

    sandbox = TikTokSandbox(clock=ManualClock())          # or SystemClock (default)
    server = serve_in_thread(create_app(sandbox))
    sandbox.update_app(redirect_uris=[...], verified_url_prefixes=[...])
    tokens = sandbox.issue_tokens(sandbox.users()[0].open_id)   # or the OAuth dance

Everything is also reachable over HTTP under ``/__sandbox/`` (``admin.admin_call``):
``app``, ``users[/<open_id>[/revoke|/expire_tokens|/external_posts]]``, ``tokens``, ``tick``,
``publishes[/<publish_id>[/publish_draft|/discard_draft]]``, ``inbox/<publish_id>/publish``
(= ``publish_draft``), ``posts[/duplicates]``,
``requests`` and ``webhooks``; and, as on every platform (``common.platform_admin_call``),
``state``, ``reset``, ``options``, ``apps[/<app id>]`` (the one app), ``failures`` and
``clock[/advance|/set]``.

Layout: ``TikTokSandbox`` (``state.py``) is ``PlatformSandbox`` plus one class per API area:
``core`` (users, records, failure matching), ``pipeline`` (a publish after its init),
``auth`` (OAuth, tokens), ``publish`` (creator info, inits, status, cancel), ``upload``
(chunk PUTs), ``read`` (user info, video list), ``admin`` (drafts, inspection); ``fields``
reads request bodies, ``media`` pulls media, ``webhooks`` delivers events, ``app`` is HTTP.

Reproduced (documented behaviour):

- OAuth v2: ``GET /v2/auth/authorize/`` checks client_key, the exact registered redirect_uri,
  ``response_type=code``, the scope list (known and approved for the app) and PKCE
  (``code_challenge_method=S256``, challenge = hex SHA-256 of the verifier); redirects 302 to
  ``redirect_uri?code=…&scopes=…&state=…`` or ``?error=…&error_description=…&state=…``.
  Codes contain ``*`` and ``!`` so they must be URL-decoded. ``POST /v2/oauth/token/``
  (form): single-use, expiring codes; redirect_uri must equal the authorize one;
  code_verifier checked; refresh tokens rotate (old one dies → ``invalid_grant`` on reuse;
  option to keep it valid); flat success ``{open_id, scope, access_token, expires_in:86400,
  refresh_token, refresh_expires_in:31536000, token_type:"Bearer"}`` and flat errors
  ``{error, error_description, log_id}``. ``POST /v2/oauth/revoke/`` revokes the user's
  authorization of the app.
- ``GET /v2/user/info/?fields=``: only the requested fields, under ``data.user``; fields of
  ``user.info.profile`` / ``user.info.stats`` need those scopes (``scope_permission_missed``).
- Data endpoints always answer ``{data, error:{code, message, log_id}}`` (also for HTTP 200
  with an error); 401 ``access_token_invalid`` (missing, unknown, expired, revoked token),
  401 ``scope_not_authorized`` (video.publish for creator_info, video/init and DIRECT_POST
  photos; video.upload for inbox/init and MEDIA_UPLOAD photos; either for status/cancel),
  429 ``rate_limit_exceeded`` on per-token sliding windows (6/min per init endpoint, 20/min
  creator_info, 30/min status, 600/min each for user info, video list and video query).
- creator_info: nickname/username/avatar, privacy options of a public or private account,
  comment/duet/stitch flags (duet and stitch disabled for private accounts), max duration;
  HTTP 200 with ``spam_risk_too_many_posts`` / ``spam_risk_user_banned_from_posting`` /
  ``reached_active_user_cap`` and empty data.
- Photo init: PHOTO only, DIRECT_POST | MEDIA_UPLOAD, PULL_FROM_URL only, 1–35 URLs, cover
  index in range, title ≤ 90 and description ≤ 4000 UTF-16 code units, privacy required for
  DIRECT_POST and within the creator's options (403 ``privacy_level_option_mismatch``),
  unknown or missing fields → 400 ``invalid_param`` (or ``invalid_params``, configurable),
  ``app_version_check_failed`` for MEDIA_UPLOAD when the user's app is too old.
- Video inits: caption ≤ 2200 UTF-16 units; FILE_UPLOAD chunk rules (5–64 MB chunks, last
  chunk absorbs the remainder up to 128 MB, whole file when under 5 MB, count =
  floor(size / chunk), 1–1000 chunks); PULL_FROM_URL needs ``video_url``; inbox init takes
  ``source_info`` only. ``upload_url`` is ``<sandbox>/video/?upload_id=…&upload_token=…``.
- Chunk PUT: Content-Range/Content-Type/Content-Length checks (400), strict sequence (416),
  expired URL after 1 h (403), unknown task (404), 206 then 201, ``Content-Range: bytes
  0-N/TOTAL`` on answers.
- URL ownership: verified domains cover their subdomains (https, name hosts), verified URL
  prefixes match as exact string prefixes, IP hosts never match → 403
  ``url_ownership_unverified``.
- Account/app state: unaudited apps may only DIRECT_POST SELF_ONLY from private accounts
  (403 ``unaudited_client_can_only_post_to_private_accounts``) and reach at most 5 creators a
  day; creator cap (``reached_active_user_cap``); 15 direct posts per creator per rolling
  24 h, shared with other apps (``spam_risk_too_many_posts``); 5 pending inbox shares per
  rolling 24 h, freed when the user publishes or deletes the draft
  (``spam_risk_too_many_pending_share``); banned users
  (``spam_risk_user_banned_from_posting``).
- Status: ``PROCESSING_DOWNLOAD`` (growing ``downloaded_bytes``) / ``PROCESSING_UPLOAD``
  (``uploaded_bytes``) → ``PUBLISH_COMPLETE`` (direct) or ``SEND_TO_USER_INBOX`` (drafts) or
  ``FAILED`` with a documented ``fail_reason``; ``publicaly_available_post_id`` (sic) filled
  only for non-SELF_ONLY posts after the moderation delay. PULL_FROM_URL media is really
  downloaded (httpx, no redirects followed): HTTP error, redirect, timeout →
  ``photo_pull_failed`` / ``video_pull_failed``; not JPEG/WebP → ``file_format_check_failed``;
  short side > 1080 px or > 20 MB → ``picture_size_check_failed``. Cancel while media is
  still arriving → ``publish_cancelled``; afterwards ``publish_not_cancellable``.
- Display API ``POST /v2/video/list/?fields=…`` (scope ``video.list``, else 401
  ``scope_not_authorized``; 600/min): the user's PUBLIC_TO_EVERYONE posts newest first,
  ``max_count`` 1–20 (default 10), ``cursor`` a UTC time in ms (posts created before it),
  answering ``{videos, cursor, has_more}`` with the requested video-object fields only; a
  post shows ``video_list_delay_seconds`` (3 s) after it was published.
- Display API ``POST /v2/video/query/?fields=…`` with ``{"filters": {"video_ids": [...]}}``
  (1–20 ids, scope ``video.list``, 600/min): the token user's public posts among the ids
  (past moderation); other users' and unknown ids are left out of ``videos``.
- Counters grow on the sandbox clock: ``view_count`` saturates along a curve of the post's
  age whose ceiling and pace come from ``sha256(metrics_seed, post id)``; likes, comments
  and shares are fractions of the views (``platform_sandbox.common.engagement``). User info's
  ``follower_count``/``likes_count``/``video_count`` add what the public posts bring to the
  configured values.
- Webhooks to ``app.webhook_url``: ``post.publish.failed|complete|inbox_delivered|
  publicly_available`` and ``authorization.removed``, body with ``content`` as a JSON string,
  ``TikTok-Signature: t=<ts>,s=<HMAC-SHA256(client_secret, "<ts>.<body>")>``, retried until
  200, optionally duplicated.

Deliberate deviations (sandbox conveniences, or where the documentation is silent):

- One host serves everything: the authorize page, the API and the upload URL (TikTok uses
  www.tiktok.com, open.tiktokapis.com and open-upload.tiktokapis.com).
- Nobody clicks "Authorize": the page approves at once as ``sandbox_user`` (query param) or
  ``app.default_user``; ``sandbox_decision=deny`` gives ``access_denied`` and
  ``sandbox_scopes=a,b`` grants only a subset. Redirect URIs may be ``http://`` on loopback.
- ``allow_loopback_url_prefixes`` (off by default) lets ``http(s)://127.0.0.1:<port>/…``
  (or localhost, ::1) prefixes verify, and media there be pulled over plain http; TikTok
  never verifies IP hosts and requires https. Domain verification still needs https.
- Durations are short and configurable (download 1 s, processing 1 s, moderation 2 s on the
  sandbox clock). The pull itself starts at init on a worker thread. On a ManualClock the
  download takes exactly ``download_seconds`` of sandbox time: any call that looks at a
  publish whose download time is up first waits (real time, at most
  ``status_wait_seconds``, outside the lock) for a pull still running, so results do not
  depend on thread timing; the 1 h pull deadline applies on a real clock only (there a
  download ends when the pull really ends, if later). A hanging media server still fails the
  pull after ``pull_timeout_seconds`` of real time.
- Unaudited rules apply to DIRECT_POST only (drafts are finished in the app by the user); the
  private-account half is switchable (``unaudited_requires_private_account``) because some
  integrators report that SELF_ONLY alone suffices.
- Direct posts that end FAILED do not count against the daily cap; the pending-share cap
  counts inbox publishes of the last 24 h that are not FAILED, published or deleted.
- Video content: the container is sniffed (MP4/MOV/WebM), then its streams are read with
  PyAV (``probe_mp4``, headers only) as TikTok checks them: codec H.264/H.265/VP8/VP9
  (``file_format_check_failed``), duration ≤ the creator's ``max_video_post_duration_sec``
  (``duration_check_failed``), 23–60 fps (``frame_rate_check_failed``), 360–4096 px per
  side (``picture_size_check_failed``). Deviation: with ``video_stream_checks="readable"``
  (the default) a file in which PyAV finds no video stream (the hand-built containers of
  older tests) passes on its container alone; ``"strict"`` refuses it, ``"off"`` skips the
  stream checks; files over ``video_probe_max_bytes`` are checked by container only. A FILE_UPLOAD whose URL expires before the last chunk stays ``PROCESSING_UPLOAD``.
- Undocumented details chosen here: creator_info 200-with-error answers carry empty data;
  ``token_not_authorized_for_specified_publish_id`` is HTTP 401 and
  ``publish_not_cancellable`` HTTP 400; OAuth errors use HTTP 400 (configurable, TikTok
  sometimes answers 200); revoke answers ``{}``; a chunk whose end does not match the
  declared chunk_size is a 400; a chunk PUT after completion is a 416; ``fail_reason`` only
  appears when FAILED. ``MB`` in the chunk rules means MiB (configurable).
- ``post.publish.publicly_available`` carries ``post_id`` as a string.
"""

from platform_sandbox.common import SandboxError
from platform_sandbox.tiktok_api.app import create_app
from platform_sandbox.tiktok_api.config import (
    DEFAULT_USER,
    FAIL_REASONS,
    KNOWN_SCOPES,
    PRIVACY_LEVELS,
    SandboxApp,
    SandboxOptions,
    SandboxUser,
)
from platform_sandbox.tiktok_api.records import ApiFailure, FailureRule, OAuthFailure
from platform_sandbox.tiktok_api.state import TikTokSandbox
from platform_sandbox.tiktok_api.webhooks import sign as sign_webhook

__all__ = [
    "DEFAULT_USER",
    "FAIL_REASONS",
    "KNOWN_SCOPES",
    "PRIVACY_LEVELS",
    "ApiFailure",
    "FailureRule",
    "OAuthFailure",
    "SandboxApp",
    "SandboxError",
    "SandboxOptions",
    "SandboxUser",
    "TikTokSandbox",
    "create_app",
    "sign_webhook",
]
