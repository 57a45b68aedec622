"""The OAuth 2.0 mechanics every stand-in shares: the authorization page that approves at
once (nobody clicks "Allow"), single-use authorization codes and their exchange, the token
record with its expiry and revocation, and scope checks.

The flow is the same on every platform; the words are not. A platform describes its
authorization page with a ``ConsentPage`` and answers each ``Refusal`` with its own error
(status, body, message), so the order of the checks lives here once and every error body
stays in the platform's package."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from platform_sandbox.common.basics import SandboxError, split_scopes, with_query
from platform_sandbox.common.reply import Reply


class OAuthClient(Protocol):
    """What the flow reads of a registered app."""

    @property
    def client_id(self) -> str: ...

    @property
    def redirect_uris(self) -> list[str]: ...


ClientT = TypeVar("ClientT", bound=OAuthClient)


class Refusal(enum.StrEnum):
    """Why an authorization request or a code exchange is refused."""

    UNKNOWN_APP = "unknown_app"
    REDIRECT_URI = "redirect_uri"
    """The redirect_uri is not one the app registered."""
    RESPONSE_TYPE = "response_type"
    NO_SCOPE = "no_scope"
    UNKNOWN_SCOPES = "unknown_scopes"
    UNKNOWN_USER = "unknown_user"
    """``sandbox_user`` (or the app's default user) names nobody."""
    NO_USER = "no_user"
    CODE_MISSING = "code_missing"
    CODE_UNKNOWN = "code_unknown"
    """No such code, or one given to another app or by another login flow."""
    CODE_USED = "code_used"
    CODE_EXPIRED = "code_expired"
    CODE_REDIRECT_URI = "code_redirect_uri"
    """The exchange's redirect_uri differs from the authorization request's."""


Refuse = Callable[[Refusal, str], Exception]
"""The platform's error for a refusal; the string is the detail (the unknown scopes, the
response type, the user key), empty when there is none."""


def worded(messages: Mapping[Refusal, str], error: Callable[[Refusal, str], Exception]) -> Refuse:
    """A platform's ``Refuse``: its message for each refusal (``{detail}`` stands for the
    detail) in the ``error`` it answers with."""

    def refuse(reason: Refusal, detail: str) -> Exception:
        return error(reason, messages[reason].format(detail=detail))

    return refuse


# ---------------------------------------------------------------------- scopes


def unknown_scopes(scopes: Iterable[str], known: Iterable[str]) -> list[str]:
    allowed = set(known)
    return [scope for scope in scopes if scope not in allowed]


def admin_scopes(
    scopes: Iterable[str] | None,
    known: Collection[str],
    *,
    default: Collection[str] | None = None,
) -> tuple[str, ...]:
    """The scopes of a token an admin mints without the OAuth dance: those asked for (each
    one the platform knows), or ``default`` (every known scope when None)."""
    if scopes is None:
        scopes = known if default is None else default
    granted = tuple(scopes)
    unknown = unknown_scopes(granted, known)
    if unknown:
        raise SandboxError(f"unknown scopes: {unknown}")
    return granted


def missing_scopes(needed: Iterable[str], granted: Iterable[str]) -> list[str]:
    have = set(granted)
    return [scope for scope in needed if scope not in have]


def grant(scopes: list[str], subset: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(granted, declined): every scope asked for, or only those of the ``sandbox_scopes``
    subset the "user" ticked."""
    if subset is None:
        return tuple(scopes), ()
    allowed = set(split_scopes(subset))
    granted = tuple(scope for scope in scopes if scope in allowed)
    declined = tuple(scope for scope in scopes if scope not in allowed)
    return granted, declined


# ---------------------------------------------------------------------- authorization codes


@dataclass
class AuthCode:
    value: str
    flow: str
    """The login flow that gave it out (a platform with one flow: its name)."""
    app_id: str
    redirect_uri: str
    subject: str
    """The user who consented."""
    scopes: tuple[str, ...]
    declined: tuple[str, ...]
    issued_at: float
    used: bool = False


class AuthorizationCodes:
    """The codes the authorization page gave out, each exchangeable once within ``ttl()``
    seconds of ``now()`` (the sandbox's clock and option, read at each exchange)."""

    def __init__(self, now: Callable[[], float], ttl: Callable[[], float]) -> None:
        self._codes: dict[str, AuthCode] = {}
        self.now = now
        self.ttl = ttl

    def add(self, code: AuthCode) -> AuthCode:
        self._codes[code.value] = code
        return code

    def redeem(
        self, params: Mapping[str, str], *, flow: str, app_id: str, refuse: Refuse
    ) -> AuthCode:
        """The exchange's ``code``, now used: it exists, came from ``flow`` for ``app_id``,
        was not used, has not expired and goes with the exchange's ``redirect_uri``."""
        raw = params.get("code")
        if not raw:
            raise refuse(Refusal.CODE_MISSING, "")
        code = self._codes.get(raw)
        if code is None or code.flow != flow or code.app_id != app_id:
            raise refuse(Refusal.CODE_UNKNOWN, "")
        if code.used:
            raise refuse(Refusal.CODE_USED, "")
        if self.now() > code.issued_at + self.ttl():
            raise refuse(Refusal.CODE_EXPIRED, "")
        if params.get("redirect_uri") != code.redirect_uri:
            raise refuse(Refusal.CODE_REDIRECT_URI, "")
        code.used = True
        return code


# ---------------------------------------------------------------------- the authorization page


@dataclass(frozen=True)
class ConsentPage(Generic[ClientT]):
    """One platform's authorization page: what it accepts, who approves and how it says no."""

    flow: str
    known_scopes: tuple[str, ...]
    refuse: Refuse
    default_user: Callable[[ClientT], str | None]
    """The app's default user key, if it has one."""
    code_value: Callable[[], str]
    denied: Mapping[str, str]
    """The redirect's query (before ``state``) when the user says no."""
    fragment: str = ""
    """Appended to both redirects (Meta adds ``#_`` or ``#_=_``)."""
    default_scope: str | None = None
    """The scope when none is sent; None: the scope parameter is required."""
    default_response_type: str | None = None


@dataclass
class Authorization:
    """What the authorization page answered, and who consented (None: the user said no)."""

    reply: Reply
    subject: str | None = None


def consenting_user(
    key: str | None, users: Mapping[str, Any], lookup: Callable[[str], Any] | None = None
) -> str | None:
    """The id of the user ``key`` names among ``users`` (through ``lookup`` when other keys
    than the id name them: usernames…; it raises SandboxError for nobody), None when it
    names none; without a key, the first user (None when there is none)."""
    if not key:
        return next(iter(users), None)
    if lookup is None:
        return key if key in users else None
    try:
        return str(lookup(key).id)
    except SandboxError:
        return None


def authorize(
    page: ConsentPage[ClientT],
    params: Mapping[str, str],
    codes: AuthorizationCodes,
    *,
    app_named: Callable[[str], ClientT | None],
    users: Mapping[str, Any],
    lookup: Callable[[str], Any] | None = None,
) -> Authorization:
    """Check an authorization request (client_id, exact registered redirect_uri,
    ``response_type=code``, known scopes) and approve it at once as ``sandbox_user`` (or the
    app's default user, or the first one), granting the ``sandbox_scopes`` subset when
    given (``sandbox_user`` names one of ``users``, see ``consenting_user``): a 302 to
    ``redirect_uri?code=…&state=…``. ``sandbox_decision=deny`` redirects with
    the page's ``denied`` query instead."""
    refuse = page.refuse
    app = app_named(params.get("client_id", ""))
    if app is None:
        raise refuse(Refusal.UNKNOWN_APP, "")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        raise refuse(Refusal.REDIRECT_URI, redirect_uri)
    response_type = params.get("response_type", page.default_response_type)
    if response_type != "code":
        raise refuse(Refusal.RESPONSE_TYPE, str(response_type))
    if page.default_scope is None:
        scopes = split_scopes(params.get("scope", ""))
        if not scopes:
            raise refuse(Refusal.NO_SCOPE, "")
    else:
        scopes = split_scopes(params.get("scope", page.default_scope))
    unknown = unknown_scopes(scopes, page.known_scopes)
    if unknown:
        raise refuse(Refusal.UNKNOWN_SCOPES, ", ".join(unknown))
    state = params.get("state")
    if params.get("sandbox_decision") == "deny":
        location = with_query(redirect_uri, {**page.denied, "state": state}, page.fragment)
        return Authorization(Reply(302, location=location))
    key = params.get("sandbox_user") or page.default_user(app)
    subject = consenting_user(key, users, lookup)
    if subject is None:
        raise refuse(Refusal.UNKNOWN_USER if key else Refusal.NO_USER, key or "")
    granted, declined = grant(scopes, params.get("sandbox_scopes"))
    code = codes.add(
        AuthCode(
            value=page.code_value(),
            flow=page.flow,
            app_id=app.client_id,
            redirect_uri=redirect_uri,
            subject=subject,
            scopes=granted,
            declined=declined,
            issued_at=codes.now(),
        )
    )
    location = with_query(redirect_uri, {"code": code.value, "state": state}, page.fragment)
    return Authorization(Reply(302, location=location), subject)


# ---------------------------------------------------------------------- tokens


@dataclass(kw_only=True)
class IssuedToken:
    """A token the platform gave out: who for (the platform's fields), what it may do, until
    when, and whether it was revoked."""

    value: str
    app_id: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    """None: it does not expire."""
    revoked: str | None = None
    """Why it stopped working (the platform's reason), None while it works."""

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


TokenT = TypeVar("TokenT", bound=IssuedToken)


def revoke_tokens(tokens: Iterable[TokenT], owned: Callable[[TokenT], bool], reason: str) -> int:
    """Revoke the working tokens ``owned`` picks (for ``reason``); how many were."""
    count = 0
    for token in tokens:
        if owned(token) and token.revoked is None:
            token.revoked = reason
            count += 1
    return count


def expire_tokens(tokens: Iterable[TokenT], owned: Callable[[TokenT], bool], now: float) -> int:
    """Make the tokens ``owned`` picks expired as of ``now`` (a second ago); how many."""
    count = 0
    for token in tokens:
        if owned(token):
            before = token.expires_at
            token.expires_at = now - 1 if before is None else min(before, now - 1)
            count += 1
    return count
