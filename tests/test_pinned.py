"""The guarded transport judges the addresses it connects to, so a DNS answer that changes
between the check and the connection (DNS rebinding) cannot reach a private network."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx
import pytest

from bot.errors import BlockedURLError
from bot.ingest.fetch import FeedFetcher, make_client
from bot.ingest.guard import IPAddress
from bot.ingest.pinned import GuardedBackend, GuardedTransport
from tests.fakes.feed_server import FeedServer

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class Rebinding:
    """A resolver that answers a public address first, then the loopback one."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def only_loopback_is_public(ip: IPAddress) -> bool:
    """For the tests' sake the loopback address plays a public one; everything else is private."""
    return ip != ipaddress.ip_address("127.0.0.1")


def named(feed_server: FeedServer, path: str, host: str = "feeds.example") -> str:
    """The server's URL for ``path`` with a host name instead of its address."""
    parts = urlsplit(feed_server.url(path))
    return f"http://{host}:{parts.port}{path}"


async def test_a_rebinding_answer_is_refused_at_connection(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    resolver = Rebinding(["93.184.216.34"], ["127.0.0.1"])  # public to the check, then private
    transport = GuardedTransport(GuardedBackend(resolver))
    async with make_client(transport=transport) as client:
        fetcher = FeedFetcher(client, resolver=resolver)
        with pytest.raises(BlockedURLError, match=r"127.0.0.1, which is not public"):
            await fetcher.fetch(named(feed_server, "/rss"))
    assert resolver.asked == ["feeds.example", "feeds.example"]  # the check, the connection
    assert feed_server.count("/rss") == 0  # nothing reached the private address


async def test_without_the_guarded_transport_the_same_answers_get_through(
    feed_server: FeedServer,
) -> None:
    # the gap the guarded transport closes: the check alone passes, the connection goes private
    # (loopback here; the request's own name is resolved by the system, not our resolver)
    feed_server.add("/rss", RSS)
    resolver = Rebinding(["93.184.216.34"], ["127.0.0.1"])
    async with make_client(allow_private_networks=True) as client:
        fetcher = FeedFetcher(client, resolver=resolver)
        result = await fetcher.fetch(feed_server.url("/rss").replace("127.0.0.1", "localhost"))
    assert result.status == 200 and feed_server.count("/rss") == 1


async def test_the_connection_goes_to_the_checked_address_with_the_name_kept(
    feed_server: FeedServer,
) -> None:
    feed_server.add("/rss", RSS)
    # 127.0.0.2 is refused (the server listens on 127.0.0.1 only): the next address is tried
    resolver = Rebinding(["127.0.0.2", "127.0.0.1"])
    backend = GuardedBackend(resolver, is_forbidden=lambda ip: not ip.is_loopback)
    async with make_client(transport=GuardedTransport(backend)) as client:
        response = await client.get(named(feed_server, "/rss"))
    assert response.status_code == 200 and response.content == RSS
    port = urlsplit(feed_server.url("/rss")).port
    assert feed_server.headers_of("/rss")[0]["Host"] == f"feeds.example:{port}"


async def test_one_private_address_among_public_ones_is_refused(feed_server: FeedServer) -> None:
    resolver = Rebinding(["127.0.0.1", "10.0.0.7"])
    backend = GuardedBackend(resolver, is_forbidden=only_loopback_is_public)
    async with make_client(transport=GuardedTransport(backend)) as client:
        with pytest.raises(BlockedURLError, match=r"10.0.0.7"):
            await client.get(named(feed_server, "/rss"))


async def test_an_address_literal_is_judged_without_resolving(feed_server: FeedServer) -> None:
    resolver = Rebinding(["93.184.216.34"])
    async with make_client(transport=GuardedTransport(GuardedBackend(resolver))) as client:
        with pytest.raises(BlockedURLError, match=r"address 127.0.0.1 is not public"):
            await client.get(feed_server.url("/rss"))
    assert resolver.asked == []


async def test_transport_errors_are_httpx_errors(feed_server: FeedServer) -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    backend = GuardedBackend(nowhere, is_forbidden=only_loopback_is_public)
    async with make_client(transport=GuardedTransport(backend)) as client:
        with pytest.raises(httpx.ConnectError, match=r"cannot resolve feeds.example"):
            await client.get(named(feed_server, "/rss"))


def test_the_feed_client_is_guarded_unless_private_networks_are_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP", "HTTPS", "ALL", "NO", "FTP"):
        monkeypatch.delenv(f"{name}_PROXY", raising=False)
        monkeypatch.delenv(f"{name.lower()}_proxy", raising=False)
    guarded = make_client()
    assert isinstance(guarded._transport, GuardedTransport)
    open_client = make_client(allow_private_networks=True)
    assert not isinstance(open_client._transport, GuardedTransport)
    monkeypatch.setenv("NO_PROXY", "localhost,.internal")  # no proxy at all: still guarded
    monkeypatch.setenv("FTP_PROXY", "http://proxy.internal:3128")
    assert isinstance(make_client()._transport, GuardedTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    proxied = make_client()
    assert not isinstance(proxied._transport, GuardedTransport)
