"""The fake feed server must speak HTTP the way real feed hosts do, as seen by httpx."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import httpx
import pytest

from tests.fakes.feed_server import (
    DEFAULT_LAST_MODIFIED,
    FeedServer,
)

FUTURE = "Tue, 01 Jan 2030 00:00:00 GMT"
RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>كورسك</title></item></channel></rss>"
).encode()


async def test_serves_the_body_with_validators(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    async with httpx.AsyncClient() as client:
        response = await client.get(feed_server.url("/rss"))
    assert response.status_code == 200
    assert response.content == RSS
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert response.headers["last-modified"] == "Mon, 15 Jan 2024 08:30:00 GMT"
    assert feed_server.count("/rss") == 1


async def test_etag_changes_with_the_body(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    async with httpx.AsyncClient() as client:
        first = (await client.get(feed_server.url("/rss"))).headers["etag"]
        feed_server.add("/rss", RSS + b" ")
        second = (await client.get(feed_server.url("/rss"))).headers["etag"]
    assert first != second


async def test_conditional_get_answers_304(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    async with httpx.AsyncClient() as client:
        etag = (await client.get(feed_server.url("/rss"))).headers["etag"]
        by_etag = await client.get(feed_server.url("/rss"), headers={"If-None-Match": etag})
        stale_etag = await client.get(
            feed_server.url("/rss"),
            headers={
                "If-None-Match": '"old"',
                "If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT",
            },
        )
        by_date = await client.get(
            feed_server.url("/rss"), headers={"If-Modified-Since": "Mon, 15 Jan 2024 08:30:00 GMT"}
        )
        older = await client.get(
            feed_server.url("/rss"), headers={"If-Modified-Since": "Sun, 14 Jan 2024 08:30:00 GMT"}
        )
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_etag.headers["etag"] == etag
    # If-None-Match decides when present, even though the date alone would say "not modified".
    assert stale_etag.status_code == 200
    assert by_date.status_code == 304
    assert older.status_code == 200
    assert feed_server.headers_of("/rss")[1]["if-none-match"] == etag


async def test_last_modified_is_settable(feed_server: FeedServer) -> None:
    when = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    feed_server.add("/rss", RSS, etag=False, last_modified=when)
    async with httpx.AsyncClient() as client:
        response = await client.get(feed_server.url("/rss"))
    assert "etag" not in response.headers
    assert response.headers["last-modified"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert when > DEFAULT_LAST_MODIFIED


async def test_server_errors_then_recovery(feed_server: FeedServer) -> None:
    feed_server.add("/rss", RSS)
    feed_server.set_status("/rss", 503, count=2)
    feed_server.set_headers("/rss", {"Retry-After": "120"})
    async with httpx.AsyncClient() as client:
        statuses = [(await client.get(feed_server.url("/rss"))) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0].headers["retry-after"] == "120"
    assert statuses[2].content == RSS
    assert feed_server.count("/rss") == 3


async def test_redirect_is_followed(feed_server: FeedServer) -> None:
    feed_server.add("/new", RSS)
    feed_server.redirect("/old", "/new", status=308)
    async with httpx.AsyncClient(follow_redirects=True) as client:
        response = await client.get(feed_server.url("/old"))
    assert response.status_code == 200
    assert response.content == RSS
    assert [r.status_code for r in response.history] == [308]
    assert str(response.url) == feed_server.url("/new")
    assert (feed_server.count("/old"), feed_server.count("/new")) == (1, 1)


async def test_gzip_is_decoded_by_httpx(feed_server: FeedServer) -> None:
    big = RSS * 200
    feed_server.add("/rss", big)
    feed_server.set_gzip("/rss", True)
    async with httpx.AsyncClient() as client:
        response = await client.get(feed_server.url("/rss"))
        raw = await client.get(feed_server.url("/rss"), headers={"Accept-Encoding": "identity"})
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(gzip.compress(big, mtime=0))
    assert int(response.headers["content-length"]) < len(big)
    assert response.content == big
    assert "content-encoding" not in raw.headers
    assert raw.content == big


async def test_huge_body_streams_exactly_the_size(feed_server: FeedServer) -> None:
    size = 3 * 1024 * 1024 + 17
    feed_server.add_huge("/huge", size)
    seen = 0
    async with httpx.AsyncClient() as client, client.stream("GET", feed_server.url("/huge")) as r:
        assert "content-length" not in r.headers
        async for chunk in r.aiter_raw():
            if seen == 0:
                assert chunk.startswith(b"<?xml")
            seen += len(chunk)
    assert seen == size


async def test_huge_body_can_declare_its_length(feed_server: FeedServer) -> None:
    feed_server.add_huge("/huge", 5_000_000, declare_length=True)
    async with httpx.AsyncClient() as client, client.stream("GET", feed_server.url("/huge")) as r:
        assert r.headers["content-length"] == "5000000"
        # A client that stops reading must not upset the server.
        async for _ in r.aiter_raw():
            break
    feed_server.add("/rss", RSS)
    async with httpx.AsyncClient() as client:
        assert (await client.get(feed_server.url("/rss"))).status_code == 200


async def test_slow_body_and_delay_still_deliver(feed_server: FeedServer) -> None:
    feed_server.add("/slow", b"0123456789")
    feed_server.set_slow_body("/slow", 3, 0.01)
    feed_server.add("/late", RSS)
    feed_server.set_delay("/late", 0.01)
    async with httpx.AsyncClient() as client:
        async with client.stream("GET", feed_server.url("/slow")) as r:
            chunks = [c async for c in r.aiter_raw()]
        late = await client.get(feed_server.url("/late"))
    assert b"".join(chunks) == b"0123456789"
    assert late.content == RSS


async def test_slow_headers_trip_a_client_timeout(feed_server: FeedServer) -> None:
    feed_server.add("/late", RSS)
    feed_server.set_delay("/late", 30)
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(feed_server.url("/late"))


async def test_unknown_path_is_404(feed_server: FeedServer) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(feed_server.url("/nothing"))
    assert response.status_code == 404
    assert feed_server.requests[0][0] == "/nothing"


def test_runs_in_a_thread_for_synchronous_callers() -> None:
    with FeedServer().run_in_thread() as server:
        server.add("/rss", RSS)
        response = httpx.get(server.url("/rss"))
        assert response.content == RSS
