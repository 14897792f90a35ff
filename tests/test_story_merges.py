"""Stories in the stores: merging two stories keeps the archive, the search index, summaries,
alerts and the outbox consistent; the pipeline groups a poll at once whatever the feed order,
and items a failed or interrupted grouping left without a story are grouped by the next poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app.container import services
from bot.errors import StoreError
from bot.models import Article, Decision, Summary
from bot.store.archive import Archive
from bot.summarize.refresh import stale_stories
from tests.fakes.feed_server import FeedServer
from tests.settings_support import settings_for

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)


def article(key: str, title: str, lang: str = "en", hours: float = 0) -> Article:
    when = NOW - timedelta(hours=hours)
    return Article(
        id=key,
        feed_url="https://feeds.example/rss",
        source="Example",
        url=f"https://news.example/{key}",
        title=title,
        summary="",
        lang=lang,  # type: ignore[arg-type]
        published=when,
        seen_at=when,
    )


def decision(*entities: str) -> Decision:
    return Decision(relevant=True, score=1.0, matched=entities, reason="test")


def store(archive: Archive, key: str, title: str, story: int | None, *entities: str) -> int:
    archive.add_article(article(key, title), decision(*entities), announce=True)
    return archive.attach(key, story, entities=entities, announce=True, now=NOW)


def test_a_merge_moves_everything_of_the_younger_story_into_the_older(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    older = store(archive, "a1", "North Korean deminers reach Kursk", None, "ru:kursk")
    younger = store(archive, "b1", "Sappers from Pyongyang clear mines in Kursk", None, "nk:kpa")
    archive.save_summary(
        archive.story(older),
        Summary("عنوان", "ملخص", "Deminers in Kursk", "Summary", method="llm", model="m"),
        NOW,
    )
    archive.save_summary(
        archive.story(younger),
        Summary("عنوان", "ملخص", "Headline", "Summary", method="llm", model="m"),
        NOW,
    )
    archive.queue_alert(story_id=younger, sources=3, messages=[("telegram", 1, None, "x")], now=NOW)
    archive.merge_stories(older, younger, now=NOW + timedelta(hours=1))

    merged = archive.story(older)
    assert {a.id for a in merged.articles} == {"a1", "b1"}
    assert set(merged.entities) == {"ru:kursk", "nk:kpa"}
    with pytest.raises(StoreError):
        archive.story(younger)
    assert archive.summary(younger) is None
    # the survivor's content changed, so its summary is made again at once (default rule)
    stale = stale_stories(archive.summaries_to_check(since=NOW - timedelta(1)), resummarize_after=3)
    assert {s.id for s in stale} == {older}
    # an alert already sent for the absorbed story counts for the survivor: no second alert
    assert older not in {story for story, _ in archive.alert_candidates(since=NOW - timedelta(1))}
    # search finds both articles; a restart shows the same
    assert {hit.article.id for hit in archive.search("Kursk")} >= {"a1", "b1"}
    archive.close()
    again = Archive.in_dir(tmp_path)
    assert {a.id for a in again.story(older).articles} == {"a1", "b1"}
    again.close()


def test_a_merged_storys_id_is_never_given_to_a_new_story(tmp_path: Path) -> None:
    """SQLite reuses the largest id once its row is gone: a new story would then share the
    absorbed story's alert key in the outbox, and its own alert would be lost."""
    archive = Archive.in_dir(tmp_path)
    older = store(archive, "a1", "North Korean deminers reach Kursk", None, "ru:kursk")
    younger = store(archive, "b1", "Sappers from Pyongyang clear mines in Kursk", None)
    archive.queue_alert(story_id=younger, sources=3, messages=[("telegram", 1, None, "x")], now=NOW)
    archive.merge_stories(older, younger, now=NOW)
    newest = store(archive, "c1", "Duma ratifies the treaty with Pyongyang", None)
    assert newest not in (older, younger)
    archive.queue_alert(story_id=newest, sources=3, messages=[("telegram", 1, None, "y")], now=NOW)
    texts = {item.text for item in archive.pending("telegram")}
    assert texts == {"x", "y"}
    assert archive.counts()["stories"] == 2
    archive.close()


def test_merging_an_unknown_story_changes_nothing(tmp_path: Path) -> None:
    archive = Archive.in_dir(tmp_path)
    story = store(archive, "a1", "North Korean deminers reach Kursk", None, "ru:kursk")
    with pytest.raises(StoreError):
        archive.merge_stories(story, story + 1, now=NOW)
    assert {a.id for a in archive.story(story).articles} == {"a1"}
    archive.close()


# -- the pipeline ------------------------------------------------------------------------------

ITEMS = {
    "kursk-en": ("North Korean troops arrive in Russia's Kursk region",
                 "Thousands of soldiers were deployed to the Kursk front, Seoul said."),
    "kursk-ar": ("وصول قوات كورية شمالية إلى منطقة كورسك الروسية",
                 "انتشار آلاف الجنود الكوريين الشماليين على جبهة كورسك وفق سيول"),
    "treaty-en": ("Duma ratifies the partnership treaty with North Korea",
                  "The State Duma voted to ratify the treaty signed in Pyongyang."),
    "treaty-ar": ("الدوما تصادق على معاهدة الشراكة مع كوريا الشمالية",
                  "صوت مجلس الدوما على المصادقة على المعاهدة الموقعة في بيونغ يانغ"),
}  # fmt: skip


def rss(keys: list[str]) -> bytes:
    body = "".join(
        f"<item><guid>tag:news.example,2024:{key}</guid><title>{ITEMS[key][0]}</title>"
        f"<description>{ITEMS[key][1]}</description><link>https://news.example/{key}</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=1))}</pubDate></item>"
        for key in keys
    )
    return f'<rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


def feeds_at(feed_server: FeedServer, paths: list[str]) -> list[dict[str, str]]:
    return [{"url": feed_server.url(p), "name": p} for p in paths]


async def grouping(
    tmp_path: Path, feed_server: FeedServer, paths: list[str]
) -> set[frozenset[str]]:
    async with services(
        settings_for(tmp_path, feeds_at(feed_server, paths)), now=lambda: NOW
    ) as svc:
        await svc.poller.poll()
        stories: dict[int, set[str]] = {}
        for row in svc.archive.recent_articles(NOW - timedelta(days=1)):
            assert row.story_id is not None
            stories.setdefault(row.story_id, set()).add(row.article.url.rsplit("/", 1)[1])
    return {frozenset(v) for v in stories.values()}


async def test_a_poll_groups_the_same_whatever_the_feed_order(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.add("/en.xml", rss(["kursk-en", "treaty-en"]))
    feed_server.add("/ar.xml", rss(["treaty-ar", "kursk-ar"]))
    one = await grouping(tmp_path / "one", feed_server, ["/en.xml", "/ar.xml"])
    other = await grouping(tmp_path / "other", feed_server, ["/ar.xml", "/en.xml"])
    assert (
        one
        == other
        == {
            frozenset({"kursk-en", "kursk-ar"}),
            frozenset({"treaty-en", "treaty-ar"}),
        }
    )


async def test_items_left_without_a_story_are_grouped_by_the_next_poll(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.add("/en.xml", rss(["kursk-en", "treaty-en"]))
    settings = settings_for(tmp_path, feeds_at(feed_server, ["/en.xml"]))
    async with services(settings, now=lambda: NOW) as svc:

        def broken(*args: object) -> None:
            raise RuntimeError("grouping failed")

        monkeypatch.setattr("bot.pipeline.grouping.cluster", broken)
        report = await svc.poller.poll()
        assert report.relevant == 2 and report.feeds_ok == 1
        assert len(svc.archive.unclustered()) == 2
        assert svc.state.feeds()[0].etag  # the feed's state was saved all the same
        monkeypatch.undo()
        feed_server.add("/ar.xml", rss(["kursk-ar"]))
        settings2 = settings_for(tmp_path, feeds_at(feed_server, ["/en.xml", "/ar.xml"]))
    async with services(settings2, now=lambda: NOW + timedelta(minutes=30)) as svc:
        await svc.poller.poll()
        assert svc.archive.unclustered() == []
        stories: dict[int, set[str]] = {}
        for row in svc.archive.recent_articles(NOW - timedelta(days=1)):
            assert row.story_id is not None
            stories.setdefault(row.story_id, set()).add(row.article.url.rsplit("/", 1)[1])
    assert {frozenset(v) for v in stories.values()} == {
        frozenset({"kursk-en", "kursk-ar"}),
        frozenset({"treaty-en"}),
    }
