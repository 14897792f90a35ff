"""The pipeline against the loopback feed server: isolation of failing feeds, conditional GET,
old items archived but never announced, and digests composed once per period."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app.container import Services, services
from bot.config import Settings
from bot.ingest.articles import feed_key
from bot.models import Article, Chat
from bot.pipeline.grouping import Pending
from tests.clock import Clock
from tests.fakes.feed_server import FeedServer

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)


def rss(*items: tuple[str, str, datetime]) -> bytes:
    body = "".join(
        f"<item><guid>tag:news.example,2024:{guid}</guid><title>{title}</title>"
        f"<link>https://news.example/{guid}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, title, when in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{body}</channel></rss>".encode()


@pytest.fixture
async def svc(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Services]:
    feed_server.add(
        "/good.xml",
        rss(
            ("k1", "Kim Jong Un meets Putin in Vladivostok", NOW - timedelta(hours=2)),
            ("k2", "Football: Brighton beat Liverpool", NOW - timedelta(hours=3)),
            ("old", "Putin and Kim sign treaty in Pyongyang", NOW - timedelta(days=30)),
        ),
    )
    feed_server.add("/broken.xml", b"not a feed at all")
    feed_server.set_status("/down.xml", 503)
    feed_server.add("/down.xml", rss())
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "feeds": [
                {"url": feed_server.url("/down.xml"), "name": "Down"},
                {"url": feed_server.url("/broken.xml"), "name": "Broken"},
                {"url": feed_server.url("/good.xml"), "name": "Good"},
            ],
        }
    )
    async with services(settings, now=lambda: NOW) as built:
        yield built


async def test_one_broken_feed_never_stops_the_others(svc: Services) -> None:
    report = await svc.poller.poll()
    assert report.feeds_ok == 1 and report.feeds_failed == 2
    assert report.new_items == 3 and report.relevant == 2
    down = svc.state.feed(svc.settings.feeds[0].url)
    assert down is not None and down.failures == 1 and "503" in (down.last_error or "")
    broken = svc.state.feed(svc.settings.feeds[1].url)
    assert broken is not None and broken.failures == 1
    good = svc.state.feed(svc.settings.feeds[2].url)
    assert good is not None and good.failures == 0 and good.etag and good.items == 3


async def test_unchanged_feeds_cost_no_parsing(svc: Services, feed_server: FeedServer) -> None:
    await svc.poller.poll()
    again = await svc.poller.poll(force=True)
    assert again.feeds_not_modified == 1 and again.new_items == 0
    assert feed_server.headers_of("/good.xml")[-1]["If-None-Match"]


async def test_old_items_are_archived_for_search_but_not_announced(svc: Services) -> None:
    await svc.poller.poll()
    assert await svc.summaries.summarize() == 2
    hits = svc.archive.search("treaty")
    old_id = f"g:{feed_key(svc.settings.feeds[2].url)}:tag:news.example,2024:old"
    assert [h.article.id for h in hits] == [old_id]
    digest = svc.digests.digest(lang="en", since=NOW - timedelta(days=60), until=NOW)
    headlines = [item.summary.headline_en for item in digest.items]
    assert headlines == ["Kim Jong Un meets Putin in Vladivostok"]


async def test_a_digest_is_queued_once_per_period(svc: Services) -> None:
    await svc.poller.poll()
    await svc.summaries.summarize()
    chat = Chat("telegram", 99, lang="en", subscribed=True, subscribed_at=NOW)
    svc.state.save_chat(chat)
    assert svc.digests.queue_digests(until=NOW) == 1
    assert svc.digests.queue_digests(until=NOW) == 0  # same period: nothing new
    later = NOW + timedelta(hours=12)
    assert svc.digests.queue_digests(until=later) == 0  # nothing announced since
    [part] = svc.archive.pending("telegram")
    assert "Vladivostok" in part.text and "Brighton" not in part.text


@pytest.fixture
async def timed(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[tuple[Services, Clock]]:
    clock = Clock(NOW)
    feed_server.add(
        "/live.xml",
        rss(
            ("fresh", "Kim Jong Un meets Putin in Vladivostok", NOW - timedelta(hours=2)),
            ("backlog", "Lavrov visits Pyongyang for talks", NOW - timedelta(hours=40)),
        ),
    )
    feed_server.set_status("/dead.xml", 500)
    feed_server.add("/dead.xml", rss())
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {
                "allow_private_networks": True,
                "backlog_hours": 24,
                "max_failures": 3,
            },
            "schedule": {"poll_minutes": 30},
            "feeds": [
                {"url": feed_server.url("/live.xml"), "name": "Live"},
                {"url": feed_server.url("/dead.xml"), "name": "Dead"},
            ],
        }
    )
    async with services(settings, now=clock) as built:
        yield built, clock


async def test_a_new_feeds_backlog_is_archived_not_announced(
    timed: tuple[Services, Clock],
) -> None:
    svc, _ = timed
    await svc.poller.poll()
    await svc.summaries.summarize()
    assert {h.article.id.rsplit(":", 1)[-1] for h in svc.archive.search("pyongyang")} == {"backlog"}
    digest = svc.digests.digest(lang="en", since=None, until=NOW)
    assert [i.summary.headline_en for i in digest.items] == [
        "Kim Jong Un meets Putin in Vladivostok"
    ]


async def test_feeds_are_polled_when_due_and_failing_ones_back_off_then_stop(
    timed: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = timed
    first = await svc.poller.poll()
    assert first.feeds_ok == 1 and first.feeds_failed == 1
    assert (await svc.poller.poll()).feeds_not_due == 2  # nothing is due a moment later
    dead_url = svc.settings.feeds[1].url
    waits = []
    for _ in range(5):
        dead = svc.state.feed(dead_url)
        assert dead is not None
        if dead.disabled:
            break
        assert dead.next_poll_at is not None
        waits.append(dead.next_poll_at - clock.now)
        clock.now = dead.next_poll_at
        await svc.poller.poll()
    dead = svc.state.feed(dead_url)
    assert dead is not None and dead.disabled and dead.failures == 3
    assert waits[1] > waits[0]  # exponential backoff
    requests = feed_server.count("/dead.xml")
    clock.now += timedelta(days=3)
    report = await svc.poller.poll(force=True)
    assert feed_server.count("/dead.xml") == requests  # a disabled feed is never polled
    assert report.feeds_failed == 0


async def test_an_edit_updates_the_archive_without_a_new_announcement(
    timed: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = timed
    await svc.poller.poll()
    await svc.summaries.summarize()
    feed_server.add(
        "/live.xml",
        rss(
            (
                "fresh",
                "Kim Jong Un meets Putin in Vladivostok, agrees rail deal",
                NOW - timedelta(hours=2),
            ),
        ),
    )
    clock.now += timedelta(hours=2)
    report = await svc.poller.poll(force=True)
    assert report.edited == 1 and report.new_items == 0
    assert svc.archive.search("rail deal")
    assert svc.archive.announced_stories(NOW, clock.now) == []


async def test_a_permanent_redirect_moves_the_feed(
    timed: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = timed
    feed_server.add("/new-home.xml", rss(("x", "Weather", NOW)))
    feed_server.redirect("/live.xml", "/new-home.xml", status=301)
    await svc.poller.poll()
    live = svc.state.feed(svc.settings.feeds[0].url)
    assert live is not None and live.fetch_url == feed_server.url("/new-home.xml")
    clock.now += timedelta(hours=1)
    before = feed_server.count("/live.xml")
    await svc.poller.poll(force=True)
    assert feed_server.count("/live.xml") == before  # fetched from the new address directly


async def test_the_articles_read_are_let_go_before_grouping(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grouping, the poll's peak of memory, starts once the poll holds only the items it
    groups: the articles of a cold poll of many feeds are not kept alive through it."""

    def articles_alive() -> set[int]:
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, Article)}

    before = articles_alive()  # those other tests left behind are none of this poll's
    alive: list[int] = []
    group = svc.poller.grouper.group

    async def counting(pending: Sequence[Pending], now: datetime) -> None:
        # as clustering does: it runs in the worker thread, once the poll has let the loop go
        await asyncio.sleep(0)
        alive.append(len(articles_alive() - before))
        await group(pending, now)

    monkeypatch.setattr(svc.poller.grouper, "group", counting)
    report = await svc.poller.poll()
    assert report.new_items == 3 and report.relevant == 2
    assert alive == [0]
