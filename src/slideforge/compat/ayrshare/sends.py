"""Waiting for the send of a post made now, without holding a thread.

Ayrshare's documented answer to a TikTok post made now carries ``idShare``, TikTok's
publish_id (README, "Ayrshare-compatible TikTok posting"), which exists only once the one
irreversible TikTok call was made. So ``POST /post`` waits up to ``SEND_WAIT_SECONDS`` for
it, as a coroutine on the event loop: it reads the post's targets, then waits for a commit
that changes one of them, and reads them again. No thread sleeps or polls meanwhile.

The commits are seen with two SQLAlchemy listeners: ``PostTarget``'s ``after_update`` notes
the post in its session, and the session's ``after_commit`` wakes whoever waits for that
post. The publish workflows run in this process in the embedded mode; in the scaled mode
(``slideforge worker`` processes) nothing here wakes the wait, so it also reads the targets
every ``SEND_RECHECK_SECONDS`` until ``SEND_WAIT_SECONDS`` ran out."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session
from starlette.concurrency import run_in_threadpool

from slideforge.compat.ayrshare import service
from slideforge.models import PostTarget
from slideforge.runtime import Runtime

# How long POST /post waits for the TikTok call that yields idShare (TikTok's publish_id).
SEND_WAIT_SECONDS = 5.0
# Without a wake-up (the send committed in another process: ``slideforge worker``), the wait
# reads the targets again this often; the coroutine holds no thread meanwhile.
SEND_RECHECK_SECONDS = 0.5

# session.info key: the posts whose targets this session's transaction changed.
_CHANGED = "slideforge.ayrshare.changed_posts"

_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]
_waiters: dict[uuid.UUID, list[_Waiter]] = {}
_waiters_lock = threading.Lock()


async def wait_for_send(runtime: Runtime, post_id: uuid.UUID) -> None:
    """Until every target of the post made its TikTok call, stopped, or waits for the
    account's daily cap, or ``SEND_WAIT_SECONDS`` passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SEND_WAIT_SECONDS
    with _watching(post_id, loop) as changed:
        while True:
            changed.clear()  # a commit from here on sets it again: the read below may miss it
            if not await run_in_threadpool(_awaiting_send, runtime, post_id):
                return
            if loop.time() >= deadline:
                return
            with suppress(TimeoutError):
                async with asyncio.timeout_at(min(deadline, loop.time() + SEND_RECHECK_SECONDS)):
                    await changed.wait()


def _awaiting_send(runtime: Runtime, post_id: uuid.UUID) -> bool:
    with runtime.db.session() as session:
        return service.awaiting_send(session, post_id)


@contextmanager
def _watching(post_id: uuid.UUID, loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.Event]:
    """An event set (from any thread) whenever a commit changes a target of the post."""
    waiter = (loop, asyncio.Event())
    with _waiters_lock:
        _waiters.setdefault(post_id, []).append(waiter)
    try:
        yield waiter[1]
    finally:
        with _waiters_lock:
            left = _waiters.get(post_id, [])
            left.remove(waiter)
            if not left:
                _waiters.pop(post_id, None)


def _target_updated(_mapper: Any, _connection: Any, target: PostTarget) -> None:
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(target.post_id)


def _committed(session: Session) -> None:
    changed: set[uuid.UUID] | None = session.info.pop(_CHANGED, None)
    if not changed:
        return
    with _waiters_lock:
        woken = [waiter for post_id in changed for waiter in _waiters.get(post_id, ())]
    for loop, changed_event in woken:
        with suppress(RuntimeError):  # the waiting loop is closed (the server stopped)
            loop.call_soon_threadsafe(changed_event.set)


def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


event.listen(PostTarget, "after_update", _target_updated)
event.listen(Session, "after_commit", _committed)
event.listen(Session, "after_rollback", _rolled_back)
