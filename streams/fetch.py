"""Fetch the https:// documents events name, without letting an event point the worker anywhere else.

A URL in an event is untrusted input. Followed blindly, it makes the worker a proxy into its own network
(SSRF: a cloud metadata endpoint, an admin port on 127.0.0.1, reached directly or through a redirect), and a
source that never answers stalls a stage. So:

- only `https` URLs without credentials, to a host (and port) in `fetch_allowed_hosts`; none configured
  means no https:// reference is followed at all;
- every address the host resolves to must be global (`ipaddress` `.is_global`), unless
  `fetch_allow_private`: the check sits in the resolver the connector itself uses, so the address checked
  is the address connected to and a second DNS answer (rebinding) cannot slip another in; an IP-literal
  host, which aiohttp never resolves, is checked when the URL is;
- redirects are followed by hand, at most `fetch_max_redirects`, and only to https on the same host and port;
- one deadline (`fetch_time_budget_s`) covers connect, redirects and body, then `DependencyUnavailable`
  sends the event to its retry topic (no retries here); the body is read one byte past what the caller
  allows at most, undecoded (no gzip bomb), and no cookie is kept from one tenant's fetch to the next.

Errors name the host only: paths and queries may carry access tokens (SAS), and the messages go back to
tenants in dead letters. One `DocumentFetcher` per worker holds one pooled session, made lazily inside the
running loop and closed by `aclose`.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl

import aiohttp
from aiohttp import hdrs
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from config.settings import Settings
from streams.errors import ConfigError, DependencyUnavailable, DocumentNotAllowed, DocumentNotFound

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRIABLE = frozenset({408, 429})
_HEADERS = {hdrs.ACCEPT_ENCODING: "identity"}  # the bytes as stored: the digest is of those
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """Whether an IP address is global, judging the IPv4 address inside an IPv6 form by itself."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # a link-local address may carry a %scope
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        teredo = ip.teredo
        inner = ip.ipv4_mapped or ip.sixtofour or (teredo[1] if teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return inner.is_global
    return ip.is_global


@functools.lru_cache(maxsize=16)
def _allowed_hosts(entries: tuple[str, ...]) -> frozenset[tuple[str, int]]:
    """(host, port) pairs from `host` / `host:port` entries, normalised as URLs are (lower case, IDNA)."""
    allowed = set()
    for entry in entries:
        try:
            url = URL(f"https://{entry.strip()}")
        except ValueError:
            url = None
        if url is None or not url.raw_host or url.user or url.password or url.raw_path not in ("", "/"):
            raise ConfigError(f"fetch_allowed_hosts: {entry!r} is not `host` or `host:port`")
        allowed.add((url.raw_host, url.port if url.port is not None else 443))
    return frozenset(allowed)


def _label(url: URL) -> str:
    """How messages name a URL's host: never its path or query."""
    return f"{url.raw_host}:{url.port}" if url.explicit_port is not None else str(url.raw_host)


def check_url(raw: str, settings: Settings) -> URL:
    """The parsed URL when settings allow fetching it, else `DocumentNotAllowed` (no network involved)."""
    allowed = _allowed_hosts(settings.fetch_allowed_hosts)
    if not allowed:
        raise DocumentNotAllowed("https:// references are not allowed: this worker has no fetch hosts configured")
    try:
        url = URL(raw)
    except ValueError:
        raise DocumentNotAllowed("document URL is not a valid URL") from None
    if url.scheme != "https" or not url.raw_host:
        raise DocumentNotAllowed("document URL must be https:// with a host")
    if url.user is not None or url.password is not None:
        raise DocumentNotAllowed(f"document URL for host {url.raw_host} carries credentials: refused")
    if (url.raw_host, url.port) not in allowed:
        raise DocumentNotAllowed(f"document host {_label(url)} is not in the fetch allow-list")
    if not settings.fetch_allow_private and _is_ip_literal(url.raw_host) and not is_public_address(url.raw_host):
        raise DocumentNotAllowed(f"document host {_label(url)} is not a public address")
    return url


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class _PublicOnlyResolver(AbstractResolver):
    """aiohttp's resolver, refusing a host when any address it resolves to is not global."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not self._allow_private and not all(is_public_address(r["host"]) for r in found):
            raise DocumentNotAllowed(f"document host {host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        await self._inner.close()


def _redirect(current: URL, location: str | None, host: str) -> URL:
    """Where a redirect leads, when it stays on https and the same host and port."""
    if not location:
        raise DocumentNotAllowed(f"document host {host} answered a redirect without a location")
    try:
        target = current.join(URL(location))
    except ValueError:
        target = None
    if (target is None or target.scheme != "https" or target.raw_host != current.raw_host
            or target.port != current.port or target.user is not None or target.password is not None):
        raise DocumentNotAllowed(f"document host {host}: redirect to another host refused "
                                 "(only https on the same host and port is followed)")
    return target


def _check_status(status: int, host: str) -> None:
    if 200 <= status < 300:
        return
    if status in (404, 410):
        raise DocumentNotFound(f"document host {host} answered {status}")
    if status in _RETRIABLE or status >= 500:
        raise DependencyUnavailable(f"document host {host} answered {status}")
    raise DocumentNotAllowed(f"document host {host} refused the document ({status})")


async def _read_at_most(body: aiohttp.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = await body.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _why(exc: BaseException) -> str:
    detail = getattr(exc, "strerror", None)
    return f"{type(exc).__name__} ({detail})" if isinstance(detail, str) and detail else type(exc).__name__


class DocumentFetcher:
    """Fetches allow-listed https:// documents over one pooled session (one per worker process)."""

    def __init__(self, settings: Settings) -> None:
        _allowed_hosts(settings.fetch_allowed_hosts)  # what the settings pattern lets by (port 99999): ConfigError
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._resolver: _PublicOnlyResolver | None = None

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The pooled session, once the first fetch made it."""
        return self._session

    async def fetch(self, raw_url: str, max_bytes: int) -> bytes:
        """The body at `raw_url`, at most `max_bytes + 1` bytes (one more than allowed tells it is too long)."""
        url = check_url(raw_url, self.settings)
        host, budget = _label(url), self.settings.fetch_time_budget_s
        try:
            async with asyncio.timeout(budget):
                return await self._get(url, max_bytes + 1, host)
        except TimeoutError:
            raise DependencyUnavailable(f"document host {host} did not answer within {budget:g} s") from None
        except (aiohttp.ClientError, OSError) as exc:  # `from None`: some carry the URL, and with it a token
            raise DependencyUnavailable(f"document host {host} did not answer: {_why(exc)}") from None

    async def _get(self, url: URL, limit: int, host: str) -> bytes:
        session = self._open()
        for _ in range(self.settings.fetch_max_redirects + 1):
            async with session.get(url, allow_redirects=False, headers=_HEADERS) as resp:
                if resp.status in _REDIRECTS:
                    url = _redirect(url, resp.headers.get(hdrs.LOCATION), host)
                    continue
                _check_status(resp.status, host)
                return await _read_at_most(resp.content, limit)
        raise DocumentNotAllowed(f"document host {host} redirected more than "
                                 f"{self.settings.fetch_max_redirects} times")

    def _open(self) -> aiohttp.ClientSession:
        """The session, made on first use: inside the running loop, which it belongs to."""
        if self._session is None:
            self._resolver = _PublicOnlyResolver(self.settings.fetch_allow_private)
            connector = aiohttp.TCPConnector(ssl=self._tls(), resolver=self._resolver)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                trust_env=False, timeout=aiohttp.ClientTimeout(total=self.settings.fetch_time_budget_s),
            )
        return self._session

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        ca_file = self.settings.fetch_ca_file
        if ca_file is not None:
            try:
                context.load_verify_locations(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"fetch_ca_file cannot be loaded: {_why(exc)}") from None
        return context

    async def aclose(self) -> None:
        """Close the session and its connections (a later fetch opens a new one)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None
