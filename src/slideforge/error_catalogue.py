"""Every error code slideforge answers or records, in one table.

An error code appears in two places:

- the ``error_code`` of the error envelope ``{ok: false, code, message, error_code, data?}``
  of an HTTP answer (``statuses`` lists the HTTP statuses it comes with);
- the ``error_code`` of a post target (``GET /posts/{id}``, the ``post.*`` webhooks) when
  publishing failed or its outcome is unknown (``on_target``).

A few codes are neither: they are the reason given inside another code's message
(``inside``, e.g. a refusal while connecting an account answers ``connect_failed``).

``explain(code)`` looks a code up (the MCP ``explain_error`` tool uses it);
``python -m slideforge.error_catalogue > docs/errors.md`` regenerates ``docs/errors.md``.
``tests/test_error_catalogue.py`` fails when the code raises a code this table lacks, when
an entry is no longer used, and when ``docs/errors.md`` is stale.

Not listed: the Ayrshare-compatible API (``/ayrshare/api``) answers in Ayrshare's error shape
with Ayrshare's numeric codes; a target may also carry the platform's own code verbatim
(TikTok's ``error.code`` or ``fail_reason``, e.g. ``spam_risk_too_many_posts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Area(StrEnum):
    REQUEST = "Any request"
    ACCOUNTS = "Accounts and connecting them"
    POSTS = "Posts"
    FILES = "Files and uploads"
    FOLDERS = "Folders"
    SLIDESHOWS = "Slideshows, packs, products and AI texts"
    TEMPLATES = "Templates"
    COPY_TIKTOK = "Copying a TikTok slideshow"
    WEBHOOKS = "Webhooks"
    BILLING = "Credits"
    ANALYTICS = "Analytics, trends and experiments"
    STUDIO = "AI studio (images and videos)"
    PUBLISHING = "Publishing (codes on post targets)"


@dataclass(frozen=True)
class ErrorCode:
    code: str
    area: Area
    statuses: tuple[int, ...]  # HTTP statuses of the envelope; () when never an HTTP answer
    on_target: bool  # recorded as a post target's error_code
    meaning: str  # what happened, one line
    fix: str  # what the caller should change
    inside: str | None = None  # the code whose message carries this one as its reason


def _api(
    code: str,
    area: Area,
    statuses: tuple[int, ...],
    meaning: str,
    fix: str,
    *,
    target: bool = False,
) -> ErrorCode:
    return ErrorCode(code, area, statuses, target, meaning, fix)


def _target(code: str, meaning: str, fix: str, *statuses: int) -> ErrorCode:
    return ErrorCode(code, Area.PUBLISHING, tuple(statuses), True, meaning, fix)


def _connect(code: str, meaning: str, fix: str) -> ErrorCode:
    return ErrorCode(code, Area.ACCOUNTS, (), False, meaning, fix, inside="connect_failed")


A = Area
CATALOGUE: tuple[ErrorCode, ...] = (
    # -- any request -------------------------------------------------------------------------
    _api(
        "invalid_json",
        A.REQUEST,
        (400,),
        "The body is not valid JSON, is nested deeper than 64 levels, or was not sent as "
        "application/json.",
        "Send a JSON object with Content-Type: application/json.",
    ),
    _api(
        "invalid_payload",
        A.REQUEST,
        (422,),
        "A field failed validation; the message and data.errors name each field and rule.",
        "Fix the named fields as the rule says.",
    ),
    _api(
        "bad_request",
        A.REQUEST,
        (400,),
        "The request is malformed at the HTTP level (e.g. Content-Length is not a number).",
        "Send a well-formed HTTP request.",
    ),
    _api(
        "unauthorized",
        A.REQUEST,
        (401,),
        "The API key is missing, malformed, unknown or revoked (or the dashboard session "
        "has ended).",
        "Send Authorization: Bearer <public_id.secret> with a live key (in the dashboard: "
        "sign in again).",
    ),
    _api(
        "csrf_failed",
        A.REQUEST,
        (403,),
        "A request signed in by the dashboard's cookie changes data but lacks the page's CSRF "
        "token (or the sign-in form was not sent by the sign-in page).",
        "Reload the page and try again; scripts send X-CSRF-Token with the page's token.",
    ),
    _api(
        "forbidden",
        A.REQUEST,
        (403,),
        "The key may read this resource but not change it (e.g. another workspace's public pack).",
        "Change only your own resources; copy a public one to edit it.",
    ),
    _api(
        "not_found",
        A.REQUEST,
        (404,),
        "No such endpoint, or no such resource in this workspace (ids of other workspaces "
        "answer the same).",
        "Check the path and the id; list the resources to find a valid id.",
    ),
    _api(
        "method_not_allowed",
        A.REQUEST,
        (405,),
        "The path exists but not with this HTTP method; the Allow header lists the methods.",
        "Use one of the methods in Allow.",
    ),
    _api(
        "not_acceptable",
        A.REQUEST,
        (406,),
        "The framework could not answer in a format the Accept header allows.",
        "Accept application/json.",
    ),
    _api(
        "conflict",
        A.REQUEST,
        (409,),
        "The resource changed since it was read (a PATCH with an old revision).",
        "GET it again, re-apply the change and retry with the new revision.",
    ),
    _api(
        "payload_too_large",
        A.REQUEST,
        (413,),
        "The body is over the server's limit for JSON or for uploads.",
        "Send a smaller body; upload large files with POST /files and the upload URL.",
    ),
    _api(
        "unsupported_media_type",
        A.REQUEST,
        (415,),
        "The framework refused the request's content type.",
        "Send the content type the endpoint documents.",
    ),
    _api(
        "rate_limited",
        A.REQUEST,
        (429,),
        "Too many requests for this API key, or (copy-tiktok) TikTok rate-limits this server. "
        "On a target: the platform rate-limited the account; the post is retried.",
        "Wait the Retry-After seconds, then retry.",
        target=True,
    ),
    _api(
        "internal_error",
        A.REQUEST,
        (500,),
        "An unexpected server error; it was logged.",
        "Retry; if it persists, report it with the time of the request.",
    ),
    ErrorCode(
        "error",
        A.REQUEST,
        (),
        True,
        "Fallback: a framework HTTP error with an unlisted status, or a target failure "
        "without a code.",
        "Read the message; report it if it does not say what to change.",
    ),
    # -- accounts ----------------------------------------------------------------------------
    _api(
        "account_not_connected",
        A.ACCOUNTS,
        (400,),
        "The account was added without OAuth, so it has no tokens and cannot post.",
        "Connect it with POST /accounts/connect (data.account_ids names it).",
    ),
    _api(
        "platform_not_configured",
        A.ACCOUNTS,
        (422,),
        "The server lacks this platform's app settings (client id/secret). On a target: the "
        "post's platform was not configured when it was published.",
        "Set the platform's SLIDEFORGE_* settings on the server (see slideforge doctor).",
        target=True,
    ),
    _api(
        "authorization_denied",
        A.ACCOUNTS,
        (400,),
        "The platform's OAuth callback reported that the user did not authorise the app.",
        "Start again with POST /accounts/connect and approve the app.",
    ),
    _api(
        "invalid_oauth_state",
        A.ACCOUNTS,
        (400,),
        "The OAuth callback's state is missing, unknown, already used or expired.",
        "Start again with POST /accounts/connect and finish within its time limit.",
    ),
    _api(
        "invalid_oauth_callback",
        A.ACCOUNTS,
        (400,),
        "The OAuth callback has no authorisation code.",
        "Start again with POST /accounts/connect.",
    ),
    _api(
        "connect_failed",
        A.ACCOUNTS,
        (400, 502),
        "The platform refused the code exchange or the account (400), or failed (502); the "
        "message gives its reason.",
        "Do what the reason says (account type, permissions), then connect again.",
    ),
    _connect(
        "not_professional",
        "The Instagram account is a personal account; publishing needs a professional one.",
        "Switch it to a business or creator account in the Instagram app, then connect.",
    ),
    _connect(
        "no_instagram_account",
        "None of the Facebook Pages of this login has a linked Instagram professional account.",
        "Link one in the Page's settings (or use Instagram Login), then connect again.",
    ),
    _connect(
        "scope_not_authorized",
        "The user did not grant every permission publishing needs.",
        "Connect again and approve every permission.",
    ),
    _connect(
        "pinterest_token_refused",
        "Pinterest refused the token exchange.",
        "Check SLIDEFORGE_PINTEREST_CLIENT_ID and _CLIENT_SECRET, then connect again.",
    ),
    ErrorCode(
        "pinterest_refresh_refused",
        A.ACCOUNTS,
        (),
        False,
        "Pinterest refused to refresh the account's token; the account is marked reauth_required.",
        "Reconnect the account.",
        inside="reauth_required",
    ),
    ErrorCode(
        "refresh_too_early",
        A.ACCOUNTS,
        (),
        False,
        "Instagram will not refresh a token under 24 h old; a still-valid token is used, "
        "an expired one makes the account reauth_required.",
        "Nothing while the token is valid; else reconnect the account.",
        inside="reauth_required",
    ),
    # -- posts -------------------------------------------------------------------------------
    _api(
        "validation_failed",
        A.POSTS,
        (400,),
        "A post rule failed (caption, media, settings, schedule horizon …); the message and "
        "data.errors name the field.",
        "Fix the named field as the message says.",
    ),
    _api(
        "invalid_scheduled_at",
        A.POSTS,
        (422,),
        "The scheduled time is not an ISO 8601 time with a zone, or is in the past.",
        "Send e.g. 2026-12-01T15:00:00Z, or omit it to publish now.",
    ),
    _api(
        "plan_token_invalid",
        A.POSTS,
        (422,),
        "MCP schedule_post with confirm: true came without the plan_token of its confirm: "
        "false call, with one for other arguments, or with one older than 10 minutes.",
        "Call schedule_post with confirm: false, then with confirm: true, that plan_token and "
        "the same arguments.",
    ),
    _api(
        "invalid_since",
        A.POSTS,
        (400,),
        "The since query parameter is not an ISO 8601 time with a zone.",
        "Send e.g. 2026-01-01T00:00:00Z.",
    ),
    _api(
        "invalid_until",
        A.POSTS,
        (400,),
        "The until query parameter is not an ISO 8601 time with a zone.",
        "Send e.g. 2026-01-01T00:00:00Z.",
    ),
    _api(
        "ugc_music_needs_tiktok",
        A.POSTS,
        (422,),
        "A UGC post (/ugc/post/…) has musicPostId and platform instagram: UGC attaches music "
        "on TikTok only.",
        'Send platform "tiktok" (or leave it out), or drop musicPostId to post on Instagram.',
    ),
    _api(
        "invalid_music_url",
        A.POSTS,
        (400,),
        "music_url is not a TikTok video or music page URL.",
        "Send https://www.tiktok.com/@user/video/<id> or a /music/ page.",
    ),
    _api(
        "media_unreachable",
        A.POSTS,
        (400,),
        "A media URL could not be fetched. On a target: Pinterest could not download our "
        "media URL (retried).",
        "Use a public http(s) URL that answers 200; for targets, make "
        "SLIDEFORGE_MEDIA_BASE_URL a public https URL.",
        target=True,
    ),
    _api(
        "missing_accounts",
        A.POSTS,
        (400,),
        "Neither accounts nor account_selection was sent, or no active account matches the "
        "selection.",
        "Send accounts (1–10 ids) or an account_selection that matches an active account.",
    ),
    _api(
        "unknown_accounts",
        A.POSTS,
        (400,),
        "Some account ids are not accounts of this workspace, or cannot post (paused, "
        "reauth_required, revoked); data.account_ids lists them.",
        "Send ids from GET /accounts of active accounts; reconnect the others.",
    ),
    _api(
        "no_account_available",
        A.POSTS,
        (409,),
        "No matching account has a free slot at the time asked (posting policy caps, gaps, "
        "hours) or in the next 30 days; data.reasons says why.",
        "Pick another time, or send strict: false to take the nearest free slot.",
    ),
    _api(
        "create_in_progress",
        A.POSTS,
        (409,),
        "A request with the same external_id or body is still being processed.",
        "Retry after Retry-After seconds to get its post.",
    ),
    _api(
        "create_failed",
        A.POSTS,
        (409,),
        "The external_id was already used for a post with a different body. On a target: "
        "Instagram failed to create the media (retried).",
        "Use a new external_id, or resend the original body.",
        target=True,
    ),
    _api(
        "external_id_taken",
        A.POSTS,
        (409,),
        "Another post already uses this external_id (PATCH).",
        "Choose another external_id.",
    ),
    _api(
        "post_not_editable",
        A.POSTS,
        (409,),
        "The post is being published, or its status (posted, deleted …) does not allow edits.",
        "Wait for the outcome, then retry or edit; only draft, pending, scheduled, retry and "
        "failed posts can be edited.",
    ),
    _api(
        "outcome_unknown_live",
        A.POSTS,
        (409,),
        "Retry refused: reconciliation found the post live on the platform; nothing was retried.",
        "Do not retry; the post is published.",
    ),
    # -- files -------------------------------------------------------------------------------
    _api(
        "file_too_large",
        A.FILES,
        (413,),
        "The declared size or the uploaded bytes are over the limit for this content type.",
        "Upload a smaller file.",
    ),
    _api(
        "empty_upload",
        A.FILES,
        (400,),
        "The upload body is empty.",
        "PUT the file's bytes to the upload URL.",
    ),
    _api(
        "content_type_mismatch",
        A.FILES,
        (415,),
        "The upload's Content-Type differs from the type declared in POST /files.",
        "Send the same type as in POST /files.",
    ),
    _api(
        "content_mismatch",
        A.FILES,
        (415,),
        "The uploaded bytes are not of the declared type.",
        "Upload the file the declaration describes, or declare its real type.",
    ),
    _api(
        "invalid_upload_token",
        A.FILES,
        (403,),
        "The upload URL is not valid.",
        "Request a new upload URL with POST /files.",
    ),
    _api(
        "upload_url_expired",
        A.FILES,
        (410,),
        "The upload URL has expired.",
        "Request a new upload URL with POST /files.",
    ),
    _api(
        "upload_already_completed",
        A.FILES,
        (409,),
        "The upload URL was already used.",
        "Request a new upload URL with POST /files.",
    ),
    _api(
        "upload_in_progress",
        A.FILES,
        (409,),
        "Another upload to this URL is running or finished.",
        "Retry in a moment.",
    ),
    _api(
        "invalid_image",
        A.FILES,
        (422,),
        "An image cannot be decoded or used (uploaded file, or a slide's image when rendering).",
        "Upload or link another image (JPEG, PNG, WebP…).",
    ),
    _api(
        "image_too_large",
        A.FILES,
        (422,),
        "The image has too many pixels or too long a side. On a target: an image is over "
        "Instagram's 8 MiB.",
        "Use a smaller image.",
        target=True,
    ),
    _api(
        "invalid_video",
        A.FILES,
        (422,),
        "The file starts like a video but holds no video after its header (truncated).",
        "Upload the complete video file.",
    ),
    # -- slideshows, packs, products, AI -----------------------------------------------------
    _api(
        "invalid_slide_config",
        A.SLIDESHOWS,
        (422,),
        "slide_config breaks a rule; the message names the JSON path.",
        "Fix the named part of slide_config.",
    ),
    _api(
        "pack_not_found",
        A.SLIDESHOWS,
        (404,),
        "The pack is not one of your packs nor a public pack.",
        "Send the id of one of your packs or a public pack (GET /packs).",
    ),
    _api(
        "pack_required",
        A.SLIDESHOWS,
        (422,),
        "An image_pack slide has no pack.",
        "Send pack_id or slide_config.pack_assignments, or make it a custom_image slide.",
    ),
    _api(
        "pack_empty",
        A.SLIDESHOWS,
        (422,),
        "The pack has no images.",
        "Add images to it, pin images, use custom_image slides, or send pack_images.",
    ),
    _api(
        "product_not_found",
        A.SLIDESHOWS,
        (404,),
        "No product with this id in the workspace.",
        "Send the id of one of your products (GET /products).",
    ),
    _api(
        "forbidden_product_access",
        A.SLIDESHOWS,
        (403,),
        "The product belongs to another member's personal scope.",
        "Use a workspace product or one of your own.",
    ),
    _api(
        "prompt_required",
        A.SLIDESHOWS,
        (422,),
        "AI mode needs a prompt or a product_id.",
        "Send prompt, or skip_ai: true with slide_config.slide_texts.",
    ),
    _api(
        "ai_not_configured",
        A.SLIDESHOWS,
        (422,),
        "The server has no AI model configured (SLIDEFORGE_AI_BASE_URL …).",
        "Send the texts yourself (skip_ai), or configure the AI settings on the server.",
    ),
    _api(
        "ai_failed",
        A.SLIDESHOWS,
        (502,),
        "The AI model did not give usable slide texts.",
        "Try again, or send the texts yourself.",
    ),
    _api(
        "slide_not_found",
        A.SLIDESHOWS,
        (404,),
        "The slide index is outside the slideshow's slides.",
        "Send an index from 0 to the number of slides minus one.",
    ),
    _api(
        "no_text_elements",
        A.SLIDESHOWS,
        (422,),
        "The slide has no text elements to rewrite.",
        "Add one with PATCH /slideshows/{id} first.",
    ),
    _api(
        "no_original_prompt",
        A.SLIDESHOWS,
        (422,),
        "The slideshow was not generated from a prompt, so there is nothing to write from.",
        "Edit the texts with PATCH /slideshows/{id}.",
    ),
    _api(
        "no_slides",
        A.SLIDESHOWS,
        (422,),
        "The slideshow has no slides to render.",
        "PATCH it with slides, or generate a new one.",
    ),
    _api(
        "image_url_not_allowed",
        A.SLIDESHOWS,
        (422,),
        "An image URL (a slide's, or a studio input's image_urls / image_url) points at an "
        "address the server never fetches (private, loopback …).",
        "Use a public http(s) URL or upload the image with POST /files.",
    ),
    _api(
        "image_fetch_failed",
        A.SLIDESHOWS,
        (422,),
        "An image (a slide's, or a studio input) could not be downloaded.",
        "Fix the URL (PATCH the slide, or send another image URL) and try again.",
    ),
    _api(
        "images_too_large",
        A.SLIDESHOWS,
        (422,),
        "The slides' images together decode to more megapixels than one render may use.",
        "Use smaller images (about 2000 px is plenty) or fewer distinct ones.",
    ),
    _api(
        "video_in_progress",
        A.SLIDESHOWS,
        (409,),
        "A video of this slideshow is queued or rendering; one runs at a time.",
        "Wait for GET /slideshows/{id} to show video.status succeeded or failed, then post again.",
    ),
    _api(
        "audio_file_not_found",
        A.SLIDESHOWS,
        (404,),
        "audio_file_id names no uploaded file of this workspace (or it is still pending).",
        "Upload the audio with POST /files and PUT, then send its id.",
    ),
    _api(
        "audio_stream_missing",
        A.SLIDESHOWS,
        (422,),
        "The audio file holds no audio stream (e.g. a silent video). Also recorded as the "
        "video's error when found only while encoding.",
        "Send a file with sound: an audio upload (MP3, M4A/AAC, WAV) or a video with sound.",
    ),
    _api(
        "invalid_audio_file",
        A.SLIDESHOWS,
        (422,),
        "The audio file is not audio or video, too large, or cannot be decoded (also an "
        "audio upload whose bytes hold no readable audio stream).",
        "Upload an MP3, M4A/AAC or WAV file (or a video with sound) under the size limit.",
    ),
    _api(
        "video_encode_failed",
        A.SLIDESHOWS,
        (500,),
        "Recorded as the video's error: encoding the slides failed inside the server.",
        "Post the video again; if it fails again, report it with the slideshow id.",
    ),
    _api(
        "slideshow_changed",
        A.SLIDESHOWS,
        (409,),
        "The slideshow was edited while it rendered or while the AI wrote; the edit was kept.",
        "Render or ask again.",
    ),
    # -- templates ---------------------------------------------------------------------------
    _api(
        "invalid_template_config",
        A.TEMPLATES,
        (422,),
        "The template config breaks a rule; data.errors names each JSON path.",
        "Fix the named parts of config.",
    ),
    _api(
        "template_not_found",
        A.TEMPLATES,
        (404,),
        "No template with this id visible to this key.",
        "Send the id of a template from GET /templates.",
    ),
    _api(
        "template_name_conflict",
        A.TEMPLATES,
        (409,),
        "You already have a template with this name.",
        "Choose another name.",
    ),
    _api(
        "forbidden_template_access",
        A.TEMPLATES,
        (403,),
        "The workspace template belongs to another owner: it can be used, not changed.",
        "Create your own copy with POST /templates.",
    ),
    _api(
        "workspace_key_required",
        A.TEMPLATES,
        (403,),
        'visibility "workspace" needs a workspace-scoped API key.',
        'Use "private", or a workspace key.',
    ),
    # -- copy a TikTok slideshow -------------------------------------------------------------
    _api(
        "invalid_tiktok_url",
        A.COPY_TIKTOK,
        (422,),
        "The URL is not a TikTok post URL or a live short link; data.reason says which.",
        "Send https://www.tiktok.com/@user/photo/<id> or a vm.tiktok.com short link.",
    ),
    _api(
        "not_slideshow",
        A.COPY_TIKTOK,
        (422,),
        "The TikTok post is a video, not a photo/slideshow post.",
        "Send the URL of a photo post.",
    ),
    _api(
        "invalid_tiktok_handle",
        A.COPY_TIKTOK,
        (422,),
        "The TikTok handle is not a user name (@name, name) or a profile URL "
        "https://www.tiktok.com/@name (no other path, query or host).",
        "Send the bare user name, e.g. @creator.",
    ),
    _api(
        "profile_not_found",
        A.COPY_TIKTOK,
        (422,),
        "No public TikTok account has this user name (TikTok status 10202), or it is banned "
        "(10221); data.reason says which.",
        "Check the user name opens as a profile on tiktok.com.",
    ),
    _api(
        "tiktok_fetch_failed",
        A.COPY_TIKTOK,
        (502,),
        "TikTok's page or images could not be fetched or read (private, deleted, login "
        "wall, blocked …); data.reason says which.",
        "Check the post opens in a browser without login; retry later.",
    ),
    _api(
        "upstream_config_error",
        A.COPY_TIKTOK,
        (500,),
        "A SLIDEFORGE_TIKTOK_* server setting is unusable (base URL, proxy, cookies file, "
        "impersonate); data.reason names it.",
        "Fix the named server setting.",
    ),
    _api(
        "pack_source_conflict",
        A.COPY_TIKTOK,
        (422,),
        "Both pack_id and pack_images were sent.",
        "Send one of them.",
    ),
    _api(
        "pack_source_required",
        A.COPY_TIKTOK,
        (422,),
        "Neither pack_id nor pack_images was sent.",
        "Send pack_id or pack_images (1–100 image URLs).",
    ),
    _api(
        "preview_failed",
        A.COPY_TIKTOK,
        (500,),
        "The post was fetched but its preview could not be built.",
        "Retry, or import without a preview.",
    ),
    _api(
        "import_failed",
        A.COPY_TIKTOK,
        (500,),
        "A slide could not be read or the import failed; nothing was created and the credits "
        "were refunded.",
        "Retry.",
    ),
    # -- webhooks ----------------------------------------------------------------------------
    _api(
        "invalid_webhook_url",
        A.WEBHOOKS,
        (422,),
        "The webhook URL is not an http(s) URL.",
        "Send your receiver's URL, e.g. https://example.com/slideforge/webhooks.",
    ),
    _api(
        "webhook_url_not_public",
        A.WEBHOOKS,
        (422,),
        "The webhook URL points at a private or loopback address.",
        "Use a public host name or address.",
    ),
    _api(
        "unknown_webhook_event",
        A.WEBHOOKS,
        (422,),
        "events names an unknown event type.",
        "Use the listed event types, or leave events out to receive all.",
    ),
    _api(
        "webhook_limit_reached",
        A.WEBHOOKS,
        (409,),
        "The workspace already has the maximum number of webhooks.",
        "Delete one (DELETE /webhooks/{id}) first.",
    ),
    _api(
        "webhook_not_found",
        A.WEBHOOKS,
        (404,),
        "No webhook with this id in the workspace.",
        "Send an id from GET /webhooks.",
    ),
    # -- folders -----------------------------------------------------------------------------
    _api(
        "invalid_query_parameter",
        A.FOLDERS,
        (400,),
        "A query parameter of GET /folders or GET /folders/{id}/items is missing or not one "
        "it accepts (media_type other than ai_image/ai_video/upload/slideshow, limit outside "
        "1–100, a negative offset, a parent_folder_id of another media type).",
        "Change the parameter the message names to a value it accepts.",
    ),
    _api(
        "folder_not_found",
        A.FOLDERS,
        (404,),
        "No folder with this id in the workspace (a path id, parent_folder_id; ids of other "
        "workspaces answer the same).",
        "Send the id of one of your folders (GET /folders?media_type=…).",
    ),
    _api(
        "folder_name_conflict",
        A.FOLDERS,
        (409,),
        "Another folder at the same level (same parent and media type) already has this name; "
        "names compare trimmed and case-insensitively.",
        "Choose another name, or use the existing folder.",
    ),
    _api(
        "folder_move_conflict",
        A.FOLDERS,
        (409,),
        "The move would put the folder inside itself or one of its own subfolders, or the "
        "destination already holds a folder of that name.",
        "Move it to a folder outside its own subtree (or to the root with parent_folder_id "
        "null), or rename one of the two folders first.",
    ),
    _api(
        "invalid_parent_folder",
        A.FOLDERS,
        (422,),
        "The parent folder holds another media type: a folder's subfolders share its type.",
        "Pick a parent folder of the same media_type, or create the folder at the root.",
    ),
    _api(
        "invalid_path",
        A.FOLDERS,
        (422,),
        "An entry of item_ids is empty after trimming or is not an id (a UUID); "
        "data.errors names each one as item_ids[i].",
        "Send the ids of files (or of slideshows, for a slideshow folder), comma lists split.",
    ),
    _api(
        "item_not_found",
        A.FOLDERS,
        (404,),
        "Some item_ids are neither a file nor a slideshow of this workspace; the message and "
        "data.missing_ids list them.",
        "Send ids from GET /files?context=all or GET /slideshows.",
    ),
    _api(
        "invalid_folder_media_type",
        A.FOLDERS,
        (422,),
        "An item does not fit the folder's media type (slideshow folders hold slideshows; "
        "ai_image folders ai-studio images; ai_video folders ai-studio videos; upload "
        "folders every other file); data.mismatched lists each id with what it is.",
        "Add each item to a folder of its own media type.",
    ),
    _api(
        "item_not_ready",
        A.FOLDERS,
        (422,),
        "A file's bytes were never uploaded (its upload URL was issued but not PUT to).",
        "PUT the file to its uploadUrl first, then add it to the folder.",
    ),
    # -- analytics ---------------------------------------------------------------------------
    _api(
        "invalid_query",
        A.ANALYTICS,
        (422,),
        "A query parameter of an analytics, trends, experiments or studio call is not one it "
        "accepts (a range other than 14d/30d/90d/1y/all, start without end, an unknown "
        "platform or tracked account id, a limit out of bounds, a studio mode other than "
        "image/video).",
        "Change the parameter the message names to one of the values it lists.",
    ),
    _api(
        "invalid_identifier",
        A.ANALYTICS,
        (422,),
        "The identifier of a tracked account is not a handle of that platform (a URL of "
        "another site, spaces, characters the platform does not allow).",
        "Send the handle alone (@brand) or the profile's own URL.",
    ),
    _api(
        "platform_not_supported",
        A.ANALYTICS,
        (422,),
        "Public Instagram, Pinterest and YouTube profiles cannot be read without the owner's "
        "authorisation; only connected accounts of those platforms can be tracked.",
        "Connect the account (POST /accounts/connect), then track it; or track a TikTok handle.",
    ),
    _api(
        "target_not_found",
        A.ANALYTICS,
        (404,),
        "No tracked account with this id in the caller's scope.",
        "List the scope's targets with GET /analytics/targets.",
    ),
    _api(
        "refresh_not_found",
        A.ANALYTICS,
        (404,),
        "No refresh with this id on a target of the caller's scope.",
        "Use the refresh.id that POST /analytics/targets/{id}/refresh answered.",
    ),
    _api(
        "analytics_conflict",
        A.ANALYTICS,
        (409,),
        "A refresh of this target is already running; data.refresh_id names it.",
        "Poll GET /analytics/refreshes/{refresh_id} until it completes, then refresh again.",
    ),
    _api(
        "analytics_post_not_found",
        A.ANALYTICS,
        (404,),
        "No analytics post with this id on a target of the caller's scope.",
        "Use an analyticsId from GET /analytics/summary/posts.",
    ),
    _api(
        "experiment_not_found",
        A.ANALYTICS,
        (404,),
        "No experiment with this id in the workspace.",
        "List experiments with GET /experiments.",
    ),
    _api(
        "invalid_variant",
        A.ANALYTICS,
        (422,),
        "An experiment variant has neither slideshow_id nor hook, two variants share a name, "
        "or hook variants came without the base slideshow_id.",
        "Give each variant a unique name and either a rendered slideshow_id or a hook (with "
        "the experiment's slideshow_id).",
    ),
    _api(
        "slideshow_not_rendered",
        A.ANALYTICS,
        (422,),
        "A slideshow whose slides are not all rendered was given to post (an experiment "
        "variant, or the MCP tools' slideshow_id).",
        "Render it with POST /slideshows/{id}/render (or the render_slideshow tool), then "
        "try again.",
    ),
    _api(
        "no_hook_slot",
        A.ANALYTICS,
        (422,),
        "Hook variants replace the first text element of slide 1 of the base slideshow, and "
        "it has none.",
        "Add a text element to slide 1 of the base slideshow (PATCH /slideshows/{id}).",
    ),
    # -- AI studio ---------------------------------------------------------------------------
    _api(
        "studio_not_configured",
        A.STUDIO,
        (422,),
        "No AI model of this kind (image or video) is configured on this server.",
        "Ask the operator to set SLIDEFORGE_STUDIO_PROVIDERS (OpenAI-compatible providers); "
        "GET /studio/models lists what is configured.",
    ),
    _api(
        "model_requires_image",
        A.STUDIO,
        (422,),
        "The model makes its output from input images, and none was sent.",
        "Send image_urls (images) or image_url (videos); GET /studio/models says which.",
    ),
    _api(
        "model_input_not_supported",
        A.STUDIO,
        (422,),
        "The model does not take an input or param that was sent (e.g. speech_text, voice_id "
        "or audio_url on a model without speech); data.inputs names them.",
        "Leave the named inputs out; GET /studio/models lists what each model takes.",
    ),
    _api(
        "invalid_input",
        A.STUDIO,
        (422,),
        "An input has a value the model cannot use (a size, duration or aspect ratio it does "
        "not make, an image URL that is not an image, no prompt).",
        "Use one of the values the message (and GET /studio/models) lists.",
    ),
    _api(
        "generation_failed",
        A.STUDIO,
        (500,),
        "The AI provider failed or refused (e.g. a content policy, said in the message); the "
        "credits were refunded.",
        "A refusal: change the prompt or inputs. Unavailable: retry in a moment.",
    ),
    _api(
        "video_not_found",
        A.STUDIO,
        (404,),
        "No studio video with this id in the workspace.",
        "Send the video_id POST /studio/videos/generate answered.",
    ),
    # -- credits -----------------------------------------------------------------------------
    _api(
        "insufficient_credits",
        A.BILLING,
        (402,),
        "The action needs more credits than remain this month; data says how many.",
        "Wait for next month's allowance, or get credits granted.",
    ),
    # -- publishing: codes on post targets ---------------------------------------------------
    _target(
        "not_connected",
        "The account has no platform authorisation (added without OAuth).",
        "Connect it with POST /accounts/connect, then retry the post.",
    ),
    _target(
        "reauth_required",
        "The platform rejected the account's token, or its refresh failed; the account is "
        "marked reauth_required.",
        "Reconnect the account (POST /accounts/connect), then retry the post.",
    ),
    _target(
        "token_invalid",
        "Pinterest did not accept the account's token.",
        "Reconnect the account, then retry the post.",
    ),
    _target(
        "permission_missing",
        "The account did not grant a permission publishing needs, or is not an Instagram "
        "professional account.",
        "Reconnect it and approve every permission.",
    ),
    _target(
        "not_permitted",
        "Pinterest refused: a missing permission, a secret board, or an app with Trial access.",
        "Reconnect the account, or use a public board.",
    ),
    _target(
        "account_restricted",
        "The Instagram account is restricted, inactive or checkpointed.",
        "Open the Instagram app and resolve it, then retry.",
    ),
    _target(
        "spam_restricted",
        "Instagram blocked the publish as restricted activity (spam protection).",
        "Post less often from this account; retry later.",
    ),
    _target(
        "privacy_level_option_mismatch",
        "The post's TikTok privacy_level is not one the account offers.",
        "Send one of the options the message lists.",
    ),
    _target(
        "caption_invalid",
        "The caption breaks Instagram's rules (length, hashtags, mentions).",
        "Shorten the caption as the message says.",
    ),
    _target(
        "caption_too_long",
        "The caption is longer than Instagram's 2,200 characters.",
        "Shorten the caption.",
    ),
    _target(
        "too_many_tags",
        "The caption has more than 20 @mentions or 30 hashtags.",
        "Use fewer mentions or hashtags.",
    ),
    _target(
        "description_too_long",
        "The pin description (caption and tags) is over Pinterest's limit.",
        "Shorten the caption or the tags.",
    ),
    _target(
        "carousel_size",
        "The carousel has too few or too many images for the platform.",
        "Send 2–10 images for Instagram or Pinterest carousels.",
    ),
    _target(
        "aspect_ratio",
        "An image's aspect ratio is outside Instagram's 4:5…1.91:1.",
        "Crop the image into that range.",
    ),
    _target("image_format", "Instagram takes JPEG images only.", "Send JPEG images."),
    _target(
        "media_type", "Instagram refused the media type.", "Send a JPEG image or an MP4/MOV video."
    ),
    _target(
        "video_format",
        "Instagram cannot use the video.",
        "Send an MP4/MOV (H.264 or HEVC, AAC, 23–60 fps, long side ≤ 1920 px, 3 s–15 min).",
    ),
    _target(
        "thumb_offset_invalid",
        "The cover time is beyond the end of the video.",
        "Send a media.cover_timestamp_ms within the video.",
    ),
    _target(
        "video_failed",
        "Pinterest could not process the video.",
        "Send MP4/MOV/M4V, H.264/H.265, 4 s–15 min, aspect between 1:2 and 1.91:1.",
    ),
    _target("image_broken", "Pinterest could not read an image.", "Send another image."),
    _target(
        "media_error",
        "Instagram could not process the media (container status ERROR).",
        "Check the media meets Instagram's rules; retry the post.",
    ),
    _target(
        "invalid_media",
        "A slide of the post could not be decoded when its platform variant was made.",
        "Replace the slide's image, then retry the post.",
    ),
    _target(
        "no_board",
        "The Pinterest account has no default board and the post names none.",
        "Send pinterest.board_id, or set settings.pinterest_board_id on the account.",
    ),
    _target(
        "board_not_found",
        "The board does not exist on this Pinterest account.",
        "Send the id of one of its boards.",
    ),
    _target(
        "no_video",
        "The post has no stored video to upload.",
        "Create the post again with its video.",
    ),
    _target(
        "quota_exhausted",
        "Instagram's 24 h publishing limit for the account is used up; nothing was published.",
        "Retry once the oldest of those posts is 24 hours old.",
    ),
    _target(
        "container_limit",
        "Instagram's limit of media containers per 24 h is reached for the account.",
        "Retry later.",
    ),
    _target("upload_range", "TikTok refused the order of the video chunks.", "Retry the post."),
    _target("upload_expired", "TikTok's upload URL expired.", "Retry the post."),
    _target(
        "upload_failed",
        "The platform failed to take or process the uploaded video.",
        "Nothing when it is retried; else retry the post.",
    ),
    _target(
        "upload_refused",
        "Pinterest's upload URL refused the video; the next attempt gets a new one.",
        "Nothing: it is retried.",
    ),
    _target(
        "media_download_timeout",
        "Instagram took too long to download the media from our media URL (retried).",
        "Make SLIDEFORGE_MEDIA_BASE_URL fast and publicly reachable.",
    ),
    _target(
        "media_fetch_failed",
        "Instagram could not download the media (retried).",
        "Make SLIDEFORGE_MEDIA_BASE_URL a public https URL Meta can reach.",
    ),
    _target(
        "media_unavailable",
        "The post's media could not be read from storage (retried).",
        "Check the server's storage.",
    ),
    _target(
        "media_expired",
        "The Instagram media container expired (re-created by the next attempt).",
        "Nothing: it is retried.",
    ),
    _target(
        "container_expired",
        "Instagram's media containers expired or went missing before publishing.",
        "Nothing when it is retried; else retry the post.",
    ),
    _target(
        "media_not_found",
        "Instagram could not find the media container (retried).",
        "Nothing: it is retried.",
    ),
    _target(
        "not_ready",
        "The media was not ready for publishing yet (retried).",
        "Nothing: it is retried.",
    ),
    _target(
        "staging_timeout",
        "The platform did not finish preparing the media in time (retried).",
        "Nothing when it is retried; else retry the post.",
    ),
    _target(
        "server_error",
        "The platform had a server error; a failed publish call is checked before any retry.",
        "Nothing: it is retried or reconciled.",
    ),
    _target(
        "unknown_error",
        "Instagram had an unexpected error (retried, or reconciled after a publish call).",
        "Nothing: it is retried or reconciled.",
    ),
    _target(
        "network",
        "The platform could not be reached, or the connection was lost during a call.",
        "Nothing: it is retried, or reconciled when a publish call may have gone out.",
    ),
    _target(
        "bad_response",
        "The platform answered without a field it must send (token, id, upload URL). Also "
        "a connect_failed reason.",
        "Retry; if it persists, report it.",
    ),
    _target(
        "refused",
        "The platform refused the request for a reason not listed here; the message quotes it.",
        "Do what the platform's message says.",
    ),
    _target(
        "send_crashed",
        "The publish call failed in an unexpected way; the post may or may not be live.",
        "Check the account before posting again; reconciliation reads the platform.",
    ),
    _target(
        "interrupted",
        "The server stopped while sending the post; it may or may not be live.",
        "Check the account before posting again; reconciliation reads the platform.",
    ),
    _target(
        "unconfirmed",
        "The platform did not confirm the post within the tracking limit (2 h).",
        "Check the account before posting again.",
    ),
    _target(
        "failed",
        "The platform reported the post failed without a code.",
        "Read the message; retry the post.",
    ),
    _target(
        "unknown",
        "TikTok reported the post FAILED without a fail_reason.",
        "Retry the post; check the account in the TikTok app.",
    ),
    _target(
        "http_<status>",
        "TikTok answered an HTTP error without its own error code (e.g. http_502).",
        "Nothing when it is retried; else retry the post.",
    ),
)
del A

_BY_CODE: dict[str, ErrorCode] = {entry.code: entry for entry in CATALOGUE}
_HTTP_STATUS_CODE = re.compile(r"http_\d{3}")


def explain(code: str) -> ErrorCode | None:
    """The catalogue entry of ``code`` (``http_502`` finds ``http_<status>``), or None."""
    code = code.strip()
    if _HTTP_STATUS_CODE.fullmatch(code):
        return _BY_CODE["http_<status>"]
    return _BY_CODE.get(code)


def _where(entry: ErrorCode) -> str:
    parts = [str(status) for status in entry.statuses]
    if entry.on_target:
        parts.append("target")
    if entry.inside:
        parts.append(f"reason of `{entry.inside}`")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "\\<")


def render_markdown() -> str:
    """``docs/errors.md``."""
    lines = [
        "<!-- Generated from src/slideforge/error_catalogue.py: do not edit. Regenerate with",
        "     python -m slideforge.error_catalogue > docs/errors.md -->",
        "",
        "# Error codes",
        "",
        "Every error answer is the envelope `{ok: false, code, message, error_code, data?}`; "
        "`error_code` is one of the codes below, `code` the HTTP status. A post target that "
        "failed, or whose outcome is unknown, carries an `error_code` too (`GET /posts/{id}`, "
        "the `post.*` webhooks): those are marked *target*. The message always says what "
        "happened and what to change; `data` adds details (the failing fields, ids, the "
        "reason).",
        "",
        "Not listed: the Ayrshare-compatible API (`/ayrshare/api`) answers in Ayrshare's error "
        "shape with Ayrshare's numeric codes, and a target may carry the platform's own code "
        "verbatim (TikTok's `error.code` or `fail_reason`, e.g. `spam_risk_too_many_posts`).",
        "",
        f"{len(CATALOGUE)} codes.",
    ]
    for area in Area:
        entries = [e for e in CATALOGUE if e.area is area]
        if not entries:
            continue
        lines += [
            "",
            f"## {area.value}",
            "",
            "| code | status | meaning | what to change |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{e.code}` | {_where(e)} | {_cell(e.meaning)} | {_cell(e.fix)} |" for e in entries
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    print(render_markdown(), end="")


if __name__ == "__main__":
    main()
