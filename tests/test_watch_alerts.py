"""Watch alerts over real stores: each distinct term is run once per poll, against the new
articles only; an alert per (chat, story, term) at most, across restarts; an article waiting for
its story is looked at once it has one; an archive from before watch lists migrates without
alerting its past; watched terms travel with export/import."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.container import Services, services
from bot.app.jobs import Heartbeat, Jobs
from bot.app.watch_job import queue_watch_alerts
from bot.digest.watch_alerts import WatchAlert
from bot.errors import DigestbotError
from bot.i18n import Catalog
from bot.models import Article, Chat, Decision
from bot.ops.transfer import parse_document, plan_import
from bot.platforms.console import ConsolePlatform
from bot.platforms.discord.platform import DiscordPlatform
from bot.platforms.telegram.platform import TelegramPlatform
from bot.store.archive import Archive
from bot.store.migrations import MIGRATIONS
from bot.store.watch import WatchWindow
from tests.clock import Clock
from tests.fakes.discord_api import limit_problems
from tests.fakes.telegram_api import parse_telegram_html
from tests.test_jobs import START, RecordingChannel, add_story, jobs_settings, subscribe


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def svc(tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    async with services(jobs_settings(tmp_path), now=clock) as built:
        yield built


def article(key: str, title: str, clock: Clock) -> Article:
    return Article(
        id=key,
        feed_url="https://wire.example/rss",
        source="Wire",
        url=f"https://wire.example/{key}",
        title=title,
        summary=title,
        lang="en",
        published=clock.now - timedelta(minutes=5),
        seen_at=clock.now,
    )


def archive_one(archive: Archive, key: str, title: str, clock: Clock, story: int | None) -> int:
    decision = Decision(relevant=True, score=0.9, matched=("russia", "dprk"), reason="test")
    archive.add_article(article(key, title, clock), decision, announce=True)
    return archive.attach(key, story, entities=(), announce=True, now=clock.now)


def count_runs(monkeypatch: pytest.MonkeyPatch, archive: Archive) -> list[str]:
    """Record each FTS5 expression a watch run asks the archive for."""
    asked: list[str] = []
    real = archive.watch_hits

    def recording(match: str, window: WatchWindow) -> Any:
        asked.append(match)
        return real(match, window)

    monkeypatch.setattr(archive, "watch_hits", recording)
    return asked


async def test_each_distinct_term_is_run_once_however_many_chats_watch_it(
    svc: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for chat_id in range(1, 41):
        # 40 chats, three distinct terms ("كورسك" written two ways is one)
        terms = ("كورسك", "Tumen") if chat_id % 2 else ("  كورسك ", "treaty")
        subscribe(svc, chat_id, watch=terms, lang="ar")
    asked = count_runs(monkeypatch, svc.archive)
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    assert jobs.queue_watch_alerts() == 0  # nothing new yet: no term is run
    assert asked == []
    archive_one(svc.archive, "k1", "North Korean troops seen in the Kursk region", clock, None)
    assert jobs.queue_watch_alerts() == 40
    assert len(asked) == 3
    assert jobs.queue_watch_alerts() == 0  # the mark moved past it: no term is run again
    assert len(asked) == 3
    await jobs.deliver()
    assert sorted(to for to, _ in channel.sent) == list(range(1, 41))
    assert all("https://wire.example/k1" in text for _, text in channel.sent)


async def test_a_story_alerts_once_per_term_and_chat_even_after_a_restart(
    svc: Services, clock: Clock
) -> None:
    subscribe(svc, 1, watch=("Kursk",), lang="en")
    subscribe(svc, 2, watch=("Kursk", "Tumen"), lang="both")
    subscribe(svc, 3, watch=("Kursk",), subscribed=False)
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    story = archive_one(svc.archive, "a1", "Troops in Kursk", clock, None)
    assert jobs.queue_watch_alerts() == 2
    await jobs.deliver()
    english = channel.texts_to(1)[0]
    assert "Watched: Kursk" in english and '<a href="https://wire.example/a1">' in english
    both = channel.texts_to(2)[0]
    assert "متابَعة: Kursk" in both and "Watched: Kursk" in both
    # the story grows, and now also matches chat 2's other term: that term alerts, once
    clock.now += timedelta(minutes=30)
    archive_one(svc.archive, "a2", "Kursk: a bridge over the Tumen", clock, story)
    restarted = Jobs(svc, [channel], Heartbeat(started_at=clock.now))
    assert restarted.queue_watch_alerts() == 1
    await restarted.deliver()
    [second] = channel.texts_to(2)[1:]
    assert "Watched: Tumen" in second and "Kursk" not in second.split("\n")[1]
    clock.now += timedelta(minutes=30)
    archive_one(svc.archive, "a3", "Kursk and the Tumen again", clock, story)
    assert restarted.queue_watch_alerts() == 0
    assert channel.texts_to(3) == []


async def test_an_article_waiting_for_its_story_holds_the_mark(svc: Services, clock: Clock) -> None:
    subscribe(svc, 1, watch=("Kursk",))
    decision = Decision(relevant=True, score=0.9, matched=("russia",), reason="test")
    svc.archive.add_article(article("w1", "Kursk, waiting", clock), decision, announce=True)
    archive_one(svc.archive, "w2", "Kursk, grouped", clock, None)
    jobs = Jobs(svc, [RecordingChannel()], Heartbeat(started_at=START))
    assert jobs.queue_watch_alerts() == 0  # w2 is after w1, which has no story yet
    svc.archive.attach("w1", None, entities=(), announce=True, now=clock.now)
    assert jobs.queue_watch_alerts() == 2  # both stories, once grouped


async def test_a_headline_is_the_summarys_when_the_story_has_one(
    svc: Services, clock: Clock
) -> None:
    subscribe(svc, 1, watch=("pact",), lang="ar")
    add_story(svc.archive, "s", range(1), clock.now)  # summarized: "عنوان s"
    channel = RecordingChannel()
    jobs = Jobs(svc, [channel], Heartbeat(started_at=START))
    assert jobs.queue_watch_alerts() == 1
    await jobs.deliver()
    [text] = channel.texts_to(1)
    assert '<a href="https://outlet0.example/s">عنوان s</a>' in text


def test_every_platform_renders_a_watch_alert_within_its_limits() -> None:
    catalog = Catalog.load()
    alert = WatchAlert(
        story_id=1,
        terms=("كورسك", "x" * 100),
        headlines={"ar": "", "en": "<b>Troops</b> & Kursk"},
        title="عنوان المقال",
        url="https://wire.example/a?b=1&c=(2)",
    )
    telegram = TelegramPlatform().render_watch(alert, lang="both", catalog=catalog)
    visible = parse_telegram_html(telegram)
    assert "عنوان المقال" in visible and "Troops" in visible and "& Kursk" in visible
    discord = json.loads(DiscordPlatform().render_watch(alert, lang="en", catalog=catalog))
    assert not limit_problems(discord) and "%28" in discord["content"]
    plain = ConsolePlatform().render_watch(alert, lang="ar", catalog=catalog)
    assert plain.startswith("🔎 متابَعة: كورسك، ") and "<https://wire.example/a?b=1&c=(2)>" in plain


def test_an_archive_from_before_watch_lists_migrates_without_alerting_its_past(
    tmp_path: Path, clock: Clock
) -> None:
    archive = Archive.in_dir(tmp_path)
    archive_one(archive, "old", "Kursk long ago", clock, None)
    archive.close()
    db = sqlite3.connect(tmp_path / "archive.sqlite3")
    db.executescript(
        "DROP TABLE watch_alerts; DROP TABLE watch_mark;"
        f" PRAGMA user_version = {len(MIGRATIONS) - 1};"
    )
    db.close()
    archive = Archive.in_dir(tmp_path)
    try:
        assert archive.schema_version == len(MIGRATIONS)
        chats = [Chat("telegram", 1, subscribed=True, watch=("Kursk",))]
        sent = queue_watch_alerts(
            archive=archive,
            chats=chats,
            expand=lambda words: None,
            catalog=Catalog.load(),
            writer=_Writer(),
            now=clock.now,
        )
        assert sent == 0 and archive.watch_window().empty
    finally:
        archive.close()


class _Writer:
    def render_watch(self, platform: str, alert: WatchAlert, **kwargs: Any) -> str:
        return ",".join(alert.terms)


def test_an_export_from_before_watch_lists_imports_and_keeps_the_chats_terms() -> None:
    old = {
        "format": "digestbot-export",
        "version": 1,
        "exported_at": "2024-11-05T09:00:00+00:00",
        "chats": [{"platform": "telegram", "chat_id": 1, "subscribed": True}],
    }
    document = parse_document(json.dumps(old).encode(), source="old.json")
    known = Chat("telegram", 1, subscribed=True, watch=("Kursk",))
    plan = plan_import(document, {("telegram", 1): known}, {}, START)
    assert plan.chats == ()  # nothing to change: the terms stay
    [new] = plan_import(document, {}, {}, START).chats
    assert new.watch == ()


@pytest.mark.parametrize(
    ("terms", "reason"),
    [(["Kursk lang:en"], "watch.bad_filter"), ([f"t{n}" for n in range(11)], "watch.bad_full")],
)
def test_an_export_with_a_term_that_cannot_be_watched_is_refused(
    terms: list[str], reason: str
) -> None:
    document = {
        "format": "digestbot-export",
        "version": 1,
        "exported_at": "2024-11-05T09:00:00+00:00",
        "chats": [{"platform": "telegram", "chat_id": 1, "watch": terms}],
    }
    with pytest.raises(DigestbotError, match="watch"):
        parse_document(json.dumps(document).encode(), source="bad.json")


async def test_a_pruned_story_leaves_no_watch_record(svc: Services, clock: Clock) -> None:
    subscribe(svc, 1, watch=("Kursk",))
    archive_one(svc.archive, "p1", "Kursk, long ago", clock, None)
    assert Jobs(svc, [RecordingChannel()], Heartbeat(started_at=START)).queue_watch_alerts() == 1
    svc.archive.prune_articles(clock.now + timedelta(days=1), now=clock.now + timedelta(days=1))
    rows = svc.archive._db.execute("SELECT count(*) FROM watch_alerts").fetchone()[0]
    assert rows == 0  # a later story given the same id is not taken for one already alerted
