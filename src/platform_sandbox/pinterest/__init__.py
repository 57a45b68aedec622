r"""Pinterest API v5 sandbox: a real HTTP server built from Pinterest's documentation and
OpenAPI description (``docs/platforms.md``, "Pinterest" and its "Pinterest sandbox
checklist"), for the product's Pinterest adapter, dry runs and tests.

Use::

    sandbox = PinterestSandbox(clock=ManualClock())        # or SystemClock (default)
    server = serve_in_thread(create_app(sandbox))
    sandbox.update_app(sandbox.apps()[0].client_id, redirect_uris=[...])
    tokens = sandbox.issue_tokens(sandbox.users()[0].id)   # or the OAuth dance

Every admin action is also reachable over HTTP under ``/__sandbox/`` (see ``create_app``).

Layout (one module per API area, the shared mechanics in ``platform_sandbox.common``):
``config`` (options, apps, users, failure rules), ``errors``, ``records``, ``state``
(``PinterestState``: records, failure rules, views), ``access`` (Bearer tokens, scopes,
rate limits), ``auth`` (OAuth, token API), ``boards`` (user account, boards), ``media``
(video uploads and the stand-in bucket), ``pins`` and ``images`` (pin creation), ``sandbox``
(``PinterestSandbox``: the areas behind ``handle``), ``admin`` and ``app`` (HTTP).

Reproduced (documented behaviour):

- OAuth: ``GET /oauth/`` (www.pinterest.com) checks client_id, the exact registered
  redirect_uri, ``response_type=code`` and the scope list, then redirects 302 to
  ``redirect_uri?code=…&state=…``. ``POST /v5/oauth/token`` takes a urlencoded form and
  HTTP Basic ``client_id:client_secret`` (401 ``{"code": 2, "message": "Authentication
  failed."}`` otherwise); ``authorization_code`` codes are single-use, expire and need the
  same redirect_uri; ``refresh_token`` issues a new access token and a new continuous
  refresh token (60 days from the refresh, refreshable indefinitely); the old refresh token
  dies on use unless ``keep_old_refresh_token``; an optional narrower ``scope`` is honoured;
  apps created before 25 Sep 2025 (``continuous_refresh_default=False``) must send
  ``continuous_refresh=true``. Answers carry ``access_token`` (``pina_…``), ``refresh_token``
  (``pinr_…``), ``response_type``, ``token_type``, ``expires_in`` (30 d), ``scope``,
  ``refresh_token_expires_in`` and ``refresh_token_expires_at``.
- Bearer endpoints with the scopes of the OpenAPI description: ``GET /v5/user_account``,
  ``GET /v5/boards`` (``page_size`` 1–250, default 25, opaque ``bookmark`` paging, privacy
  filter, secret boards only with ``boards:read_secret``), ``GET /v5/boards/{id}``,
  ``GET /v5/boards/{id}/pins`` (newest first, ``page_size`` 1–250, ``bookmark`` paging; a
  pin shows there ``board_pins_delay_seconds`` after its creation),
  ``POST /v5/boards`` (duplicate name → code 58, secret/protected boards need
  ``boards:write_secret``), ``POST /v5/media`` (201 ``{media_id, media_type, upload_url,
  upload_parameters}``), ``GET /v5/media/{id}`` (``registered`` → ``processing`` after the
  upload → ``succeeded`` | ``failed`` after ``media_processing_seconds``), ``POST /v5/pins``,
  ``GET /v5/pins/{id}`` (404 code 50), ``GET /v5/pins`` (the user's pins newest first,
  ``page_size``/``bookmark``), ``GET /v5/pins/{id}/analytics`` (``start_date`` at most 90
  days back and ``end_date`` not before it, else 400 code 1; ``metric_types`` IMPRESSION,
  SAVE, PIN_CLICK, OUTBOUND_CLICK; ``app_types``, ``split_field`` NO_SPLIT | APP_TYPE;
  ``{"all": {daily_metrics, summary_metrics, lifetime_metrics}}``). The counters grow on
  the sandbox clock from ``metrics_seed`` (``platform_sandbox.common.engagement``); the
  user account's ``follower_count`` and ``monthly_views`` add what the pins bring.
- The upload URL is served by the sandbox itself, standing in for the S3 bucket: a
  multipart POST that must echo every upload parameter unchanged, before a ``file`` part,
  within the policy's lifetime → 204; S3-style XML errors otherwise.
- Pin creation: ``board_id`` must match ``^\d+$`` (400) and be the user's board (404
  ``{"code": 40, "message": "Board not found."}``); title ≤ 100, description ≤ 800,
  link ≤ 2048 and a valid http(s) URL, alt_text ≤ 500, dominant_color ``#RRGGBB``;
  ``media_source`` by ``source_type``: ``image_url`` (really downloaded: connection failure or
  timeout → 400 "Unable to reach the URL…", HTTP error → 400 "Sorry we could not fetch the
  image.", not an image → 403 code 235), ``image_base64`` (image/jpeg or image/png),
  ``multiple_image_urls`` / ``multiple_image_base64`` (2–5 items: "constraint: minItems=2" /
  "constraint: maxItems=5"; "Pinterest Images must have the same width/height ratios." by
  default), ``video_id`` (a cover is required; the media must be the user's and
  ``succeeded``). 201 with the Pin object (numeric-string ``id``, ``created_at``,
  ``board_id``, ``media``); no idempotency key, so a retried create duplicates a pin.
- Errors ``{"code": int, "message": str}`` with HTTP 400/401/403/404/429: 401 code 2 for a
  missing, unknown, expired or revoked token, 401 code 29 "You are not permitted to access
  that resource." for a missing scope, 429 code 8 on rate limits.
- Rate limits: Standard access counts per user per app per category (org_read, org_write)
  in a sliding minute plus 100 requests per second; Trial access counts per app per day
  (1000 for everything, plus per-category limits), and pins and boards created with Trial
  access are flagged visible only to their creator (``trial_blocks_pin_create`` reproduces
  production's 403 code 29 instead). ``x-ratelimit-limit``/``-remaining``/``-reset``
  headers on every Bearer answer.

Deliberate deviations (sandbox conveniences, or where the documentation is silent):

- One host serves www.pinterest.com/oauth/, api.pinterest.com/v5 and the upload bucket
  (``/pinterest-media-upload/``); the authorize page answers JSON errors, not HTML.
- Nobody clicks "Give access": authorize approves at once as ``sandbox_user`` (id or
  username) or the app's default user; ``sandbox_decision=deny`` redirects with
  ``error=access_denied``; ``sandbox_scopes=a,b`` grants a subset.
- Media URLs may be plain ``http://`` on loopback; Pinterest fetches public URLs. Images are
  checked for reachability, format (JPEG, PNG, WebP, GIF, BMP, TIFF) and size
  (``image_max_bytes``); uploaded videos for an MP4/MOV/M4V container, then their streams
  with PyAV (``probe_mp4``): H.264/H.265, 4 s–15 min, aspect 1:2…1.91:1, else the media
  ends ``failed`` (the reason in the admin view only, as Pinterest says no more). With
  ``video_stream_checks="readable"`` (the default) a file in which PyAV finds no video
  stream (older tests' hand-built containers) passes on its container alone.
- Undocumented details chosen here: invalid grants answer 400 code 283; a legacy app
  without ``continuous_refresh=true`` gets 400 code 1 (the 365-day token is gone); the
  category limits' numbers (org_read 1000/min, org_write 100/min Standard; 1000/day each
  on Trial) are configurable defaults; 5xx bodies use the HTTP status as ``code``; board
  sections are not modelled (any ``board_section_id`` → 404 code 2031); a video pin whose
  media is not ``succeeded`` answers 400 code 1; the token endpoint is not rate limited.
"""

from platform_sandbox.common import SandboxError
from platform_sandbox.pinterest.app import create_app
from platform_sandbox.pinterest.config import (
    PRESETS,
    SCOPES,
    FailureRule,
    PinterestApp,
    PinterestOptions,
    PinterestUser,
)
from platform_sandbox.pinterest.errors import PinterestError
from platform_sandbox.pinterest.sandbox import PinterestSandbox

__all__ = [
    "PRESETS",
    "SCOPES",
    "FailureRule",
    "PinterestApp",
    "PinterestError",
    "PinterestOptions",
    "PinterestSandbox",
    "PinterestUser",
    "SandboxError",
    "create_app",
]
