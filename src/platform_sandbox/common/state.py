"""The part of a stand-in's state kept the same way on every platform: the clock, one lock,
behaviour options, registered apps and the other configured records (users, pages), failure
rules and the request log, with their Python API."""

from __future__ import annotations

import secrets
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platform_sandbox.common.basics import (
    SandboxError,
    apply_preset,
    build_model,
    iso,
    with_changes,
)
from platform_sandbox.common.oauth import (
    Authorization,
    AuthorizationCodes,
    ConsentPage,
    authorize,
)
from platform_sandbox.common.reply import PlatformCall, Reply
from slideforge.kit.clock import Clock, ManualClock, SystemClock


class RegisteredApp(BaseModel):
    """An app registered with the platform: its OAuth client credentials and redirect URIs."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    client_id: str = Field(default="", pattern=r"^\d*$")
    client_secret: str = ""
    name: str = "slideforge sandbox app"
    redirect_uris: list[str] = Field(default_factory=list)


class PlatformFailureRule(BaseModel):
    """The fields and checks every platform's failure rule shares, unknown fields refused
    among them. A platform's rule narrows ``kind`` to its kinds (with a default) and adds its
    own fields (after these in the admin JSON); it names its ``presets``, its ``endpoints``
    (those where ``after_commit`` applies too) and the ``answering_kind`` of rule that
    answers requests with an error, and completes or refuses such a rule in
    ``_check_answer``."""

    model_config = ConfigDict(extra="forbid")

    presets: ClassVar[Mapping[str, Mapping[str, Any]]]
    endpoints: ClassVar[tuple[str, ...]]
    after_commit_endpoints: ClassVar[tuple[str, ...]]
    answering_kind: ClassVar[str]

    id: int = 0
    kind: str
    preset: str | None = None
    endpoint: str = "*"
    after_commit: bool = False
    """The object is really created first, then the error answered (``after_commit_endpoints``
    only)."""
    count: int | None = Field(default=1, ge=1)
    """How many times the rule fires; None: until cleared."""
    fired: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        apply_preset(self, self.preset, self.presets)
        if self.endpoint not in self.endpoints:
            raise ValueError(f"endpoint must be one of {self.endpoints}")
        if self.kind == self.answering_kind:
            self._check_answer()
            if self.after_commit and self.endpoint not in self.after_commit_endpoints:
                raise ValueError(f"after_commit only applies to {self.after_commit_endpoints}")
        return self

    @abstractmethod
    def _check_answer(self) -> None:
        """Refuse (ValueError) an answering rule that lacks what its error needs, or fill
        the defaults."""


class CountedRule(Protocol):
    """What ``take_rule`` needs of a failure rule: how often it fires and has fired."""

    count: int | None
    fired: int


OptionsT = TypeVar("OptionsT", bound=BaseModel)
AppT = TypeVar("AppT", bound=RegisteredApp)
RuleT = TypeVar("RuleT", bound=BaseModel)
RecordT = TypeVar("RecordT", bound=BaseModel)
CountedT = TypeVar("CountedT", bound=CountedRule)


def take_rule(rules: list[CountedT], wanted: Callable[[CountedT], bool]) -> CountedT | None:
    """The first rule ``wanted`` accepts, counted as fired (and dropped once it has fired
    ``count`` times); None when no rule matches."""
    for rule in rules:
        if not wanted(rule):
            continue
        rule.fired += 1
        if rule.count is not None and rule.fired >= rule.count:
            rules.remove(rule)
        return rule
    return None


class PlatformSandbox(ABC, Generic[OptionsT, AppT, RuleT]):
    """The part of a platform sandbox's state kept the same way on every platform: the
    clock, one lock, behaviour options, registered apps, failure rules and the request log,
    with their Python API.

    A platform sets ``failure_rule_model``, ``app_model`` (with ``app_id_base`` and
    ``app_secret_bytes`` for generated credentials), fills the configuration in
    ``_load_config`` (``_options``, ``_apps``, ``_config_seq`` and its own records) and the
    API's records in ``_clear_state`` (``_seq``, ``_codes``, ``_rules``, ``_rule_seq``,
    ``_requests`` and its own)."""

    failure_rule_model: type[RuleT]
    app_model: type[AppT]
    app_id_base: ClassVar[int]
    app_secret_bytes: ClassVar[int]
    request_filters: ClassVar[tuple[str, ...]] = ("endpoint",)
    """The request log's fields the admin ``GET /requests`` filters on (query parameters)."""

    _options: OptionsT
    _apps: dict[str, AppT]
    _config_seq: int
    _seq: int
    _rules: list[RuleT]
    _rule_seq: int
    _requests: deque[dict[str, Any]]
    _codes: AuthorizationCodes

    def __init__(self, *, clock: Clock | None, options: OptionsT, seed_defaults: bool) -> None:
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._initial_options = options.model_copy(deep=True)
        self._seed_defaults = seed_defaults
        self._load_config()
        self._clear_state()

    @abstractmethod
    def _load_config(self) -> None:
        """Options, apps and accounts as configured at start (seeded when asked)."""

    @abstractmethod
    def _clear_state(self) -> None:
        """Forget everything the API created, the failure rules and the request log."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """Counts of what the sandbox holds (the admin ``GET /state``)."""

    def reset(self, *, keep_config: bool = True) -> None:
        """Forget tokens, codes, everything created through the API, counters, failure rules
        and the request log (``_clear_state``); with ``keep_config=False`` apps, accounts and
        options return to their defaults too (``_load_config``)."""
        with self._lock:
            if not keep_config:
                self._load_config()
            self._clear_state()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _next(self, base: int) -> str:
        self._seq += 1
        return str(base + self._seq)

    def _next_config_id(self, base: int) -> str:
        self._config_seq += 1
        return str(base + self._config_seq)

    # ------------------------------------------------------------------ configured records

    @staticmethod
    def _copies(records: Mapping[str, RecordT]) -> list[RecordT]:
        return [record.model_copy(deep=True) for record in records.values()]

    @staticmethod
    def _add_record(
        records: dict[str, RecordT],
        model: type[RecordT],
        fields: Mapping[str, Any],
        *,
        noun: str,
        fill: Callable[[RecordT], None],
        check: Callable[[RecordT], None] | None = None,
        key: str = "id",
    ) -> RecordT:
        """A configured record (app, user, page) built from ``fields``; ``fill`` gives the
        generated values (ids) the fields left empty, ``check`` refuses references to
        unknown records. 409 when its ``key`` is taken."""
        record = build_model(model, fields)
        fill(record)
        ident = getattr(record, key)
        if ident in records:
            raise SandboxError(f"{noun} {ident} exists", status=409, code="conflict")
        if check is not None:
            check(record)
        records[ident] = record
        return record.model_copy(deep=True)

    @staticmethod
    def _update_record(
        records: dict[str, RecordT],
        current: RecordT,
        changes: Mapping[str, Any],
        *,
        key: str = "id",
    ) -> RecordT:
        """``current`` with ``changes``; its ``key`` cannot change."""
        record = with_changes(current, changes)
        if getattr(record, key) != getattr(current, key):
            raise SandboxError(f"{key} cannot change")
        records[getattr(record, key)] = record
        return record.model_copy(deep=True)

    # ------------------------------------------------------------------ options and apps

    @property
    def options(self) -> OptionsT:
        with self._lock:
            return self._options.model_copy(deep=True)

    def update_options(self, **changes: Any) -> OptionsT:
        with self._lock:
            self._options = with_changes(self._options, changes)
            return self._options.model_copy(deep=True)

    def apps(self) -> list[AppT]:
        with self._lock:
            return self._copies(self._apps)

    def get_app(self, client_id: str) -> AppT:
        with self._lock:
            return self._app(client_id).model_copy(deep=True)

    def _app(self, client_id: str) -> AppT:
        app = self._apps.get(client_id)
        if app is None:
            raise SandboxError(f"no app {client_id!r}", status=404, code="not_found")
        return app

    def _default_app(self, app_id: str | None) -> AppT:
        """The app ``app_id``, or the first registered one."""
        app = self._app(app_id) if app_id else next(iter(self._apps.values()), None)
        if app is None:
            raise SandboxError("no app registered")
        return app

    def add_app(self, **fields: Any) -> AppT:
        """Register an app (client id and secret generated when not given)."""

        def fill(app: AppT) -> None:
            if not app.client_id:
                app.client_id = self._next_config_id(self.app_id_base)
            if not app.client_secret:
                app.client_secret = secrets.token_hex(self.app_secret_bytes)

        with self._lock:
            return self._add_record(
                self._apps, self.app_model, fields, noun="app", fill=fill, key="client_id"
            )

    def update_app(self, client_id: str, **changes: Any) -> AppT:
        with self._lock:
            return self._update_record(self._apps, self._app(client_id), changes, key="client_id")

    # ------------------------------------------------------------------ OAuth

    def _consent(
        self,
        page: ConsentPage[AppT],
        params: Mapping[str, str],
        users: Mapping[str, Any],
        lookup: Callable[[str], Any] | None = None,
    ) -> Authorization:
        """The authorization ``page``'s answer to ``params`` (``oauth.authorize``), the user
        who consents being one of ``users``."""
        with self._lock:
            return authorize(
                page, params, self._codes, app_named=self._apps.get, users=users, lookup=lookup
            )

    # ------------------------------------------------------------------ failures API

    def add_failure(self, rule: RuleT | None = None, **fields: Any) -> RuleT:
        with self._lock:
            if rule is None:
                rule = build_model(self.failure_rule_model, fields)
            self._rule_seq += 1
            rule = rule.model_copy(update={"id": self._rule_seq, "fired": 0})
            self._rules.append(rule)
            return rule.model_copy()

    def failures(self) -> list[RuleT]:
        with self._lock:
            return [rule.model_copy() for rule in self._rules]

    def clear_failures(self) -> None:
        with self._lock:
            self._rules.clear()

    # ------------------------------------------------------------------ clock API

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def manual_clock(self) -> bool:
        return isinstance(self.clock, ManualClock)

    def advance_clock(self, seconds: float) -> datetime:
        if not isinstance(self.clock, ManualClock):
            raise SandboxError("the sandbox runs on the system clock", status=409)
        return self.clock.advance(seconds)

    def set_clock(self, when: datetime) -> datetime:
        if not isinstance(self.clock, ManualClock):
            raise SandboxError("the sandbox runs on the system clock", status=409)
        self.clock.set(when)
        return self.clock.now()

    # ------------------------------------------------------------------ request log

    def _log_request(
        self,
        *,
        method: str,
        path: str,
        endpoint: str,
        status: int,
        code: int | str | None,
        **details: Any,
    ) -> None:
        """Append one answered request to the log; ``details`` are the platform's fields."""
        with self._lock:
            self._requests.append(
                {
                    "at": iso(self._now()),
                    "method": method,
                    "path": path,
                    "endpoint": endpoint,
                    "status": status,
                    "code": code,
                    **details,
                }
            )

    def _answered(
        self,
        call: PlatformCall,
        reply: Reply,
        request_id: tuple[str, str],
        *,
        code: int | str | None,
        **details: Any,
    ) -> Reply:
        """``reply`` with the call's extra headers and the ``request_id`` header (those the
        reply set win), logged with the platform's ``details``."""
        for key, value in [*call.extra_headers.items(), request_id]:
            reply.headers.setdefault(key, value)
        self._log_request(
            method=call.method,
            path=call.path,
            endpoint=call.endpoint,
            status=reply.status,
            code=code,
            **details,
        )
        return reply

    def _logged_requests(self, **filters: str | None) -> list[dict[str, Any]]:
        """The log's entries, oldest first, equal to every filter that is not None."""
        with self._lock:
            return [
                dict(entry)
                for entry in self._requests
                if all(value is None or entry[key] == value for key, value in filters.items())
            ]
