"""Hostile feeds beside good ones, through the real poll: one feed's bomb, crash or bad byte
is that feed's problem alone. The good feeds are archived and every state is saved."""

from __future__ import annotations

import contextlib
import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app.container import Services, services
from bot.ingest.articles import feed_key
from bot.models import FeedState, FetchResult
from bot.pipeline.feed import Fetcher
from tests.fakes.feed_server import FeedServer
from tests.settings_support import settings_for

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
AR_TITLE = "بوتين يستقبل كيم جونغ أون في موسكو لبحث التعاون بين روسيا وكوريا الشمالية"


def rss(prefix: str, titles: list[str]) -> bytes:
    when = format_datetime(NOW - timedelta(hours=1))
    items = "".join(
        f"<item><guid>tag:news.example,2024:{prefix}{n}</guid><title>{title}</title>"
        f"<link>https://news.example/{prefix}/{n}</link><pubDate>{when}</pubDate></item>"
        for n, title in enumerate(titles)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{items}</channel></rss>".encode()


GOOD = rss("good", ["Kim Jong Un meets Putin in Vladivostok", "Football: Brighton win"])


def open_services(
    tmp_path: Path, server: FeedServer, paths: list[str]
) -> contextlib.AbstractAsyncContextManager[Services]:
    return services(
        settings_for(tmp_path, [{"url": server.url(p), "name": p.strip("/")} for p in paths]),
        now=lambda: NOW,
    )


class Raising:
    """A fetcher that raises ``exc`` for URLs containing ``marker`` and fetches the rest."""

    def __init__(self, inner: Fetcher, marker: str, exc: BaseException) -> None:
        self.inner, self.marker, self.exc = inner, marker, exc

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        if self.marker in url:
            raise self.exc
        return await self.inner.fetch(url, etag=etag, last_modified=last_modified)


def good_id(feed_server: FeedServer) -> str:
    """The archive id of the first item of /good.xml (ids are scoped by feed)."""
    return f"g:{feed_key(feed_server.url('/good.xml'))}:tag:news.example,2024:good0"


def feed_state(svc: Services, path_part: str) -> FeedState:
    [state] = [s for s in svc.state.feeds() if path_part in s.url]
    return state


@pytest.mark.parametrize(
    "exc", [MemoryError(), RuntimeError("a bug in one feed's path")], ids=["memory", "bug"]
)
async def test_an_unexpected_exception_of_one_feed_is_that_feeds_failure(
    tmp_path: Path, feed_server: FeedServer, exc: BaseException
) -> None:
    feed_server.add("/good.xml", GOOD)
    feed_server.add("/bomb.xml", GOOD.replace(b"good", b"bomb"))
    async with open_services(tmp_path, feed_server, ["/bomb.xml", "/good.xml"]) as svc:
        svc.poller.feed.fetcher = Raising(svc.poller.feed.fetcher, "/bomb", exc)
        report = await svc.poller.poll()
        assert report.feeds_ok == 1 and report.feeds_failed == 1
        assert report.new_items == 2
        assert svc.archive.known([good_id(feed_server)])
        bomb = feed_state(svc, "/bomb")
        assert bomb.failures == 1 and type(exc).__name__ in (bomb.last_error or "")
        good = feed_state(svc, "/good")
        assert good.failures == 0 and good.etag  # saved: the next poll is conditional


async def test_a_stacked_gzip_bomb_fails_alone(tmp_path: Path, feed_server: FeedServer) -> None:
    # 200 MB of zeros in two gzip layers: a few hundred bytes on the wire.
    bomb = gzip.compress(gzip.compress(bytes(200_000_000), mtime=0), mtime=0)
    assert len(bomb) < 300_000
    feed_server.add("/good.xml", GOOD)
    feed_server.add("/bomb.xml", bomb, etag=False, last_modified=None)
    feed_server.set_headers("/bomb.xml", {"Content-Encoding": "gzip, gzip"})
    async with open_services(tmp_path, feed_server, ["/bomb.xml", "/good.xml"]) as svc:
        report = await svc.poller.poll()
        assert report.feeds_ok == 1 and report.feeds_failed == 1
        bomb_state = feed_state(svc, "/bomb")
        assert "more than one content-coding (gzip, gzip)" in (bomb_state.last_error or "")
        assert svc.archive.known([good_id(feed_server)])


async def test_a_bad_byte_in_an_arabic_feed_loses_no_item(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    body = rss("ar", [AR_TITLE, AR_TITLE.replace("موسكو", "بيونغ يانغ")])
    feed_server.add("/ar.xml", body.replace("موسكو".encode(), "موسكو".encode() + b"\xff", 1))
    async with open_services(tmp_path, feed_server, ["/ar.xml"]) as svc:
        report = await svc.poller.poll()
        assert report.feeds_ok == 1 and report.new_items == 2 and report.relevant == 2
        hits = svc.archive.search("بيونغ يانغ")
        assert [h.article.title for h in hits] == [AR_TITLE.replace("موسكو", "بيونغ يانغ")]


async def test_nested_tags_fail_alone_and_a_flood_of_items_is_cut(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    feed_server.add("/good.xml", GOOD)
    feed_server.add("/deep.xml", head + b"<item><title>x</title>" + b"<a>" * 300_000)
    flood = rss("flood", [f"Tiny item {n}" for n in range(20_000)])
    feed_server.add("/flood.xml", flood)
    async with open_services(
        tmp_path, feed_server, ["/deep.xml", "/flood.xml", "/good.xml"]
    ) as svc:
        report = await svc.poller.poll()
        assert report.feeds_ok == 2 and report.feeds_failed == 1
        assert "deeper than 100" in (feed_state(svc, "/deep").last_error or "")
        assert feed_state(svc, "/flood").items == svc.settings.ingest.max_items
        assert report.new_items == 2 + svc.settings.ingest.max_items
