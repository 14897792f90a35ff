"""The SQLite archive: migrations, stories, summaries, outbox, and bilingual search."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.ingest.articles import link_key
from bot.models import Article, Decision, Summary
from bot.search.query import build_match
from bot.store.archive import MIGRATIONS, Archive
from bot.summarize.refresh import stale_stories
from bot.topic.matcher import TopicMatcher
from bot.topic.topic_file import load_lexicon

NOW = datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
YES = Decision(relevant=True, score=1.0, matched=("ru:kursk",), reason="test")


def article(id_: str, title: str, summary: str = "", lang: str = "ar", hours: int = 0) -> Article:
    when = NOW - timedelta(hours=hours)
    return Article(
        id=id_,
        feed_url="https://feed.example/rss",
        source="Outlet",
        url=f"https://outlet.example/{id_}",
        title=title,
        summary=summary,
        lang=lang,  # type: ignore[arg-type]
        published=when,
        seen_at=when,
    )


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive.in_dir(tmp_path)
    samples = [
        article("a1", "قوات كورية شمالية في كورسك", "وصل الجنود إلى منطقة كورسك والكرملين صامت"),
        article("a2", "بوتين يستقبل كيم", "وبوتين قال إن العلاقات قوية للكرملين"),
        article("a3", "North Korean troops in Kursk", "Seoul says troops reached Kursk", "en"),
        article("a4", "Lavrov meets Choe Son Hui", 'The "strategic partnership" grows', "en"),
        article("a5", "محادثات بموسكو", "محادثات في بموسكو مع الوفد", "ar"),
    ]
    for sample in samples:
        archive.add_article(sample, YES, announce=True)
    return archive


def test_schema_version_and_reopen(tmp_path: Path) -> None:
    first = Archive.in_dir(tmp_path)
    assert first.schema_version == len(MIGRATIONS)
    first.add_article(article("x", "title"), YES, announce=True)
    first.close()
    again = Archive.in_dir(tmp_path)
    assert again.schema_version == len(MIGRATIONS)
    assert again.counts()["articles"] == 1
    mode = again._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "archive.sqlite3")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer than this digestbot knows"):
        Archive.in_dir(tmp_path)


def test_known_ids_cover_relevant_and_seen(archive: Archive) -> None:
    archive.add_seen(article("junk", "weather"))
    assert archive.known(["a1", "junk", "new"]) == {"a1", "junk"}


def test_many_seen_items_are_remembered_at_once_by_id_and_by_link(archive: Archive) -> None:
    junk, more = article("junk", "weather"), article("more", "football")
    archive.add_seen_many([(junk, None), (more, "given-key"), (junk, None)])
    assert archive.known(["junk", "more", "new"]) == {"junk", "more"}
    assert archive.known_links(["given-key", link_key(junk.url, junk.title), "other"]) == {
        "given-key",
        link_key(junk.url, junk.title),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("كرملين", {"a1", "a2"}),  # والكرملين and للكرملين
        ("الكرملين", {"a1", "a2"}),
        ("بوتين", {"a2"}),  # وبوتين too
        ("موسكو", {"a5"}),  # بموسكو
        ("كيـــم", {"a2"}),  # tatweel typed by the user
        ("kursk", {"a3"}),
        ("KURSK troops", {"a3"}),
        ('"strategic partnership"', {"a4"}),
        ('"partnership strategic"', set()),
    ],
)
def test_search_reads_arabic_as_written(archive: Archive, query: str, expected: set[str]) -> None:
    assert {hit.article.id for hit in archive.search(query, limit=10)} == expected


def test_search_is_cross_lingual_through_the_lexicon(archive: Archive) -> None:
    expand = TopicMatcher(load_lexicon()).alias_expander()
    assert {h.article.id for h in archive.search("Kursk", limit=10, expand=expand)} == {
        "a1",
        "a3",
    }
    assert {h.article.id for h in archive.search("كورسك", limit=10, expand=expand)} == {
        "a1",
        "a3",
    }


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "kursk OR",
        "NEAR(",
        "*",
        "a:b",
        "title:x",
        ")(",
        "'; DROP TABLE articles; --",
        "",
        "   ",
        "؟؟",
    ],
)
def test_any_input_is_safe(archive: Archive, query: str) -> None:
    archive.search(query)  # never raises
    assert archive.counts()["articles"] == 5


def test_fts_terms_are_always_quoted() -> None:
    match = build_match('kursk" OR title:*')
    assert match is not None
    assert "OR title" not in match.replace('" OR "', "")


def test_stories_summaries_and_announcement(archive: Archive) -> None:
    sid = archive.attach("a1", None, entities=["ru:kursk"], announce=True, now=NOW)
    assert archive.attach("a3", sid, entities=["nk:troops"], announce=True, now=NOW) == sid
    story = archive.story(sid)
    assert {a.id for a in story.articles} == {"a1", "a3"}
    assert set(story.entities) == {"ru:kursk", "nk:troops"}
    assert [s.id for s in stale_stories(archive.summaries_to_check(), resummarize_after=1)] == [sid]

    summary = Summary("ع", "ملخص", "E", "summary", "offline")
    archive.save_summary(story, summary, NOW)
    assert archive.summary(sid) == summary
    assert stale_stories(archive.summaries_to_check(), resummarize_after=1) == []
    # the story grows: it needs a new summary
    archive.attach("a2", sid, entities=[], announce=False, now=NOW)
    assert [s.id for s in stale_stories(archive.summaries_to_check(), resummarize_after=1)] == [sid]

    quiet = archive.attach("a4", None, entities=[], announce=False, now=NOW)
    announced = {s.id for s in archive.announced_stories(None, NOW)}
    assert sid in announced and quiet not in announced
    assert archive.announced_stories(NOW, NOW + timedelta(hours=1)) == []


def test_outbox_is_idempotent_per_digest_key(archive: Archive) -> None:
    for _ in range(2):
        archive.queue_digest(
            platform="telegram",
            chat_id=5,
            thread_id=None,
            digest_key="telegram:5:k1",
            period_end=NOW,
            parts=["one", "two"],
            now=NOW,
        )
    pending = archive.pending("telegram")
    assert [p.text for p in pending] == ["one", "two"]
    assert archive.last_digest_end("telegram", 5) == NOW
    archive.mark_sent(pending[0].id, 77, NOW)
    archive.mark_failed(pending[1].id, "boom", final=False)
    assert [p.text for p in archive.pending("telegram")] == ["two"]
    archive.move_chat("telegram", 5, -1005)
    assert archive.pending("telegram")[0].chat_id == -1005
    assert archive.outbox_counts() == {"sent": 1, "pending": 1}


@pytest.mark.parametrize("hours", [3, -5, 0])
def test_a_period_given_with_any_utc_offset_finds_the_same_stories(
    tmp_path: Path, hours: int
) -> None:
    # a chat's last digest imported as 12:00+03:00 is the same instant as 09:00Z; stored times
    # are compared as text, so each must be written in UTC
    from datetime import timezone

    archive = Archive.in_dir(tmp_path)
    at = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    article = Article(
        "x", "https://f.example/rss", "S", "https://f.example/x", "Kursk", "", "en", at, at
    )  # type: ignore[arg-type]
    archive.add_article(article, Decision(True, 1.0, ("ru:kursk",), "t"), announce=True)
    archive.attach("x", None, entities=[], announce=True, now=at)
    zone = timezone(timedelta(hours=hours))
    for since, found in ((at - timedelta(hours=1), 1), (at + timedelta(minutes=1), 0)):
        until = at + timedelta(hours=1)
        stories = archive.stories_with_news(since.astimezone(zone), until.astimezone(zone))
        assert len(stories) == found, (since.astimezone(zone), found)
    archive.close()
