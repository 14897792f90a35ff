"""A feed answering 200 with the body it gave last time (no validators, or a fresh ETag each
time) is unchanged like a 304: not parsed again, counted as unchanged, its seen ids kept. A
changed body is read; the digest survives a restart; a body that failed is read again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

import bot.pipeline.feed
from bot.app.container import Services, services
from bot.config import Settings
from bot.ops.retention import seen_prune_limits
from tests.fakes.feed_server import FeedServer

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
PATH = "/wire.xml"


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><guid>tag:wire.example,2024:{n}</guid><title>{title}</title>"
        f"<link>https://wire.example/{n}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=1))}</pubDate></item>"
        for n, title in enumerate(titles)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>W</title>'
    return f"{head}{items}</channel></rss>".encode()


TITLES = ("Kim Jong Un meets Putin in Vladivostok", "Football: Brighton beat Liverpool")
FIRST = rss(*TITLES)


def settings_for(data: Path, server: FeedServer) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"data_dir": str(data)},
            "ingest": {"allow_private_networks": True},
            "feeds": [{"url": server.url(PATH), "name": "Wire"}],
        }
    )


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per body handed to the parser."""
    calls: list[int] = []
    real = bot.pipeline.feed.parse_feed

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bot.pipeline.feed, "parse_feed", counted)
    return calls


@pytest.fixture
async def svc(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Services]:
    feed_server.add(PATH, FIRST, etag=False, last_modified=None)
    async with services(settings_for(tmp_path, feed_server), now=lambda: NOW) as built:
        yield built


async def test_the_same_body_without_validators_is_unchanged(
    svc: Services, feed_server: FeedServer, parses: list[int]
) -> None:
    first = await svc.poller.poll()
    assert first.feeds_ok == 1 and first.new_items == 2 and parses == [1]
    again = await svc.poller.poll(force=True)
    assert again.feeds_not_modified == 1 and again.feeds_ok == 0 and again.new_items == 0
    assert parses == [1]  # not parsed again
    assert "If-None-Match" not in feed_server.headers_of(PATH)[-1]  # a full 200 each time
    feed = svc.state.feed(svc.settings.feeds[0].url)
    assert feed is not None and feed.last_status == 304 and feed.failures == 0
    # not a full read: its seen ids are kept by housekeeping, as after a 304
    assert seen_prune_limits(NOW, 30, [feed]) == {feed.url: None}


async def test_a_fresh_etag_on_the_same_body_is_unchanged(
    svc: Services, feed_server: FeedServer, parses: list[int]
) -> None:
    feed_server.add(PATH, FIRST, etag='"v1"', last_modified=None)
    await svc.poller.poll()
    feed_server.add(PATH, FIRST, etag='"v2"', last_modified=None)
    again = await svc.poller.poll(force=True)
    assert again.feeds_not_modified == 1 and parses == [1]
    feed = svc.state.feed(svc.settings.feeds[0].url)
    assert feed is not None and feed.etag == '"v2"'  # the server's latest validator is sent


async def test_a_changed_body_is_read(
    svc: Services, feed_server: FeedServer, parses: list[int]
) -> None:
    await svc.poller.poll()
    longer = rss(*TITLES, "Lavrov visits Pyongyang for talks")
    feed_server.add(PATH, longer, etag=False, last_modified=None)
    again = await svc.poller.poll(force=True)
    assert again.feeds_ok == 1 and again.new_items == 1 and parses == [1, 1]
    feed = svc.state.feed(svc.settings.feeds[0].url)
    assert feed is not None and feed.last_status == 200


async def test_the_digest_survives_a_restart(
    tmp_path: Path, feed_server: FeedServer, parses: list[int]
) -> None:
    feed_server.add(PATH, FIRST, etag=False, last_modified=None)
    settings = settings_for(tmp_path, feed_server)
    async with services(settings, now=lambda: NOW) as first:
        assert (await first.poller.poll()).feeds_ok == 1
    async with services(settings, now=lambda: NOW) as second:
        again = await second.poller.poll(force=True)
    assert again.feeds_not_modified == 1 and parses == [1]


async def test_a_body_that_failed_is_read_again_until_it_parses(
    svc: Services, feed_server: FeedServer, parses: list[int]
) -> None:
    await svc.poller.poll()
    feed_server.add(PATH, b"<html>maintenance</html>", etag=False, last_modified=None)
    for failures in (1, 2):
        report = await svc.poller.poll(force=True)
        assert report.feeds_failed == 1 and report.feeds_not_modified == 0
        feed = svc.state.feed(svc.settings.feeds[0].url)
        assert feed is not None and feed.failures == failures
    assert len(parses) == 3  # the broken body was parsed each time, never taken as unchanged
    # back to the body read in full before: nothing in it is new
    feed_server.add(PATH, FIRST, etag=False, last_modified=None)
    back = await svc.poller.poll(force=True)
    assert back.feeds_not_modified == 1 and len(parses) == 3
    feed = svc.state.feed(svc.settings.feeds[0].url)
    assert feed is not None and feed.failures == 0


async def test_a_body_whose_archiving_failed_is_read_again(
    svc: Services, feed_server: FeedServer, parses: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(svc.archive, "add_seen_many", broken)
        failed = await svc.poller.poll()
    assert failed.feeds_ok == 0
    again = await svc.poller.poll(force=True)
    assert again.feeds_ok == 1 and again.new_items == 2 and parses == [1, 1]
