"""Which stories go into a chat's digest, and in what order. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.models import ChatLang, Digest, DigestItem, EntityName, Source, Story, Summary

EntityNamer = Callable[[Sequence[str]], tuple[EntityName, ...]]


def sources_of(story: Story) -> tuple[Source, ...]:
    """Every outlet's report once (by URL), oldest first; links always come from the feeds. An
    article without a link of its own is no source to show (an archive from before such
    articles were kept out of stories may still hold one)."""
    seen: set[str] = set()
    result: list[Source] = []
    for article in sorted(story.articles, key=lambda a: (a.published, a.id)):
        if not article.url or article.url in seen:
            continue
        seen.add(article.url)
        result.append(
            Source(
                name=article.source,
                url=article.url,
                title=article.title,
                lang=article.lang,
                published=article.published,
            )
        )
    return tuple(result)


def compose(
    stories: Sequence[tuple[Story, Summary]],
    *,
    lang: ChatLang,
    since: datetime | None,
    until: datetime,
    max_stories: int,
    entity_names: EntityNamer,
) -> Digest:
    """A digest of ``stories``: most sources first, then most recently updated."""
    items = [
        DigestItem(
            story_id=story.id,
            summary=summary,
            sources=sources_of(story),
            entities=entity_names(story.entities),
            updated_at=story.updated_at,
        )
        for story, summary in stories
        if story.articles
    ]
    items.sort(key=lambda item: (-len(item.sources), -item.updated_at.timestamp(), item.story_id))
    return Digest(lang=lang, period_start=since, period_end=until, items=tuple(items[:max_stories]))
