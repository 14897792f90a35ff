"""Which stories go into a chat's digest, and in what order. Pure.

The order: most sources first, then the most recently updated, then the story id (so two runs
agree). The first ``max_stories`` are the digest; the others are its ``rest``, offered page by
page. A story the chat was sent before comes back only when it has a source the chat has not
seen, as an update that shows just those new sources. Each source carries its outlet's label,
from the lookup the caller passes in (``bot.digest.labels``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot.models import ChatLang, Digest, DigestItem, Digits, EntityName, Source, Story, Summary

EntityNamer = Callable[[Sequence[str]], tuple[EntityName, ...]]
SourceLabeller = Callable[[str, str], str | None]
"""A source's label from its link and its feed's URL (``bot.digest.labels.labeller``)."""


def _no_label(url: str, feed_url: str) -> None:
    return None


def sources_of(story: Story, labels: SourceLabeller = _no_label) -> tuple[Source, ...]:
    """Every outlet's report once (by URL), oldest first; links always come from the feeds. An
    article without a link of its own is no source to show (an archive from before such
    articles were kept out of stories may still hold one). ``labels`` names each one's
    outlet's label."""
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
                label=labels(article.url, article.feed_url),
            )
        )
    return tuple(result)


def _item(
    story: Story,
    summary: Summary,
    entity_names: EntityNamer,
    seen: frozenset[str] | None,
    labels: SourceLabeller,
) -> DigestItem | None:
    if not story.articles:
        return None
    sources = sources_of(story, labels)
    if seen is not None:
        sources = tuple(source for source in sources if source.url not in seen)
        if not sources:
            return None  # nothing the chat has not seen
    return DigestItem(
        story_id=story.id,
        summary=summary,
        sources=sources,
        entities=entity_names(story.entities),
        updated_at=story.updated_at,
        update=seen is not None,
    )


def order(items: Sequence[DigestItem]) -> list[DigestItem]:
    """Most sources first, then most recently updated, then by story id."""
    return sorted(
        items, key=lambda item: (-len(item.sources), -item.updated_at.timestamp(), item.story_id)
    )


def compose(
    stories: Sequence[tuple[Story, Summary]],
    *,
    lang: ChatLang,
    since: datetime | None,
    until: datetime,
    max_stories: int,
    entity_names: EntityNamer,
    seen: Mapping[int, frozenset[str]] | None = None,
    labels: SourceLabeller = _no_label,
    digits: Digits = "latn",
) -> Digest:
    """A digest of ``stories`` (see the module's docstring for the order). ``seen`` holds, per
    story already sent to the chat, the links of the sources it was shown; ``labels`` gives
    each source's label; ``digits`` is how the chat's numbers are written."""
    sent = seen or {}
    items = order(
        [
            item
            for story, summary in stories
            if (item := _item(story, summary, entity_names, sent.get(story.id), labels)) is not None
        ]
    )
    return Digest(
        lang=lang,
        period_start=since,
        period_end=until,
        items=tuple(items[:max_stories]),
        rest=tuple(item.story_id for item in items[max_stories:]),
        digits=digits,
    )
