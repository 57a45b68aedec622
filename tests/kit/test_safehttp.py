"""SafeHttp: the SSRF table (address classes, encodings, schemes) and redirects re-checked."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest

from slideforge.kit.safehttp import (
    AddressPolicy,
    FetchError,
    SafeHttp,
    UnsafeUrlError,
    is_public_address,
)
from tests.conftest import Web
from tests.helpers import image_bytes

BLOCKED_ADDRESSES = [
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "10.0.0.1",  # private
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # unspecified
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",  # IPv6 link-local
    "fd00:ec2::254",  # IPv6 ULA (AWS metadata over IPv6)
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::",  # 6to4 embedding 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 embedding 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 embedding 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo embedding 127.0.0.1
    "ff02::1",
]
PUBLIC_ADDRESSES = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", BLOCKED_ADDRESSES)
def test_blocked_address_classes(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


BLOCKED_URLS = [
    "http://127.0.0.1/",
    "http://127.1/",  # short form
    "http://2130706433/",  # decimal
    "http://0x7f000001/",  # hex
    "http://0177.0.0.1/",  # octal
    "http://localhost/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://10.0.0.1:8080/",
    "http://0.0.0.0/",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_private_targets_are_refused_before_connecting(url: str) -> None:
    http = SafeHttp()  # no allow-list
    with pytest.raises(UnsafeUrlError):
        http.get(url, max_bytes=1000)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/x",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "http://user:pass@example.com/",
        "http:///nohost",
        "not a url",
        "",
    ],
)
def test_bad_schemes_and_forms_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        SafeHttp().get(url, max_bytes=1000)


def test_allow_list_by_address_and_name(web: Web) -> None:
    url = web.add("a.jpg", image_bytes())
    assert SafeHttp(["127.0.0.1"]).get(url, max_bytes=10_000).status == 200
    assert SafeHttp(["127.0.0.0/8"]).get(url, max_bytes=10_000).status == 200
    with pytest.raises(UnsafeUrlError):
        SafeHttp(["10.0.0.0/8"]).get(url, max_bytes=10_000)


def test_name_resolving_to_any_blocked_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name is refused if ANY of its addresses is not public (stand-in DNS answers)."""
    import socket

    answers = {
        "mixed.example": ["93.184.215.14", "10.0.0.7"],
        "rebind.example": ["::ffff:169.254.169.254"],
        "public.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    }

    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    policy = AddressPolicy([])
    with pytest.raises(UnsafeUrlError):
        policy.resolve("mixed.example", 80)
    with pytest.raises(UnsafeUrlError):
        policy.resolve("rebind.example", 80)
    assert policy.resolve("public.example", 443)[0] == "93.184.215.14"


def test_allowed_name_through_allowed_address(web: Web) -> None:
    port = web.server.port
    web.add("n.txt", b"ok", "text/plain")
    assert (
        SafeHttp(["127.0.0.1"]).get(f"http://localhost:{port}/n.txt", max_bytes=100).content
        == b"ok"
    )


def test_literal_check_without_resolving() -> None:
    policy = AddressPolicy([])
    with pytest.raises(UnsafeUrlError):
        policy.check_literal("http://169.254.169.254/x")
    with pytest.raises(UnsafeUrlError):
        policy.check_literal("http://[::ffff:10.0.0.1]/x")
    policy.check_literal("https://cdn.example.com/x.jpg")  # names are checked at fetch time


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://127.0.0.2:9/",
        "http://10.1.2.3/",
        "file:///etc/passwd",
    ],
)
def test_every_redirect_is_checked_again(web: Web, target: str) -> None:
    http = SafeHttp(["127.0.0.1/32"])
    with pytest.raises(UnsafeUrlError):
        http.get(web.redirect_to(target), max_bytes=1000)


def test_allowed_redirect_is_followed_and_hops_are_capped(web: Web) -> None:
    final = web.add("final.txt", b"hello", "text/plain")
    http = SafeHttp(["127.0.0.1"], max_redirects=3)
    result = http.get(web.redirect_to(final), max_bytes=100)
    assert result.content == b"hello" and result.url == final
    chain = final
    for _ in range(5):
        chain = web.redirect_to(chain)
    with pytest.raises(FetchError) as info:
        http.get(chain, max_bytes=100)
    assert info.value.reason == "redirects"


def test_no_follow_returns_the_redirect(web: Web) -> None:
    result = SafeHttp(["127.0.0.1"]).get(
        web.redirect_to("https://example.com/"), max_bytes=100, follow_redirects=False
    )
    assert result.status == 302 and result.headers["location"] == "https://example.com/"


def test_byte_cap(web: Web) -> None:
    with pytest.raises(FetchError) as info:
        SafeHttp(["127.0.0.1"]).get(web.url("__big/50000"), max_bytes=10_000)
    assert info.value.reason == "too_large"
    assert len(SafeHttp(["127.0.0.1"]).get(web.url("__big/5000"), max_bytes=10_000).content) == 5000


def test_time_cap(web: Web) -> None:
    with pytest.raises(FetchError) as info:
        SafeHttp(["127.0.0.1"], timeout=1.0).get(web.url("__slow/5"), max_bytes=10_000)
    assert info.value.reason == "timeout"


def test_status_filter(web: Web) -> None:
    with pytest.raises(FetchError) as info:
        SafeHttp(["127.0.0.1"]).get(web.url("__status/503"), max_bytes=100, accept_status=(200,))
    assert info.value.status == 503


def test_cookies_are_not_shared_between_one_shot_gets(web: Web) -> None:
    http = SafeHttp(["127.0.0.1"])
    with http.client() as one, http.client() as two:
        one.cookies.set("session", "a")
        assert "session" not in two.cookies


def test_unparsable_location_is_a_fetch_error(web: Web) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from platform_sandbox.server import serve_in_thread

    async def bad(_: object) -> Response:
        return Response(b"", status_code=302, headers={"location": "http://[bad"})

    running = serve_in_thread(Starlette(routes=[Route("/bad", bad)]))
    try:
        http = SafeHttp(["127.0.0.1"])
        with pytest.raises(FetchError) as info:
            http.get(running.base_url + "/bad", max_bytes=100)
        assert info.value.reason == "protocol"
        kept = http.get(running.base_url + "/bad", max_bytes=100, follow_redirects=False)
        assert kept.status == 302 and kept.headers["location"] == "http://[bad"
    finally:
        running.stop()


def test_allow_one_port_only(web: Web) -> None:
    url = web.add("port.txt", b"p", "text/plain")
    port = web.server.port
    assert SafeHttp([f"127.0.0.1:{port}"]).get(url, max_bytes=10).content == b"p"
    with pytest.raises(UnsafeUrlError):
        SafeHttp([f"127.0.0.1:{port + 1}"]).get(url, max_bytes=10)
    AddressPolicy([f"127.0.0.1:{port}"]).check_literal(url)
    with pytest.raises(UnsafeUrlError):
        AddressPolicy([f"127.0.0.1:{port}"]).check_literal(f"http://127.0.0.1:{port + 1}/x")


def test_retry_after_seconds_reads_both_forms() -> None:
    import httpx

    from slideforge.kit.safehttp import retry_after_seconds

    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(httpx.Headers({"Retry-After": "120"}), now) == 120
    date = "Sun, 22 Nov 2026 12:01:30 GMT"
    assert retry_after_seconds(httpx.Headers({"Retry-After": date}), now) == 90
    past = "Sun, 22 Nov 2026 11:00:00 GMT"
    assert retry_after_seconds(httpx.Headers({"Retry-After": past}), now) == 0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert retry_after_seconds(httpx.Headers(), now) is None
