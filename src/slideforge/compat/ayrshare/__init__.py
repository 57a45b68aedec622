"""Ayrshare-compatible TikTok posting (seeds/004) under ``/ayrshare/api``: ``POST /post``,
``GET /post/{id}``, ``GET /history`` and ``/history/{id}``, ``GET /user``, ``PUT
/post/retry``, ``DELETE /delete`` (also ``DELETE /post``; one id, ``bulk`` or
``deleteAllScheduled``) and ``POST/GET/DELETE /hook/webhook`` (the ``scheduled`` and
``social`` actions), so Ayrshare's SDKs work with ``base`` pointed here. TikTok only: other
platforms are refused.

Which account: ``Profile-Key`` (the SDK's ``setProfileKey``) names one of the workspace's
TikTok accounts by id or @username; without it the workspace's only active TikTok account
posts, and zero or several active ones is an error that says what to send.

Asynchronous publishing, as Ayrshare reports it: ``POST`` answers ``id: "pending"`` with
``idShare`` = TikTok's publish_id, as Ayrshare's documented response does, so it waits (up to
``sends.SEND_WAIT_SECONDS``, without holding a thread) for the one irreversible TikTok call;
``idShare`` is null if the call has not happened by then (scheduled, or waiting for the
account's daily cap). ``GET`` shows TikTok's post id and ``postUrl`` once TikTok made the post
public; drafts (inbox) and private posts stay ``"pending"``; failures show ``id: "failed"``
and ``errors``.

Errors are Ayrshare's shape, not our envelope: HTTP 4xx/5xx with ``{action, status: "error",
code, message}`` (``POST /post`` adds ``errors`` and ``postIds: []``). A post that was created
but refused by TikTok answers 200 with ``status: "error"``. Codes are listed in
``errors.CODES``.

- ``schemas.py``: Ayrshare's request and response bodies.
- ``service.py``: the rules (Ayrshare's options ↔ a slideforge post, the account choice, the
  views of a post in Ayrshare's terms).
- ``sends.py``: waiting, in the event loop, for the send of a post made now.
- ``reads.py``: ``GET /history`` (with Ayrshare's filters) and ``GET /user`` (the accounts and
  when each must be reconnected).
- ``hooks.py``: Ayrshare webhook registration: ``webhook_endpoint`` rows with body format
  ``ayrshare``, delivered by our outbox in Ayrshare's bodies (``webhooks.formats``).
- ``errors.py``: Ayrshare's error shape for every answer under the prefix.
- ``endpoints.py``: the routes (parse → service → respond)."""
