"""Article identity against hostile and careless feeds, through the whole pipeline: guids are
per feed, an item is recognised by its link and title when its guid changes, and an item with
no link of its own never shows its feed's URL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app.container import Services, services
from bot.i18n import Catalog
from bot.models import Article, Chat, SearchHit, Story
from bot.platforms.discord.commands import search_embed
from bot.platforms.telegram.browse import format_latest
from bot.platforms.telegram.search import format_page
from bot.store.archive import ARCHIVE_FILE, content_key
from tests.clock import Clock
from tests.fakes.feed_server import FeedServer
from tests.fakes.openai_api import FakeOpenAI
from tests.settings_support import settings_for

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
SUMMIT = "Kim Jong Un meets Putin in Vladivostok"
TREATY = "Russia and North Korea ratify their defence treaty"


def rss(*items: tuple[str | None, str | None, str], when: datetime = NOW) -> bytes:
    """Items of (guid, link, title); None leaves the element out."""
    body = "".join(
        "<item>"
        + (f"<guid isPermaLink='false'>{guid}</guid>" if guid is not None else "")
        + (f"<link>{link}</link>" if link is not None else "")
        + f"<title>{title}</title><pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, link, title in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{body}</channel></rss>".encode()


@pytest.fixture
async def two_feeds(
    tmp_path: Path, feed_server: FeedServer
) -> AsyncIterator[tuple[Services, Clock]]:
    clock = Clock(NOW)
    feed_server.add("/a.xml", rss(("12345", "https://a.example/summit", SUMMIT)))
    feed_server.add("/b.xml", rss())
    feeds = [
        {"url": feed_server.url("/a.xml"), "name": "Outlet A"},
        {"url": feed_server.url("/b.xml"), "name": "Outlet B"},
    ]
    async with services(settings_for(tmp_path, feeds), now=clock) as built:
        yield built, clock


async def test_two_feeds_with_the_same_numeric_guid_both_keep_their_item(
    two_feeds: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = two_feeds
    assert (await svc.poller.poll()).relevant == 1
    # Outlet B numbers its items too, and its item 12345 is another article.
    feed_server.add("/b.xml", rss(("12345", "https://b.example/treaty", TREATY)))
    clock.now += timedelta(minutes=40)
    report = await svc.poller.poll(force=True)
    assert (report.new_items, report.relevant, report.edited) == (1, 1, 0)
    found = {hit.article.source: hit.article for hit in svc.archive.search("source:outlet")}
    assert found["Outlet A"].title == SUMMIT  # not replaced by B's item
    assert found["Outlet A"].url == "https://a.example/summit"
    assert found["Outlet B"].title == TREATY
    assert found["Outlet B"].url == "https://b.example/treaty"


async def test_two_feeds_polled_together_keep_items_with_the_same_guid(
    two_feeds: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, _ = two_feeds
    feed_server.add("/b.xml", rss(("12345", "https://b.example/treaty", TREATY)))
    report = await svc.poller.poll()
    assert (report.new_items, report.relevant) == (2, 2)
    assert svc.archive.counts()["articles"] == 2


async def test_an_edit_is_taken_from_the_items_own_feed_only(
    two_feeds: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = two_feeds
    await svc.poller.poll()
    # Feed A edits its item; feed B lists an item under the same guid: only A's edit counts.
    edited = f"{SUMMIT}, agrees rail deal"
    feed_server.add("/a.xml", rss(("12345", "https://a.example/summit", edited)))
    feed_server.add("/b.xml", rss(("12345", "https://b.example/treaty", TREATY)))
    clock.now += timedelta(minutes=40)
    report = await svc.poller.poll(force=True)
    assert report.edited == 1
    [hit] = svc.archive.search("rail deal")
    assert hit.article.source == "Outlet A" and hit.article.url == "https://a.example/summit"


async def test_the_same_article_in_two_feeds_is_archived_once(
    two_feeds: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    """Two feeds of one outlet list the same article (same link and title, own guids)."""
    svc, clock = two_feeds
    await svc.poller.poll()
    feed_server.add("/b.xml", rss(("b-77", "https://a.example/summit?utm_source=b", SUMMIT)))
    clock.now += timedelta(minutes=40)
    report = await svc.poller.poll(force=True)
    assert report.new_items == 0
    assert svc.archive.counts()["articles"] == 1


# guids that change on every poll


@pytest.fixture
async def restless(
    tmp_path: Path, feed_server: FeedServer, openai_api: FakeOpenAI
) -> AsyncIterator[tuple[Services, Clock]]:
    clock = Clock(NOW)
    feed_server.add("/restless.xml", rss(("poll-0", "https://r.example/summit", SUMMIT)))
    feeds = [{"url": feed_server.url("/restless.xml"), "name": "Restless"}]
    llm = {"base_url": openai_api.base_url, "model": "test-model", "resummarize_new_articles": 1}
    async with services(settings_for(tmp_path, feeds, llm=llm), now=clock) as built:
        yield built, clock


async def test_a_guid_that_changes_on_every_poll_is_announced_once(
    restless: tuple[Services, Clock], feed_server: FeedServer, openai_api: FakeOpenAI
) -> None:
    svc, clock = restless
    chat = Chat("telegram", 7, lang="en", subscribed=True, subscribed_at=NOW - timedelta(days=1))
    svc.state.save_chat(chat)
    queued = []
    for poll in range(4):
        feed_server.add(
            "/restless.xml",
            rss((f"poll-{poll}", "https://r.example/summit#top", SUMMIT), when=NOW),
        )
        await svc.poller.poll(force=True)
        await svc.summaries.summarize()
        queued.append(svc.digests.queue_digests(until=clock.now))
        clock.now += timedelta(hours=1)
    assert queued == [1, 0, 0, 0]
    assert openai_api.calls == 1
    assert svc.archive.counts()["articles"] == 1


async def test_a_pruned_article_under_a_changing_guid_stays_known(
    restless: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    """The article leaves the archive; its tombstone keeps its link key."""
    svc, clock = restless
    assert (await svc.poller.poll(force=True)).relevant == 1
    clock.now += timedelta(days=8)
    pruned = svc.archive.prune_articles(clock.now, now=clock.now)
    assert pruned.articles == 1
    feed_server.add("/restless.xml", rss(("poll-9", "https://r.example/summit", SUMMIT)))
    assert (await svc.poller.poll(force=True)).new_items == 0


async def test_a_feed_that_gives_every_item_one_link_keeps_them_apart(
    restless: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    """Some feeds link every item to their home page: the titles tell the items apart."""
    svc, _ = restless
    feed_server.add(
        "/restless.xml",
        rss(("1", "https://r.example/", SUMMIT), ("2", "https://r.example/", TREATY)),
    )
    report = await svc.poller.poll(force=True)
    assert (report.new_items, report.relevant) == (2, 2)


async def test_a_changing_guid_keeps_an_irrelevant_item_remembered(
    restless: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    """Seen under its first guid only, it is still refreshed while its feed lists it, so
    pruning never forgets it."""
    svc, clock = restless
    football = "Brighton beat Liverpool"
    feed_server.add("/restless.xml", rss(("s-0", "https://r.example/football", football)))
    await svc.poller.poll(force=True)
    for day in (10, 20, 40):
        clock.now = NOW + timedelta(days=day)
        feed_server.add("/restless.xml", rss((f"s-{day}", "https://r.example/football", football)))
        assert (await svc.poller.poll(force=True)).new_items == 0, day
        svc.archive.prune_seen(clock.now - timedelta(days=svc.settings.archive.seen_days))
        assert svc.archive.counts()["seen"] == 1, day


# items without a link of their own


SECRET_PATH = "/private.xml?token=s3cret"


@pytest.fixture
async def private(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Services]:
    feed_server.add(
        "/private.xml",
        rss(
            ("no-link", None, SUMMIT),
            # a relative link: resolved against the feed's URL, it is the feed itself
            ("self-link", SECRET_PATH, "Lavrov visits Pyongyang for talks with Kim"),
            ("linked", "https://p.example/treaty", TREATY),
        ),
    )
    feeds = [{"url": feed_server.url(SECRET_PATH), "name": "Private"}]
    async with services(settings_for(tmp_path, feeds), now=lambda: NOW) as built:
        yield built


async def test_an_item_without_a_link_never_shows_the_feed_url(
    private: Services, feed_server: FeedServer
) -> None:
    svc = private
    report = await svc.poller.poll()
    assert report.relevant == 3
    await svc.summaries.summarize()
    for platform in ("telegram", "discord"):
        svc.state.save_chat(Chat(platform, 5, lang="both", subscribed=True, subscribed_at=NOW))
    assert svc.digests.queue_digests(until=NOW) >= 2
    texts = [part.text for p in ("telegram", "discord") for part in svc.archive.pending(p)]
    assert texts and all("s3cret" not in text for text in texts)
    assert any("p.example/treaty" in text for text in texts)
    # Kept for search, without a link; never announced.
    hits = svc.archive.search("Vladivostok") + svc.archive.search("Lavrov")
    assert [hit.article.url for hit in hits] == ["", ""]
    digest = svc.digests.digest(lang="en", since=None, until=NOW)
    assert [[s.url for s in item.sources] for item in digest.items] == [
        ["https://p.example/treaty"]
    ]


# an archive from before ids were scoped to their feed


def to_old_scheme(path: Path) -> None:
    """The archive as the digestbot before schema 3 left it: ids ``g:<guid>`` for every feed,
    no link keys, and an item without a link stored with its feed's URL."""
    db = sqlite3.connect(path, isolation_level=None)
    with db:
        for table in ("articles", "seen"):
            # "g:" + 12 characters of feed key + ":" = 15 characters
            db.execute(f"UPDATE {table} SET id = 'g:' || substr(id, 16) WHERE id GLOB 'g:*'")
        db.execute("UPDATE articles SET url = feed_url, announce = 1 WHERE url = ''")
        for (story,) in db.execute("SELECT id FROM stories").fetchall():
            ids = [
                row[0] for row in db.execute("SELECT id FROM articles WHERE story_id = ?", (story,))
            ]
            for table, column in (("stories", "id"), ("summaries", "story_id")):
                db.execute(
                    f"UPDATE {table} SET content_key = ? WHERE {column} = ?",
                    (content_key(ids), story),
                )
        db.execute("DROP INDEX articles_link")
        db.execute("DROP INDEX seen_link")
        db.execute("ALTER TABLE articles DROP COLUMN link_key")
        db.execute("ALTER TABLE seen DROP COLUMN link_key")
        db.execute("ALTER TABLE stories DROP COLUMN merged_into")  # added by schema 5
        db.execute("DROP TABLE story_messages")  # added by schema 6
        db.execute("ALTER TABLE outbox DROP COLUMN markup")  # added by schema 7
        db.execute("DROP TABLE digest_pages")  # added by schema 7
    db.execute("PRAGMA user_version = 2")
    db.close()


async def test_an_archive_from_before_feed_scoped_ids_announces_nothing_twice(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    items = (
        ("tag:w,2024:k1", "https://w.example/summit", SUMMIT),
        ("tag:w,2024:k2", "https://w.example/football", "Brighton beat Liverpool"),
        ("tag:w,2024:k3", None, TREATY),
    )
    feed_server.add("/wire.xml", rss(*items, when=NOW - timedelta(hours=1)))
    feeds = [{"url": feed_server.url("/wire.xml"), "name": "Wire"}]
    settings = settings_for(tmp_path, feeds)
    chat = Chat("telegram", 3, lang="en", subscribed=True, subscribed_at=NOW - timedelta(days=1))
    clock = Clock(NOW)
    async with services(settings, now=clock) as svc:
        await svc.poller.poll()
        assert await svc.summaries.summarize() == 1
        svc.state.save_chat(chat)
        assert svc.digests.queue_digests(until=NOW) == 1
    path = tmp_path / ARCHIVE_FILE
    to_old_scheme(path)
    old = sqlite3.connect(path)
    assert sorted(row[0] for row in old.execute("SELECT id FROM articles")) == [
        "g:tag:w,2024:k1",
        "g:tag:w,2024:k3",
    ]
    assert (
        old.execute("SELECT url FROM articles WHERE id LIKE '%k3'").fetchone()[0] == feeds[0]["url"]
    )
    old.close()

    clock.now = NOW + timedelta(hours=2)
    feed_server.add("/wire.xml", rss(*items, ("tag:w,2024:k4", "https://w.example/rain", "Rain")))
    async with services(settings, now=clock) as svc:
        assert (tmp_path / f"{ARCHIVE_FILE}.bak-v2").exists()
        report = await svc.poller.poll(force=True)
        assert (report.new_items, report.relevant, report.edited) == (1, 0, 0)
        assert await svc.summaries.summarize() == 0  # no summary is redone for the upgrade
        assert svc.digests.queue_digests(until=clock.now) == 0
        [hit] = svc.archive.search("ratify")
        assert hit.article.url == ""  # the feed's URL is no longer shown for it
        assert svc.archive.counts()["articles"] == 2


async def test_an_edit_that_drops_the_link_keeps_the_one_shown(
    two_feeds: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = two_feeds
    await svc.poller.poll()
    feed_server.add("/a.xml", rss(("12345", None, f"{SUMMIT}, agrees rail deal")))
    clock.now += timedelta(minutes=40)
    assert (await svc.poller.poll(force=True)).edited == 1
    [hit] = svc.archive.search("rail deal")
    assert hit.article.url == "https://a.example/summit"


def linkless_hit() -> SearchHit:
    article = Article(
        id="g:0:1",
        feed_url="https://private.example/rss?token=s3cret",
        source="Private",
        url="",
        title="Kim meets Putin",
        summary="The leaders met.",
        lang="en",
        published=NOW,
        seen_at=NOW,
    )
    return SearchHit(article=article, snippet=article.summary)


def test_search_results_name_an_outlet_without_a_link() -> None:
    catalog = Catalog.load()
    hit = linkless_hit()
    page = format_page([hit], "kim", 0, "en", catalog)
    assert "<a " not in page and "Private" in page
    embed = search_embed([hit], "kim", 0, "en", catalog)
    assert "](" not in (embed.description or "") and "Kim meets Putin" in (embed.description or "")
    story = Story(id=1, created_at=NOW, updated_at=NOW, articles=(hit.article,))
    latest = format_latest([(story, None)], "en", catalog)
    assert "<a " not in latest and "Private" in latest
