"""Housekeeping: the retention plan (pure), pruning and SQLite upkeep in the archive, and the
guarantee that pruning never lets an item still listed in a feed be announced twice."""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.container import Services, services
from bot.app.housekeeping import FTS_MARKER, housekeep
from bot.config import ArchiveSettings, Settings, parse_settings
from bot.errors import ConfigError
from bot.ingest.articles import feed_key
from bot.models import Article, Decision, FeedState
from bot.ops.retention import fts_optimize_due, plan, seen_prune_limits, seen_refresh_before
from bot.store.archive import Archive
from tests.clock import Clock
from tests.fakes.feed_server import FeedServer
from tests.test_cli_process import clean_env, fresh_feed, write_config

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
FEED = "https://f.example/rss"
YES = Decision(relevant=True, score=1.0, matched=("ru:kursk",), reason="test")


def article(
    id_: str, title: str, *, days: float = 0, feed: str = "https://f.example/rss"
) -> Article:
    when = NOW - timedelta(days=days)
    return Article(
        id=id_,
        feed_url=feed,
        source="Outlet",
        url=f"https://outlet.example/{id_}",
        title=title,
        summary="",
        lang="en",
        published=when,
        seen_at=when,
    )


# the plan


@pytest.mark.parametrize(
    ("settings", "fts_last", "seen_before", "articles_before", "fts"),
    [
        (ArchiveSettings(), None, NOW - timedelta(days=30), None, True),
        (
            ArchiveSettings(fts_optimize_days=7),
            NOW - timedelta(days=2),
            NOW - timedelta(days=30),
            None,
            False,
        ),
        (
            ArchiveSettings(article_days=365, seen_days=10, fts_optimize_days=1),
            NOW - timedelta(days=1),
            NOW - timedelta(days=10),
            NOW - timedelta(days=365),
            True,
        ),
        (ArchiveSettings(fts_optimize_days=0), None, NOW - timedelta(days=30), None, False),
    ],
)
def test_the_plan(
    settings: ArchiveSettings,
    fts_last: datetime | None,
    seen_before: datetime,
    articles_before: datetime | None,
    fts: bool,
) -> None:
    decided = plan(NOW, settings, fts_last)
    assert decided.seen_before == seen_before
    assert decided.articles_before == articles_before
    assert decided.optimize_fts is fts
    assert decided.outbox_before == NOW - timedelta(days=settings.outbox_days)


def test_refresh_threshold_is_half_the_retention() -> None:
    assert seen_refresh_before(NOW, 30) == NOW - timedelta(days=15)
    assert fts_optimize_due(NOW, NOW - timedelta(days=7), 7)
    # a run a few minutes early (the job's interval against a late first run) still merges
    assert fts_optimize_due(NOW, NOW - timedelta(days=6, hours=23, minutes=50), 7)
    assert not fts_optimize_due(NOW, NOW - timedelta(days=6, hours=22), 7)


def test_articles_must_outlive_the_digest_window() -> None:
    with pytest.raises(ConfigError, match="article_days"):
        parse_settings({"archive": {"article_days": 2}, "digest": {"max_age_hours": 72}})
    assert parse_settings({"archive": {"article_days": 4}}).archive.article_days == 4
    with pytest.raises(ConfigError, match=r"\[archive\] seen_days"):
        parse_settings({"archive": {"seen_days": 0}})


# the archive


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive.in_dir(tmp_path)


def test_prune_seen_forgets_only_old_ids(archive: Archive) -> None:
    archive.add_seen(article("old", "Football", days=40))
    archive.add_seen(article("recent", "Weather", days=5))
    assert archive.prune_seen(NOW - timedelta(days=30)) == 1
    assert archive.known(["old", "recent"]) == {"recent"}


def test_seen_prune_limits_follow_each_feeds_last_full_read() -> None:
    read = FeedState(url="https://a/", name="A", last_status=200, last_fetch_at=NOW)
    stale_read = replace(read, url="https://b/", last_fetch_at=NOW - timedelta(days=40))
    unchanged = replace(read, url="https://c/", last_status=304)
    failing = replace(read, url="https://d/", last_status=None, failures=3)
    limits = seen_prune_limits(NOW, 30, [read, stale_read, unchanged, failing])
    assert limits == {
        "https://a/": NOW - timedelta(days=30),
        "https://b/": NOW - timedelta(days=55),  # read 40 days ago: 40 + 15
        "https://c/": None,
        "https://d/": None,
    }


def test_prune_seen_keeps_ids_of_feeds_it_cannot_vouch_for(archive: Archive) -> None:
    archive.add_seen(article("kept", "Football", days=90, feed="https://c/"))
    archive.add_seen(article("gone", "Football", days=90, feed="https://a/"))
    archive.add_seen(article("orphan", "Weather", days=90, feed="https://removed/"))
    limits = {"https://a/": NOW - timedelta(days=30), "https://c/": None}
    assert archive.prune_seen(NOW - timedelta(days=30), limits) == 2
    assert archive.known(["kept", "gone", "orphan"]) == {"kept"}


def test_refresh_pushes_back_only_ageing_ids(archive: Archive) -> None:
    archive.add_seen(article("ageing", "Football", days=20))
    archive.add_seen(article("young", "Weather", days=2))
    changed = archive.refresh_seen(
        ["ageing", "young", "unknown"], now=NOW, older_than=NOW - timedelta(days=15)
    )
    assert changed == 1
    assert archive.prune_seen(NOW - timedelta(days=1)) == 1  # young, seen 2 days ago
    assert archive.known(["ageing", "young"]) == {"ageing"}


def test_prune_articles_removes_old_stories_whole(archive: Archive) -> None:
    for id_, days in (("a1", 400), ("a2", 399), ("b1", 10)):
        archive.add_article(article(id_, f"Kursk troops {id_}", days=days), YES, announce=True)
    old_story = archive.attach(
        "a1", None, entities=["ru:kursk"], announce=True, now=NOW - timedelta(days=400)
    )
    archive.attach("a2", old_story, entities=[], announce=True, now=NOW - timedelta(days=399))
    new_story = archive.attach("b1", None, entities=[], announce=True, now=NOW - timedelta(days=10))
    pruned = archive.prune_articles(NOW - timedelta(days=365), now=NOW)
    assert (pruned.articles, pruned.stories) == (2, 1)
    assert archive.counts()["articles"] == 1 and archive.counts()["stories"] == 1
    assert archive.story(new_story).articles[0].id == "b1"
    assert {hit.article.id for hit in archive.search("Kursk", limit=10)} == {"b1"}
    # the pruned ids stay known: they are not classified, archived or announced again
    assert archive.known(["a1", "a2", "b1"]) == {"a1", "a2", "b1"}
    # the search index holds exactly the remaining article
    assert archive._db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 1


def test_prune_outbox_keeps_pending_and_each_chats_latest_digest(archive: Archive) -> None:
    def queue(chat: int, key: str, days: int, parts: int = 1) -> None:
        when = NOW - timedelta(days=days)
        archive.queue_digest(
            platform="telegram",
            chat_id=chat,
            thread_id=None,
            digest_key=key,
            period_end=when,
            parts=[f"{key} part {n}" for n in range(parts)],
            now=when,
        )

    queue(1, "1-old", 90, parts=2)
    queue(1, "1-latest", 60)  # chat 1 has had no digest since: its latest must stay
    queue(2, "2-old", 90)
    queue(2, "2-pending", 80)
    queue(2, "2-recent", 3)
    for item in archive.pending("telegram"):
        if item.digest_key != "2-pending":
            archive.mark_sent(item.id, 1, NOW)
    ends = archive.last_digest_ends()
    assert archive.prune_outbox(NOW - timedelta(days=30)) == 3  # 1-old (2 parts), 2-old
    assert archive.last_digest_ends() == ends
    left = archive._db.execute("SELECT digest_key, status FROM outbox ORDER BY id").fetchall()
    assert [tuple(row) for row in left] == [
        ("1-latest", "sent"),
        ("2-pending", "pending"),
        ("2-recent", "sent"),
    ]


def test_fts_optimize_merges_the_index(archive: Archive) -> None:
    for n in range(60):
        archive.add_article(article(f"x{n}", f"Kursk troops report {n}"), YES, announce=True)

    def segments() -> int:
        return int(archive._db.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0])

    before = segments()
    archive.optimize()
    archive.optimize_fts()
    assert segments() < before
    assert len(archive.search("Kursk", limit=100)) == 60


def test_checkpoint_truncates_the_write_ahead_log(archive: Archive) -> None:
    assert archive.journal_mode == "wal"
    for n in range(20):
        archive.add_seen(article(f"s{n}", "Weather"))
    wal = archive.path.with_name(archive.path.name + "-wal")
    assert wal.stat().st_size > 0
    assert archive.checkpoint()
    assert wal.stat().st_size == 0
    assert len(archive.known([f"s{n}" for n in range(20)])) == 20


# the job, and delivery never twice


ITEMS = (
    ("summit", "Kim Jong Un meets Putin in Vladivostok"),
    ("sport", "Football: Brighton beat Liverpool"),
)


def undated_rss(*items: tuple[str, str]) -> bytes:
    """Items without a date: the bot dates them when it sees them, so only its memory of the
    id keeps one from looking new each time."""
    body = "".join(
        f"<item><guid>tag:news.example,2024:{guid}</guid><title>{title}</title>"
        f"<link>https://news.example/{guid}</link></item>"
        for guid, title in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{body}</channel></rss>".encode()


def summit_id(svc: Services) -> str:
    return f"g:{feed_key(svc.settings.feeds[0].url)}:tag:news.example,2024:summit"


@pytest.fixture
async def live(tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[tuple[Services, Clock]]:
    clock = Clock(NOW)
    feed_server.add(
        "/wire.xml",
        undated_rss(*ITEMS),
    )
    settings = Settings.model_validate(
        {
            "storage": {"data_dir": str(tmp_path)},
            "ingest": {"allow_private_networks": True},
            "archive": {"article_days": 7, "seen_days": 30},
            "feeds": [{"url": feed_server.url("/wire.xml"), "name": "Wire"}],
        }
    )
    async with services(settings, now=clock) as built:
        yield built, clock


@pytest.mark.parametrize("feed_changes", [True, False], ids=["feed-changes", "feed-unchanged"])
async def test_a_pruned_article_still_in_its_feed_is_never_announced_again(
    live: tuple[Services, Clock],
    feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
    feed_changes: bool,
) -> None:
    svc, clock = live
    report = await svc.poller.poll(force=True)
    assert (report.new_items, report.relevant) == (2, 1)
    assert len(svc.archive.announced_stories(None, clock.now)) == 1

    # Day 8: the story is past article_days and leaves the archive; the feed still lists it.
    clock.now = NOW + timedelta(days=8)
    with caplog.at_level(logging.INFO, logger="bot.app.housekeeping"):
        done = housekeep(svc)
    assert (done.pruned.articles, done.pruned.stories) == (1, 1)
    assert "housekeeping: forgot 0 seen ids; removed 1 articles in 1 stories" in caplog.text
    assert svc.archive.counts()["articles"] == 0

    # Polls keep finding both items (answered in full when the feed gains an unrelated item,
    # 304 otherwise); well past seen_days, housekeeping runs after each.
    for day in (20, 45, 70, 100):
        clock.now = NOW + timedelta(days=day)
        if feed_changes:
            feed_server.add("/wire.xml", undated_rss(*ITEMS, (f"weather{day}", "Rain in Oslo")))
        again = await svc.poller.poll(force=True)
        assert again.new_items == (1 if feed_changes else 0), day
        assert again.relevant == 0, day  # the summit is not taken for a new article
        housekeep(svc)
        assert svc.archive.known([summit_id(svc)]), day
    assert svc.archive.counts()["articles"] == 0
    assert svc.archive.announced_stories(NOW, clock.now) == []


async def test_ids_gone_from_every_feed_are_forgotten(
    live: tuple[Services, Clock], feed_server: FeedServer
) -> None:
    svc, clock = live
    await svc.poller.poll(force=True)
    clock.now = NOW + timedelta(days=8)
    housekeep(svc)  # the article leaves; its id becomes a seen id dated now
    feed_server.add("/wire.xml", undated_rss(("other", "Rain in Oslo")))  # both items dropped
    clock.now = NOW + timedelta(days=30)
    await svc.poller.poll(force=True)
    assert housekeep(svc).pruned.seen == 0  # not yet 30 days
    clock.now = NOW + timedelta(days=39)  # the last full read (day 30) did not list them
    done = housekeep(svc)
    assert done.pruned.seen == 2
    assert svc.archive.known([summit_id(svc)]) == set()
    assert svc.archive.counts()["seen"] == 1  # the item the feed lists now


async def test_the_job_merges_the_index_when_due_and_remembers_it(
    live: tuple[Services, Clock],
) -> None:
    svc, clock = live
    assert housekeep(svc).fts_optimized
    assert svc.state.marker(FTS_MARKER) == NOW
    clock.now = NOW + timedelta(hours=22)
    assert not housekeep(svc).fts_optimized
    clock.now = NOW + timedelta(days=1)
    assert housekeep(svc).fts_optimized


def test_a_missing_seen_table_is_a_store_error(archive: Archive) -> None:
    from bot.errors import StoreError

    archive._db.execute("DROP TABLE seen")
    with pytest.raises(StoreError, match="pruning failed"):
        archive.prune_seen(NOW)
    assert isinstance(archive._db, sqlite3.Connection)


def test_digestbot_run_keeps_house_at_start(tmp_path: Path) -> None:
    """The real process: housekeeping runs at start (and says so in the log), and the state
    file's last good copy is refreshed."""
    server = FeedServer()
    with server.run_in_thread() as feeds:
        feeds.add("/wire.xml", fresh_feed())
        config = write_config(tmp_path / "config.toml", feeds)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            cwd=tmp_path,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        state = tmp_path / "data" / "state.json"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()
                if state.exists() and FTS_MARKER in state.read_text(encoding="utf-8"):
                    break
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, stderr
    assert "housekeeping: forgot 0 seen ids; removed 0 articles in 0 stories" in stderr
    assert "(articles are kept)" in stderr
    assert "state backup refreshed" in stderr
    assert (tmp_path / "data" / "state.json.bak").exists()
