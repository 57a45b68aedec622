"""Instagram Graph API sandbox: a real HTTP server built from Meta's documentation of content
publishing (``docs/platforms.md``, "Instagram" and its "Instagram sandbox checklist"), for
the product's Instagram adapter, dry runs and tests.

Use::

    sandbox = InstagramSandbox(clock=ManualClock())        # or SystemClock (default)
    server = serve_in_thread(create_app(sandbox))
    sandbox.update_app(sandbox.apps()[0].client_id, redirect_uris=[...])
    token = sandbox.issue_token(ig_user_id=sandbox.ig_users()[0].id)["access_token"]

Every admin action is also reachable over HTTP under ``/__sandbox/`` (see ``create_app``).

Layout (one module per API area, the shared mechanics in ``platform_sandbox.common``):
``config`` (options, accounts, failure rules), ``errors``, ``records``, ``state``
(``InstagramState``: records, failure rules, admin views), ``access`` (tokens, scopes,
usage limits), ``auth`` (both login models, token API), ``read`` (nodes, media list,
publishing limit), ``media`` and ``checks`` (containers, publishing), ``sandbox``
(``InstagramSandbox``: the areas behind ``handle``), ``admin`` and ``app`` (HTTP).

Reproduced (documented behaviour):

- Paths with or without any ``vNN.N`` prefix; parameters in the query string, a urlencoded
  or multipart form body, or a JSON body; the token as ``access_token`` or an
  ``Authorization: Bearer|OAuth`` header.
- Instagram Login: ``GET /oauth/authorize`` (client_id, exact registered redirect_uri,
  ``response_type=code``, ``instagram_business_*`` scopes, state) redirects 302 to
  ``redirect_uri?code=…&state=…#_`` (Instagram appends ``#_``); ``POST /oauth/access_token``
  (``grant_type=authorization_code``, single-use code, same redirect_uri) answers
  ``{"data":[{access_token, user_id, permissions}]}`` with a 1 h token (flat shape optional)
  and errors in api.instagram.com's shape ``{error_type, code, error_message}``;
  ``GET /access_token?grant_type=ig_exchange_token`` gives a 60-day token
  (``expires_in: 5183944``); ``GET /refresh_access_token?grant_type=ig_refresh_token``
  refuses short-lived tokens, tokens younger than 24 h and expired ones, and returns a
  token valid 60 days from the refresh.
- Facebook Login: ``GET /dialog/oauth`` redirects to ``redirect_uri?code=…&state=…#_=_``;
  ``GET /oauth/access_token`` exchanges the code (subcodes 36007/36008/36009) for a
  short-lived user token and ``grant_type=fb_exchange_token`` for a ~60-day one;
  ``GET /me/accounts`` lists managed Pages with Page tokens (non-expiring when minted from a
  long-lived user token); ``GET /{page-id}?fields=access_token,instagram_business_account``;
  ``GET|DELETE /me/permissions``; ``GET /me?fields=…``.
- Publishing: ``POST /{ig-user-id}/media`` (IMAGE implicit, ``is_carousel_item``, VIDEO only
  as a carousel item, REELS, STORIES, CAROUSEL with ``children``), ``GET /{container-id}?
  fields=status_code,status``, ``POST /{ig-user-id}/media_publish?creation_id=…``,
  ``GET /{media-id}?fields=permalink,…`` (plus ``/children`` and ``GET /{ig-user-id}/media``:
  newest first, ``limit`` ≤ 100, ``after``/``before`` cursors and ``paging.next``; a media
  shows there ``media_list_delay_seconds`` after it was published),
  ``GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config[&since=]``.
- Insights: ``GET /{ig-media-id}/insights?metric=views,reach,saved,shares,likes,comments,
  total_interactions`` (``period: lifetime``; needs ``instagram_business_manage_insights`` /
  ``instagram_manage_insights``, else (#10)); the deprecated ``impressions``, ``plays``,
  ``video_views`` and a carousel child answer code 100. The counters grow on the sandbox
  clock from ``metrics_seed`` (``platform_sandbox.common.engagement``); ``like_count``,
  ``comments_count`` and the account's ``followers_count`` show the same growth.
- The Graph error envelope ``{"error": {message, type, code, error_subcode, is_transient,
  error_user_title, error_user_msg, fbtrace_id}}``: 190 with subcodes 458/459/460/463/467
  for revoked or expired tokens, 104 without a token, 10 for a missing permission, 100/33
  for objects the token cannot see, and the publishing codes of the error table:
  100/2207023 media type, 100/2207028 carousel size, 24/2207006 unknown child or container,
  -2/2207020 expired child, 36004/2207010 caption > 2200 chars, 100/2207040 > 20 mentions,
  9004/2207052 unreachable media, -2/2207003 download timeout, 36001/2207005 not JPEG,
  36000/2207004 > 8 MiB, 36003/2207009 aspect outside 4:5…1.91:1, 352/2207026 video not
  MP4/MOV, 1/2207057 ``thumb_offset`` beyond the video, 9/2207042 publishing quota,
  9007/2207027 not FINISHED, 24/2207008 expired container, 25/2207050 restricted account,
  4/2207051 spam, throttling 4/17/32/80002 with an ``X-Business-Use-Case-Usage`` header.
- Media URLs are really downloaded (httpx, redirects followed) when the container is
  created: JPEG sniffed from the bytes, size and aspect ratio checked (not for stories),
  video container sniffed, duration read for the ``thumb_offset`` check, and the video's
  streams read with PyAV (``probe_mp4``) as Meta checks a Reel: H.264/HEVC, 23–60 fps, long
  edge ≤ 1920 px, 3 s–15 min, AAC ≤ 48 kHz (352/2207026, in the container's status).
- Containers: IN_PROGRESS → FINISHED (images after ``image_processing_seconds``, videos
  after ``video_processing_seconds``), ERROR with a free-text ``status`` ("Error: Media
  upload has failed with error code 2207026"), EXPIRED 24 h after creation, PUBLISHED after
  media_publish; a CAROUSEL needs FINISHED children (9007/2207027 otherwise; optionally the
  parent is accepted and stays IN_PROGRESS until every child is FINISHED); 400
  containers per account per rolling 24 h (orphans count); the publishing quota (50 or
  100, configurable) per rolling 24 h, a carousel counting once.

Deliberate deviations (sandbox conveniences, or where the documentation is silent):

- One host serves the www.instagram.com, www.facebook.com, api.instagram.com,
  graph.instagram.com and graph.facebook.com paths; the adapter points all five base URLs
  at the sandbox. The authorize "pages" answer JSON errors instead of HTML.
- Nobody clicks "Allow": authorize approves at once as ``sandbox_user`` (an IG account id,
  app-scoped id or username for Instagram Login; a Facebook user id for Facebook Login) or
  the app's default user; ``sandbox_decision=deny`` redirects with ``error=access_denied``;
  ``sandbox_scopes=a,b`` grants a subset (the rest reads "declined" in /me/permissions).
- Media URLs may be plain ``http://`` on loopback (the product's own media server in tests);
  Meta needs a public URL. ``media_url`` of a published media is the source URL, not a CDN
  copy.
- Video errors surface as a container ERROR after the processing time by default
  (``video_errors="status"``) or as an error of the create call (``"response"``). Bitrate
  is not checked; with ``video_stream_checks="readable"`` (the default) a file in which
  PyAV finds no video stream (the hand-built containers of older tests) passes on its
  container alone (``"strict"`` refuses it). ``cover_url`` is fetched and must be a JPEG.
- Undocumented details chosen here: the 400-container limit answers code 9 without a
  subcode; more than 30 hashtags answers 100/2207040 like the mention limit; publishing a
  container twice answers code 100 "This media has already been published" (the container
  stays PUBLISHED); publishing a carousel item on its own answers code 100;
  ``ig_exchange_token`` on an already long-lived token and a refresh of a token younger
  than 24 h answer code 100; token errors use HTTP 401 and permission errors HTTP 403
  (both configurable, graph.facebook.com often answers 400); the refreshed token is a new
  string and the old one stays valid until it expires; the code exchange's ``user_id`` is
  the app-scoped id and both that id and the professional account id are accepted in
  paths; ``upload_type=resumable`` is refused (the rupload host is not reproduced).
"""

from platform_sandbox.common import SandboxError, fetch_media, parse_multipart
from platform_sandbox.instagram.app import create_app
from platform_sandbox.instagram.config import (
    FB_LOGIN_SCOPES,
    IG_LOGIN_SCOPES,
    LONG_LIVED_SECONDS,
    PRESETS,
    FailureRule,
    FbPage,
    FbUser,
    IgAccount,
    InstagramOptions,
    MetaApp,
)
from platform_sandbox.instagram.errors import GraphError
from platform_sandbox.instagram.records import parse_fields
from platform_sandbox.instagram.sandbox import InstagramSandbox

__all__ = [
    "FB_LOGIN_SCOPES",
    "IG_LOGIN_SCOPES",
    "LONG_LIVED_SECONDS",
    "PRESETS",
    "FailureRule",
    "FbPage",
    "FbUser",
    "GraphError",
    "IgAccount",
    "InstagramOptions",
    "InstagramSandbox",
    "MetaApp",
    "SandboxError",
    "create_app",
    "fetch_media",
    "parse_fields",
    "parse_multipart",
]
