"""What every platform stand-in shares, so that each one is built the same way:

- ``basics``: ``SandboxError`` (misuse of the Python / admin API), validation of admin input,
  timestamps, scope lists, URLs;
- ``state``: ``PlatformSandbox``, the state kept the same way everywhere (clock, lock,
  options, registered apps and other configured records, failure rules, request log);
- ``oauth``: the authorization page, single-use codes and their exchange, token records with
  expiry and revocation, scope checks (each refusal worded by the platform);
- ``media``: fetching media URLs, sniffing images, multipart bodies, reading a video's
  streams (``probe_mp4``: codec, size, duration, frame rate, audio codec);
- ``reply``: ``PlatformCall`` (the request being answered) and its ``Reply``;
- ``http``: the ASGI app around a sandbox's ``handle`` and the admin API under
  ``/__sandbox/`` with the routes of ``PlatformSandbox``'s state.

Only the mechanics are here; every answer a platform gives (error bodies, status codes,
headers) stays in the platform's package."""

from platform_sandbox.common.basics import (
    DAY,
    MIB,
    SandboxError,
    apply_preset,
    build_model,
    iso,
    parse_when,
    split_scopes,
    validation_message,
    with_changes,
    with_query,
)
from platform_sandbox.common.http import (
    ADMIN,
    ADMIN_INPUT_ERRORS,
    ADMIN_METHODS,
    AdminCall,
    AdminRoutes,
    Endpoint,
    admin_endpoint,
    failing,
    platform_admin_call,
    reply_response,
    sandbox_app,
    then,
)
from platform_sandbox.common.media import (
    FetchError,
    MediaProbe,
    StreamInfo,
    VideoStreamChecks,
    fetch_media,
    parse_multipart,
    probe_mp4,
    sniff_image,
)
from platform_sandbox.common.oauth import (
    AuthCode,
    Authorization,
    AuthorizationCodes,
    ConsentPage,
    IssuedToken,
    Refusal,
    Refuse,
    admin_scopes,
    authorize,
    consenting_user,
    expire_tokens,
    grant,
    missing_scopes,
    revoke_tokens,
    unknown_scopes,
    worded,
)
from platform_sandbox.common.reply import PlatformCall, Reply
from platform_sandbox.common.state import (
    AppT,
    OptionsT,
    PlatformFailureRule,
    PlatformSandbox,
    RegisteredApp,
    RuleT,
    take_rule,
)

__all__ = [
    "ADMIN",
    "ADMIN_INPUT_ERRORS",
    "ADMIN_METHODS",
    "DAY",
    "MIB",
    "AdminCall",
    "AdminRoutes",
    "AppT",
    "AuthCode",
    "Authorization",
    "AuthorizationCodes",
    "ConsentPage",
    "Endpoint",
    "FetchError",
    "IssuedToken",
    "MediaProbe",
    "OptionsT",
    "PlatformCall",
    "PlatformFailureRule",
    "PlatformSandbox",
    "Refusal",
    "Refuse",
    "RegisteredApp",
    "Reply",
    "RuleT",
    "SandboxError",
    "StreamInfo",
    "VideoStreamChecks",
    "admin_endpoint",
    "admin_scopes",
    "apply_preset",
    "authorize",
    "build_model",
    "consenting_user",
    "expire_tokens",
    "failing",
    "fetch_media",
    "grant",
    "iso",
    "missing_scopes",
    "parse_multipart",
    "parse_when",
    "platform_admin_call",
    "probe_mp4",
    "reply_response",
    "revoke_tokens",
    "sandbox_app",
    "sniff_image",
    "split_scopes",
    "take_rule",
    "then",
    "unknown_scopes",
    "validation_message",
    "with_changes",
    "with_query",
    "worded",
]
