"""https:// documents are fetched only from allow-listed public hosts, within a deadline, bounded, never by a
redirect elsewhere; one pooled session serves every fetch.

The server is real: aiohttp on 127.0.0.1 over TLS, with a throwaway self-signed certificate the `openssl`
CLI makes for this session (tests/conftest.py; `fetch_ca_file` trusts it). Nothing leaves the machine:
`localhost` comes from /etc/hosts, and the hosts the tests refuse are refused before any connection is tried.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from pydantic import ValidationError

from config.settings import Settings
from schemas import DocumentRef
from streams.documents import load_document
from streams.errors import (
    ConfigError,
    DependencyUnavailable,
    DocumentIntegrityError,
    DocumentNotAllowed,
    DocumentNotFound,
)
from streams.fetch import DocumentFetcher, is_public_address

BODY = b"%PDF-1.7 an invoice " * 50
TOKEN = "sv=2024&sig=SECRETSIGNATURE"  # a SAS-like query: never in a message


@dataclass
class Server:
    """The local https server: its port, and what it was asked (path, client port)."""

    port: int
    cert: Path
    seen: list[tuple[str, int]] = field(default_factory=list)

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"

    def settings(self, **kw: object) -> Settings:
        """Settings that allow this server (as localhost), private addresses, and trust its certificate."""
        base: dict[str, object] = {"fetch_allowed_hosts": (f"localhost:{self.port}",), "fetch_allow_private": True,
                                   "fetch_ca_file": self.cert, "fetch_time_budget_s": 5.0}
        return Settings(**{**base, **kw})  # type: ignore[arg-type]

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]


def _app(server: Server) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        server.seen.append((request.path, peer[1] if peer else -1))
        name = request.match_info["name"]
        here = f"localhost:{server.port}"
        moves = {
            "same": "/doc/ok", "relative": "ok", "http": f"http://{here}/doc/ok",
            "loopback-ip": f"https://127.0.0.1:{server.port}/doc/ok", "other-host": "https://example.com/doc/ok",
            "other-port": f"https://localhost:{server.port + 1}/doc/ok", "userinfo": f"https://u:p@{here}/doc/ok",
            "loop": "/doc/loop", "nowhere": "",
        }
        if name in moves:
            return web.Response(status=302, headers={"Location": moves[name]} if moves[name] else {})
        if name.isdigit():
            return web.Response(status=int(name), text=f"status {name}")
        if name == "slow":
            await asyncio.sleep(3600)
        if name == "long":
            return web.Response(body=BODY * 100)
        return web.Response(body=BODY)

    app = web.Application()
    app.router.add_get("/doc/{name}", handle)
    return app


@pytest_asyncio.fixture(loop_scope="function")
async def server(certificate: tuple[Path, Path]) -> AsyncIterator[Server]:
    """The local https server, on a free port of 127.0.0.1."""
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    state = Server(port=0, cert=cert)
    runner = web.AppRunner(_app(state), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    state.port = runner.addresses[0][1]
    yield state
    await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="function")
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts connections and never says a word (not even a TLS handshake)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    listener = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield listener.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    listener.close()
    await listener.wait_closed()


def _ref(url: str, data: bytes = BODY, **kw: object) -> DocumentRef:
    fields: dict[str, object] = {"uri": url, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **kw}
    return DocumentRef(**fields)


async def _refused(fetcher: DocumentFetcher, url: str, error: type[Exception], size: int = len(BODY)) -> str:
    """The message of `error` raised by fetching `url`, checked to name no path or query."""
    try:
        with pytest.raises(error) as raised:
            await asyncio.wait_for(load_document(_ref(url, size=size), fetcher.settings, fetcher), 10)
    finally:
        await fetcher.aclose()
    message = str(raised.value)
    assert "/doc" not in message and "SECRET" not in message, message
    return message


async def test_a_document_is_fetched_and_verified(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings())
    try:
        assert await load_document(_ref(server.url(f"/doc/ok?{TOKEN}")), fetcher.settings, fetcher) == BODY
        with pytest.raises(DocumentIntegrityError, match="sha256"):
            await load_document(_ref(server.url("/doc/ok"), sha256="0" * 64), fetcher.settings, fetcher)
    finally:
        await fetcher.aclose()


async def test_one_pooled_session_serves_every_fetch(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings())
    try:
        for _ in range(3):
            assert await load_document(_ref(server.url("/doc/ok")), fetcher.settings, fetcher) == BODY
        session = fetcher.session
        assert await fetcher.fetch(server.url("/doc/ok"), len(BODY)) == BODY
        assert fetcher.session is session is not None
    finally:
        await fetcher.aclose()
    assert fetcher.session is None
    assert len({client_port for _, client_port in server.seen}) == 1  # one kept-alive connection for all four


@pytest.mark.parametrize("allowed", [(), ("docs.example.com",), ("localhost",), ("localhost:1",)])
async def test_a_host_not_in_the_allow_list_is_refused_before_connecting(server: Server,
                                                                        allowed: tuple[str, ...]) -> None:
    fetcher = DocumentFetcher(server.settings(fetch_allowed_hosts=allowed))
    message = await _refused(fetcher, server.url(f"/doc/ok?{TOKEN}"), DocumentNotAllowed)
    assert "allow-list" in message or "no fetch hosts" in message
    assert server.seen == []


async def test_credentials_in_the_url_are_refused(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings())
    await _refused(fetcher, f"https://user:SECRET@localhost:{server.port}/doc/ok", DocumentNotAllowed)
    assert server.seen == []


@pytest.mark.parametrize("where", ["http", "loopback-ip", "other-host", "other-port", "userinfo", "nowhere"])
async def test_a_redirect_anywhere_else_is_refused(server: Server, where: str) -> None:
    fetcher = DocumentFetcher(server.settings(fetch_allowed_hosts=(f"localhost:{server.port}", "example.com")))
    message = await _refused(fetcher, server.url(f"/doc/{where}?{TOKEN}"), DocumentNotAllowed)
    assert "redirect" in message
    assert server.paths() == [f"/doc/{where}"]  # the target was never asked


@pytest.mark.parametrize("where", ["same", "relative"])
async def test_a_redirect_on_the_same_host_is_followed(server: Server, where: str) -> None:
    fetcher = DocumentFetcher(server.settings())
    try:
        assert await load_document(_ref(server.url(f"/doc/{where}")), fetcher.settings, fetcher) == BODY
    finally:
        await fetcher.aclose()
    assert server.paths() == [f"/doc/{where}", "/doc/ok"]


async def test_redirects_stop_after_the_configured_number(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings(fetch_max_redirects=2))
    await _refused(fetcher, server.url("/doc/loop"), DocumentNotAllowed)
    assert len(server.seen) == 3


async def test_a_host_resolving_to_loopback_is_refused_unless_private_addresses_are_allowed(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings(fetch_allow_private=False))
    message = await _refused(fetcher, server.url(f"/doc/ok?{TOKEN}"), DocumentNotAllowed)
    assert "non-public address" in message
    literal = DocumentFetcher(server.settings(fetch_allow_private=False,
                                              fetch_allowed_hosts=(f"127.0.0.1:{server.port}",)))
    await _refused(literal, server.url("/doc/ok", host="127.0.0.1"), DocumentNotAllowed)
    assert server.seen == []
    allowed = DocumentFetcher(server.settings(fetch_allowed_hosts=(f"127.0.0.1:{server.port}",)))
    try:
        assert await allowed.fetch(server.url("/doc/ok", host="127.0.0.1"), len(BODY)) == BODY
    finally:
        await allowed.aclose()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "100.64.0.1", "::1", "fe80::1%eth0",
                                     "::ffff:127.0.0.1", "2002:7f00:1::", "64:ff9b::a01:203", "fd00::1", "0.0.0.0",
                                     "not-an-address"])
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


async def test_a_server_that_never_answers_is_given_up_within_the_time_budget(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings(fetch_time_budget_s=1.0))
    message = await _refused(fetcher, server.url(f"/doc/slow?{TOKEN}"), DependencyUnavailable)
    assert "within 1 s" in message


async def test_a_connection_that_never_handshakes_is_given_up_within_the_time_budget(server: Server,
                                                                                      silent_port: int) -> None:
    fetcher = DocumentFetcher(server.settings(fetch_time_budget_s=1.0,
                                              fetch_allowed_hosts=(f"localhost:{silent_port}",)))
    await _refused(fetcher, f"https://localhost:{silent_port}/doc/ok?{TOKEN}", DependencyUnavailable)


async def test_a_body_longer_than_declared_is_refused_after_one_byte_more(server: Server) -> None:
    fetcher = DocumentFetcher(server.settings())
    try:
        assert len(await fetcher.fetch(server.url("/doc/long"), len(BODY))) == len(BODY) + 1
    finally:
        await fetcher.aclose()
    message = await _refused(fetcher, server.url(f"/doc/long?{TOKEN}"), DocumentIntegrityError)
    assert "larger than" in message and str(len(BODY) * 100) not in message


@pytest.mark.parametrize(("status", "error"), [
    (404, DocumentNotFound), (410, DocumentNotFound), (403, DocumentNotAllowed), (401, DocumentNotAllowed),
    (400, DocumentNotAllowed), (408, DependencyUnavailable), (429, DependencyUnavailable),
    (500, DependencyUnavailable), (503, DependencyUnavailable),
])
async def test_statuses_map_to_errors_naming_only_the_host(server: Server, status: int,
                                                         error: type[Exception]) -> None:
    fetcher = DocumentFetcher(server.settings())
    message = await _refused(fetcher, server.url(f"/doc/{status}?{TOKEN}"), error)
    assert f"localhost:{server.port}" in message and str(status) in message


async def test_an_https_reference_needs_a_fetcher_and_configured_hosts() -> None:
    ref = _ref(f"https://docs.example.com/doc/ok?{TOKEN}")
    with pytest.raises(DocumentNotAllowed, match="no fetch hosts"):
        await load_document(ref, Settings(), DocumentFetcher(Settings()))
    with pytest.raises(DocumentNotAllowed, match="no fetch hosts"):
        await load_document(ref, Settings())
    with pytest.raises(ConfigError):
        await load_document(ref, Settings(fetch_allowed_hosts=("docs.example.com",)))


def test_a_malformed_allow_list_entry_refuses_to_start() -> None:
    for entry in ("https://docs.example.com", "docs.example.com/path", "user@docs.example.com", ""):
        with pytest.raises(ValidationError):
            Settings(fetch_allowed_hosts=(entry,))
    with pytest.raises(ConfigError):
        DocumentFetcher(Settings(fetch_allowed_hosts=("docs.example.com:99999",)))
