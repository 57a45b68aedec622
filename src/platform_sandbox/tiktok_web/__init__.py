"""TikTok web sandbox: TikTok's public post pages, short links and photo CDN, on loopback.

Built from the facts in ``docs/copy-tiktok.md``, "TikTok web pages", for
the copy-a-slideshow fetcher (``slideforge.copy_tiktok.fetch``), its tests and benchmarks.

Use::

    sandbox = TikTokWebSandbox(clock=ManualClock())
    server = serve_in_thread(create_app(sandbox))
    post = sandbox.add_photo_post([jpeg1, jpeg2], author="creator", caption="3 tips #fyp")
    sandbox.add_short_link("ZMabc123", post_id=post.id)
    # fetch {server.base_url}/@_/video/{post.id}, {server.base_url}/vm/ZMabc123/ …

Paths (what the fetcher maps real TikTok hosts onto)::

    GET  /@{user}/video/{id}          post page (HTML, rehydration JSON in a script element)
    GET  /@{user}/photo/{id}          same page without the video-detail scope (as TikTok)
    GET  /@{handle}                   profile page (webapp.user-detail), see ``profiles.py``
    GET  /api/post/item_list/         the account's items (XHR: secUid, count, cursor)
    GET|HEAD /t/{code}/               www.tiktok.com/t/ short link   -> 301 Location
    GET|HEAD /vm/{code}/, /vt/{code}/ vm./vt.tiktok.com short links  -> 301 Location
    GET  /cdn/{mirror}/{bucket}/{key}~tplv-photomode-image.{ext}?x-expires=…&x-signature=…
    GET  /, /login                    home page, login page
    /__sandbox/…                      admin API (JSON), see ``admin.py``

Reproduced:

- Post pages embed ``<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">``
  with ``__DEFAULT_SCOPE__`` → ``webapp.app-context``, ``seo.abtest`` (``canonical``) and
  ``webapp.video-detail`` (``statusCode``, ``statusMsg``, ``itemInfo.itemStruct``); the JSON
  escapes ``<``, ``>``, ``&`` and ``/`` as TikTok does. Photo posts carry ``imagePost``
  (``images[].imageURL.urlList`` with two mirrors, ``imageWidth``/``imageHeight``, ``cover``,
  ``shareCover``, ``title``), a ``video`` object with duration 0, ``desc``, ``textExtra`` and
  ``contents`` hashtag spans, ``challenges``, ``author``, ``music``, ``stats``. Video posts
  have no ``imagePost``. Page format "sigi" / "sigi_persisted" serves the older ``SIGI_STATE``
  / ``sigi-persisted-data`` script (``ItemModule``, ``UserModule``, ``VideoPage``) instead.
- Status codes: private post 10216, private account 10222, deleted/unavailable 10204,
  region-locked 10231 (with ``statusMsg``, no ``itemInfo``); content-classified posts carry
  ``isContentClassified: true`` with the media stripped for visitors without a session.
  Sessions (``sessionid`` cookies registered with ``add_session``) see private posts they are
  viewers of and content-classified posts, and pass the login wall.
- Web modes: normal, forbidden (HTTP 403 "Access Denied"), empty (200, empty body), captcha
  (a verification page with no JSON and no solvable challenge), login_wall (302 to
  ``https://www.tiktok.com/login?redirect_url=…``). Rate limit: 429 with ``Retry-After``
  (seconds, an HTTP date, or none) for the next N page/short-link requests.
- WAF challenge ("Please wait…" page): ``<p id="wci" class="_wafchallengeid">``,
  ``<p id="rci" class="waforiginalreid">``, ``<p id="rs" class="…">`` and
  ``<p id="cs" class="…">`` where cs is base64 JSON ``{"v":{"a":…,"c":…},"s":…,"t":…}``:
  find i with sha256(a + str(i)) == c. The solution cookie (the cs object with
  ``d`` = base64(str(i)), JSON then base64) is verified for real (issued puzzle, signature,
  hash) together with the ``waforiginalreid`` cookie. Mode "once": a valid solution passes;
  "always": every request is challenged again.
- Page responses set ``ttwid``, ``msToken`` and ``tt_chain_token`` cookies; pages are gzip
  encoded when the client accepts it.
- Short links answer 301 with TikTok's long ``Location`` (``?_r=1&_d=…&share_item_id=…``);
  unknown codes redirect to ``https://www.tiktok.com/?_r=1``.
- Image URLs are signed (``x-expires``, ``x-signature`` = HMAC-SHA256 of the object path and
  expiry) and answer 403 once expired or when tampered with; their ending is
  ``~tplv-photomode-image.jpeg`` (or ``.image``/``.jpg``/``.webp`` per slide) whatever the
  bytes are, and ``Content-Type`` follows the ending, never the bytes. Options: the next N
  pages hand out already-expired URLs (a stale cached page), images may require the page's
  ``tt_chain_token`` cookie (one session), the first mirror of a post may be down (503).
- Resilience option ``page_redirect`` (not documented TikTok behaviour): user-less page paths
  answer 301 to the author's path or to any URL, to check that only same-post paths are
  followed, and only on the web base.
- Profiles (``add_profile``): the profile page and the item list XHR with TikTok's user
  status codes (10202 no such user, 10221 banned, 10222 private), described in
  ``profiles.py``. Every counter (an item's plays, likes, comments, shares, saves; a
  profile's followers and hearts) grows with the clock, deterministic from
  ``engagement_seed`` (``engagement.py``); an item created later than "now" is not listed.
- Every non-admin request is logged (method, path, query, headers, cookies, status, kind,
  note) for tests to assert on.

Deviations from real TikTok: cookies have no ``Domain=.tiktok.com`` (the sandbox is one host),
short links for vm./vt./www share one code namespace, the page's own JavaScript and most
tracking fields are absent, image URLs point at this server instead of ``*.tiktokcdn.com``,
``sigi-persisted-data`` uses a ``window['SIGI_STATE']=…`` assignment (its exact historical
shape varied), and the challenge difficulty is configurable (TikTok's answers go up to 10^6).

Modules: ``records.py`` (the post, slide, option and log records, constants), ``posts.py``
(what a registered post is built from: authors, music, captions, image sizes), ``state.py``
(``TikTokWebSandbox``: the state and its Python API), ``items.py`` (the item JSON of a post),
``pages.py`` (post pages, home and login pages, short links, rate limit, cookies),
``profiles.py`` (profile pages and the item list), ``engagement.py`` (the counters' growth),
``challenge.py`` (the WAF challenge), ``signing.py`` (signed image URLs), ``images.py`` (the
photo CDN), ``admin.py`` (the ``/__sandbox/`` routes) and ``app.py`` (``create_app``).
"""

from platform_sandbox.common import SandboxError
from platform_sandbox.tiktok_web.app import create_app
from platform_sandbox.tiktok_web.records import (
    LoggedRequest,
    SandboxAuthor,
    SandboxMusic,
    SandboxPost,
    SandboxProfile,
    SandboxSlide,
    WebConfig,
)
from platform_sandbox.tiktok_web.state import TikTokWebSandbox

__all__ = [
    "LoggedRequest",
    "SandboxAuthor",
    "SandboxError",
    "SandboxMusic",
    "SandboxPost",
    "SandboxProfile",
    "SandboxSlide",
    "TikTokWebSandbox",
    "WebConfig",
    "create_app",
]
