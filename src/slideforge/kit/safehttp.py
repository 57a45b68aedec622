"""SafeHttp: the one client for fetching URLs that users give us.

- only http and https; no credentials in URLs;
- every address a host name resolves to is checked (loopback, private, link-local — which
  includes the 169.254.169.254 metadata service —, carrier-grade NAT, multicast, reserved,
  unspecified; IPv6 ULA and link-local; IPv4 embedded in IPv6 through mapped, 6to4, NAT64 and
  Teredo forms), and the connection goes to the address that was checked (no DNS rebinding);
- every redirect is checked again (it goes through the same connect path), with a hop limit;
- bodies are capped in bytes and the whole fetch in time;
- an explicit allow-list (host names or CIDR ranges) lets tests and the sandbox reach
  loopback servers. Nothing else bypasses the checks.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_EXTRA_BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]

DEFAULT_USER_AGENT = "slideforge/0.1 (+https://github.com/slideforge)"


class UnsafeUrlError(Exception):
    """The URL may not be fetched (scheme, credentials, or an address that is not public)."""


class FetchError(Exception):
    """The fetch was attempted and failed. ``reason`` is one of: timeout, too_large, connect,
    status, redirects, protocol."""

    def __init__(self, reason: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible (deprecated) ::a.b.c.d
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    return not any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version)


class AddressPolicy:
    """Decides which hosts and addresses may be reached."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        """``allow`` entries: a host name, an address or CIDR range, or ``host:port`` /
        ``[v6]:port`` for one port only (how the sandbox is allowed without opening the whole
        loopback to user URLs)."""
        self.allow_hosts: set[str] = set()
        self.allow_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.allow_endpoints: set[tuple[str, int]] = set()
        for entry in allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            host, sep, port = entry.rpartition(":")
            if sep and port.isdigit() and (host.startswith("[") or ":" not in host):
                self.allow_endpoints.add((host.strip("[]"), int(port)))
                continue
            try:
                self.allow_nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.allow_hosts.add(entry.strip("[]"))

    def address_allowed(self, ip: IPAddress) -> bool:
        if any(ip.version == net.version and ip in net for net in self.allow_nets):
            return True
        return is_public_address(ip)

    def check_literal(self, url: str) -> None:
        """Refuse at once a URL whose host is an IP literal that may not be reached (names are
        checked when they are resolved, at fetch time)."""
        parsed = check_url(url)
        host = parsed.host.strip("[]").lower()
        if host in self.allow_hosts or (host, parsed.port or 0) in self.allow_endpoints:
            return
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return
        if not self.address_allowed(ip):
            raise UnsafeUrlError(f"host {host} is not a public address")

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and return the addresses to connect to, all checked."""
        name = host.strip("[]").lower()
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError("connect", f"cannot resolve host {host!r}") from exc
        addresses: list[str] = []
        for info in infos:
            text = str(info[4][0]).split("%", 1)[0]
            ip = ipaddress.ip_address(text)
            endpoint_ok = (name, port) in self.allow_endpoints or (
                text,
                port,
            ) in self.allow_endpoints
            if name not in self.allow_hosts and not endpoint_ok and not self.address_allowed(ip):
                raise UnsafeUrlError(
                    f"host {host!r} resolves to {ip}, which is not a public address"
                )
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise FetchError("connect", f"host {host!r} has no address")
        return addresses


def check_url(url: str) -> httpx.URL:
    """Syntax-level checks (scheme, host, credentials). Address checks happen at connect."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # IDNA-decodes: malformed labels (xn--) raise UnicodeError here
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeUrlError(f"not a valid URL: {url!r}") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsafeUrlError(f"only http and https URLs can be fetched, not {parsed.scheme!r}")
    if not host:
        raise UnsafeUrlError("the URL has no host")
    if parsed.userinfo:
        raise UnsafeUrlError("URLs with credentials (user:password@) are not fetched")
    return parsed


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the policy accepts (checked at connect time)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self._policy.resolve(host, port):
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeUrlError("unix sockets are not reachable")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: loading the CA bundle costs ~30 ms, and a
    context may be shared by threads."""
    return httpx.create_ssl_context()


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: AddressPolicy, proxy: str | None = None) -> None:
        super().__init__(proxy=proxy, trust_env=False, verify=shared_ssl_context())
        backend = _GuardedBackend(policy)
        if proxy is None:
            self._pool = httpcore.ConnectionPool(
                ssl_context=shared_ssl_context(),
                max_connections=20,
                max_keepalive_connections=10,
                keepalive_expiry=5.0,
                network_backend=backend,
            )


def retry_after_seconds(headers: httpx.Headers, now: datetime) -> int | None:
    """The whole seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP
    date, RFC 9110 §10.2.3), or None when there is none or it cannot be read."""
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return int(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - now).total_seconds()))


@dataclass
class FetchResult:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class SafeClient:
    """One cookie-keeping session of guarded requests (e.g. a TikTok page and its images)."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        timeout: float,
        max_redirects: int,
        user_agent: str,
        proxy: str | None,
        headers: dict[str, str] | None = None,
        cookies: Any = None,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.proxy = proxy
        base_headers = {"user-agent": user_agent, "accept": "*/*"}
        base_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        self._client = httpx.Client(
            transport=_GuardedTransport(policy, proxy),
            headers=base_headers,
            cookies=cookies,
            follow_redirects=False,
            trust_env=False,
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        max_bytes: int,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        follow_redirects: bool = True,
        timeout: float | None = None,
        accept_status: Sequence[int] | None = None,
    ) -> FetchResult:
        """Fetch ``url``; redirects are followed hop by hop (each one checked) unless
        ``follow_redirects`` is False. Raises UnsafeUrlError or FetchError."""
        budget = timeout or self.timeout
        deadline = time.monotonic() + budget
        current = str(check_url(url))
        for _hop in range(self.max_redirects + 1):
            if self.proxy is not None:
                # Through a proxy the proxy resolves the name: check it here first.
                parsed = httpx.URL(current)
                self.policy.resolve(parsed.host, parsed.port or 443)
            result = self._once(method, current, max_bytes, headers, content, deadline)
            if follow_redirects and result.status in (301, 302, 303, 307, 308):
                location = result.headers.get("location")
                if not location:
                    raise FetchError("protocol", f"redirect from {current} without Location")
                try:
                    target = urljoin(current, location)
                except ValueError as exc:
                    raise FetchError(
                        "protocol", f"redirect to an invalid URL: {location!r}"
                    ) from exc
                current = str(check_url(target))
                if result.status == 303 or (result.status in (301, 302) and method != "GET"):
                    method, content = "GET", None
                continue
            if accept_status is not None and result.status not in accept_status:
                raise FetchError(
                    "status", f"{current} answered HTTP {result.status}", result.status
                )
            return result
        raise FetchError("redirects", f"more than {self.max_redirects} redirects from {url}")

    def get(self, url: str, *, max_bytes: int, **kwargs: Any) -> FetchResult:
        return self.request("GET", url, max_bytes=max_bytes, **kwargs)

    def _once(
        self,
        method: str,
        url: str,
        max_bytes: int,
        headers: dict[str, str] | None,
        content: bytes | None,
        deadline: float,
    ) -> FetchResult:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout", f"fetching {url} took too long")
        timeout = httpx.Timeout(remaining, connect=min(remaining, 10.0))
        try:
            with self._client.stream(
                method, url, headers=headers, content=content, timeout=timeout
            ) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(
                        "too_large", f"{url} is {int(declared)} bytes, over {max_bytes}"
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError("too_large", f"{url} is larger than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise FetchError("timeout", f"fetching {url} took too long")
                    chunks.append(chunk)
                body = b"".join(chunks)
                encoding = response.headers.get("content-encoding", "").lower()
                if encoding in ("gzip", "deflate", "br"):
                    body = _decode_body(body, encoding, max_bytes, url)
                return FetchResult(url, response.status_code, response.headers, body)
        except UnsafeUrlError:
            raise
        except FetchError:
            raise
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"fetching {url} timed out") from exc
        except (httpx.ConnectError, httpx.NetworkError, httpx.ProxyError) as exc:
            raise FetchError("connect", f"could not connect to {url}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpcore.ProtocolError) as exc:
            raise FetchError("protocol", f"bad response from {url}: {exc}") from exc


def _decode_body(body: bytes, encoding: str, max_bytes: int, url: str) -> bytes:
    import zlib

    if encoding == "br":
        try:
            import brotli
        except ImportError as exc:
            raise FetchError("protocol", f"{url} sent brotli, which is not supported") from exc
        out = brotli.decompress(body)
        if len(out) > max_bytes:
            raise FetchError("too_large", f"{url} is larger than {max_bytes} bytes")
        return bytes(out)
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError("protocol", f"{url} sent a broken {encoding} body") from exc
    if len(out) > max_bytes or decompressor.unconsumed_tail:
        raise FetchError("too_large", f"{url} is larger than {max_bytes} bytes")
    return out


class SafeHttp:
    """Factory of guarded clients, configured once from the settings."""

    def __init__(
        self,
        allow: Iterable[str] = (),
        *,
        timeout: float = 20.0,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        proxy: str | None = None,
    ) -> None:
        self.policy = AddressPolicy(allow)
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.proxy = proxy

    @contextmanager
    def client(
        self,
        *,
        headers: dict[str, str] | None = None,
        cookies: Any = None,
        proxy: str | None = None,
        user_agent: str | None = None,
        timeout: float | None = None,
    ) -> Iterator[SafeClient]:
        client = SafeClient(
            self.policy,
            timeout=timeout or self.timeout,
            max_redirects=self.max_redirects,
            user_agent=user_agent or self.user_agent,
            proxy=proxy or self.proxy,
            headers=headers,
            cookies=cookies,
        )
        try:
            yield client
        finally:
            client.close()

    def get(self, url: str, *, max_bytes: int, **kwargs: Any) -> FetchResult:
        """One GET in a fresh session (no cookies shared between callers)."""
        with self.client() as client:
            return client.get(url, max_bytes=max_bytes, **kwargs)
