"""FeedFetcher and the URL guard: conditional GET, redirects, size caps, deadlines, SSRF."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

import bot
from bot.errors import BlockedURLError, FetchError
from bot.ingest.fetch import FeedFetcher, FetchStatusError, make_client
from bot.ingest.guard import check_host, check_url, is_forbidden_address, redact_url
from bot.ingest.parse import parse_feed
from tests.fakes.feed_server import FeedServer

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>Kim meets Putin</title><link>https://news.example/1</link></item>"
    b"</channel></rss>"
)
PUBLIC_DNS = {
    "news.example": ["93.184.216.34"],
    "cdn.example": ["2606:4700::6810:84e5", "104.16.132.229"],
    "intranet.example": ["10.0.0.1"],
    "mixed.example": ["93.184.216.34", "192.168.1.20"],
}

Handler = Callable[[httpx.Request], httpx.Response]


async def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return PUBLIC_DNS[host]
    except KeyError:
        raise OSError(-2, "Name or service not known") from None


class Recorder:
    """A MockTransport handler that records requests and answers from a route table."""

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get(str(request.url))
        if handler is None:
            return httpx.Response(404)
        return handler(request)


def fetcher_for(
    recorder: Recorder | Callable[[httpx.Request], httpx.Response], **kwargs: object
) -> FeedFetcher:
    client = make_client(transport=httpx.MockTransport(recorder))
    return FeedFetcher(client, resolver=fake_resolver, **kwargs)  # type: ignore[arg-type]


def unread(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response whose body is still to be streamed, as from a real server (httpx reads and
    decodes a ``content=`` body up front, which leaves nothing raw for the fetcher to read)."""
    return httpx.Response(status, stream=httpx.ByteStream(body), headers=headers or {})


def ok(body: bytes = RSS, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: unread(200, body, headers)


def redirect(location: str, status: int = 302) -> Handler:
    return lambda request: httpx.Response(status, headers={"Location": location})


# --- fetching ---------------------------------------------------------------------------------


async def test_fetch_returns_body_headers_and_final_url() -> None:
    recorder = Recorder(
        {
            "https://news.example/rss": ok(
                headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"}
            )
        }
    )
    result = await fetcher_for(recorder).fetch("https://news.example/rss")
    assert result.status == 200
    assert result.body == RSS
    assert result.url == result.final_url == "https://news.example/rss"
    assert result.etag == '"v1"'
    assert result.headers["content-type"] == "application/rss+xml"
    assert not result.not_modified
    sent = recorder.requests[0].headers
    assert (
        sent["User-Agent"]
        == f"digestbot/{bot.__version__} (+https://github.com/digestbot/digestbot)"
    )
    assert "If-None-Match" not in sent
    assert "If-Modified-Since" not in sent


async def test_conditional_headers_are_sent_and_304_gives_an_empty_body() -> None:
    def conditional(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return unread(200, RSS)

    recorder = Recorder({"https://news.example/rss": conditional})
    result = await fetcher_for(recorder).fetch(
        "https://news.example/rss", etag='"v1"', last_modified="Mon, 15 Jan 2024 08:30:00 GMT"
    )
    assert result.not_modified
    assert result.status == 304
    assert result.body == b""
    assert result.etag == '"v1"'
    sent = recorder.requests[0].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 15 Jan 2024 08:30:00 GMT"


async def test_gzip_bodies_are_decoded() -> None:
    packed = gzip.compress(RSS)
    recorder = Recorder({"https://news.example/rss": ok(packed, {"Content-Encoding": "gzip"})})
    result = await fetcher_for(recorder).fetch("https://news.example/rss")
    assert result.body == RSS


async def test_redirects_are_followed_and_the_final_url_recorded() -> None:
    recorder = Recorder(
        {
            "https://news.example/old": redirect("/mid", 301),
            "https://news.example/mid": redirect("https://cdn.example/rss", 308),
            "https://cdn.example/rss": ok(),
        }
    )
    result = await fetcher_for(recorder).fetch("https://news.example/old", etag='"e"')
    assert result.url == "https://news.example/old"
    assert result.final_url == "https://cdn.example/rss"
    assert result.body == RSS
    assert [str(r.url) for r in recorder.requests] == [
        "https://news.example/old",
        "https://news.example/mid",
        "https://cdn.example/rss",
    ]
    # Every hop is conditional: the stored validators belong to the final URL.
    assert all(r.headers["If-None-Match"] == '"e"' for r in recorder.requests)


async def test_the_redirect_chain_is_capped() -> None:
    recorder = Recorder(
        {
            "https://news.example/a": redirect("/b"),
            "https://news.example/b": redirect("/a"),
        }
    )
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetcher_for(recorder, max_redirects=3).fetch("https://news.example/a")
    assert len(recorder.requests) == 4


async def test_a_redirect_without_location_is_an_error() -> None:
    recorder = Recorder({"https://news.example/a": lambda r: httpx.Response(302)})
    with pytest.raises(FetchError, match="without a Location"):
        await fetcher_for(recorder).fetch("https://news.example/a")


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://intranet.example/rss",
        "http://mixed.example/rss",
        "file:///etc/passwd",
        "gopher://news.example/",
        "http://user:secret@news.example/rss",
    ],
)
async def test_a_redirect_to_a_refused_url_is_blocked(target: str) -> None:
    recorder = Recorder({"https://news.example/rss": redirect(target)})
    with pytest.raises(BlockedURLError) as caught:
        await fetcher_for(recorder).fetch("https://news.example/rss")
    assert "secret" not in str(caught.value)
    assert [str(r.url) for r in recorder.requests] == ["https://news.example/rss"]


async def test_an_oversized_content_length_is_refused_before_reading() -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        return unread(200, b"x" * 100, {"Content-Length": "6000000"})

    recorder = Recorder({"https://news.example/rss": huge})
    with pytest.raises(FetchError, match="6000000 bytes exceeds the limit of 5000000"):
        await fetcher_for(recorder).fetch("https://news.example/rss")


async def test_an_oversized_streamed_body_is_aborted_while_streaming() -> None:
    produced: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(1_000):  # 64 MB if it were all read
            produced.append(i)
            yield b"x" * 65_536

    def streaming(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    recorder = Recorder({"https://news.example/rss": streaming})
    with pytest.raises(FetchError, match="exceeds the limit of 1000000 bytes"):
        await fetcher_for(recorder, max_bytes=1_000_000).fetch("https://news.example/rss")
    assert len(produced) <= 17  # 1 MB is 16 chunks; nothing after the one that crossed it


async def test_a_body_at_the_limit_is_accepted() -> None:
    recorder = Recorder({"https://news.example/rss": ok(b"y" * 1000)})
    result = await fetcher_for(recorder, max_bytes=1000).fetch("https://news.example/rss")
    assert len(result.body) == 1000


@pytest.mark.parametrize(("status", "reason"), [(503, "Service Unavailable"), (404, "Not Found")])
async def test_an_http_error_status_is_a_fetch_error_with_the_status(
    status: int, reason: str
) -> None:
    recorder = Recorder({"https://news.example/rss": lambda r: httpx.Response(status)})
    with pytest.raises(FetchStatusError) as caught:
        await fetcher_for(recorder).fetch("https://news.example/rss")
    assert isinstance(caught.value, FetchError)
    assert caught.value.status == status
    assert str(caught.value) == f"HTTP {status} {reason}"


async def test_an_error_status_keeps_its_headers_for_retry_after() -> None:
    recorder = Recorder(
        {"https://news.example/rss": lambda r: httpx.Response(429, headers={"Retry-After": "90"})}
    )
    with pytest.raises(FetchStatusError) as caught:
        await fetcher_for(recorder).fetch("https://news.example/rss")
    assert caught.value.status == 429
    assert caught.value.headers["retry-after"] == "90"
    assert caught.value.retry_after == "90"


async def test_accept_encoding_offers_only_what_is_decoded_within_the_limit() -> None:
    recorder = Recorder({"https://news.example/rss": ok()})
    await fetcher_for(recorder).fetch("https://news.example/rss")
    # Not br or zstd even when a decoder is importable: bot.ingest.decode bounds zlib only.
    assert recorder.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("hops", "permanent"),
    [
        ([301], True),
        ([308], True),
        ([301, 308, 301], True),
        ([302], False),
        ([301, 302], False),
        ([307, 301], False),
        ([301, 303], False),
    ],
)
async def test_permanent_url_is_set_only_when_every_hop_is_permanent(
    hops: list[int], permanent: bool
) -> None:
    routes: dict[str, Handler] = {
        f"https://news.example/{i}": redirect(f"/{i + 1}", status) for i, status in enumerate(hops)
    }
    final = f"https://news.example/{len(hops)}"
    routes[final] = ok()
    result = await fetcher_for(Recorder(routes)).fetch("https://news.example/0")
    assert result.final_url == final
    assert result.permanent_url == (final if permanent else None)


async def test_no_redirect_means_no_permanent_url() -> None:
    result = await fetcher_for(Recorder({"https://news.example/rss": ok()})).fetch(
        "https://news.example/rss"
    )
    assert result.permanent_url is None


async def test_a_network_error_is_a_short_fetch_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(FetchError, match=r"^ConnectError: \[Errno 111\] Connection refused$"):
        await fetcher_for(refuse).fetch("https://news.example/rss")


async def test_an_unresolvable_name_is_a_fetch_error_not_a_block() -> None:
    recorder = Recorder({})
    with pytest.raises(FetchError, match=r"cannot resolve nowhere\.example") as caught:
        await fetcher_for(recorder).fetch("https://nowhere.example/rss")
    assert not isinstance(caught.value, BlockedURLError)
    assert recorder.requests == []


async def test_a_slow_drip_body_hits_the_overall_deadline() -> None:
    async def drip() -> AsyncIterator[bytes]:
        yield b"<rss>"
        await asyncio.sleep(3600)
        yield b"</rss>"

    recorder = Recorder({"https://news.example/rss": lambda r: httpx.Response(200, content=drip())})
    with pytest.raises(FetchError, match=r"no complete answer within 0\.05 s"):
        await fetcher_for(recorder, deadline_s=0.05).fetch("https://news.example/rss")


def test_the_default_deadline_is_twice_the_client_timeout() -> None:
    fetcher = FeedFetcher(make_client(timeout_s=7.5))
    assert fetcher.deadline_s == 15.0
    assert FeedFetcher(make_client(), deadline_s=3.0).deadline_s == 3.0


def test_make_client_settings() -> None:
    client = make_client(timeout_s=3.0, user_agent="test-agent/1")
    assert client.timeout == httpx.Timeout(connect=3.0, read=3.0, write=3.0, pool=3.0)
    assert client.follow_redirects is False
    assert client.headers["User-Agent"] == "test-agent/1"


# --- the guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/rss",
        "http://10.0.0.1/rss",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/rss",
        "http://[::ffff:127.0.0.1]/rss",
        "http://0.0.0.0:8080/",
        "http://100.100.100.200/",
        "https://intranet.example/rss",
        "https://mixed.example/rss",
    ],
)
async def test_private_destinations_are_refused_without_a_request(url: str) -> None:
    recorder = Recorder({url: ok()})
    with pytest.raises(BlockedURLError):
        await fetcher_for(recorder).fetch(url)
    assert recorder.requests == []


async def test_allow_private_networks_lets_loopback_through() -> None:
    recorder = Recorder({"http://127.0.0.1:8080/rss": ok()})
    result = await fetcher_for(recorder, allow_private_networks=True).fetch(
        "http://127.0.0.1:8080/rss"
    )
    assert result.body == RSS


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://news.example/rss", "scheme 'ftp'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("news.example/rss", r"scheme '\(none\)'"),
        ("http:///rss", "no host"),
        ("https://admin:hunter2@news.example/rss", "credentials"),
        ("https://token@news.example/rss", "credentials"),
        ("http://news.example:99999/", "invalid URL"),
    ],
)
def test_check_url_refuses(url: str, message: str) -> None:
    with pytest.raises(BlockedURLError, match=message) as caught:
        check_url(url)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["http://news.example/rss", "HTTPS://News.Example:8443/feed?x=1", "https://كوريا.example/"],
)
def test_check_url_accepts(url: str) -> None:
    check_url(url)


async def test_check_host_resolves_names_and_refuses_any_private_answer() -> None:
    await check_host("cdn.example", 443, allow_private=False, resolve=fake_resolver)
    with pytest.raises(BlockedURLError, match=r"intranet\.example resolves to 10\.0\.0\.1"):
        await check_host("intranet.example", 443, allow_private=False, resolve=fake_resolver)
    with pytest.raises(BlockedURLError, match=r"192\.168\.1\.20"):
        await check_host("mixed.example", 443, allow_private=False, resolve=fake_resolver)


async def test_check_host_does_not_resolve_ip_literals() -> None:
    async def must_not_resolve(host: str, port: int) -> list[str]:
        raise AssertionError("an IP literal was resolved")

    await check_host("93.184.216.34", 80, allow_private=False, resolve=must_not_resolve)
    with pytest.raises(BlockedURLError):
        await check_host("::1", 80, allow_private=False, resolve=must_not_resolve)


async def test_check_host_with_allow_private_checks_nothing() -> None:
    await check_host("intranet.example", 80, allow_private=True, resolve=fake_resolver)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("::", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:10.0.0.1", True),
        ("::ffff:169.254.169.254", True),
        ("2002:7f00:1::", True),  # 6to4 wrapping 127.0.0.1
        ("93.184.216.34", False),
        ("8.8.8.8", False),
        ("::ffff:8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_is_forbidden_address(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@news.example/rss?token=abc#x", "https://news.example/rss?..."),
        ("https://news.example/rss", "https://news.example/rss"),
        ("http://[::1", "<invalid URL>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


# --- over a real loopback socket ------------------------------------------------------------------


async def test_real_server_fetch_then_304_then_parse(feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", RSS)
    async with make_client(timeout_s=5.0, allow_private_networks=True) as client:
        fetcher = FeedFetcher(client, allow_private_networks=True)
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert first.status == 200
    assert [e.title for e in parse_feed(first.body, headers=first.headers)] == ["Kim meets Putin"]
    assert second.not_modified
    assert second.body == b""
    assert feed_server.headers_of("/rss")[1]["If-None-Match"] == first.etag


async def test_real_server_redirect_gzip_and_size_cap(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    feed_server.set_gzip("/rss", True)
    feed_server.redirect("/old", "/rss", 301)
    feed_server.add_huge("/big", 50_000_000)
    async with make_client(timeout_s=5.0, allow_private_networks=True) as client:
        fetcher = FeedFetcher(client, allow_private_networks=True, max_bytes=200_000)
        moved = await fetcher.fetch(feed_server.url("/old"))
        with pytest.raises(FetchError, match="exceeds the limit"):
            await fetcher.fetch(feed_server.url("/big"))
    assert moved.final_url == feed_server.url("/rss")
    assert moved.body == RSS
    assert moved.headers["content-encoding"] == "gzip"


async def test_real_server_is_refused_without_allow_private(feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", RSS)
    async with make_client(timeout_s=5.0, allow_private_networks=True) as client:
        with pytest.raises(BlockedURLError):
            await FeedFetcher(client).fetch(url)
    assert feed_server.count("/rss") == 0


async def test_real_server_slow_body_hits_the_deadline(feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", RSS)
    feed_server.set_slow_body("/rss", 10, 0.2)
    async with make_client(timeout_s=5.0, allow_private_networks=True) as client:
        fetcher = FeedFetcher(client, allow_private_networks=True, deadline_s=0.3)
        with pytest.raises(FetchError, match="no complete answer"):
            await fetcher.fetch(url)


async def test_real_server_permanent_redirect_chain(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    feed_server.redirect("/a", "/b", 301)
    feed_server.redirect("/b", "/rss", 301)
    feed_server.redirect("/c", "/d", 301)
    feed_server.redirect("/d", "/rss", 302)
    async with make_client(timeout_s=5.0, allow_private_networks=True) as client:
        fetcher = FeedFetcher(client, allow_private_networks=True)
        moved = await fetcher.fetch(feed_server.url("/a"))
        again = await fetcher.fetch(feed_server.url("/a"), etag=moved.etag)
        temporary = await fetcher.fetch(feed_server.url("/c"))
    assert moved.status == 200
    assert moved.permanent_url == feed_server.url("/rss")
    # A 304 at the end of a permanent chain still says where the feed now lives.
    assert again.not_modified
    assert again.permanent_url == feed_server.url("/rss")
    assert temporary.final_url == feed_server.url("/rss")
    assert temporary.body == RSS
    assert temporary.permanent_url is None


async def test_real_server_retry_after_and_cache_control_headers(feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", RSS)
    feed_server.set_headers("/rss", {"Retry-After": "120", "Cache-Control": "max-age=600"})
    async with make_client(timeout_s=5.0, allow_private_networks=True) as client:
        fetcher = FeedFetcher(client, allow_private_networks=True)
        fine = await fetcher.fetch(url)
        feed_server.set_status("/rss", 503, count=1)
        with pytest.raises(FetchStatusError) as caught:
            await fetcher.fetch(url)
    assert fine.headers["cache-control"] == "max-age=600"
    assert fine.headers["retry-after"] == "120"
    assert caught.value.status == 503
    assert caught.value.headers["retry-after"] == "120"
