"""Which stories a digest holds: the order, the rest past ``max_stories``, and updates that show
only the sources a chat has not seen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bot.digest.compose import compose
from bot.models import Article, Digest, EntityName, Story, Summary

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SUMMARY = Summary("عنوان", "ملخص", "Headline", "Summary", "offline")


def article(n: int, story: int, url: str | None = None) -> Article:
    return Article(
        id=f"a{story}-{n}",
        feed_url="https://feeds.example/rss",
        source=f"Outlet {n}",
        url=f"https://news.example/{story}/{n}" if url is None else url,
        title=f"Report {n} of story {story}",
        summary="",
        lang="en",
        published=NOW - timedelta(hours=n),
        seen_at=NOW,
    )


def story(story_id: int, sources: int, age_h: float = 0) -> Story:
    articles = tuple(article(n, story_id) for n in range(1, sources + 1))
    when = NOW - timedelta(hours=age_h)
    return Story(id=story_id, created_at=when, updated_at=when, articles=articles)


def digest_of(
    stories: Sequence[Story],
    max_stories: int = 20,
    seen: Mapping[int, frozenset[str]] | None = None,
) -> Digest:
    return compose(
        [(s, SUMMARY) for s in stories],
        lang="en",
        since=None,
        until=NOW,
        max_stories=max_stories,
        entity_names=lambda ids: tuple(EntityName(i, i, i) for i in ids),
        seen=seen,
    )


def test_most_sources_first_then_newest_then_id() -> None:
    stories = [story(1, 1, age_h=0), story(2, 3, age_h=5), story(3, 3, age_h=1), story(4, 1)]
    digest = digest_of(stories)
    assert [item.story_id for item in digest.items] == [3, 2, 1, 4]
    assert digest.rest == ()


def test_stories_past_the_limit_are_kept_as_the_rest_in_order() -> None:
    stories = [story(n, sources=1 + n % 4, age_h=n) for n in range(1, 77)]
    digest = digest_of(stories, max_stories=20)
    assert len(digest.items) == 20
    assert len(digest.rest) == 56
    everything = digest_of(stories, max_stories=100)
    assert [i.story_id for i in everything.items] == [
        *(i.story_id for i in digest.items),
        *digest.rest,
    ]


def test_a_story_sent_before_comes_back_only_with_new_sources() -> None:
    grown, same = story(1, 3), story(2, 2)
    seen = {
        1: frozenset({"https://news.example/1/1", "https://news.example/1/2"}),
        2: frozenset({"https://news.example/2/1", "https://news.example/2/2"}),
    }
    digest = digest_of([grown, same, story(3, 1)], seen=seen)
    assert [item.story_id for item in digest.items] == [1, 3]
    update, fresh = digest.items
    assert update.update and not fresh.update
    assert [s.url for s in update.sources] == ["https://news.example/1/3"]


def test_a_story_without_articles_is_left_out() -> None:
    empty = Story(id=9, created_at=NOW, updated_at=NOW, articles=())
    assert digest_of([empty]).items == ()
